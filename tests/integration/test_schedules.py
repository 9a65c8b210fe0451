"""Schedules through the service: add, change, pause and resume; every problem named by field
and nothing written; stale versions, other agencies and decommissioned items refused; the
stored reminder start and on-time window, and the item's next due date, follow every change."""

from datetime import date

import pytest
from sqlalchemy import select

from equiplan.models import AuditEvent, Equipment, Schedule
from equiplan.services.errors import Conflict, NotFound, ValidationError
from equiplan.services.schedules import (
    add_schedule,
    get_schedule,
    list_schedules,
    pause_schedule,
    resume_schedule,
    update_schedule,
)
from equiplan.services.scoping import Scope, scope_for
from tests.factories import make_agency, make_equipment, make_schedule, make_user

TODAY = date(2026, 3, 10)
EVERYTHING = Scope.everything()


@pytest.fixture
def fleet(session):  # type: ignore[no-untyped-def]
    vsat, customs = make_agency(session, "VSAT"), make_agency(session, "MUIT", kind="customs")
    return {
        "lane": make_equipment(session, vsat, inventory_no="VSAT-RPM-0001"),
        "prd": make_equipment(session, vsat, inventory_no="VSAT-PRD-0001"),
        "van": make_equipment(session, customs, inventory_no="MUIT-VAN-0001"),
        "officer": scope_for(make_user(session, "officer", vsat)),
        "customs_officer": scope_for(make_user(session, "officer", customs)),
    }


def _add(session, scope, item, **fields):  # type: ignore[no-untyped-def]
    values = {
        "equipment_id": item.id,
        "kind": "calibration",
        "interval_value": 12,
        "interval_unit": "months",
        "anchor": "fixed",
        "lead_days": 30,
        "grace_days": 14,
        "today": TODAY,
        **fields,
    }
    return add_schedule(session, scope, **values)


def _item_next_due(session, item) -> date | None:  # type: ignore[no-untyped-def]
    """The item's next due date as the database trigger keeps it."""
    return session.execute(select(Equipment.next_due).where(Equipment.id == item.id)).scalar_one()


def _schedules(session, item) -> list[Schedule]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.execute(select(Schedule).where(Schedule.equipment_id == item.id)).scalars())


def test_an_officer_plans_calibration_and_the_dates_follow(session, fleet) -> None:  # type: ignore[no-untyped-def]
    schedule = _add(session, fleet["officer"], fleet["lane"])
    # No first due date given: one interval from today.
    assert schedule.next_due == date(2027, 3, 10)
    assert schedule.remind_from == date(2027, 2, 8)  # 30 days before
    assert schedule.grace_ends_on == date(2027, 3, 24)  # 14 days after
    assert (schedule.active, schedule.version, schedule.last_completed) == (True, 1, None)
    assert _item_next_due(session, fleet["lane"]) == date(2027, 3, 10)

    check = _add(
        session,
        fleet["officer"],
        fleet["lane"],
        kind="source_check",
        interval_value="7",  # as a form sends it
        interval_unit="days",
        anchor="completion",
        lead_days="0",
        grace_days="2",
        next_due="2026-03-16",
    )
    assert (check.next_due, check.remind_from, check.grace_ends_on) == (
        date(2026, 3, 16),
        date(2026, 3, 16),
        date(2026, 3, 18),
    )
    assert (check.interval_value, check.anchor) == (7, "completion")
    assert _item_next_due(session, fleet["lane"]) == date(2026, 3, 16)


def test_bad_input_is_named_by_field_and_nothing_is_written(session, fleet) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as raised:
        _add(
            session,
            EVERYTHING,
            fleet["lane"],
            kind="repair",
            interval_value=0,
            interval_unit="weeks",
            anchor="",
            lead_days=-1,
            grace_days="lots",
            next_due="2026-02-30",
        )
    assert raised.value.errors == {
        "kind": "Choose one of: calibration, source_check, performance_test, preventive, "
        "inspection.",
        "interval_value": "Give a number from 1 to 3650.",
        "interval_unit": "Choose one of: days, months, years.",
        "anchor": "This field is required.",
        "lead_days": "Give a number from 0 to 365.",
        "grace_days": "Give a whole number.",
        "next_due": "Not a date; use YYYY-MM-DD.",
    }
    assert _schedules(session, fleet["lane"]) == []


@pytest.mark.parametrize(
    ("value", "unit", "message"),
    [
        (601, "months", "Give a number from 1 to 600."),
        (51, "years", "Give a number from 1 to 50."),
        (3651, "days", "Give a number from 1 to 3650."),
        (1.5, "months", "Give a whole number."),
        (True, "months", "Give a whole number."),
        ("", "months", "This field is required."),
    ],
)
def test_intervals_are_whole_and_not_absurdly_long(  # type: ignore[no-untyped-def]
    session, fleet, value, unit, message
) -> None:
    with pytest.raises(ValidationError) as raised:
        _add(session, EVERYTHING, fleet["lane"], interval_value=value, interval_unit=unit)
    assert raised.value.errors == {"interval_value": message}


