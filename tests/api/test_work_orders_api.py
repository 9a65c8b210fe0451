"""/api/v1/work-orders: report a fault, start, close with costs, cancel, edit with the version
read; scoped reads; writes for admins, technicians and officers (their own agency). Every
response is checked against the OpenAPI document by the client (tests/api/conformance.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import AuditEvent, FailureCode, WorkOrder
from tests.api.conftest import Caller
from tests.factories import make_failure_code, make_work_order
from tests.web.conftest import World

Role = Callable[[str], Caller]


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


@pytest.fixture
def codes(session: Session) -> FailureCode:
    detector = make_failure_code(session, "DET")
    return make_failure_code(session, "DET-SENS", detector)


def _fault(world: World, **fields: object) -> dict[str, object]:
    return {
        "equipment_id": world.vsat_item.id,
        "kind": "corrective",
        "symptom": "No gamma counts on lane 3",
        **fields,
    }


def test_an_officer_reports_a_fault_and_the_item_stops_being_operational(
    as_role: Role, world: World, codes: FailureCode, session: Session
) -> None:
    officer = as_role("officer")
    started = datetime.now(UTC) - timedelta(hours=3)
    response = officer.post(
        "/api/v1/work-orders",
        _fault(world, failure_code="det-sens", downtime_start=_iso(started)),
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Location"] == f"/api/v1/work-orders/{body['id']}"
    assert (body["status"], body["failure_code"], body["version"]) == ("open", "DET-SENS", 1)
    assert body["opened_by_id"] == world.users["officer"].id
    assert datetime.fromisoformat(body["downtime_start"]) == started.replace(microsecond=0)
    item = officer.get(f"/api/v1/equipment/{world.vsat_item.id}").json
    assert item["not_operational_reasons"] == ["open_downtime"]
    event = session.execute(
        select(AuditEvent).where(
            AuditEvent.entity == "work_order", AuditEvent.entity_id == body["id"]
        )
    ).scalar_one()
    assert (event.action, event.origin) == ("create", "api")


def test_a_fault_report_with_problems_names_each(as_role: Role, world: World) -> None:
    later = datetime.now(UTC) + timedelta(days=1)
    response = as_role("technician").post(
        "/api/v1/work-orders",
        _fault(world, symptom="", failure_code="NOPE", downtime_start=_iso(later)),
    )
    assert response.status_code == 400
    assert set(response.json["errors"]) == {"symptom", "failure_code", "downtime_start"}


def test_an_officer_cannot_open_work_on_another_agencys_item(
    as_role: Role, world: World, session: Session
) -> None:
    response = as_role("officer").post(
        "/api/v1/work-orders", _fault(world, equipment_id=world.customs_item.id)
    )
    assert response.status_code == 400
    assert set(response.json["errors"]) == {"equipment_id"}
    assert session.execute(select(WorkOrder)).first() is None


def test_time_without_a_zone_is_refused(as_role: Role, world: World) -> None:
    response = as_role("technician").post(
        "/api/v1/work-orders", _fault(world, downtime_start="2026-01-01T08:00:00")
    )
    assert response.status_code == 400
    assert set(response.json["errors"]) == {"downtime_start"}


def test_start_then_close_with_costs(
    as_role: Role, world: World, codes: FailureCode, session: Session
) -> None:
    technician = as_role("technician")
    down = datetime.now(UTC) - timedelta(hours=6)
    order = technician.post("/api/v1/work-orders", _fault(world, downtime_start=_iso(down))).json
    path = f"/api/v1/work-orders/{order['id']}"
    started = technician.post(f"{path}/start", {"version": order["version"]})
    assert started.status_code == 200, started.json
    assert started.json["status"] == "in_progress"
    assert started.json["technician_id"] == world.users["technician"].id
    still_down = technician.post(
        f"{path}/close",
        {
            "version": started.json["version"],
            "completed_at": _iso(datetime.now(UTC)),
            "result": "pass",
            "failure_code": "DET-SENS",
        },
    )
    assert still_down.status_code == 400
    assert set(still_down.json["errors"]) == {"downtime_end"}
    closed = technician.post(
        f"{path}/close",
        {
            "version": started.json["version"],
            "completed_at": _iso(datetime.now(UTC)),
            "downtime_end": _iso(datetime.now(UTC)),
            "result": "pass",
            "failure_code": "DET-SENS",
            "cause": "Crystal cracked",
            "remedy": "Replaced the detector",
            "labour_hours": 2.5,
            "parts_cost_cents": 1_250_000,
            "external_cost_cents": 0,
        },
    )
    assert closed.status_code == 200, closed.json
    body = closed.json
    assert (body["status"], body["result"], body["labour_hours"]) == ("done", "pass", 2.5)
    assert body["parts_cost_cents"] == 1_250_000
    stored = session.get(WorkOrder, order["id"])
    assert stored is not None
    session.refresh(stored)
    assert stored.cause == "Crystal cracked"
    item = technician.get(f"/api/v1/equipment/{world.vsat_item.id}").json
    assert item["operational"] is True
    again = technician.post(f"{path}/cancel", {"version": body["version"]})
    assert again.status_code == 400
    assert set(again.json["errors"]) == {"status"}


def test_editing_needs_the_version_read(as_role: Role, world: World, session: Session) -> None:
    order = make_work_order(session, world.vsat_item, kind="preventive")
    officer = as_role("officer")
    path = f"/api/v1/work-orders/{order.id}"
    edited = officer.patch(
        path, {"version": 1, "notes": "bring the ladder", "due_date": "2027-01-31"}
    )
    assert edited.status_code == 200, edited.json
    assert (edited.json["notes"], edited.json["due_date"], edited.json["version"]) == (
        "bring the ladder",
        "2027-01-31",
        2,
    )
    stale = officer.patch(path, {"version": 1, "notes": "forget the ladder"})
    assert stale.status_code == 409
    session.refresh(order)
    assert order.notes == "bring the ladder"
    fixed_fields = officer.patch(path, {"version": 2, "kind": "upgrade", "status": "done"})
    assert fixed_fields.status_code == 400
    assert fixed_fields.json["errors"] == {
        "kind": "This field can only be set when creating.",
        "status": "This field is read-only.",
    }


def test_a_failure_code_is_cleared_with_null(
    as_role: Role, world: World, codes: FailureCode, session: Session
) -> None:
    order = make_work_order(session, world.vsat_item, failure_code_id=codes.id, symptom="x")
    response = as_role("admin").patch(
        f"/api/v1/work-orders/{order.id}", {"version": 1, "failure_code": None}
    )
    assert response.status_code == 200, response.json
    assert response.json["failure_code"] is None


def test_cancelling_adds_the_reason_to_the_notes(
    as_role: Role, world: World, session: Session
) -> None:
    order = make_work_order(session, world.vsat_item, kind="inspection")
    response = as_role("officer").post(
        f"/api/v1/work-orders/{order.id}/cancel", {"version": 1, "reason": "Duplicate"}
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "cancelled"
    assert "Duplicate" in response.json["notes"]


def test_the_list_is_scoped_and_filtered_like_the_web_list(
    as_role: Role, world: World, session: Session
) -> None:
    mine = make_work_order(session, world.vsat_item, symptom="lane 3 dead")
    make_work_order(session, world.vsat_item, kind="preventive", status="done")
    theirs = make_work_order(session, world.customs_item)
    officer = as_role("officer").get("/api/v1/work-orders")
    assert officer.status_code == 200
    assert [o["id"] for o in officer.json["items"]] == [mine.id]  # active ones by default
    row = officer.json["items"][0]
    assert (row["inventory_no"], row["agency_code"]) == (world.vsat_item.inventory_no, "VSAT")
    everything = as_role("planner").get("/api/v1/work-orders", status="all", per_page=25)
    assert everything.json["total"] == 3
    assert theirs.id in {o["id"] for o in everything.json["items"]}
    found = as_role("planner").get("/api/v1/work-orders", search="LANE 3")
    assert [o["id"] for o in found.json["items"]] == [mine.id]
    bad = as_role("planner").get("/api/v1/work-orders", status="lost", per_page=200, colour=1)
    assert bad.status_code == 400
    assert set(bad.json["errors"]) == {"status", "per_page", "colour"}


@pytest.mark.parametrize("role", ["officer", "viewer"])
def test_another_agencys_work_order_is_a_404(
    as_role: Role, world: World, session: Session, role: str
) -> None:
    theirs = make_work_order(session, world.customs_item)
    assert as_role(role).get(f"/api/v1/work-orders/{theirs.id}").status_code == 404
    if role == "officer":
        response = as_role(role).patch(
            f"/api/v1/work-orders/{theirs.id}", {"version": 1, "notes": "x"}
        )
        assert response.status_code == 404


@pytest.mark.parametrize("role", ["planner", "viewer"])
def test_readers_cannot_open_work(as_role: Role, world: World, role: str) -> None:
    assert as_role(role).post("/api/v1/work-orders", _fault(world)).status_code == 403
