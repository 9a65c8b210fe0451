"""Synthetic but plausible life histories for seeded equipment (demo and benchmark data).

For one item this decides its lifecycle (in service, stored, decommissioned, ...), replays each
recurring schedule from commissioning with the real scheduling rules, draws corrective failures
from the reliability model of domain.md and returns plain row dicts ready for bulk inserts. It
touches no database: `seeding.py` resolves the ids and writes the rows.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from equiplan.domain.scheduling import (
    Anchor,
    Interval,
    IntervalUnit,
    add_interval,
    grace_ends_on,
    next_due,
)

Row = dict[str, Any]

HOURS_PER_YEAR = 8760
DAYS_PER_YEAR = 365.25
# Types whose software gets field updates often enough to show up in the history.
FIRMWARE_TYPES = frozenset({"RPM", "SRPM", "SPRD", "RIID", "MOBILE", "BRD"})
DECOMMISSION_REASONS = (
    "Beyond economic repair.",
    "Past its design life; replaced by a new unit.",
    "End of manufacturer support: spare parts no longer available.",
    "Damaged beyond repair in service.",
)


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
class _Lifecycle:
    status: str
    active_until: date  # the last day the item was in use (today for items in use)
    decommissioned_on: date | None = None
    reason: str | None = None
    note: str = ""


@dataclass
class _CalibrationState:
    lab: LabSpec
    as_left: list[float]
    last_failed_on: date | None = None
    count: int = 0


@dataclass
class _Item:
    """Per-item working state shared by the schedule and failure simulations."""

    spec: ItemSpec
    ctx: HistoryContext
    rng: random.Random
    commissioned_on: date
    lifecycle: _Lifecycle
    cost_cents: int
    calibration: _CalibrationState
    work: list[WorkRecord] = field(default_factory=list)


def generate_item(spec: ItemSpec, ctx: HistoryContext, rng: random.Random) -> GeneratedItem:
    """Create the equipment row, its schedules and its work history for one item."""
    commissioned = ctx.today - timedelta(days=round(spec.age_years * DAYS_PER_YEAR))
    lo, hi = spec.profile.unit_cost_range_cents
    # Prices are quoted in whole hundreds of euros.
    cost = round(rng.uniform(lo, hi) / 10_000) * 10_000
    points = spec.profile.calibration_points
    state = _CalibrationState(
        lab=rng.choice(spec.profile.laboratories),
        as_left=[p.nominal + rng.gauss(0, p.tolerance_abs / 6) for p in points],
    )
    item = _Item(
        spec, ctx, rng, commissioned, _lifecycle(spec, commissioned, ctx, rng), cost, state
    )

    schedules = [_simulate_schedule(item, i, s) for i, s in enumerate(spec.schedules)]
    _simulate_failures(item)
    _simulate_firmware_updates(item)
    life = item.lifecycle
    if life.decommissioned_on and life.decommissioned_on >= ctx.history_start:
        item.work.append(
            _closing_work(item, "decommissioning", life.decommissioned_on, life.reason or "")
        )
    elif life.status == "in_storage" and life.active_until >= ctx.history_start:
        item.work.append(
            _closing_work(item, "relocation", life.active_until, "Moved to reserve storage.")
        )

    status = life.status
    open_downtime = any(
        w.row["kind"] == "corrective" and w.row["downtime_end"] is None for w in item.work
    )
    if status == "in_service" and open_downtime and rng.random() < 0.6:
        status = "in_repair"
    recently_failed = (
        state.last_failed_on is not None and (ctx.today - state.last_failed_on).days <= 365
    )
    equipment: Row = {
        "inventory_no": spec.inventory_no,
        "serial_no": spec.serial_no,
        "model_id": spec.model_id,
        "agency_id": spec.agency_id,
        "site_id": spec.site_id,
        "status": status,
        "acquired_on": commissioned - timedelta(days=rng.randint(14, 120)),
        "commissioned_on": commissioned,
        "decommissioned_on": life.decommissioned_on,
        "decommission_reason": life.reason,
        "funding_source": spec.funding_source,
        "acquisition_cost_cents": cost,
        "warranty_end": add_interval(
            commissioned, Interval(3 if cost >= 5_000_000 else 2, IntervalUnit.YEARS)
        ),
        "condition": _condition(spec, life, rng),
        "notes": " ".join(n for n in (spec.notes, life.note) if n),
        # An as-found failure in the last year still awaits its impact review (domain.md).
        "flagged_for_review": recently_failed and status != "decommissioned",
        "created_at": ctx.created_at,
        "updated_at": None,
    }
    return GeneratedItem(equipment, schedules, item.work)


def _random_date(lo: date, hi: date, rng: random.Random) -> date:
    return lo + timedelta(days=rng.randint(0, max(0, (hi - lo).days)))


def _at(day: date, hour: float) -> datetime:
    return datetime.combine(day, time(0), UTC) + timedelta(hours=hour)


def _lifecycle(
    spec: ItemSpec, commissioned: date, ctx: HistoryContext, rng: random.Random
) -> _Lifecycle:
    today = ctx.today
    if spec.site_closed_on and spec.site_closed_on > commissioned + timedelta(days=30):
        closed = spec.site_closed_on.isoformat()
        note = f"Not in use since the site closed on {closed}; candidate for relocation."
        return _Lifecycle("out_of_service", spec.site_closed_on, note=note)
    earliest_end = commissioned + timedelta(days=180)
    if earliest_end >= today - timedelta(days=60):
        return _Lifecycle("in_service", today)
    if spec.at_warehouse and rng.random() < 0.7:
        stored = _random_date(
            max(earliest_end, today - timedelta(days=900)), today - timedelta(days=30), rng
        )
        return _Lifecycle("in_storage", stored, note="Reserve pool.")
    age = (today - commissioned).days / DAYS_PER_YEAR
    # Withdrawal becomes likely once an item is past its design life.
    p_decommission = min(0.3, 0.015 + 0.12 * max(0.0, age / spec.profile.design_life_years - 1))
    if rng.random() < p_decommission:
        day = _random_date(
            max(earliest_end, today - timedelta(days=1100)), today - timedelta(days=20), rng
        )
        return _Lifecycle(
            "decommissioned", day, decommissioned_on=day, reason=rng.choice(DECOMMISSION_REASONS)
        )
    if rng.random() < 0.01:
        stored = _random_date(
            max(earliest_end, today - timedelta(days=500)), today - timedelta(days=30), rng
        )
        return _Lifecycle("in_storage", stored, note="Withdrawn to reserve storage.")
    return _Lifecycle("in_service", today)


def _condition(spec: ItemSpec, life: _Lifecycle, rng: random.Random) -> str:
    if life.status == "decommissioned":
        return "poor"
    wear = spec.age_years / spec.profile.design_life_years
    if wear < 0.5:
        weights = (0.9, 0.1, 0.0)
    elif wear < 1.0:
        weights = (0.35, 0.55, 0.1)
    else:
        weights = (0.05, 0.5, 0.45)
    return rng.choices(("good", "fair", "poor"), weights)[0]


def _work_row(kind: str, status: str, opened_at: datetime, **values: Any) -> Row:
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


def _hours(nominal: float, rng: random.Random) -> Decimal:
    quarters = max(1, round(nominal * rng.uniform(0.7, 1.4) * 4))
    return Decimal(quarters * 25) / 100


def _interval_days(interval: Interval) -> int:
    origin = date(2001, 1, 1)
    return (add_interval(origin, interval) - origin).days


def _completion_offset(sched: ScheduleSpec, rng: random.Random) -> int:
    """Days from due date to completion: mostly inside the grace window, some early, some late."""
    period = _interval_days(sched.interval)
    window = max(sched.grace_days, 2)
    draw = rng.random()
    if draw < 0.76:
        return rng.randint(-window, sched.grace_days)
    if draw < 0.88:
        earliest = min(sched.lead_days, period // 4)
        return -rng.randint(window + 1, max(window + 1, earliest))
    return sched.grace_days + rng.randint(1, max(2, min(60, period // 2)))


def _first_due_in_window(item: _Item, sched: ScheduleSpec) -> date:
    """The first due date worth replaying: history before the window leaves no rows behind, so
    the rhythm is fast-forwarded on the commissioning grid instead of simulated."""
    commissioned = item.commissioned_on
    start = item.ctx.history_start - timedelta(days=2 * _interval_days(sched.interval))
    if start <= commissioned:
        return add_interval(commissioned, sched.interval)
    periods = (start - commissioned).days // _interval_days(sched.interval)
    return add_interval(commissioned, sched.interval, max(1, periods))


def _simulate_schedule(item: _Item, index: int, sched: ScheduleSpec) -> Row:
    ctx, rng, life = item.ctx, item.rng, item.lifecycle
    end = min(life.active_until, ctx.today - timedelta(days=1))
    due = _first_due_in_window(item, sched)
    done: list[tuple[date, date]] = []
    while True:
        completed = due + timedelta(days=_completion_offset(sched, rng))
        if done and completed <= done[-1][1]:
            completed = done[-1][1] + timedelta(days=1)
        if completed > end:
            break
        done.append((due, completed))
        due = next_due(due, completed, sched.interval, sched.anchor)

    active = life.status == "in_service"
    missed: date | None = None
    # A few items miss their latest occurrence entirely: these are the overdue rows the dashboard
    # must show. Calibrations lapse a little more often (items kept in use at remote posts).
    lapse_rate = 0.04 if sched.kind == "calibration" else 0.02
    if (
        active
        and done
        and done[-1][0] + timedelta(days=sched.grace_days) < end
        and rng.random() < lapse_rate
    ):
        missed = due = done.pop()[0]
    for previous_due, completed in done:
        if completed >= ctx.history_start:
            item.work.append(_scheduled_work(item, index, sched, previous_due, completed))
    if missed is not None and rng.random() < 0.5:
        # A work order was raised when the reminder went out, but nobody has done it yet.
        opened = _at(missed - timedelta(days=sched.lead_days), 7)
        item.work.append(WorkRecord(_work_row(sched.kind, "open", opened, due_date=missed), index))
    return {
        "equipment_id": None,
        "kind": sched.kind,
        "interval_value": sched.interval.value,
        "interval_unit": sched.interval.unit.value,
        "anchor": sched.anchor.value,
        "lead_days": sched.lead_days,
        "grace_days": sched.grace_days,
        "active": active,
        "next_due": due,
        "grace_ends_on": grace_ends_on(due, sched.grace_days),
        "last_completed": done[-1][1] if done else None,
        "created_at": ctx.created_at,
    }


def _scheduled_work(
    item: _Item, index: int, sched: ScheduleSpec, due: date, completed: date
) -> WorkRecord:
    rng, hours = item.rng, item.spec.profile.service_hours
    labour = _hours(hours.get(sched.kind, 1.0), rng)
    started = _at(completed, rng.uniform(6, 11))
    opened = _at(min(due - timedelta(days=sched.lead_days), completed - timedelta(days=1)), 6)
    row = _work_row(
        sched.kind,
        "done",
        opened,
        due_date=due,
        started_at=started,
        completed_at=started + timedelta(hours=float(labour)),
        labour_hours=labour,
        technician_id=item.ctx.technician_id,
        result=rng.choices(("pass", "conditional", "fail"), (0.96, 0.03, 0.01))[0],
    )
    record = WorkRecord(row, schedule_index=index)
    if sched.kind == "calibration" and item.spec.profile.calibration_points:
        record.calibration = _calibration(item, sched, completed)
        lab = item.calibration.lab
        row["external_cost_cents"] = round(rng.uniform(*lab.external_cost_cents) / 100) * 100
        row["result"] = "pass"
        if not record.calibration.row["as_found_passed"]:
            row["notes"] = (
                "As-found reading out of tolerance; instrument adjusted. Impact review needed."
            )
    elif sched.kind == "preventive" and rng.random() < 0.6:
        row["parts_cost_cents"] = round(item.cost_cents * rng.uniform(0.0005, 0.005))
    return record


def _reading(value: float) -> float:
    """A value as an instrument shows it (five significant digits)."""
    return float(f"{value:.5g}")


def _calibration(item: _Item, sched: ScheduleSpec, day: date) -> CalibrationRecord:
    """Readings per calibration point; as-found drifts from the previous as-left, so that the
    drift KPI has something to show, and a few as-found readings fall out of tolerance."""
    rng, state = item.rng, item.calibration
    points: list[Row] = []
    found_ok = True
    for position, spec in enumerate(item.spec.profile.calibration_points):
        tol = spec.tolerance_abs
        as_found = _reading(state.as_left[position] + rng.gauss(0, tol / 3.5))
        found_ok = found_ok and abs(as_found - spec.nominal) <= tol
        # Readings well inside the tolerance are left alone; the others are adjusted.
        if abs(as_found - spec.nominal) <= tol / 2:
            as_left = as_found
        else:
            as_left = _reading(spec.nominal + max(-tol / 3, min(tol / 3, rng.gauss(0, tol / 6))))
        state.as_left[position] = as_left
        points.append(
            {
                "calibration_id": None,
                "position": position + 1,
                "quantity": spec.quantity,
                "unit": spec.unit,
                "nominal": spec.nominal,
                "as_found": as_found,
                "as_left": as_left,
                "tolerance": spec.tolerance,
                "tolerance_kind": spec.tolerance_kind,
            }
        )
    state.count += 1
    if not found_ok:
        state.last_failed_on = day
    row: Row = {
        "work_order_id": None,
        "equipment_id": None,
        "laboratory": state.lab.name,
        "certificate_no": f"{state.lab.prefix}-{day.year}-{item.spec.serial_no[-6:]}-{state.count}",
        "calibrated_on": day,
        "valid_until": add_interval(day, sched.interval),
        "certificate_file": None,
        "certificate_filename": None,
        "as_found_passed": found_ok,
        "as_left_passed": True,
        "created_at": item.ctx.created_at,
    }
    return CalibrationRecord(row, points)


def _poisson(mean: float, rng: random.Random) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _failure_times(item: _Item, start: datetime, end: datetime) -> list[datetime]:
    """Failure times from a non-homogeneous Poisson process with the rate of domain.md:
    lambda(a) = lambda0 + H(a+1) - H(a), H(a) = (a / eta)^beta, one rate per year of age."""
    profile = item.spec.profile
    lambda0 = HOURS_PER_YEAR / profile.mtbf_hours
    eta = profile.weibull_eta_factor * profile.design_life_years
    origin = _at(item.commissioned_on, 0)
    age = (start - origin).total_seconds() / 86400 / DAYS_PER_YEAR
    end_age = (end - origin).total_seconds() / 86400 / DAYS_PER_YEAR
    times: list[datetime] = []
    while age < end_age:
        whole = math.floor(age)
        segment_end = min(whole + 1.0, end_age)
        rate = (
            lambda0
            + ((whole + 1) / eta) ** profile.weibull_beta
            - (whole / eta) ** profile.weibull_beta
        )
        for _ in range(_poisson(rate * (segment_end - age), item.rng)):
            at_age = item.rng.uniform(age, segment_end)
            times.append(origin + timedelta(days=at_age * DAYS_PER_YEAR))
        age = segment_end
    return sorted(times)


def _simulate_failures(item: _Item) -> None:
    ctx, rng, profile = item.ctx, item.rng, item.spec.profile
    modes = ctx.failure_modes.get(profile.code, ())
    start = _at(max(item.commissioned_on, ctx.history_start), 0)
    end = min(_at(item.lifecycle.active_until, 0), ctx.now)
    if not modes or end <= start:
        return
    weights = [m.weight for m in modes]
    down_until = start
    for failed_at in _failure_times(item, start, end):
        # A unit that is down cannot fail again until it is repaired.
        down_start = max(failed_at, down_until + timedelta(hours=1))
        if down_start >= end:
            break
        mode = rng.choices(modes, weights)[0]
        repair = profile.mttr_hours * rng.lognormvariate(0, 0.5)
        waiting = 0.0
        if rng.random() > 0.4:  # no spare on hand: wait for parts or the vendor
            waiting = profile.logistics_delay_hours * rng.expovariate(1.0)
            eos = item.spec.end_of_support
            if eos is not None and down_start.date() > eos:
                waiting *= 2  # spares are scarce after the end of support (domain.md)
        down_end = down_start + timedelta(hours=repair + waiting)
        # Reported a little after the failure, and never after the repair.
        opened = down_start + timedelta(hours=min(rng.uniform(0.1, 3), (repair + waiting) / 2))
        common: Row = {
            "downtime_start": down_start,
            "symptom": mode.problem,
            "technician_id": ctx.technician_id,
        }
        if down_end >= ctx.now and item.lifecycle.active_until >= ctx.today:
            # Still broken today: open downtime makes the item not operational.
            started = opened + timedelta(hours=rng.uniform(1, 24))
            in_progress = started < ctx.now
            row = _work_row(
                "corrective",
                "in_progress" if in_progress else "open",
                opened,
                started_at=started if in_progress else None,
                failure_code_id=mode.problem_id,
                notes="Awaiting spare parts." if waiting else "",
                **common,
            )
            item.work.append(WorkRecord(row))
            return
        # An item withdrawn while waiting for its repair has its downtime end at the withdrawal.
        down_end = min(down_end, end)
        opened = min(opened, down_end)
        labour = _hours(max(repair, 0.5) * 0.8, rng)
        parts = 0
        if rng.random() < 0.8:
            parts = round(item.cost_cents * rng.uniform(*mode.parts_cost_share))
        external = (
            round(item.cost_cents * rng.uniform(0.01, 0.05))
            if waiting and rng.random() < 0.3
            else 0
        )
        row = _work_row(
            "corrective",
            "done",
            opened,
            started_at=max(opened, down_end - timedelta(hours=float(labour))),
            completed_at=down_end,
            downtime_end=down_end,
            failure_code_id=mode.remedy_id,
            cause=mode.cause,
            remedy=mode.remedy,
            result="pass",
            labour_hours=labour,
            parts_cost_cents=parts,
            external_cost_cents=external,
            **common,
        )
        item.work.append(WorkRecord(row))
        down_until = down_end


def _simulate_firmware_updates(item: _Item) -> None:
    if item.spec.profile.code not in FIRMWARE_TYPES:
        return
    ctx, rng = item.ctx, item.rng
    start = max(item.commissioned_on, ctx.history_start)
    end = min(item.lifecycle.active_until, ctx.today - timedelta(days=1))
    years = (end - start).days / DAYS_PER_YEAR
    for _ in range(_poisson(0.3 * years, rng)):
        day = _random_date(start, end, rng)
        started = _at(day, rng.uniform(6, 12))
        labour = _hours(1.0, rng)
        row = _work_row(
            "firmware_update",
            "done",
            started - timedelta(days=rng.randint(1, 20)),
            started_at=started,
            completed_at=started + timedelta(hours=float(labour)),
            labour_hours=labour,
            result="pass",
            technician_id=ctx.technician_id,
            notes="Firmware and nuclide library updated to the vendor's current release.",
        )
        item.work.append(WorkRecord(row))


def _closing_work(item: _Item, kind: str, day: date, notes: str) -> WorkRecord:
    started = _at(day, 9)
    return WorkRecord(
        _work_row(
            kind,
            "done",
            started - timedelta(days=item.rng.randint(3, 30)),
            started_at=started,
            completed_at=started + timedelta(hours=2),
            labour_hours=Decimal("2.00"),
            result="pass",
            technician_id=item.ctx.technician_id,
            notes=notes,
        )
    )
