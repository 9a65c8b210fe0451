"""The due list and the month calendar: scheduled work and open repairs in the scope, their
state (overdue, due, upcoming), window and filters, stable pages, and the calendar's counts."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from equiplan.services.due import DueRow, due_clock, due_items
from equiplan.services.due_calendar import month_calendar
from equiplan.services.due_query import DueQuery
from equiplan.services.scoping import Scope, scope_for
from tests.factories import (
    make_agency,
    make_equipment,
    make_model,
    make_schedule,
    make_site,
    make_type,
    make_user,
    make_work_order,
)

TODAY = date(2026, 3, 10)
# 12:00 in Vilnius (UTC+2 until the last Sunday of March).
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
CLOCK = due_clock(TODAY, "Europe/Vilnius", NOW)
EVERYTHING = Scope.everything()


@pytest.fixture
def fleet(session: Session) -> dict[str, object]:
    vsat, customs = make_agency(session, "VSAT"), make_agency(session, "MUIT", kind="customs")
    med = make_site(session, vsat, code="MED", name_en="Medininkai", name_lt="Medininkai LT")
    prd = make_model(session, make_type(session, "PRD"))
    return {
        "vsat": vsat,
        "customs": customs,
        "med": med,
        "model": prd,
        "item": make_equipment(session, vsat, prd, med, inventory_no="VSAT-PRD-0001"),
        "other": make_equipment(session, vsat, prd, inventory_no="VSAT-PRD-0002"),
        "customs_item": make_equipment(session, customs, prd, inventory_no="MUIT-PRD-0001"),
    }


def _list(session: Session, scope: Scope = EVERYTHING, **filters: object) -> list[DueRow]:
    query = DueQuery(per_page=200, **filters)  # type: ignore[arg-type]
    return due_items(session, scope, query, CLOCK).items


def _states(rows: list[DueRow]) -> dict[int | None, str]:
    return {row.schedule_id or row.work_order_id: row.state for row in rows}


def test_scheduled_work_is_overdue_due_or_upcoming_by_grace_window(session, fleet) -> None:
    item = fleet["item"]
    overdue = make_schedule(session, item, TODAY - timedelta(days=20), grace_days=14)
    in_grace = make_schedule(
        session, item, TODAY - timedelta(days=5), grace_days=14, kind="preventive"
    )
    last_grace_day = make_schedule(
        session, item, TODAY - timedelta(days=3), grace_days=3, kind="inspection"
    )
    today = make_schedule(session, item, TODAY, grace_days=0, kind="source_check")
    soon = make_schedule(session, item, TODAY + timedelta(days=10), kind="performance_test")
    rows = _list(session)
    assert _states(rows) == {
        overdue.id: "overdue",
        in_grace.id: "due",
        last_grace_day.id: "due",
        today.id: "due",
        soon.id: "upcoming",
    }
    # Sorted by due date, overdue first.
    assert [row.schedule_id for row in rows] == [
        overdue.id,
        in_grace.id,
        last_grace_day.id,
        today.id,
        soon.id,
    ]
    first = rows[0]
    assert (first.source, first.kind, first.due_date) == (
        "schedule",
        "calibration",
        TODAY - timedelta(days=20),
    )
    assert (first.inventory_no, first.type_code, first.agency_code) == (
        "VSAT-PRD-0001",
        "PRD",
        "VSAT",
    )
    assert (first.site_code, first.site_name_en, first.site_name_lt) == (
        "MED",
        "Medininkai",
        "Medininkai LT",
    )
    assert first.grace_ends_on == TODAY - timedelta(days=6)
    assert first.target_at is None
    assert first.work_order_id is None


def test_the_window_looks_ahead_and_everything_overdue_stays_in(session, fleet) -> None:
    item = fleet["item"]
    long_overdue = make_schedule(session, item, TODAY - timedelta(days=400), grace_days=0)
    in_week = make_schedule(session, item, TODAY + timedelta(days=7), kind="preventive")
    in_month = make_schedule(session, item, TODAY + timedelta(days=30), kind="inspection")
    in_quarter = make_schedule(session, item, TODAY + timedelta(days=31), kind="source_check")
    in_year = make_schedule(session, item, TODAY + timedelta(days=365), kind="performance_test")
    beyond = make_schedule(session, fleet["other"], TODAY + timedelta(days=366))

    def ids(window: int) -> set[int | None]:
        return {row.schedule_id for row in _list(session, window=window)}

    assert ids(7) == {long_overdue.id, in_week.id}
    assert ids(30) == {long_overdue.id, in_week.id, in_month.id}
    assert ids(90) == {long_overdue.id, in_week.id, in_month.id, in_quarter.id}
    assert ids(365) == {long_overdue.id, in_week.id, in_month.id, in_quarter.id, in_year.id}
    assert beyond.id not in ids(365)


def test_paused_schedules_and_decommissioned_items_are_left_out(session, fleet) -> None:
    make_schedule(session, fleet["item"], TODAY, active=False)
    gone = make_equipment(session, fleet["vsat"], fleet["model"], status="decommissioned")
    make_schedule(session, gone, TODAY - timedelta(days=3))
    make_work_order(session, gone, target_restore_at=NOW - timedelta(hours=1))
    kept = make_schedule(session, fleet["other"], TODAY)
    assert [row.schedule_id for row in _list(session)] == [kept.id]
    assert due_items(session, EVERYTHING, DueQuery(), CLOCK).total == 1


def test_open_repairs_are_due_at_their_target_and_late_after_it(session, fleet) -> None:
    item = fleet["item"]
    late = make_work_order(session, item, target_restore_at=NOW - timedelta(minutes=1))
    later_today = make_work_order(
        session, item, status="in_progress", target_restore_at=NOW + timedelta(hours=3)
    )
    # 22:30 UTC is 00:30 the next day in Vilnius: due tomorrow, not today.
    after_midnight = make_work_order(
        session, item, target_restore_at=datetime(2026, 3, 10, 22, 30, tzinfo=UTC)
    )
    make_work_order(session, item, status="done", target_restore_at=NOW - timedelta(days=1))
    make_work_order(session, item, status="cancelled", target_restore_at=NOW - timedelta(days=1))
    make_work_order(session, item)  # no target
    make_work_order(session, item, kind="inspection", target_restore_at=NOW)
    rows = _list(session)
    assert [row.work_order_id for row in rows] == [late.id, later_today.id, after_midnight.id]
    assert _states(rows) == {
        late.id: "overdue",
        later_today.id: "due",
        after_midnight.id: "upcoming",
    }
    assert [row.due_date for row in rows] == [TODAY, TODAY, TODAY + timedelta(days=1)]
    assert all(row.source == row.kind == "repair" and row.schedule_id is None for row in rows)
    assert rows[0].target_at == NOW - timedelta(minutes=1)
    assert rows[0].grace_ends_on is None
    # A repair is late by the moment, not by the day: a minute earlier it was due.
    earlier = replace(CLOCK, now=NOW - timedelta(minutes=2))
    found = due_items(session, EVERYTHING, DueQuery(), earlier).items
    assert _states(found)[late.id] == "due"


def test_the_window_and_day_filters_apply_to_repairs_by_local_date(session, fleet) -> None:
    item = fleet["item"]
    # Local 2026-03-17 23:59 and 2026-03-18 00:01 (UTC+2).
    last_in_week = make_work_order(
        session, item, target_restore_at=datetime(2026, 3, 17, 21, 59, tzinfo=UTC)
    )
    first_after = make_work_order(
        session, item, target_restore_at=datetime(2026, 3, 17, 22, 1, tzinfo=UTC)
    )
    assert [row.work_order_id for row in _list(session, window=7)] == [last_in_week.id]
    assert [row.work_order_id for row in _list(session, day=date(2026, 3, 18))] == [first_after.id]


def test_agency_users_see_only_their_agency(session, fleet) -> None:
    mine = make_schedule(session, fleet["item"], TODAY)
    theirs = make_schedule(session, fleet["customs_item"], TODAY)
    their_repair = make_work_order(session, fleet["customs_item"], target_restore_at=NOW)
    officer = scope_for(make_user(session, "officer", fleet["vsat"]))
    viewer = scope_for(make_user(session, "viewer", fleet["customs"]))
    technician = scope_for(make_user(session, "technician"))
    assert {row.schedule_id for row in _list(session, officer)} == {mine.id}
    assert [row.key for row in _list(session, viewer)] == [
        ("repair", their_repair.id),
        ("schedule", theirs.id),
    ]
    assert len(_list(session, technician)) == 3
    # Asking for another agency gives nothing, never its rows.
    assert _list(session, officer, agency_id=fleet["customs"].id) == []
    assert {row.key for row in _list(session, technician, agency_id=fleet["customs"].id)} == {
        ("schedule", theirs.id),
        ("repair", their_repair.id),
    }


def test_site_kind_and_state_filters(session, fleet) -> None:
    at_site = make_schedule(session, fleet["item"], TODAY - timedelta(days=30), grace_days=0)
    elsewhere = make_schedule(session, fleet["other"], TODAY, kind="preventive")
    repair = make_work_order(session, fleet["other"], target_restore_at=NOW - timedelta(hours=1))
    upcoming_repair = make_work_order(
        session, fleet["item"], target_restore_at=NOW + timedelta(days=2)
    )
    assert {row.key for row in _list(session, site_id=fleet["med"].id)} == {
        ("schedule", at_site.id),
        ("repair", upcoming_repair.id),
    }
    assert [row.schedule_id for row in _list(session, kind="preventive")] == [elsewhere.id]
    assert {row.work_order_id for row in _list(session, kind="repair")} == {
        repair.id,
        upcoming_repair.id,
    }
    assert {row.key for row in _list(session, state="overdue")} == {
        ("schedule", at_site.id),
        ("repair", repair.id),
    }


def test_pages_are_stable_and_the_count_is_of_everything(session, fleet) -> None:
    made = [make_schedule(session, fleet["item"], TODAY, kind="inspection") for _ in range(5)]
    made += [
        make_work_order(session, fleet["other"], target_restore_at=NOW + timedelta(hours=h))
        for h in (1, 2)
    ]
    made.append(make_schedule(session, fleet["other"], TODAY - timedelta(days=1)))
    seen: list[tuple[str, int]] = []
    for page in (1, 2, 3):
        found = due_items(session, EVERYTHING, DueQuery(page=page, per_page=3), CLOCK)
        assert found.total == 8
        assert found.pages == 3
        seen += [row.key for row in found.items]
    assert len(seen) == len(set(seen)) == 8
    assert seen == [row.key for row in _list(session)]
    # Same day: repairs first, then by id.
    assert seen[0] == ("schedule", made[-1].id)
    assert [key[0] for key in seen[1:3]] == ["repair", "repair"]
    assert [key[1] for key in seen[3:]] == sorted(schedule.id for schedule in made[:5])
    beyond = due_items(session, EVERYTHING, DueQuery(page=9, per_page=25), CLOCK)
    assert beyond.items == []
    assert beyond.total == 8


def test_month_calendar_counts_days_and_shows_the_first_entries(session, fleet) -> None:
    item = fleet["item"]
    for kind in ("calibration", "preventive", "inspection", "source_check", "performance_test"):
        make_schedule(session, item, date(2026, 3, 2), kind=kind, grace_days=0)
    make_schedule(session, fleet["other"], date(2026, 3, 31))
    make_schedule(session, fleet["other"], date(2026, 4, 1))  # next month
    make_schedule(session, fleet["customs_item"], date(2026, 3, 20))
    repair = make_work_order(
        session, item, target_restore_at=datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
    )
    month = month_calendar(session, EVERYTHING, DueQuery(), 2026, 3, CLOCK, per_day=3)
    assert (month.total, month.overdue) == (8, 5)
    # March 2026 starts on a Sunday: the first week is Monday 23 February to Sunday 1 March.
    assert len(month.weeks) == 6
    assert all(len(week) == 7 for week in month.weeks)
    assert month.weeks[0][:6] == [None] * 6
    assert month.weeks[0][6].day == date(2026, 3, 1)
    days = {cell.day: cell for week in month.weeks for cell in week if cell}
    assert len(days) == 31
    second = days[date(2026, 3, 2)]
    assert (second.count, second.overdue, len(second.entries), second.more) == (5, 5, 3, 2)
    assert all(entry.state == "overdue" for entry in second.entries)
    twentieth = days[date(2026, 3, 20)]
    assert (twentieth.count, twentieth.more) == (2, 0)
    assert twentieth.entries[0].key == ("repair", repair.id)
    assert days[date(2026, 3, 31)].count == 1
    assert days[date(2026, 3, 3)].count == 0
    assert (month.previous, month.next) == (date(2026, 2, 1), date(2026, 4, 1))
    # Scoped like the list, filtered like the list.
    officer = scope_for(make_user(session, "officer", fleet["customs"]))
    theirs = month_calendar(session, officer, DueQuery(), 2026, 3, CLOCK)
    assert theirs.total == 1
    only_overdue = month_calendar(session, EVERYTHING, DueQuery(state="overdue"), 2026, 3, CLOCK)
    assert only_overdue.total == 5
    repairs = month_calendar(session, EVERYTHING, DueQuery(kind="repair"), 2026, 3, CLOCK)
    assert repairs.total == 1


def test_an_empty_month(session, fleet) -> None:
    make_schedule(session, fleet["item"], date(2027, 3, 1))
    month = month_calendar(session, EVERYTHING, DueQuery(), 2027, 2, CLOCK)
    assert (month.total, month.overdue) == (0, 0)
    # February 2027 starts on a Monday and has 28 days: exactly four full weeks.
    assert [[cell.day.day for cell in week if cell] for week in month.weeks] == [
        list(range(start, start + 7)) for start in (1, 8, 15, 22)
    ]
    assert all(
        cell.count == 0 and cell.entries == [] for week in month.weeks for cell in week if cell
    )
