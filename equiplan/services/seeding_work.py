"""The work history of one generated item while it is being made: the per-item state that the
schedule and failure simulations share, and the row dicts they produce for the bulk inserts of
`seeding_bulk.py`."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from equiplan.services.seeding_specs import HistoryContext, ItemSpec, LabSpec

Row = dict[str, Any]


@dataclass
class CalibrationRecord:
    row: Row
    points: list[Row]


@dataclass
class WorkRecord:
    row: Row
    schedule_index: int | None = None
    calibration: CalibrationRecord | None = None


@dataclass
class GeneratedItem:
    equipment: Row
    schedules: list[Row]
    work: list[WorkRecord]


@dataclass
class Lifecycle:
    status: str
    active_until: date  # the last day the item was in use (today for items in use)
    decommissioned_on: date | None = None
    reason: str | None = None
    note: str = ""


@dataclass
class CalibrationState:
    lab: LabSpec
    as_left: list[float]
    last_failed_on: date | None = None
    count: int = 0


@dataclass
class ItemState:
    """Per-item working state shared by the schedule and failure simulations."""

    spec: ItemSpec
    ctx: HistoryContext
    rng: random.Random
    commissioned_on: date
    lifecycle: Lifecycle
    cost_cents: int
    calibration: CalibrationState
    work: list[WorkRecord] = field(default_factory=list)


def at_hour(day: date, hour: float) -> datetime:
    """The moment `hour` hours into `day` (UTC)."""
    return datetime.combine(day, time(0), UTC) + timedelta(hours=hour)


def work_row(kind: str, status: str, opened_at: datetime, **values: Any) -> Row:
    """A work_order row with every column present; `values` sets the ones that differ."""
    # Every row carries every key: bulk inserts batch rows with identical key sets together.
    row: Row = {
        "equipment_id": None,
        "schedule_id": None,
        "kind": kind,
        "status": status,
        "due_date": None,
        "opened_at": opened_at,
        "started_at": None,
        "completed_at": None,
        "downtime_start": None,
        "downtime_end": None,
        "target_restore_at": None,
        "failure_code_id": None,
        "symptom": "",
        "cause": "",
        "remedy": "",
        "result": None,
        "labour_hours": Decimal("0.00"),
        "parts_cost_cents": 0,
        "external_cost_cents": 0,
        "technician_id": None,
        "opened_by_id": None,
        "notes": "",
    }
    row.update(values)
    return row


def labour_hours(nominal: float, rng: random.Random) -> Decimal:
    """Hours booked for a job of `nominal` hours, in quarter hours."""
    quarters = max(1, round(nominal * rng.uniform(0.7, 1.4) * 4))
    return Decimal(quarters * 25) / 100
