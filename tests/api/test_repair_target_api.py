"""The target restore time of a repair in the API: read-only, in every work-order response and
in the OpenAPI document (responses are checked against it by the test client)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from tests.api.conftest import Caller
from tests.factories import make_equipment, make_site, make_work_order
from tests.web.conftest import World

Role = Callable[[str], Caller]


def test_a_reported_fault_carries_its_target(as_role: Role, world: World, session: Session) -> None:
    item = make_equipment(session, world.vsat, site=make_site(session, world.vsat, criticality=5))
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    officer = as_role("officer")
    created = officer.post(
        "/api/v1/work-orders",
        {
            "equipment_id": item.id,
            "kind": "corrective",
            "symptom": "No gamma alarm",
            "downtime_start": started.isoformat(),
        },
    )
    assert created.status_code == 201, created.json
    body = created.json
    assert datetime.fromisoformat(body["target_restore_at"]) == started + timedelta(hours=48)
    # Correcting the downtime start moves the target; the target itself cannot be written.
    earlier = started - timedelta(hours=10)
    moved = officer.patch(
        f"/api/v1/work-orders/{body['id']}",
        {"version": body["version"], "downtime_start": earlier.isoformat()},
    )
    assert moved.status_code == 200, moved.json
    assert datetime.fromisoformat(moved.json["target_restore_at"]) == earlier + timedelta(hours=48)
    refused = officer.patch(
        f"/api/v1/work-orders/{body['id']}",
        {"version": moved.json["version"], "target_restore_at": started.isoformat()},
    )
    assert refused.status_code == 400
    listed = officer.get("/api/v1/work-orders", equipment_id=item.id).json["items"]
    assert [row["target_restore_at"] for row in listed] == [moved.json["target_restore_at"]]


def test_other_work_has_a_null_target(as_role: Role, world: World, session: Session) -> None:
    order = make_work_order(session, world.vsat_item, kind="inspection")
    body = as_role("viewer").get(f"/api/v1/work-orders/{order.id}").json
    assert "target_restore_at" in body
    assert body["target_restore_at"] is None


def test_the_openapi_document_describes_it_as_read_only(as_role: Role) -> None:
    document = as_role("viewer").get("/api/v1/openapi.json").json
    schemas = document["components"]["schemas"]
    field = schemas["WorkOrder"]["properties"]["target_restore_at"]
    assert field["format"] == "date-time"
    assert "null" in field["type"]
    assert "target_restore_at" in schemas["WorkOrderListItem"]["properties"]
    # Read-only: in no request body.
    for body in ("WorkOrderCreate", "WorkOrderUpdate"):
        assert "target_restore_at" not in schemas[body]["properties"]
