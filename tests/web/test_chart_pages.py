"""The chart page as users get it: five charts, each a plot with a text label, its figure as a
JSON data block (no inline script) and the same numbers as a table; scoped to the user's
agency; and plotly.js served from the installed package with long cache headers."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlmodel import Session

from equiplan.models import EquipmentModel, EquipmentType
from equiplan.web.charts import plotly_js_path, plotly_js_version
from tests.conftest import sign_in
from tests.factories import (
    make_equipment,
    make_failure_code,
    make_model,
    make_type,
    make_user,
    make_work_order,
)
from tests.web.conftest import World

KEYS = ("availability", "failures", "age", "cost", "survival")
_DATA_BLOCK = re.compile(
    r'<script type="application/json" id="chart-(\w+)-data">(.*?)</script>', re.DOTALL
)


def _page(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def _figures(html: str) -> dict[str, Any]:
    return {key: json.loads(text) for key, text in _DATA_BLOCK.findall(html)}


def _type_code(session: Session, item: Any) -> str:
    model = session.get_one(EquipmentModel, item.model_id)
    return session.get_one(EquipmentType, model.type_id).code


def _failure(session: Session, item: Any, code_id: int, days_ago: int, **fields: Any) -> None:
    moment = datetime.now(UTC) - timedelta(days=days_ago)
    make_work_order(
        session,
        item,
        failure_code_id=code_id,
        downtime_start=moment,
        downtime_end=moment + timedelta(hours=10),
        status="done",
        completed_at=moment + timedelta(hours=10),
        **fields,
    )


def test_the_page_draws_five_charts_from_data_blocks_with_tables(
    client: FlaskClient, world: World, session: Session
) -> None:
    code = make_failure_code(session, "WEB-F1").id
    # The model's records begin 400 days ago; a sibling commissioned since then has a lifetime.
    opened = datetime.now(UTC) - timedelta(days=400)
    make_work_order(session, world.vsat_item, kind="preventive", opened_at=opened)
    young = make_equipment(
        session,
        world.vsat,
        session.get_one(EquipmentModel, world.vsat_item.model_id),
        commissioned_on=(opened + timedelta(days=100)).date(),
    )
    _failure(session, young, code, 40, parts_cost_cents=12_345)
    _failure(session, world.vsat_item, code, 20)
    sign_in(client, world.users["planner"])
    html = _page(client, "/kpis/charts")

    figures = _figures(html)
    assert sorted(figures) == sorted(KEYS)
    for key, figure in figures.items():
        assert figure["layout"]["title"]["text"], key
        assert figure["layout"]["xaxis"]["title"]["text"], key
        assert figure["layout"]["meta"]["description"].startswith(figure["layout"]["title"]["text"])
        assert figure["data"], key
        # The plot is an image for assistive technology, labelled with the same description.
        label = re.search(rf'<div id="chart-{key}" [^>]*role="img" aria-label="([^"]+)"', html)
        assert label, key
    # Failures this year: 2 for the item's type, as a bar and as the table's row.
    failures = figures["failures"]["data"]
    assert [trace["name"] for trace in failures] == [_type_code(session, world.vsat_item)]
    assert sum(failures[0]["y"]) == 2
    # The cost table says 123.45 € for the year of the repairs (English number format).
    assert "€123.45" in html
    # Each chart's numbers as a table: caption, column and row headers.
    assert html.count('<details class="mt-2">') == 5
    assert html.count("<summary>Show as table</summary>") == 5
    assert '<caption class="caption-top">Failures per year</caption>' in html
    assert '<th scope="col">Year</th>' in html
    assert '<th scope="row">' in html
    # No inline script: only the two script files and JSON data blocks.
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all('type="application/json"' in s or "src=" in s for s in scripts), scripts
    version = plotly_js_version()
    assert f'<script src="/vendor/plotly.min.js?v={version}" defer></script>' in html
    assert '<script src="/static/charts.js" defer></script>' in html
    assert (
        '<link rel="stylesheet" id="plotly.js-style-global" href="/static/plotly-host.css">' in html
    )


def test_an_officer_sees_only_their_agency(
    client: FlaskClient, world: World, session: Session
) -> None:
    code = make_failure_code(session, "WEB-F2").id
    _failure(session, world.vsat_item, code, 30)
    _failure(session, world.customs_item, code, 30)
    own, foreign = _type_code(session, world.vsat_item), _type_code(session, world.customs_item)
    sign_in(client, world.users["officer"])
    html = _page(client, "/kpis/charts")
    names = {trace["name"] for figure in _figures(html).values() for trace in figure["data"]}
    assert own in names
    assert foreign not in names
    assert 'name="agency_id"' not in html  # no agency to choose: only their own
    by_agency = _figures(_page(client, "/kpis/charts?by=agency"))["failures"]["data"]
    assert [trace["name"] for trace in by_agency] == ["VSAT"]
    # Another agency's charts do not exist for them; another agency's model shows nothing.
    _page(client, f"/kpis/charts?agency_id={world.customs.id}", 404)
    html = _page(client, f"/kpis/charts?model_id={world.customs_item.model_id}")
    assert "survival" not in _figures(html)
    assert 'data-testid="chart-survival-empty"' in html


def test_filters_narrow_the_charts_and_bad_ones_are_reported(
    client: FlaskClient, world: World, session: Session
) -> None:
    code = make_failure_code(session, "WEB-F3").id
    other = make_equipment(session, world.vsat, make_model(session, make_type(session, "WEBX")))
    _failure(session, world.vsat_item, code, 10)
    _failure(session, other, code, 10)
    sign_in(client, world.users["admin"])
    html = _page(client, f"/kpis/charts?model_id={other.model_id}")
    failures = _figures(html)["failures"]["data"]
    assert [trace["name"] for trace in failures] == ["WEBX"]
    html = _page(client, "/kpis/charts?by=colour&type_id=x", 400)
    assert "Split the charts by type or by agency." in html
    assert "Not a valid number: x." in html
    _page(client, "/kpis/charts?model_id=999999", 404)


def test_figure_json_cannot_end_its_script_element(
    client: FlaskClient, world: World, session: Session
) -> None:
    hostile = make_type(session, "</script><b>")
    item = make_equipment(session, world.vsat, make_model(session, hostile))
    _failure(session, item, make_failure_code(session, "WEB-F4").id, 5)
    sign_in(client, world.users["admin"])
    html = _page(client, "/kpis/charts")
    assert "</script><b>" not in html
    names = {t["name"] for t in _figures(html)["failures"]["data"]}
    assert "</script><b>" in names  # the JSON still says it, escaped
    assert "&lt;/script&gt;&lt;b&gt;" in html  # and the table shows it as text


def test_numbers_follow_the_readers_language(
    client: FlaskClient, world: World, session: Session
) -> None:
    _failure(session, world.vsat_item, make_failure_code(session, "WEB-F5").id, 15)
    sign_in(client, make_user(session, "planner", locale="lt"))
    figure = _figures(_page(client, "/kpis/charts"))["cost"]
    assert figure["layout"]["separators"] == ", "  # decimal comma, space between thousands


def test_plotly_is_served_from_the_package_with_long_cache_headers(client: FlaskClient) -> None:
    shipped = plotly_js_path().read_bytes()
    response = client.get("/vendor/plotly.min.js?v=" + plotly_js_version())
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cache = response.headers["Cache-Control"]
    assert "public" in cache
    assert "max-age=31536000" in cache
    assert "immutable" in cache
    assert response.data == shipped
    response.close()
    assert shipped.startswith(b"/**\n* plotly.js v")

    packed = client.get("/vendor/plotly.min.js", headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == shipped
    assert len(packed.data) < len(shipped) / 2
    again = client.get(
        "/vendor/plotly.min.js",
        headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]},
    )
    assert again.status_code == 304
