"""A KPI figure's record link lists exactly the records it counts: the count on the KPI page is
the number of rows in the linked work-order list (web page and API), for failures, costs,
calibrations and the backlog, at the scope, agency, site, type and item levels; and records
just outside the window, cancelled, of another kind or of another agency are left out.

The window is the year 2025 in Vilnius (local days: 2024-12-31 22:00 UTC to 2025-12-31 22:00
UTC); the report is made now (the backlog of a past window is counted at its end)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from equiplan.models import Equipment
from tests.conftest import sign_in
from tests.factories import (
    make_calibration,
    make_equipment,
    make_failure_code,
    make_model,
    make_site,
    make_type,
    make_work_order,
)
from tests.web.conftest import World

YEAR_2025 = "window=custom&from=2025-01-01&to=2025-12-31"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def records(world: World, session: Session) -> dict[str, Any]:
    """VSAT: a site MED with two items of type RIID, one item elsewhere; customs: one item."""
    site = make_site(session, world.vsat, code="KEN")
    riid = make_type(session, "RIIDX")
    model = make_model(session, riid)
    a = make_equipment(session, world.vsat, model, site)
    b = make_equipment(session, world.vsat, model, site)
    elsewhere = world.vsat_item
    code = make_failure_code(session, "DETX").id

    def repair(item: Equipment, start: datetime, **fields: Any) -> None:
        end = start + timedelta(hours=5)
        values = {
            "status": "done",
            "failure_code_id": code,
            "opened_at": start,
            "downtime_start": start,
            "downtime_end": end,
            "completed_at": end,
        }
        make_work_order(session, item, **{**values, **fields})

    # Failures: 22:30 UTC on 31 Dec 2024 is already 2025 in Vilnius; 22:30 UTC on 31 Dec 2025
    # is 2026 there. Reported in 2025 but down since 2024: a failure of 2024.
    repair(a, utc(2024, 12, 31, 22, 30))
    repair(a, utc(2025, 6, 1), parts_cost_cents=5_000)
    repair(b, utc(2025, 12, 31, 22, 30))
    repair(b, utc(2025, 3, 1), opened_at=utc(2025, 3, 1), downtime_start=utc(2024, 12, 20))
    repair(b, utc(2025, 4, 1), status="cancelled", completed_at=None)
    repair(b, utc(2025, 5, 1), failure_code_id=None)  # not a failure: no code
    repair(elsewhere, utc(2025, 7, 1), external_cost_cents=7_000)
    repair(world.customs_item, utc(2025, 7, 1), parts_cost_cents=1_000)
    # Costs: completed in 2025 (local) with costs; without costs; completed in 2026.
    make_work_order(
        session,
        a,
        kind="preventive",
        status="done",
        opened_at=utc(2025, 2, 1),
        completed_at=utc(2025, 12, 31, 21, 59),
        parts_cost_cents=2_500,
    )
    make_work_order(
        session,
        a,
        kind="preventive",
        status="done",
        opened_at=utc(2025, 12, 1),
        completed_at=utc(2025, 12, 31, 22, 1),
        parts_cost_cents=900,
    )
    # Calibrations: dated in 2025 (one recorded, i.e. completed, only in 2026); one in 2024.
    make_calibration(session, a, calibrated_on=date(2025, 3, 3))
    late = make_calibration(session, b, calibrated_on=date(2025, 12, 20))
    make_calibration(session, b, calibrated_on=date(2024, 12, 20))
    assert late.work_order_id
    # Backlog at the end of 2025: open across it and past due (two), due only in 2026, done
    # before it ended, cancelled.
    for due, completed in (
        (date(2025, 11, 1), None),
        (date(2025, 6, 1), utc(2026, 1, 10)),
        (date(2026, 1, 5), None),
        (date(2025, 10, 1), utc(2025, 12, 1)),
    ):
        make_work_order(
            session,
            a,
            kind="inspection",
            status="done" if completed else "open",
            due_date=due,
            opened_at=utc(2025, 9, 1),
            completed_at=completed,
        )
    make_work_order(session, b, kind="inspection", status="cancelled", due_date=date(2025, 6, 1))
    return {"site": site, "type": riid, "a": a, "b": b}


def _number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text) or "0")


def _figure_links(html: str) -> dict[str, str]:
    """Each figure's record link on the KPI page (the URL of its label)."""
    links = {}
    for key, href in re.findall(r'data-figure="([a-z_]+)".*?<a href="([^"]+)"', html, re.S):
        links.setdefault(key, unescape(href))
    return links


def _cell(html: str, testid: str) -> str:
    found = re.search(
        rf'data-testid="{re.escape(testid)}"[^>]*>(.*?)</(td|div|span|p)>', html, re.S
    )
    assert found, f"no {testid}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def _listed(client: FlaskClient, url: str) -> int:
    """Rows in the linked list: the web page's count, checked against the API's total."""
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    shown = _number(_cell(page.get_data(as_text=True), "count"))
    parts = urlsplit(url)
    api = client.get("/api/v1/work-orders", query_string=dict(parse_qsl(parts.query)))
    assert api.status_code == 200, api.get_data(as_text=True)[:2000]
    assert api.get_json()["total"] == shown
    return shown


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        # failures, cost records (work with costs), calibrations, backlog
        ("scope", (3, 3, 2, 2)),
        ("agency", (3, 3, 2, 2)),
        ("site", (2, 2, 2, 2)),
        ("type", (2, 2, 2, 2)),
        ("item", (2, 2, 1, 2)),
    ],
)
def test_a_figures_link_lists_exactly_the_records_it_counts(
    client: FlaskClient,
    world: World,
    records: dict[str, Any],
    level: str,
    expected: tuple[int, int, int, int],
) -> None:
    sign_in(client, world.users["officer"])  # VSAT: the customs records are never counted
    ids = {
        "scope": "",
        "agency": f"&id={world.vsat.id}",
        "site": f"&id={records['site'].id}",
        "type": f"&id={records['type'].id}",
        "item": f"&id={records['a'].id}",
    }
    response = client.get(f"/kpis?level={level}{ids[level]}&{YEAR_2025}")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    html = response.get_data(as_text=True)
    links = _figure_links(html)
    failures, costed, calibrations, backlog = expected
    assert _number(_cell(html, "failures-current")) == failures
    assert _listed(client, links["failures"]) == failures
    assert _listed(client, links["cost"]) == costed
    assert _listed(client, links["pass_rate"]) == calibrations
    assert _cell(html, "backlog-current").startswith(str(backlog))
    assert _listed(client, links["backlog"]) == backlog


def test_the_backlog_link_of_the_current_window_lists_what_is_open_now(
    client: FlaskClient, world: World, session: Session
) -> None:
    now = datetime.now(UTC)
    item = world.vsat_item
    make_work_order(  # open, due a week ago: in the backlog now
        session, item, kind="inspection", due_date=(now - timedelta(days=7)).date()
    )
    make_work_order(  # open, due in a week: not yet
        session, item, kind="inspection", due_date=(now + timedelta(days=7)).date()
    )
    sign_in(client, world.users["viewer"])
    html = client.get("/kpis").get_data(as_text=True)
    assert _cell(html, "backlog-current").startswith("1")
    assert _listed(client, _figure_links(html)["backlog"]) == 1
