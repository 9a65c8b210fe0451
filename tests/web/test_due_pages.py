"""The due list and the month calendar as users see them: scoped, filtered, paged, with state
badges and links; bad filters reported; the calendar grid accessible and linked to the list."""

import re
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlmodel import Session

from equiplan.services.clock import local_today
from tests.conftest import sign_in
from tests.factories import make_equipment, make_schedule, make_work_order
from tests.web.conftest import World


def _today():  # type: ignore[no-untyped-def]
    return local_today("Europe/Vilnius")


def _page(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-state="(\w+)">', html)


def test_an_officer_sees_their_agencys_due_work_with_state_badges(
    client: FlaskClient, world: World, session: Session
) -> None:
    today = _today()
    item = world.vsat_item
    make_schedule(session, item, today - timedelta(days=40), grace_days=7)
    make_schedule(session, item, today, kind="preventive")
    make_schedule(session, item, today + timedelta(days=12), kind="inspection")
    repair = make_work_order(
        session, item, target_restore_at=datetime.now(UTC) + timedelta(days=2, hours=1)
    )
    make_schedule(session, world.customs_item, today - timedelta(days=1))
    sign_in(client, world.users["officer"])
    html = _page(client, "/due")
    assert _rows(html) == ["overdue", "due", "upcoming", "upcoming"]
    assert world.customs_item.inventory_no not in html
    assert html.count(f'href="/equipment/{item.id}"') == 4
    assert f'href="/work-orders/{repair.id}"' in html
    assert '<span class="badge text-bg-danger">Overdue</span>' in html
    assert '<span class="badge text-bg-warning">Due</span>' in html
    assert "Matching: 4" in html
    # Officers have no agency filter (nor column): they only ever see their own.
    assert 'name="agency_id"' not in html
    assert '<a class="btn btn-outline-primary btn-sm" href="/due/calendar?month=' in html


def test_the_centre_filters_by_agency_site_kind_window_and_state(
    client: FlaskClient, world: World, session: Session
) -> None:
    today = _today()
    make_schedule(session, world.vsat_item, today + timedelta(days=20))
    make_schedule(session, world.customs_item, today + timedelta(days=60), kind="preventive")
    make_schedule(session, world.customs_item, today - timedelta(days=90), kind="inspection")
    sign_in(client, world.users["planner"])
    assert len(_rows(_page(client, "/due"))) == 2
    assert len(_rows(_page(client, "/due?window=90"))) == 3
    assert len(_rows(_page(client, f"/due?window=90&agency_id={world.customs.id}"))) == 2
    assert _rows(_page(client, "/due?window=365&state=overdue")) == ["overdue"]
    assert len(_rows(_page(client, "/due?window=365&kind=preventive"))) == 1
    assert _rows(_page(client, "/due?kind=repair")) == []
    html = _page(client, "/due")
    assert 'name="agency_id"' in html
    assert '<th scope="col">Agency</th>' in html


def test_bad_filters_are_named_and_the_rest_still_works(
    client: FlaskClient, world: World, session: Session
) -> None:
    make_schedule(session, world.vsat_item, _today())
    sign_in(client, world.users["viewer"])
    html = _page(client, "/due?window=12&kind=teleport&state=late&per_page=7&day=yesterday", 400)
    assert "Some filters could not be used and were left out:" in html
    for name in ("window", "kind", "state", "per_page", "day"):
        assert f"<code>{name}</code>" in html
    assert _rows(html) == ["due"]


def test_an_empty_list_says_why_and_offers_a_longer_window(
    client: FlaskClient, world: World, session: Session
) -> None:
    make_schedule(session, world.vsat_item, _today() + timedelta(days=200))
    sign_in(client, world.users["officer"])
    html = _page(client, "/due")
    assert "Nothing is overdue and nothing falls due in the next 30 days." in html
    assert 'href="/due?window=365"' in html
    assert len(_rows(_page(client, "/due?window=365"))) == 1
    filtered = _page(client, "/due?kind=calibration&state=overdue")
    assert "Nothing due matches these filters." in filtered


def test_pages_of_the_list(client: FlaskClient, world: World, session: Session) -> None:
    today = _today()
    item = make_equipment(session, world.vsat)
    for offset in range(30):
        make_schedule(session, item, today + timedelta(days=offset % 10), kind="inspection")
    sign_in(client, world.users["admin"])
    first = _page(client, "/due?per_page=25")
    assert len(_rows(first)) == 25
    assert "Page 1 of 2" in first
    assert 'href="/due?page=2&amp;per_page=25"' in first
    assert len(_rows(_page(client, "/due?per_page=25&page=2"))) == 5


def test_the_month_calendar_is_an_accessible_grid_linked_to_the_list(
    client: FlaskClient, world: World, session: Session
) -> None:
    today = _today()
    busy = today.replace(day=15)
    for kind in ("calibration", "preventive", "inspection", "source_check", "performance_test"):
        make_schedule(session, world.vsat_item, busy, kind=kind)
    make_schedule(session, world.customs_item, busy)
    sign_in(client, world.users["viewer"])
    html = _page(client, "/due/calendar")
    month = today.strftime("%Y-%m")
    assert "<caption" in html
    assert html.count('<th scope="col" class="text-center">') == 7
    assert f'data-day="{today.isoformat()}"' in html
    assert re.search(rf'table-primary" aria-current="date" data-day="{today.isoformat()}"', html)
    assert "5 due, " in html
    # Three entries shown on the busy day, and a link to the rest in the list.
    cell = html.split(f'data-day="{busy.isoformat()}"')[1].split("</td>")[0]
    assert cell.count(f'href="/equipment/{world.vsat_item.id}"') == 3
    assert f'href="/due?day={busy.isoformat()}" data-testid="more">+2 more</a>' in cell
    assert world.customs_item.inventory_no not in html
    listed = _page(client, f"/due?day={busy.isoformat()}")
    assert len(_rows(listed)) == 5
    assert "Only what falls due on" in listed
    # Previous, this and next month keep the filters.
    filtered = _page(client, f"/due/calendar?month={month}&kind=calibration")
    previous = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert f'href="/due/calendar?month={previous}&amp;kind=calibration"' in filtered
    assert 'href="/due/calendar?kind=calibration" data-testid="this-month"' in filtered
    assert "1 due, " in filtered


def test_a_bad_month_is_a_400_with_a_message(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["technician"])
    for bad in ("2026-13", "March", "26-03", "2026-3"):
        html = _page(client, f"/due/calendar?month={bad}", 400)
        assert "<code>month</code>" in html
        assert "Give the month as YYYY-MM" in html
    assert "<caption" in _page(client, "/due/calendar?month=2031-02")


def test_a_day_outside_the_calendar_is_a_clear_400(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["officer"])
    for day in ("9999-12-31", "0001-01-01", "2026-02-30"):
        response = client.get(f"/due?day={day}")
        assert response.status_code == 400, day
        assert "YYYY-MM-DD" in response.get_data(as_text=True)
        assert client.get(f"/api/v1/due?day={day}").status_code == 400
