"""Synthetic but plausible life histories for seeded equipment (demo and benchmark data).

For one item this decides its lifecycle (in service, stored, decommissioned, ...), replays its
recurring schedules (`seeding_schedules.py`), draws its corrective failures
(`seeding_failures.py`), adds firmware updates and the closing relocation or decommissioning, and
returns plain row dicts ready for bulk inserts. It touches no database: `seeding_bulk.py`
resolves the ids and writes the rows.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from equiplan.domain.scheduling import Interval, IntervalUnit, add_interval
from equiplan.services.seeding_failures import poisson, simulate_failures
from equiplan.services.seeding_schedules import simulate_schedule
from equiplan.services.seeding_specs import DAYS_PER_YEAR, HistoryContext, ItemSpec
from equiplan.services.seeding_work import (
    CalibrationState,
    GeneratedItem,
    ItemState,
    Lifecycle,
    Row,
    WorkRecord,
    at_hour,
    labour_hours,
    work_row,
)

# Types whose software gets field updates often enough to show up in the history.
FIRMWARE_TYPES = frozenset({"RPM", "SRPM", "SPRD", "RIID", "MOBILE", "BRD"})
DECOMMISSION_REASONS = (
    "Beyond economic repair.",
    "Past its design life; replaced by a new unit.",
    "End of manufacturer support: spare parts no longer available.",
    "Damaged beyond repair in service.",
)


def generate_item(spec: ItemSpec, ctx: HistoryContext, rng: random.Random) -> GeneratedItem:
    """Create the equipment row, its schedules and its work history for one item."""
    commissioned = ctx.today - timedelta(days=round(spec.age_years * DAYS_PER_YEAR))
    lo, hi = spec.profile.unit_cost_range_cents
    # Prices are quoted in whole hundreds of euros.
    cost = round(rng.uniform(lo, hi) / 10_000) * 10_000
    points = spec.profile.calibration_points
    state = CalibrationState(
        lab=rng.choice(spec.profile.laboratories),
        as_left=[p.nominal + rng.gauss(0, p.tolerance_abs / 6) for p in points],
    )
    item = ItemState(
        spec, ctx, rng, commissioned, _lifecycle(spec, commissioned, ctx, rng), cost, state
    )

    schedules = [simulate_schedule(item, i, s) for i, s in enumerate(spec.schedules)]
    simulate_failures(item)
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


def _lifecycle(
    spec: ItemSpec, commissioned: date, ctx: HistoryContext, rng: random.Random
) -> Lifecycle:
    today = ctx.today
    if spec.site_closed_on and spec.site_closed_on > commissioned + timedelta(days=30):
        closed = spec.site_closed_on.isoformat()
        note = f"Not in use since the site closed on {closed}; candidate for relocation."
        return Lifecycle("out_of_service", spec.site_closed_on, note=note)
    earliest_end = commissioned + timedelta(days=180)
    if earliest_end >= today - timedelta(days=60):
        return Lifecycle("in_service", today)
    if spec.at_warehouse and rng.random() < 0.7:
        stored = _random_date(
            max(earliest_end, today - timedelta(days=900)), today - timedelta(days=30), rng
        )
        return Lifecycle("in_storage", stored, note="Reserve pool.")
    age = (today - commissioned).days / DAYS_PER_YEAR
    # Withdrawal becomes likely once an item is past its design life.
    p_decommission = min(0.3, 0.015 + 0.12 * max(0.0, age / spec.profile.design_life_years - 1))
    if rng.random() < p_decommission:
        day = _random_date(
            max(earliest_end, today - timedelta(days=1100)), today - timedelta(days=20), rng
        )
        return Lifecycle(
            "decommissioned", day, decommissioned_on=day, reason=rng.choice(DECOMMISSION_REASONS)
        )
    if rng.random() < 0.01:
        stored = _random_date(
            max(earliest_end, today - timedelta(days=500)), today - timedelta(days=30), rng
        )
        return Lifecycle("in_storage", stored, note="Withdrawn to reserve storage.")
    return Lifecycle("in_service", today)


def _condition(spec: ItemSpec, life: Lifecycle, rng: random.Random) -> str:
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


def _simulate_firmware_updates(item: ItemState) -> None:
    if item.spec.profile.code not in FIRMWARE_TYPES:
        return
    ctx, rng = item.ctx, item.rng
    start = max(item.commissioned_on, ctx.history_start)
    end = min(item.lifecycle.active_until, ctx.today - timedelta(days=1))
    years = (end - start).days / DAYS_PER_YEAR
    for _ in range(poisson(0.3 * years, rng)):
        day = _random_date(start, end, rng)
        started = at_hour(day, rng.uniform(6, 12))
        labour = labour_hours(1.0, rng)
        row = work_row(
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


def _closing_work(item: ItemState, kind: str, day: date, notes: str) -> WorkRecord:
    started = at_hour(day, 9)
    return WorkRecord(
        work_row(
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
