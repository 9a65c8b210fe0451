"""/api/v1/schedules: plan recurring work on an item, change it with the version read, pause and
resume it through `active`; scoped reads; writes for admins, technicians and officers (their own
agency). Every response is checked against the OpenAPI document by the client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask import current_app
from sqlalchemy import select
from sqlmodel import Session

from equiplan.domain.scheduling import Interval, IntervalUnit, add_interval
from equiplan.models import AuditEvent, Schedule
from equiplan.services.clock import local_today
from tests.api.conftest import Caller
from tests.factories import make_schedule
from tests.web.conftest import World

Role = Callable[[str], Caller]


def _item_next_due(caller: Caller, world: World) -> object:
    """The item's next due date as the register list shows it (kept by a database trigger)."""
    found = caller.get("/api/v1/equipment", search=world.vsat_item.inventory_no).json
    [row] = found["items"]
    return row["next_due"]


def _calibration(world: World, **fields: object) -> dict[str, object]:
    return {
        "equipment_id": world.vsat_item.id,
        "kind": "calibration",
        "interval_value": 12,
        "interval_unit": "months",
        **fields,
    }


def test_an_officer_plans_calibration_with_the_defaults(
    as_role: Role, world: World, session: Session
) -> None:
    officer = as_role("officer")
    response = officer.post("/api/v1/schedules", _calibration(world))
    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Location"] == f"/api/v1/schedules/{body['id']}"
    with officer.client.application.app_context():
        today = local_today(current_app.config["TIMEZONE"])
    due = add_interval(today, Interval(12, IntervalUnit.MONTHS))
    assert body["next_due"] == due.isoformat()
    assert (body["anchor"], body["lead_days"], body["grace_days"]) == ("fixed", 30, 0)
    assert (body["remind_from"], body["grace_ends_on"]) == (
        date.fromordinal(due.toordinal() - 30).isoformat(),
        due.isoformat(),
    )
    assert (body["active"], body["version"], body["last_completed"]) == (True, 1, None)
    assert officer.get(response.headers["Location"]).json == body
    assert _item_next_due(officer, world) == due.isoformat()
    event = session.execute(
        select(AuditEvent).where(
            AuditEvent.entity == "schedule", AuditEvent.entity_id == body["id"]
        )
    ).scalar_one()
    assert (event.action, event.origin) == ("create", "api")


def test_every_setting_can_be_given(as_role: Role, world: World) -> None:
    response = as_role("technician").post(
        "/api/v1/schedules",
        _calibration(
            world,
            kind="source_check",
            interval_value=7,
            interval_unit="days",
            anchor="completion",
            lead_days=2,
            grace_days=3,
            next_due="2026-05-04",
        ),
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["next_due"], body["remind_from"], body["grace_ends_on"]) == (
        "2026-05-04",
        "2026-05-02",
        "2026-05-07",
    )
    assert (body["kind"], body["anchor"], body["interval_unit"]) == (
        "source_check",
        "completion",
        "days",
    )


def test_a_schedule_with_problems_names_each_and_writes_nothing(
    as_role: Role, world: World, session: Session
) -> None:
    response = as_role("admin").post(
        "/api/v1/schedules",
        {
            "equipment_id": world.vsat_item.id,
            "kind": "repair",
            "interval_value": 601,
            "interval_unit": "months",
            "lead_days": 400,
            "next_due": "01.03.2026",
        },
    )
    assert response.status_code == 400
    assert response.json["errors"] == {
        "kind": "Choose one of: calibration, source_check, performance_test, preventive, "
        "inspection.",
        "interval_value": "Give a number from 1 to 600.",
        "lead_days": "Give a number from 0 to 365.",
        "next_due": "Not a date; use YYYY-MM-DD.",
    }
    missing = as_role("admin").post(
        "/api/v1/schedules", {"equipment_id": world.vsat_item.id, "remind_from": "2026-01-01"}
    )
    assert missing.status_code == 400
    assert missing.json["errors"] == {"remind_from": "This field is read-only."}
    missing = as_role("admin").post("/api/v1/schedules", {"active": "yes"})
    assert missing.json["errors"] == {"active": "Give true or false."}
    missing = as_role("admin").post("/api/v1/schedules", {})
    assert missing.json["errors"] == dict.fromkeys(
        ("equipment_id", "kind", "interval_value", "interval_unit"), "This field is required."
    )
    assert session.execute(select(Schedule)).first() is None


