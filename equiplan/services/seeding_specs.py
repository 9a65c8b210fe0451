"""What the history generator is given: the equipment type profiles, failure modes and items to
create, resolved from the seed files and the database by `seeding_reference.py` and
`seeding.py`. Plain frozen values, no database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from equiplan.domain.scheduling import Anchor, Interval, IntervalUnit

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class ScheduleSpec:
    kind: str
    interval: Interval
    anchor: Anchor
    lead_days: int
    grace_days: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScheduleSpec:
        """Read one entry of an equipment type's `default_schedules`."""
        return cls(
            kind=data["kind"],
            interval=Interval(int(data["interval_value"]), IntervalUnit(data["interval_unit"])),
            anchor=Anchor(data.get("anchor", "fixed")),
            lead_days=int(data.get("lead_days", 30)),
            grace_days=int(data.get("grace_days", 0)),
        )


@dataclass(frozen=True)
class PointSpec:
    quantity: str
    unit: str
    nominal: float
    tolerance: float
    tolerance_kind: str

    @property
    def tolerance_abs(self) -> float:
        return (
            self.tolerance
            if self.tolerance_kind == "abs"
            else abs(self.nominal) * self.tolerance / 100
        )


@dataclass(frozen=True)
class LabSpec:
    name: str
    prefix: str
    external_cost_cents: tuple[int, int]


@dataclass(frozen=True)
class TypeProfile:
    """What the generator needs to know about an equipment type (priors from the database,
    the rest from the `seeding` block of types.json)."""

    code: str
    design_life_years: int
    mtbf_hours: int
    mttr_hours: int
    logistics_delay_hours: int
    weibull_beta: float
    weibull_eta_factor: float
    schedules: tuple[ScheduleSpec, ...]
    unit_cost_range_cents: tuple[int, int]
    calibration_points: tuple[PointSpec, ...]
    laboratories: tuple[LabSpec, ...]
    service_hours: Mapping[str, float]


@dataclass(frozen=True)
class FailureMode:
    """One path through the failure-code hierarchy (problem -> cause -> remedy)."""

    problem_id: int
    remedy_id: int
    problem: str
    cause: str
    remedy: str
    weight: float
    parts_cost_share: tuple[float, float]


@dataclass(frozen=True)
class ItemSpec:
    """One item to create: who owns it, where it is, what it is and how old it is."""

    inventory_no: str
    serial_no: str
    model_id: int
    agency_id: int
    site_id: int | None
    profile: TypeProfile
    schedules: tuple[ScheduleSpec, ...]
    age_years: float
    funding_source: str
    notes: str = ""
    end_of_support: date | None = None
    site_closed_on: date | None = None
    at_warehouse: bool = False
    site_criticality: int | None = None
    site_open: bool = False


@dataclass(frozen=True)
class HistoryContext:
    today: date
    history_start: date
    failure_modes: Mapping[str, Sequence[FailureMode]]
    created_at: datetime
    technician_id: int | None = None

    @property
    def now(self) -> datetime:
        # Generated events all happen before today, so nothing lies in the future whatever the hour.
        return datetime.combine(self.today, time(0), UTC)
