"""/api/v1/equipment: the same filters as the web list, scoped reads, writes for admins and
officers (their own agency), optimistic locking, decommissioning. Every response is checked
against the OpenAPI document by the client (tests/api/conformance.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import AuditEvent, Equipment
from equiplan.services.clock import local_today
from tests.api.conftest import Caller
from tests.factories import make_equipment, make_schedule, make_site, open_downtime
from tests.web.conftest import World

Role = Callable[[str], Caller]
TODAY = local_today("Europe/Vilnius")


def _new_item(world: World, **fields: object) -> dict[str, object]:
    return {
        "inventory_no": "VSAT-PRD-9001",
        "serial_no": "SN-9001",
        "model_id": world.vsat_item.model_id,
        **fields,
    }


def test_officers_list_their_agencys_items_only(as_role: Role, world: World) -> None:
    officer = as_role("officer").get("/api/v1/equipment")
    assert officer.status_code == 200
    assert [i["id"] for i in officer.json["items"]] == [world.vsat_item.id]
    assert (officer.json["total"], officer.json["page"], officer.json["per_page"]) == (1, 1, 50)
    admin = as_role("admin").get("/api/v1/equipment")
    assert {i["id"] for i in admin.json["items"]} == {world.vsat_item.id, world.customs_item.id}


def test_the_list_takes_the_web_lists_filters(
    as_role: Role, world: World, session: Session
) -> None:
    med = make_site(session, world.vsat, code="MED2")
    due = make_equipment(session, world.vsat, site=med, inventory_no="VSAT-A", notes="lane 3")
    make_schedule(session, due, TODAY + timedelta(days=10))
    broken = make_equipment(session, world.vsat, inventory_no="VSAT-B")
    open_downtime(session, broken)
    make_equipment(session, world.vsat, inventory_no="VSAT-C", status="in_storage")
    admin = as_role("admin")

    def inventory(**args: object) -> list[str]:
        response = admin.get("/api/v1/equipment", agency_id=world.vsat.id, **args)
        assert response.status_code == 200, response.json
        return [i["inventory_no"] for i in response.json["items"]]

    assert inventory(site_id=med.id) == ["VSAT-A"]
    assert inventory(operational="no") == ["VSAT-B", "VSAT-C"]
    assert inventory(status="in_storage") == ["VSAT-C"]
    assert inventory(search="LANE") == ["VSAT-A"]
    assert inventory(due_within_days=30) == ["VSAT-A"]
    assert inventory(sort="inventory_no", desc=1)[:3] == ["VSAT-C", "VSAT-B", "VSAT-A"]
    row = admin.get("/api/v1/equipment", search="VSAT-B").json["items"][0]
    assert (row["operational"], row["open_downtime"], row["agency_code"]) == (False, True, "VSAT")


def test_pages_do_not_overlap(as_role: Role, world: World, session: Session) -> None:
    for n in range(60):
        make_equipment(session, world.customs, inventory_no=f"MUIT-{n:03d}")
    admin = as_role("admin")
    first = admin.get("/api/v1/equipment", agency_id=world.customs.id, per_page=25)
    third = admin.get("/api/v1/equipment", agency_id=world.customs.id, per_page=25, page=3)
    assert first.json["total"] == third.json["total"] == 61
    assert len(first.json["items"]) == 25
    assert len(third.json["items"]) == 11
    assert not {i["id"] for i in first.json["items"]} & {i["id"] for i in third.json["items"]}


def test_bad_filters_name_each_parameter(as_role: Role) -> None:
    response = as_role("viewer").get(
        "/api/v1/equipment",
        status="melted",
        operational="maybe",
        sort="colour",
        per_page=7,
        site_id="abc",
        colour="red",
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) == {
        "status",
        "operational",
        "sort",
        "per_page",
        "site_id",
        "colour",
    }
    assert response.json["errors"]["colour"] == "Unknown parameter."


def test_one_item_whole_with_its_operational_state(
    as_role: Role, world: World, session: Session
) -> None:
    open_downtime(session, world.vsat_item)
    response = as_role("viewer").get(f"/api/v1/equipment/{world.vsat_item.id}")
    assert response.status_code == 200
    body = response.json
    assert body["id"] == world.vsat_item.id
    assert body["acquisition_cost_cents"] == 100_000
    assert body["commissioned_on"] == "2020-01-01"
    assert (body["operational"], body["not_operational_reasons"]) == (False, ["open_downtime"])
    assert body["version"] == 1


@pytest.mark.parametrize("role", ["officer", "viewer"])
def test_another_agencys_item_is_a_404(as_role: Role, world: World, role: str) -> None:
    caller = as_role(role)
    hidden = caller.get(f"/api/v1/equipment/{world.customs_item.id}")
    assert hidden.status_code == 404
    assert hidden.json == caller.get("/api/v1/equipment/999999").json


def test_an_officer_registers_an_item_for_their_agency(
    as_role: Role, world: World, session: Session
) -> None:
    response = as_role("officer").post(
        "/api/v1/equipment",
        _new_item(world, acquisition_cost_cents=250_050, acquired_on="2025-03-01"),
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Location"] == f"/api/v1/equipment/{body['id']}"
    assert (body["agency_id"], body["acquisition_cost_cents"]) == (world.vsat.id, 250_050)
    assert (body["acquired_on"], body["version"], body["operational"]) == ("2025-03-01", 1, True)
    stored = session.get(Equipment, body["id"])
    assert stored is not None
    assert stored.inventory_no == "VSAT-PRD-9001"
    event = session.execute(
        select(AuditEvent).where(
            AuditEvent.entity == "equipment", AuditEvent.entity_id == body["id"]
        )
    ).scalar_one()
    assert (event.action, event.origin) == ("create", "api")


def test_an_officer_cannot_register_for_another_agency(
    as_role: Role, world: World, session: Session
) -> None:
    response = as_role("officer").post(
        "/api/v1/equipment", _new_item(world, agency_id=world.customs.id)
    )
    assert response.status_code == 400
    assert set(response.json["errors"]) == {"agency_id"}
    assert (
        session.execute(select(Equipment).where(Equipment.inventory_no == "VSAT-PRD-9001")).first()
        is None
    )


def test_every_problem_of_a_new_item_at_once(as_role: Role, world: World) -> None:
    response = as_role("admin").post(
        "/api/v1/equipment",
        _new_item(
            world,
            inventory_no=world.customs_item.inventory_no,
            agency_id=world.vsat.id,
            funding_source="lottery",
            warranty_end="31/12/2030",
        ),
    )
    assert response.status_code == 400
    assert set(response.json["errors"]) == {"inventory_no", "funding_source", "warranty_end"}
    assert response.json["errors"]["warranty_end"] == "Not a date; use YYYY-MM-DD."


def test_json_types_and_field_names_are_checked_first(as_role: Role, world: World) -> None:
    response = as_role("admin").post(
        "/api/v1/equipment",
        _new_item(world, model_id="7", notes=None, id=5, colour="red", site_id=None),
    )
    assert response.status_code == 400
    assert response.json["errors"] == {
        "model_id": "Give a whole number.",
        "notes": "This field cannot be null.",
        "id": "This field is read-only.",
        "colour": "Unknown field.",
    }


@pytest.mark.parametrize("role", ["planner", "technician", "viewer"])
def test_roles_that_do_not_keep_the_register_cannot_change_it(
    as_role: Role, world: World, role: str
) -> None:
    caller = as_role(role)
    assert caller.post("/api/v1/equipment", _new_item(world)).status_code == 403
    patch = caller.patch(f"/api/v1/equipment/{world.vsat_item.id}", {"version": 1, "notes": "x"})
    assert patch.status_code == 403


def test_changing_an_item_with_the_version_read(
    as_role: Role, world: World, session: Session
) -> None:
    site = make_site(session, world.vsat, code="KEN")
    officer = as_role("officer")
    path = f"/api/v1/equipment/{world.vsat_item.id}"
    changed = officer.patch(path, {"version": 1, "notes": "moved to Kena", "site_id": site.id})
    assert changed.status_code == 200, changed.json
    assert (changed.json["version"], changed.json["site_id"]) == (2, site.id)
    assert changed.json["updated_at"] is not None
    stale = officer.patch(path, {"version": 1, "notes": "an older idea"})
    assert stale.status_code == 409
    session.refresh(world.vsat_item)
    assert (world.vsat_item.notes, world.vsat_item.version) == ("moved to Kena", 2)


def test_an_officer_cannot_change_another_agencys_item(as_role: Role, world: World) -> None:
    response = as_role("officer").patch(
        f"/api/v1/equipment/{world.customs_item.id}", {"version": 1, "notes": "mine now"}
    )
    assert response.status_code == 404


def test_decommissioning_takes_a_reason_and_ends_changes(
    as_role: Role, world: World, session: Session
) -> None:
    officer = as_role("officer")
    path = f"/api/v1/equipment/{world.vsat_item.id}"
    without_reason = officer.post(f"{path}/decommission", {"version": 1})
    assert without_reason.status_code == 400
    assert set(without_reason.json["errors"]) == {"reason"}
    done = officer.post(
        f"{path}/decommission",
        {"version": 1, "reason": "Beyond repair", "decommissioned_on": "2026-01-15"},
    )
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["decommissioned_on"]) == ("decommissioned", "2026-01-15")
    assert done.json["decommission_reason"] == "Beyond repair"
    assert done.json["not_operational_reasons"] == ["not_in_service"]
    again = officer.patch(path, {"version": done.json["version"], "notes": "x"})
    assert again.status_code == 400
    assert set(again.json["errors"]) == {"status"}


def test_status_cannot_be_set_to_decommissioned_by_an_edit(as_role: Role, world: World) -> None:
    response = as_role("admin").patch(
        f"/api/v1/equipment/{world.vsat_item.id}", {"version": 1, "status": "decommissioned"}
    )
    assert response.status_code == 400
    assert set(response.json["errors"]) == {"status"}


def test_dates_in_the_list_are_iso(as_role: Role, world: World, session: Session) -> None:
    make_schedule(session, world.vsat_item, date(2027, 2, 1))
    row = as_role("officer").get("/api/v1/equipment").json["items"][0]
    assert (row["commissioned_on"], row["next_due"]) == ("2020-01-01", "2027-02-01")
