"""The KPI page, its export and the dashboard's headline KPIs as users get them: scoped to the
user's agency, honest about "no failures", each figure with its records and its formula, the
breakdown linking down a level, and files with the API's numbers and no formulas.

The history: the VSAT item (commissioned 2020) failed once in 2025 with 48 hours of downtime
and €123.45 of parts. Over the custom window 2025 in Vilnius (8,760 h) that is C = 8,760,
D = 48, n = 1: MTBF 8,712 h, MTTR 48.0 h, Ao = 8,712 / 8,760 = 99.45 %. The previous window
(2024-01-02 to 2024-12-31, 8,760 h) had no failure: MTBF > 8,760 h, Ao 100 %. The parts cost
per year is over 365 / 365.25 years.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlmodel import Session

from equiplan.models import EquipmentModel
from tests.conftest import sign_in
from tests.factories import make_equipment, make_failure_code, make_model, make_work_order
from tests.web.conftest import World

YEAR_2025 = "window=custom&from=2025-01-01&to=2025-12-31"


def _page(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response.get_data(as_text=True)


def _cell(html: str, testid: str) -> str:
    """The text of the element with this data-testid, tags removed and spaces squeezed."""
    found = re.search(rf'data-testid="{re.escape(testid)}"[^>]*>(.*?)</(td|div)>', html, re.S)
    assert found, f"no {testid}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def _failure(session: Session, item: Any, start: datetime, hours: float, **fields: Any) -> None:
    end = start + timedelta(hours=hours)
    make_work_order(
        session,
        item,
        status="done",
        failure_code_id=make_failure_code(session, f"F{start:%y%m%d%H}{item.id}").id,
        opened_at=start,
        downtime_start=start,
        downtime_end=end,
        completed_at=end,
        **fields,
    )


@pytest.fixture
def history(world: World, session: Session) -> None:
    _failure(
        session, world.vsat_item, datetime(2025, 3, 1, tzinfo=UTC), 48, parts_cost_cents=12_345
    )
    # Customs had a failure too: never in VSAT's figures.
    _failure(session, world.customs_item, datetime(2025, 5, 1, tzinfo=UTC), 10)


def test_an_officer_sees_their_agencys_figures_with_formulas_and_trends(
    client: FlaskClient, world: World, history: None
) -> None:
    sign_in(client, world.users["officer"])
    html = _page(client, f"/kpis?level=agency&id={world.vsat.id}&{YEAR_2025}")
    assert "VSAT" in _cell(html, "subject")
    assert _cell(html, "failures-current") == "1"
    assert _cell(html, "mtbf-current") == "8,712 h"
    assert _cell(html, "mttr-current") == "48.0 h"
    assert _cell(html, "availability-current") == "99.5%"
    # Per year: 365 days are 365 / 365.25 years, so €123.45 × 365.25 / 365 = €123.53.
    assert _cell(html, "cost-current") == "€123.53"
    # The previous window had no failure: a lower bound, and MTTR has none to average.
    assert _cell(html, "mtbf-previous") == "> 8,760 h no failures"
    assert _cell(html, "mttr-previous") == "— no failures"
    # 8,712 h is below what the previous window is known to exceed: worse, said in words.
    assert _cell(html, "mtbf-trend") == "↓ worse"
    assert _cell(html, "availability-trend") == "↓ worse"
    assert _cell(html, "failures-trend") == "↑ worse"
    assert '<span aria-hidden="true">↓</span> worse' in html
    assert _cell(html, "mttr-trend") == "—"  # nothing to compare with
    # Each figure states its formula in words.
    assert _cell(html, "mtbf-formula").startswith("MTBF = (C − D) / n: operating hours")
    assert _cell(html, "availability-formula").startswith("Ao = (C − D) / C")
    assert _cell(html, "mttr-formula").startswith("MTTR = D / n")
    # ... and links to the records it is counted from (the agency's repairs with a failure
    # code that failed in the window; tests/web/test_kpi_record_links.py counts them).
    assert (
        '<a href="/work-orders?kind=corrective&amp;failure=1&amp;status=counted&amp;date=failed'
        f'&amp;from=2025-01-01&amp;to=2025-12-31&amp;agency_id={world.vsat.id}">' in html
    )


def test_the_whole_scope_of_an_officer_is_their_agency(
    client: FlaskClient, world: World, history: None
) -> None:
    sign_in(client, world.users["viewer"])
    html = _page(client, f"/kpis?{YEAR_2025}")
    assert "your agency" in _cell(html, "subject")
    assert _cell(html, "failures-current") == "1"
    assert _cell(html, "downtime-current") == "48 h"
    assert "MUIT" not in html


@pytest.mark.parametrize("role", ["officer", "viewer"])
def test_another_agencys_or_a_missing_id_is_not_found(
    client: FlaskClient, world: World, role: str
) -> None:
    sign_in(client, world.users[role])
    _page(client, f"/kpis?level=agency&id={world.customs.id}", 404)
    _page(client, f"/kpis?level=item&id={world.customs_item.id}", 404)
    _page(client, "/kpis?level=site&id=999999", 404)
    _page(client, f"/kpis/export.csv?level=agency&id={world.customs.id}", 404)


def test_centre_roles_see_every_agency(client: FlaskClient, world: World, history: None) -> None:
    sign_in(client, world.users["technician"])
    html = _page(client, f"/kpis?level=item&id={world.customs_item.id}&{YEAR_2025}")
    assert _cell(html, "mttr-current") == "10.0 h"


def test_bad_parameters_are_a_400_naming_each_field(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["officer"])
    html = _page(client, "/kpis?window=5y", 400)
    assert "<code>window</code>: Choose 12m, 3y or custom, not 5y." in html
    assert 'data-testid="figures"' in html  # the rest of the page still works
    html = _page(client, "/kpis?window=custom&from=2025-02-30&to=2025-01-01", 400)
    assert "<code>from</code>" in html
    html = _page(client, "/kpis?level=galaxy", 400)
    assert "<code>level</code>: Unknown level: galaxy." in html
    assert _page(client, "/kpis/export.csv?window=5y", 400)


def test_no_failures_is_a_lower_bound_never_zero_or_infinity(
    client: FlaskClient, world: World, session: Session
) -> None:
    spare = make_equipment(session, world.vsat, commissioned_on=date(2025, 7, 1))
    sign_in(client, world.users["officer"])
    html = _page(client, f"/kpis?level=item&id={spare.id}&{YEAR_2025}")
    # Commissioned on 1 July 2025 (Vilnius): 184 days to the window's end, 4,416 hours and
    # the hour that summer time gave back in October.
    assert _cell(html, "mtbf-current") == "> 4,417 h no failures"
    assert _cell(html, "mttr-current") == "— no failures"
    assert _cell(html, "availability-current") == "100.0%"
    # Not yet in the fleet in the previous window: nothing to compare, so no arrow.
    assert _cell(html, "mtbf-previous") == "— no calendar time"
    assert _cell(html, "mtbf-trend") == "—"
    assert "∞" not in html


def test_the_breakdowns_link_down_a_level_keeping_the_window(
    client: FlaskClient, world: World, session: Session, history: None
) -> None:
    sign_in(client, world.users["planner"])
    html = _page(client, f"/kpis?{YEAR_2025}")
    agencies = html.split('data-testid="breakdown-agency"')[1].split("</table>")[0]
    window = "window=custom&amp;from=2025-01-01&amp;to=2025-12-31"
    link = f"/kpis?level=agency&amp;id={world.vsat.id}&amp;{window}"
    assert f'<a href="{link}">VSAT</a>' in agencies
    assert f"/kpis?level=agency&amp;id={world.customs.id}&amp;" in agencies
    assert _cell(html, "devices-current") == "2"
    assert _cell(html, "failures-current") == "2"
    # The agency's page breaks down by site (its item stands at none) and by type, whose
    # rows lead to the type's page and from there to its models.
    html = _page(client, link.replace("&amp;", "&"))
    assert "No site" in html.split('data-testid="breakdown-site"')[1].split("</table>")[0]
    model = world.vsat_item.model_id
    type_id = session.get_one(EquipmentModel, model).type_id
    assert f"/kpis?level=type&amp;id={type_id}&amp;" in html
    type_page = _page(client, f"/kpis?level=type&id={type_id}&{YEAR_2025}")
    assert f"/kpis?level=model&amp;id={model}&amp;" in type_page
    # The charts of the same devices.
    assert f'href="/kpis/charts?type_id={type_id}"' in type_page


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark, for Excel
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_csv_export_has_the_apis_numbers(
    client: FlaskClient, world: World, history: None
) -> None:
    sign_in(client, world.users["officer"])
    response = client.get(f"/kpis/export.csv?level=agency&id={world.vsat.id}&{YEAR_2025}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv_rows(response.data)
    # The subject and its one site row and one type row, each window: six rows.
    assert [(r["level"], r["window"]) for r in rows] == [
        ("agency", "current"),
        ("agency", "previous"),
        ("site", "current"),
        ("site", "previous"),
        ("type", "current"),
        ("type", "previous"),
    ]
    now, before = rows[0], rows[1]
    assert (now["from"], now["to"], before["from"]) == ("2025-01-01", "2025-12-31", "2024-01-02")
    assert (now["failures"], now["cost_cents"], now["backlog_366_plus"]) == ("1", "12345", "0")
    assert float(now["mtbf_hours"]) == pytest.approx(8712)
    assert (before["mtbf_is_lower_bound"], before["mttr_hours"]) == ("True", "")
    api = client.get(f"/api/v1/kpis?level=agency&id={world.vsat.id}&{YEAR_2025}").json
    for key in ("availability", "calendar_hours", "downtime_hours", "mttr_hours"):
        assert float(now[key]) == api["current"][key]


def test_the_xlsx_export_and_the_formula_guard(
    client: FlaskClient, world: World, session: Session
) -> None:
    model = make_model(session, name='=HYPERLINK("http://evil.test","x")', manufacturer="@SUM")
    item = make_equipment(session, world.vsat, model, inventory_no="+1+1")
    sign_in(client, world.users["officer"])
    query = f"level=model&id={model.id}&{YEAR_2025}"
    rows = _csv_rows(client.get(f"/kpis/export.csv?{query}").data)
    assert rows[0]["code"] == '\'=HYPERLINK("http://evil.test","x")'
    assert rows[0]["name_en"] == '\'@SUM =HYPERLINK("http://evil.test","x")'
    assert [(r["level"], r["id"], r["code"]) for r in rows[2:]] == [
        ("item", str(item.id), "'+1+1"),
        ("item", str(item.id), "'+1+1"),
    ]
    response = client.get(f"/kpis/export.xlsx?{query}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    table = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = table[0]
    assert header[:8] == ["level", "id", "code", "name_en", "name_lt", "window", "from", "to"]
    assert len(table) == 1 + 4
    code = sheet.cell(row=2, column=3)
    assert (code.value, code.data_type) == ('\'=HYPERLINK("http://evil.test","x")', "s")
    assert table[3][:3] == ["item", item.id, "'+1+1"]
    assert table[1][header.index("devices")] == 1
    assert table[1][header.index("failures")] == 0


def test_the_dashboard_shows_headline_kpis_with_trends(
    client: FlaskClient, world: World, session: Session
) -> None:
    now = datetime.now(UTC)
    # A 10-hour failure a month ago against a 100-hour one in the 12 months before.
    _failure(session, world.vsat_item, now - timedelta(days=30), 10)
    _failure(session, world.vsat_item, now - timedelta(days=400), 100)
    _failure(session, world.customs_item, now - timedelta(days=30), 500)  # not the officer's
    sign_in(client, world.users["officer"])
    html = _page(client, "/")
    assert 'data-testid="total"' in html  # the existing dashboard is still there
    assert _cell(html, "mttr-current") == "10.0 h"
    assert _cell(html, "mttr-trend") == "↓ better (previous 12 months: 100.0 h)"
    assert _cell(html, "availability-trend").startswith("↑ better")
    assert _cell(html, "mtbf-trend").startswith("↑ better")
    for key in ("compliance", "backlog", "pass_rate"):
        assert f'data-testid="{key}-current"' in html
    assert _cell(html, "backlog-current").startswith("0")
    assert 'href="/kpis"' in html


def test_the_agency_and_item_pages_link_to_their_figures(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["viewer"])
    html = _page(client, f"/agencies/{world.vsat.id}")
    assert f'href="/kpis?level=agency&amp;id={world.vsat.id}"' in html
    html = _page(client, f"/equipment/{world.vsat_item.id}")
    assert f'href="/kpis?level=item&amp;id={world.vsat_item.id}"' in html
    assert f'href="/kpis?level=model&amp;id={world.vsat_item.model_id}"' in html


def test_the_dashboards_headline_is_reused_for_a_few_minutes_the_kpi_page_never(
    client: FlaskClient, world: World, session: Session
) -> None:
    now = datetime.now(UTC)
    _failure(session, world.vsat_item, now - timedelta(days=30), 10)
    sign_in(client, world.users["viewer"])
    assert _cell(_page(client, "/"), "mttr-current") == "10.0 h"
    _failure(session, world.vsat_item, now - timedelta(days=20), 30)
    # Within HEADLINE_TTL the dashboard shows the figures it computed (services/kpi_headline.py)
    assert _cell(_page(client, "/"), "mttr-current") == "10.0 h"
    assert _cell(_page(client, "/kpis"), "mttr-current") == "20.0 h"
