"""The work-order list's date range and narrow filters on the page and in the API: the form
offers the date range and keeps the narrow filters a KPI link set (saying so, with a way to
remove them), bad values are a 400 naming the field, and the API takes the same arguments."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from flask.testing import FlaskClient
from sqlmodel import Session

from tests.conftest import sign_in
from tests.factories import make_failure_code, make_work_order
from tests.web.conftest import World


def _count(html: str) -> int:
    found = re.search(r'data-testid="count">([^<]*)<', html)
    assert found
    return int(re.sub(r"[^\d]", "", found.group(1)))


def test_the_page_filters_by_a_date_range_and_keeps_the_narrow_filters(
    client: FlaskClient, world: World, session: Session
) -> None:
    code = make_failure_code(session, "DETW").id
    for day in (date(2025, 3, 1), date(2025, 9, 1)):
        moment = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
        make_work_order(
            session,
            world.vsat_item,
            status="done",
            failure_code_id=code,
            opened_at=moment,
            completed_at=moment,
        )
    make_work_order(
        session, world.vsat_item, status="done", opened_at=datetime(2025, 3, 2, tzinfo=UTC)
    )
    sign_in(client, world.users["viewer"])

    html = client.get("/work-orders?status=all&date=opened&from=2025-01-01&to=2025-06-30").get_data(
        as_text=True
    )
    assert _count(html) == 2
    assert 'name="from" value="2025-01-01"' in html
    assert 'name="to" value="2025-06-30"' in html
    assert 'data-testid="narrow-filters"' not in html

    url = "/work-orders?status=counted&failure=1&date=opened&from=2025-01-01&to=2025-06-30"
    html = client.get(url).get_data(as_text=True)
    assert _count(html) == 1
    assert "With a failure code" in html
    assert '<input type="hidden" name="failure" value="1">' in html  # kept by the form
    remove = re.search(r'href="([^"]*)">Remove these filters', html)
    assert remove
    assert "failure" not in remove.group(1)
    assert "from=2025-01-01" in remove.group(1)


def test_bad_filters_are_a_400_naming_each_field(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["viewer"])
    response = client.get("/work-orders?date=soon&from=2025-06-01&to=2025-01-01&backlog_on=x")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The range ends before it starts." in html
    assert "Give a date as YYYY-MM-DD, not x." in html


def test_the_api_takes_the_same_filters(
    client: FlaskClient, world: World, session: Session
) -> None:
    make_work_order(
        session,
        world.vsat_item,
        status="done",
        completed_at=datetime(2025, 5, 31, 21, 30, tzinfo=UTC),  # 1 June in Vilnius
        parts_cost_cents=100,
    )
    sign_in(client, world.users["viewer"])
    found = client.get(
        "/api/v1/work-orders?status=done&cost=1&date=completed&from=2025-06-01&to=2025-06-30"
    )
    assert found.status_code == 200
    assert found.get_json()["total"] == 1
    may = client.get("/api/v1/work-orders?status=done&date=completed&from=2025-05-01&to=2025-05-31")
    assert may.get_json()["total"] == 0
    bad = client.get("/api/v1/work-orders?date=soon&backlog_on=2025-13-01")
    assert bad.status_code == 400
    assert set(bad.get_json()["errors"]) == {"date", "backlog_on"}
