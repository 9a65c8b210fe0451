"""Factories for test data: plain functions with sensible defaults, every row through the ORM."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlmodel import Session

from equiplan.domain.scheduling import grace_ends_on, reminders_start_on
from equiplan.models import (
    Agency,
    Equipment,
    EquipmentModel,
    EquipmentType,
    Schedule,
    Site,
    User,
    WorkOrder,
)
from equiplan.services.users import hash_password

_seq = itertools.count(1)
TEST_PASSWORD = "test-password-1"


@cache
def _password_hash() -> str:
    # scrypt is deliberately slow; hash the shared test password once per run.
    return hash_password(TEST_PASSWORD)


def _save(session: Session, obj: Any) -> Any:
    session.add(obj)
    session.commit()
    return obj


def make_agency(session: Session, code: str | None = None, **fields: Any) -> Agency:
    n = next(_seq)
    code = code or f"AG{n}"
    defaults = {
        "name_en": f"Agency {code}",
        "name_lt": f"Institucija {code}",
        "kind": "border_guard",
    }
    return _save(session, Agency(code=code, **{**defaults, **fields}))


def make_site(session: Session, agency: Agency, **fields: Any) -> Site:
    n = next(_seq)
    defaults = {
        "code": f"S{n}",
        "name_en": f"Site {n}",
        "name_lt": f"Objektas {n}",
        "site_type": "road_crossing",
        "criticality": 3,
    }
    return _save(session, Site(agency_id=agency.id, **{**defaults, **fields}))


def make_type(session: Session, code: str | None = None, **fields: Any) -> EquipmentType:
    n = next(_seq)
    defaults = {
        "name_en": f"Type {n}",
        "name_lt": f"Tipas {n}",
        "design_life_years": 10,
        "prior_mtbf_hours": 10_000,
        "prior_mttr_hours": 4,
        "logistics_delay_hours": 48,
        "weibull_beta": 2.5,
        "weibull_eta_factor": 1.2,
    }
    return _save(session, EquipmentType(code=code or f"T{n}", **{**defaults, **fields}))


def make_model(
    session: Session, equipment_type: EquipmentType | None = None, **fields: Any
) -> EquipmentModel:
    n = next(_seq)
    equipment_type = equipment_type or make_type(session)
    defaults = {"manufacturer": "Acme", "name": f"Model {n}"}
    return _save(session, EquipmentModel(type_id=equipment_type.id, **{**defaults, **fields}))


def make_equipment(
    session: Session,
    agency: Agency,
    model: EquipmentModel | None = None,
    site: Site | None = None,
    **fields: Any,
) -> Equipment:
    n = next(_seq)
    model = model or make_model(session)
    defaults = {
        "inventory_no": f"INV-{n:05d}",
        "serial_no": f"SN{n:06d}",
        "status": "in_service",
        "commissioned_on": date(2020, 1, 1),
        "acquisition_cost_cents": 100_000,
    }
    return _save(
        session,
        Equipment(
            agency_id=agency.id,
            model_id=model.id,
            site_id=site.id if site else None,
            **{**defaults, **fields},
        ),
    )


def make_schedule(
    session: Session, equipment: Equipment, next_due: date, **fields: Any
) -> Schedule:
    defaults = {
        "kind": "calibration",
        "interval_value": 12,
        "interval_unit": "months",
        "anchor": "fixed",
        "lead_days": 30,
        "grace_days": 14,
    }
    values = {**defaults, **fields}
    return _save(
        session,
        Schedule(
            equipment_id=equipment.id,
            next_due=next_due,
            grace_ends_on=grace_ends_on(next_due, values["grace_days"]),
            remind_from=reminders_start_on(next_due, values["lead_days"]),
            **values,
        ),
    )


def make_work_order(session: Session, equipment: Equipment, **fields: Any) -> WorkOrder:
    defaults = {
        "kind": "corrective",
        "status": "open",
        "opened_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    order = _save(session, WorkOrder(equipment_id=equipment.id, **{**defaults, **fields}))
    if order.status == "done" and "completed_on_time" not in fields:
        from equiplan.services.kpi_on_time import store_on_time

        store_on_time(session, [equipment.id])  # as closing it through the services would
        session.commit()
        session.refresh(order)
    return order


def open_downtime(
    session: Session, equipment: Equipment, started: datetime | None = None
) -> WorkOrder:
    start = started or datetime.now(UTC) - timedelta(hours=5)
    return make_work_order(session, equipment, downtime_start=start, status="in_progress")


def make_user(session: Session, role: str, agency: Agency | None = None, **fields: Any) -> User:
    n = next(_seq)
    defaults = {"email": f"{role}{n}@test.lt", "name": f"{role.title()} {n}", "locale": "en"}
    return _save(
        session,
        User(
            role=role,
            agency_id=agency.id if agency else None,
            password_hash=_password_hash(),
            **{**defaults, **fields},
        ),
    )


def make_failure_code(
    session: Session, code: str, parent: Any = None, **fields: Any
) -> Any:  # FailureCode (imported here so the shared import block above stays untouched)
    from equiplan.models import FailureCode
    from equiplan.models.work import FAILURE_LEVELS

    level = FAILURE_LEVELS[FAILURE_LEVELS.index(parent.level) + 1] if parent else "class"
    defaults = {"level": level, "name_en": f"Failure {code}", "name_lt": f"Gedimas {code}"}
    return _save(
        session,
        FailureCode(code=code, parent_id=parent.id if parent else None, **{**defaults, **fields}),
    )


def make_calibration(
    session: Session,
    equipment: Equipment,
    points: Any = ({"nominal": 10.0, "tolerance": 20.0, "as_found": 10.2},),
    **fields: Any,
) -> Any:  # CalibrationResult: a done calibration work order, the result and its points
    from equiplan.models import CalibrationPoint, CalibrationResult
    from equiplan.services.calibration_drift import store_drift

    n = next(_seq)
    calibrated_on = fields.pop("calibrated_on", date(2025, 6, 1))
    done = datetime(calibrated_on.year, calibrated_on.month, calibrated_on.day, 12, tzinfo=UTC)
    order = make_work_order(
        session,
        equipment,
        kind="calibration",
        status="done",
        opened_at=done,
        completed_at=done,
        result="pass" if fields.get("as_left_passed", True) else "fail",
    )
    defaults = {
        "laboratory": "FTMC ionising radiation metrology laboratory",
        "certificate_no": f"CERT-{n:05d}",
        "valid_until": calibrated_on.replace(year=calibrated_on.year + 1),
    }
    result = _save(
        session,
        CalibrationResult(
            work_order_id=order.id,
            equipment_id=equipment.id,
            calibrated_on=calibrated_on,
            **{**defaults, **fields},
        ),
    )
    for position, point in enumerate(points, start=1):
        values = {"quantity": "dose_rate_cs137", "unit": "µSv/h", "tolerance_kind": "pct", **point}
        session.add(CalibrationPoint(calibration_id=result.id, position=position, **values))
    session.flush()
    store_drift(session, [equipment.id])  # as services/calibrations.py stores it
    session.commit()
    return result