def test_an_officer_cannot_plan_work_on_another_agencys_item(
    as_role: Role, world: World, session: Session
) -> None:
    response = as_role("officer").post(
        "/api/v1/schedules", _calibration(world, equipment_id=world.customs_item.id)
    )
    assert response.status_code == 400
    assert response.json["errors"] == {"equipment_id": "Unknown item."}
    assert session.execute(select(Schedule)).first() is None


@pytest.mark.parametrize("role", ["planner", "viewer"])
def test_readers_cannot_plan_or_change_schedules(
    as_role: Role, world: World, session: Session, role: str
) -> None:
    schedule = make_schedule(session, world.vsat_item, date(2026, 6, 1))
    caller = as_role(role)
    assert caller.post("/api/v1/schedules", _calibration(world)).status_code == 403
    path = f"/api/v1/schedules/{schedule.id}"
    assert caller.patch(path, {"version": 1, "active": False}).status_code == 403
    assert caller.get(path).json["active"] is True


def test_changes_need_the_version_read_and_pause_through_active(
    as_role: Role, world: World, session: Session
) -> None:
    schedule = make_schedule(session, world.vsat_item, date(2026, 6, 1), lead_days=30)
    officer = as_role("officer")
    path = f"/api/v1/schedules/{schedule.id}"
    changed = officer.patch(path, {"version": 1, "lead_days": 10, "grace_days": 5})
    assert changed.status_code == 200, changed.json
    assert (changed.json["remind_from"], changed.json["grace_ends_on"]) == (
        "2026-05-22",
        "2026-06-06",
    )
    assert changed.json["version"] == 2
    stale = officer.patch(path, {"version": 1, "active": False})
    assert stale.status_code == 409
    assert stale.mimetype == "application/problem+json"
    assert officer.get(path).json["active"] is True

    paused = officer.patch(path, {"version": 2, "active": False})
    assert paused.status_code == 200, paused.json
    assert (paused.json["active"], paused.json["version"]) == (False, 3)
    assert _item_next_due(officer, world) is None  # its only schedule is paused
    resumed = officer.patch(path, {"version": 3, "active": True})
    assert resumed.json["active"] is True
    assert _item_next_due(officer, world) == "2026-06-01"

    fixed = officer.patch(path, {"version": 4, "kind": "preventive", "remind_from": "2026-01-01"})
    assert fixed.status_code == 400
    assert fixed.json["errors"] == {
        "kind": "This field can only be set when creating.",
        "remind_from": "This field is read-only.",
    }
    no_version = officer.patch(path, {"lead_days": 3})
    assert no_version.status_code == 400
    assert set(no_version.json["errors"]) == {"version"}


def test_the_list_is_scoped_filtered_and_paged(
    as_role: Role, world: World, session: Session
) -> None:
    check = make_schedule(session, world.vsat_item, date(2026, 4, 1), kind="source_check")
    calibration = make_schedule(session, world.vsat_item, date(2026, 9, 1))
    paused = make_schedule(session, world.vsat_item, date(2026, 5, 1), active=False)
    theirs = make_schedule(session, world.customs_item, date(2026, 3, 1))

    def ids(role: str, **params: object) -> list[int]:
        response = as_role(role).get("/api/v1/schedules", **params)
        assert response.status_code == 200, response.json
        return [s["id"] for s in response.json["items"]]

    assert ids("viewer") == [check.id, paused.id, calibration.id]
    assert ids("planner") == [theirs.id, check.id, paused.id, calibration.id]
    assert ids("planner", equipment_id=world.vsat_item.id, active="true") == [
        check.id,
        calibration.id,
    ]
    assert ids("officer", active="false") == [paused.id]
    assert ids("officer", kind="calibration") == [paused.id, calibration.id]
    assert ids("admin", due_before="2026-05-01") == [theirs.id, check.id, paused.id]
    page = as_role("admin").get("/api/v1/schedules", page=2, per_page=25).json
    assert (page["items"], page["total"], page["page"], page["per_page"]) == ([], 4, 2, 25)
    bad = as_role("admin").get(
        "/api/v1/schedules", kind="repair", active="maybe", due_before="soon", colour="red"
    )
    assert bad.status_code == 400
    assert set(bad.json["errors"]) == {"kind", "active", "due_before", "colour"}


@pytest.mark.parametrize("role", ["officer", "viewer"])
def test_another_agencys_schedule_is_a_404(
    as_role: Role, world: World, session: Session, role: str
) -> None:
    theirs = make_schedule(session, world.customs_item, date(2026, 6, 1))
    path = f"/api/v1/schedules/{theirs.id}"
    assert as_role(role).get(path).status_code == 404
    if role == "officer":
        assert as_role(role).patch(path, {"version": 1, "active": False}).status_code == 404
    assert as_role("technician").get(path).status_code == 200
