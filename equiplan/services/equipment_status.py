"""The operational-state rule of domain/status.py as SQL, so lists and counts stay in the database.

`operational_state()` in the domain is the reference; these clauses must agree with it (a test
compares both on the same rows).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, select

from equiplan.models import Equipment, Schedule, WorkOrder


def calibration_overdue(today: date) -> ColumnElement[bool]:
    """An active calibration schedule of the item is past due beyond its grace window."""
    # Uncorrelated IN: PostgreSQL hashes the few overdue items once per query instead of
    # probing the schedules of every row it filters.
    return Equipment.id.in_(  # type: ignore[union-attr]
        select(Schedule.equipment_id).where(
            Schedule.kind == "calibration",
            Schedule.active.is_(True),  # type: ignore[attr-defined]
            Schedule.grace_ends_on < today,
        )
    )


def open_corrective_downtime() -> ColumnElement[bool]:
    """A corrective work order of the item has downtime that has started and not ended."""
    return Equipment.id.in_(  # type: ignore[union-attr]
        select(WorkOrder.equipment_id).where(
            WorkOrder.kind == "corrective",
            WorkOrder.status != "cancelled",
            WorkOrder.downtime_start.is_not(None),  # type: ignore[union-attr]
            WorkOrder.downtime_end.is_(None),  # type: ignore[union-attr]
        )
    )


def is_operational(today: date) -> ColumnElement[bool]:
    """In service, calibration not overdue, no open corrective downtime."""
    return and_(
        Equipment.status == "in_service", ~calibration_overdue(today), ~open_corrective_downtime()
    )


def in_fleet() -> Any:
    """Items that still count as part of the fleet (not decommissioned)."""
    return Equipment.status != "decommissioned"