def test_the_longest_intervals_are_accepted(session, fleet) -> None:  # type: ignore[no-untyped-def]
    years = _add(session, EVERYTHING, fleet["lane"], interval_value=50, interval_unit="years")
    assert years.next_due == date(2076, 3, 10)
    months = _add(session, EVERYTHING, fleet["prd"], interval_value=600, interval_unit="months")
    assert months.next_due == date(2076, 3, 10)


def test_another_agencys_item_is_unknown_and_its_schedules_missing(  # type: ignore[no-untyped-def]
    session, fleet
) -> None:
    with pytest.raises(ValidationError) as raised:
        _add(session, fleet["customs_officer"], fleet["lane"])
    assert raised.value.errors == {"equipment_id": "Unknown item."}
    with pytest.raises(ValidationError) as raised:
        _add(session, EVERYTHING, fleet["lane"], equipment_id=None)
    assert raised.value.errors == {"equipment_id": "This field is required."}
    assert _schedules(session, fleet["lane"]) == []

    schedule = make_schedule(session, fleet["lane"], date(2026, 6, 1))
    customs = fleet["customs_officer"]
    for change in (
        lambda: update_schedule(session, customs, schedule.id, version=1, lead_days=5),
        lambda: pause_schedule(session, customs, schedule.id, version=1),
        lambda: resume_schedule(session, customs, schedule.id, version=1),
        lambda: get_schedule(session, customs, schedule.id),
    ):
        with pytest.raises(NotFound):
            change()
    [stored] = _schedules(session, fleet["lane"])
    assert (stored.version, stored.lead_days, stored.active) == (1, 30, True)


def test_a_decommissioned_item_takes_no_new_or_resumed_schedules(session, fleet) -> None:  # type: ignore[no-untyped-def]
    item = fleet["lane"]
    paused = make_schedule(session, item, date(2026, 6, 1), active=False)
    item.status = "decommissioned"
    session.add(item)
    session.commit()
    message = "This item is decommissioned; it takes no more work."
    with pytest.raises(ValidationError) as raised:
        _add(session, EVERYTHING, item, kind="preventive")
    assert raised.value.errors == {"equipment_id": message}
    with pytest.raises(ValidationError) as raised:
        resume_schedule(session, EVERYTHING, paused.id, version=1)
    assert raised.value.errors == {"equipment_id": message}
    with pytest.raises(ValidationError) as raised:
        update_schedule(session, EVERYTHING, paused.id, version=1, lead_days=7)
    assert raised.value.errors == {"equipment_id": message}
    [stored] = _schedules(session, item)
    assert (stored.active, stored.version, stored.lead_days) == (False, 1, 30)


def test_changing_lead_grace_and_due_date_moves_the_stored_dates(session, fleet) -> None:  # type: ignore[no-untyped-def]
    schedule = _add(session, fleet["officer"], fleet["lane"], next_due="2026-06-01")
    changed = update_schedule(
        session, fleet["officer"], schedule.id, version=1, lead_days=10, grace_days="0"
    )
    assert (changed.next_due, changed.remind_from, changed.grace_ends_on) == (
        date(2026, 6, 1),
        date(2026, 5, 22),
        date(2026, 6, 1),
    )
    assert changed.version == 2
    moved = update_schedule(
        session,
        fleet["officer"],
        schedule.id,
        version=2,
        next_due="2026-04-15",
        interval_value=6,
        anchor="completion",
    )
    assert (moved.next_due, moved.remind_from, moved.grace_ends_on) == (
        date(2026, 4, 15),
        date(2026, 4, 5),
        date(2026, 4, 15),
    )
    assert (moved.interval_value, moved.anchor, moved.version) == (6, "completion", 3)
    assert _item_next_due(session, fleet["lane"]) == date(2026, 4, 15)
    # A new interval alone keeps the current due date: it applies from the next completion.
    longer = update_schedule(
        session, fleet["officer"], schedule.id, version=3, interval_value=2, interval_unit="years"
    )
    assert (longer.next_due, longer.interval_unit) == (date(2026, 4, 15), "years")
    event = session.execute(
        select(AuditEvent)
        .where(AuditEvent.entity == "schedule", AuditEvent.entity_id == schedule.id)
        .order_by(AuditEvent.id.desc())  # type: ignore[union-attr]
        .limit(1)
    ).scalar_one()
    assert event.changes["interval_unit"] == ["months", "years"]


