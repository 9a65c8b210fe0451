"""/api/v1/calibrations: record a calibration with its readings (pass/fail computed, drift
against the previous one), correct its certificate data with the version read, scoped reads,
writes for admins and technicians. Every response is checked against the OpenAPI document by
the client (tests/api/conformance.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import CalibrationResult, WorkOrder
from tests.api.conftest import Caller
from tests.factories import make_calibration
from tests.web.conftest import World

Role = Callable[[str], Caller]


def _calibration(world: World, **fields: object) -> dict[str, object]:
    return {
        "equipment_id": world.vsat_item.id,
        "laboratory": "FTMC",
        "certificate_no": "K-2026-001",
        "calibrated_on": "2026-02-01",
        "valid_until": "2027-02-01",
        "points": [
            {"nominal": 10.0, "tolerance": 20, "as_found": 10.5},
            {
                "quantity": "dose_rate_co60",
                "unit": "µSv/h",
                "nominal": 100,
                "tolerance": 5,
                "tolerance_kind": "abs",
                "as_found": 110,
                "as_left": 101,
            },
        ],
        **fields,
    }


def test_a_technician_records_a_calibration(as_role: Role, world: World, session: Session) -> None:
    make_calibration(
        session,
        world.vsat_item,
        points=({"nominal": 10.0, "tolerance": 20.0, "as_found": 9.0, "as_left": 10.1},),
        calibrated_on=date(2025, 2, 1),
    )
    response = as_role("technician").post("/api/v1/calibrations", _calibration(world))
    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Location"] == f"/api/v1/calibrations/{body['id']}"
    assert (body["as_found_passed"], body["as_left_passed"]) == (False, True)
    first, second = body["points"]
    assert (first["position"], first["as_found_within"], first["tolerance_kind"]) == (
        1,
        True,
        "pct",
    )
    assert first["drift"] == pytest.approx(0.4)  # 10.5 found now - 10.1 left last time
    assert (second["as_found_within"], second["as_left_within"]) == (False, True)
    assert second["allowed_deviation"] == 5
    order = session.get(WorkOrder, session.get_one(CalibrationResult, body["id"]).work_order_id)
    assert order is not None
    assert (order.kind, order.status, order.result) == ("calibration", "done", "pass")
    item = as_role("viewer").get(f"/api/v1/equipment/{world.vsat_item.id}").json
    assert item["flagged_for_review"] is True  # an as-found reading was out of tolerance


def test_every_problem_of_a_calibration_is_named(as_role: Role, world: World) -> None:
    response = as_role("admin").post(
        "/api/v1/calibrations",
        _calibration(
            world,
            laboratory="",
            calibrated_on="2199-01-01",
            points=[{"nominal": 1, "tolerance": -1, "as_found": 1}, {"nominal": "x"}],
        ),
    )
    assert response.status_code == 400
    assert response.json["errors"] == {"points[1].nominal": "Give a number."}
    response = as_role("admin").post(
        "/api/v1/calibrations",
        _calibration(
            world,
            laboratory="",
            calibrated_on="2199-01-01",
            points=[{"nominal": 1, "tolerance": -1, "as_found": 1}, {"nominal": 2, "tolerance": 1}],
        ),
    )
    assert response.status_code == 400
    assert set(response.json["errors"]) == {
        "laboratory",
        "calibrated_on",
        "valid_until",  # not after a calibration date in the future
        "points[0].tolerance",
        "points[1].as_found",
    }


def test_the_item_and_the_points_are_required(as_role: Role) -> None:
    response = as_role("technician").post("/api/v1/calibrations", {"laboratory": "FTMC"})
    assert response.status_code == 400
    assert set(response.json["errors"]) == {"equipment_id", "points"}


def test_another_agencys_item_is_unknown(as_role: Role, world: World, session: Session) -> None:
    # Technicians see every agency; a customs officer's scope hides VSAT's item.
    response = as_role("technician").post(
        "/api/v1/calibrations", _calibration(world, equipment_id=999999)
    )
    assert response.status_code == 400
    assert set(response.json["errors"]) == {"equipment_id"}
    assert session.execute(select(CalibrationResult)).first() is None


@pytest.mark.parametrize("role", ["planner", "officer", "viewer"])
def test_only_admins_and_technicians_record_calibrations(
    as_role: Role, world: World, session: Session, role: str
) -> None:
    result = make_calibration(session, world.vsat_item)
    caller = as_role(role)
    assert caller.post("/api/v1/calibrations", _calibration(world)).status_code == 403
    patch = caller.patch(f"/api/v1/calibrations/{result.id}", {"version": 1, "laboratory": "X"})
    assert patch.status_code == 403


def test_correcting_the_certificate_data_with_the_version_read(
    as_role: Role, world: World, session: Session
) -> None:
    result = make_calibration(session, world.vsat_item, calibrated_on=date(2026, 1, 10))
    technician = as_role("technician")
    path = f"/api/v1/calibrations/{result.id}"
    fixed = technician.patch(path, {"version": 1, "certificate_no": "K-9", "valid_until": None})
    assert fixed.status_code == 200, fixed.json
    assert (fixed.json["certificate_no"], fixed.json["valid_until"], fixed.json["version"]) == (
        "K-9",
        None,
        2,
    )
    stale = technician.patch(path, {"version": 1, "laboratory": "Other"})
    assert stale.status_code == 409
    readings = technician.patch(path, {"version": 2, "points": []})
    assert readings.status_code == 400
    assert readings.json["errors"] == {"points": "This field can only be set when creating."}
    session.refresh(result)
    assert (result.certificate_no, result.laboratory) == (
        "K-9",
        "FTMC ionising radiation metrology laboratory",
    )


def test_reads_are_scoped(as_role: Role, world: World, session: Session) -> None:
    mine = make_calibration(session, world.vsat_item)
    theirs = make_calibration(session, world.customs_item)
    officer = as_role("officer")
    listed = officer.get("/api/v1/calibrations")
    assert [c["id"] for c in listed.json["items"]] == [mine.id]
    assert listed.json["items"][0]["inventory_no"] == world.vsat_item.inventory_no
    assert officer.get(f"/api/v1/calibrations/{theirs.id}").status_code == 404
    hidden = officer.get("/api/v1/calibrations", equipment_id=world.customs_item.id)
    assert hidden.status_code == 400
    assert set(hidden.json["errors"]) == {"equipment_id"}
    admin = as_role("admin").get("/api/v1/calibrations", equipment_id=world.customs_item.id)
    assert [c["id"] for c in admin.json["items"]] == [theirs.id]
    one = officer.get(f"/api/v1/calibrations/{mine.id}").json
    assert one["points"][0]["previous_as_left"] is None
