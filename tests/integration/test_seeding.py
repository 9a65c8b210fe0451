"""Demo and synthetic seeding: idempotent, complete, and shaped like the dashboard needs it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from equiplan.models import (
    Agency,
    AuditEvent,
    CalibrationPoint,
    CalibrationResult,
    Equipment,
    EquipmentModel,
    EquipmentType,
    FailureCode,
    Schedule,
    Site,
    User,
    WorkOrder,
)
from equiplan.services.seeding import seed_demo, seed_synthetic
from equiplan.services.users import authenticate

# A fixed "today" keeps the demo identical from run to run.
TODAY = date(2025, 6, 2)
TABLES: tuple[type[SQLModel], ...] = (
    Agency,
    Site,
    EquipmentType,
    EquipmentModel,
    FailureCode,
    User,
    Equipment,
    Schedule,
    WorkOrder,
    CalibrationResult,
    CalibrationPoint,
)


def row_counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in TABLES
    }


def test_seed_demo_loads_the_demo_once_and_a_second_run_creates_nothing(session: Session) -> None:
    empty = row_counts(session)

    created = seed_demo(session, today=TODAY)

    assert created["agency"] >= 6
    assert created["site"] >= 40
    assert created["equipment_type"] == 12
    assert created["app_user"] == 6
    assert 900 <= created["equipment"] <= 1100
    assert created["work_order"] > 5000
    assert created["calibration_point"] >= 2 * created["calibration_result"] > 0
    loaded = row_counts(session)
    assert {table: loaded[table] - empty[table] for table in loaded} == created
    # The bulk-loaded tables are in the audit trail as one event each.
    bulk = session.execute(
        select(AuditEvent.entity).where(AuditEvent.action == "bulk_create")
    ).scalars()
    assert {"equipment", "work_order", "calibration_result"} <= set(bulk)

    again = seed_demo(session, today=TODAY)

    assert set(again.values()) == {0}
    assert row_counts(session) == loaded


def test_demo_users_sign_in_with_their_roles_and_agencies(session: Session) -> None:
    seed_demo(session, today=TODAY)
    expected = {
        "admin@demo.lt": ("admin", "NSSC"),
        "planner@demo.lt": ("planner", "NSSC"),
        "technician@demo.lt": ("technician", "NSSC"),
        "officer@vsat.demo.lt": ("officer", "VSAT"),
        "officer@customs.demo.lt": ("officer", "MUIT"),
        "viewer@vsat.demo.lt": ("viewer", "VSAT"),
    }
    for email, (role, agency_code) in expected.items():
        user = authenticate(session, email, "equiplan-demo")

        assert user is not None, email
        assert user.role == role
        assert session.get(Agency, user.agency_id).code == agency_code
    assert authenticate(session, "admin@demo.lt", "wrong-password") is None


def test_demo_has_a_few_overdue_calibrations_and_a_plausible_history(session: Session) -> None:
    seed_demo(session, today=TODAY)
    active = select(func.count()).where(Schedule.kind == "calibration", Schedule.active)

    calibrations = session.execute(active).scalar_one()
    overdue = session.execute(active.where(Schedule.grace_ends_on < TODAY)).scalar_one()

    statuses = dict(
        session.execute(select(Equipment.status, func.count()).group_by(Equipment.status)).all()
    )
    open_downtime = session.execute(
        select(func.count()).where(
            WorkOrder.kind == "corrective",
            WorkOrder.downtime_start.is_not(None),
            WorkOrder.downtime_end.is_(None),
        )
    ).scalar_one()
    failed_as_found = session.execute(
        select(func.count()).where(CalibrationResult.as_found_passed.is_(False))
    ).scalar_one()
    coded_failures = session.execute(
        select(func.count()).where(
            WorkOrder.kind == "corrective",
            WorkOrder.failure_code_id.is_not(None),
        )
    ).scalar_one()

    # Some calibrations are overdue (the dashboard shows them), most are on time.
    assert calibrations > 500
    assert 5 <= overdue <= calibrations * 0.1
    assert statuses["in_service"] > 0.8 * sum(statuses.values())
    assert {"decommissioned", "in_storage", "out_of_service"} <= set(statuses)
    assert 1 <= open_downtime <= 50
    assert failed_as_found >= 1
    assert coded_failures > 500
    assert session.execute(select(func.max(WorkOrder.completed_at))).scalar_one().date() < TODAY


def test_seed_synthetic_creates_the_items_with_their_history_once(session: Session) -> None:
    messages: list[str] = []

    created = seed_synthetic(session, equipment=50, seed=7, progress=messages.append)

    assert created["equipment"] == 50
    assert created["schedule"] == 250
    assert 15 * 50 <= created["work_order"] <= 35 * 50
    assert created["calibration_result"] > 0
    assert messages
    inventory = session.execute(
        select(Equipment.inventory_no).where(Equipment.inventory_no.startswith("SYN-"))
    ).scalars()
    assert sorted(inventory) == [f"SYN-{n:06d}" for n in range(1, 51)]

    before = row_counts(session)
    again = seed_synthetic(session, equipment=50, seed=7)

    assert set(again.values()) == {0}
    assert row_counts(session) == before