def test_a_change_with_problems_changes_nothing(session, fleet) -> None:  # type: ignore[no-untyped-def]
    schedule = make_schedule(
        session, fleet["lane"], date(2026, 6, 1), interval_value=90, interval_unit="days"
    )
    with pytest.raises(ValidationError) as raised:
        update_schedule(
            session,
            EVERYTHING,
            schedule.id,
            version=1,
            kind="preventive",
            equipment_id=fleet["prd"].id,
            next_due="",
            interval_value=60,
            interval_unit="years",
            lead_days=10,
        )
    assert raised.value.errors == {
        "kind": "The kind of work of a schedule cannot change; add a new schedule instead.",
        "equipment_id": "This field cannot be changed here.",
        "next_due": "This field is required.",
        "interval_value": "Give a number from 1 to 50.",
    }
    # The unit alone may make the stored value too long.
    with pytest.raises(ValidationError) as raised:
        update_schedule(session, EVERYTHING, schedule.id, version=1, interval_unit="years")
    assert raised.value.errors == {"interval_value": "Give a number from 1 to 50."}
    [stored] = _schedules(session, fleet["lane"])
    assert (stored.version, stored.lead_days, stored.kind) == (1, 30, "calibration")
    # The same kind sent back is no change.
    same = update_schedule(session, EVERYTHING, schedule.id, version=1, kind="calibration")
    assert same.version == 1


def test_a_stale_version_is_a_conflict_and_writes_nothing(session, fleet) -> None:  # type: ignore[no-untyped-def]
    schedule = make_schedule(session, fleet["lane"], date(2026, 6, 1))
    update_schedule(session, EVERYTHING, schedule.id, version=1, lead_days=20)
    for change in (
        lambda: update_schedule(session, EVERYTHING, schedule.id, version=1, lead_days=5),
        lambda: pause_schedule(session, EVERYTHING, schedule.id, version=1),
    ):
        with pytest.raises(Conflict):
            change()
    [stored] = _schedules(session, fleet["lane"])
    assert (stored.version, stored.lead_days, stored.active) == (2, 20, True)
    with pytest.raises(ValidationError) as raised:
        pause_schedule(session, EVERYTHING, schedule.id, version="")
    assert raised.value.errors == {"version": "The version you loaded is required."}


def test_pausing_takes_a_schedule_out_of_the_items_next_due(session, fleet) -> None:  # type: ignore[no-untyped-def]
    item = fleet["lane"]
    soon = make_schedule(session, item, date(2026, 4, 1), kind="source_check")
    later = make_schedule(session, item, date(2026, 9, 1))
    assert _item_next_due(session, item) == date(2026, 4, 1)

    paused = pause_schedule(session, fleet["officer"], soon.id, version=1)
    assert (paused.active, paused.version) == (False, 2)
    # Its dates are kept for when it resumes.
    assert (paused.next_due, paused.grace_ends_on) == (date(2026, 4, 1), date(2026, 4, 15))
    assert _item_next_due(session, item) == date(2026, 9, 1)
    pause_schedule(session, fleet["officer"], later.id, version=1)
    assert _item_next_due(session, item) is None

    resumed = resume_schedule(session, fleet["officer"], soon.id, version=2)
    assert (resumed.active, resumed.version) == (True, 3)
    assert _item_next_due(session, item) == date(2026, 4, 1)
    # Through update too (the API's `active`).
    update_schedule(session, fleet["officer"], later.id, version=2, active=True)
    update_schedule(session, fleet["officer"], soon.id, version=3, active=False)
    assert _item_next_due(session, item) == date(2026, 9, 1)
    with pytest.raises(ValidationError) as raised:
        update_schedule(session, EVERYTHING, soon.id, version=4, active="maybe")
    assert raised.value.errors == {"active": "Give true or false."}


def test_the_list_is_scoped_filtered_and_paged(session, fleet) -> None:  # type: ignore[no-untyped-def]
    lane, prd, van = fleet["lane"], fleet["prd"], fleet["van"]
    first = make_schedule(session, lane, date(2026, 4, 1), kind="source_check")
    second = make_schedule(session, lane, date(2026, 9, 1))
    paused = make_schedule(session, prd, date(2026, 5, 1), active=False)
    foreign = make_schedule(session, van, date(2026, 3, 20))

    def ids(scope=EVERYTHING, **filters):  # type: ignore[no-untyped-def]
        return [s.id for s in list_schedules(session, scope, **filters).items]

    assert ids() == [foreign.id, first.id, paused.id, second.id]  # the one due first first
    assert ids(fleet["officer"]) == [first.id, paused.id, second.id]
    assert ids(fleet["customs_officer"], equipment_id=lane.id) == []
    assert ids(equipment_id=str(lane.id)) == [first.id, second.id]
    assert ids(kind="calibration") == [foreign.id, paused.id, second.id]
    assert ids(active="false") == [paused.id]
    assert ids(active=True, due_before="2026-05-01") == [foreign.id, first.id]
    assert ids(due_before=date(2026, 4, 1)) == [foreign.id, first.id]  # on or before
    page = list_schedules(session, EVERYTHING, page=2, per_page=3)
    assert ([s.id for s in page.items], page.total, page.pages) == ([second.id], 4, 2)
    with pytest.raises(ValidationError) as raised:
        list_schedules(session, EVERYTHING, kind="repair", active="sometimes", due_before="soon")
    assert set(raised.value.errors) == {"kind", "active", "due_before"}
