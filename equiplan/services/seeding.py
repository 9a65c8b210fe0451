"""Demo and benchmark data.

`seed_demo` loads the reference data of seeds/demo/*.json (agencies, sites, equipment types and
models, failure codes), the demo users and the demo fleet of fleet.json with several years of
work history. `seed_synthetic` generates a national-scale data set for benchmarks on the same
reference data. Both are keyed by natural codes and inventory numbers: running them again adds
only what is missing.

This module decides which items make up a fleet. The other seeding modules do the rest:
`seeding_reference.py` loads the reference data and users through the ORM (few rows, audited one
by one); `seeding_history.py` generates each item's history; `seeding_bulk.py` writes the fleet
with Core bulk inserts, because hundreds of thousands of rows must load in minutes, and records
one `bulk_create` audit event per table instead.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlmodel import Session

from equiplan.domain.scheduling import Anchor, Interval, IntervalUnit
from equiplan.models import Equipment, utcnow
from equiplan.services.audit import acting_as, current_actor
from equiplan.services.clock import local_today
from equiplan.services.seeding_bulk import BULK_TABLES, chunks, record_bulk_events, write_fleet
from equiplan.services.seeding_planning import ensure_demo_scenario
from equiplan.services.seeding_reference import (
    ORM_TABLES,
    ModelRef,
    Reference,
    SiteRef,
    ensure_demo_users,
    ensure_reference,
    load_seed_file,
)
from equiplan.services.seeding_specs import (
    DAYS_PER_YEAR,
    HistoryContext,
    ItemSpec,
    ScheduleSpec,
    TypeProfile,
)

# Fixed so that every machine gets the same demo.
DEMO_SEED = 20240901
# Due dates are Lithuanian calendar days.
DEMO_TIMEZONE = "Europe/Vilnius"
DEMO_HISTORY_YEARS = 6
# With five schedules per item this window gives the ~25 work records per item benchmarks expect.
SYNTHETIC_HISTORY_YEARS = 4.0
SYNTHETIC_PREFIX = "SYN-"


def _extra(kind: str, months: int, anchor: str, lead_days: int, grace_days: int) -> ScheduleSpec:
    return ScheduleSpec(
        kind, Interval(months, IntervalUnit.MONTHS), Anchor(anchor), lead_days, grace_days
    )


# Benchmarks need the national-scale load of five schedules per item, so synthetic items also get
# the kinds their type does not define, with these common intervals.
SYNTHETIC_EXTRA_SCHEDULES = (
    _extra("calibration", 12, "fixed", 45, 14),
    _extra("source_check", 6, "completion", 14, 14),
    _extra("performance_test", 6, "fixed", 14, 7),
    _extra("preventive", 12, "completion", 30, 14),
    _extra("inspection", 12, "completion", 30, 30),
)


@dataclass(frozen=True)
class FleetGroup:
    """One line of fleet.json with its codes resolved."""

    agency: str
    agency_id: int
    profile: TypeProfile
    count: int
    sites: tuple[tuple[str, SiteRef, float], ...]
    exact_sites: bool  # site weights are exact counts (no "count" given)
    models: tuple[tuple[ModelRef, float], ...]
    age_years: tuple[float, float]
    funding: tuple[tuple[str, float], ...]
    notes: str


def seed_demo(session: Session, *, today: date | None = None) -> dict[str, int]:
    """Load the demo: reference data, demo users and ~1,000 items with their work history.

    Idempotent: reference rows are matched by natural code, users by email and items by
    inventory number; only what is missing is created. Returns the number of rows created per
    table (all zero on a second run).
    """
    today = today or local_today(DEMO_TIMEZONE)
    counts: Counter[str] = Counter(dict.fromkeys(ORM_TABLES + BULK_TABLES, 0))
    with acting_as(current_actor().user_id, "seed"):
        reference = ensure_reference(session, counts)
        technician_id = ensure_demo_users(session, counts)
        specs = _demo_fleet(reference)
        existing = _existing_inventory(session, [spec.inventory_no for spec in specs])
        context = HistoryContext(
            today=today,
            history_start=today - timedelta(days=round(DEMO_HISTORY_YEARS * DAYS_PER_YEAR)),
            failure_modes=reference.failure_modes,
            created_at=utcnow(),
            technician_id=technician_id,
        )
        new_specs = [spec for spec in specs if spec.inventory_no not in existing]
        write_fleet(session, new_specs, context, f"demo:{DEMO_SEED}", counts, lambda _msg: None)
        record_bulk_events(session, counts, {"source": "seed_demo", "seed": DEMO_SEED})
        ensure_demo_scenario(session, today)
        session.commit()
    return dict(counts)


def refresh_statistics(session: Session) -> None:
    """Let PostgreSQL's planner see a bulk load at once (ANALYZE), instead of planning with
    empty-table estimates until autovacuum comes round (and never, where it is off)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))
        session.commit()


def seed_synthetic(
    session: Session,
    *,
    equipment: int,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Generate a national-scale data set for benchmarks: `equipment` items numbered SYN-000001...,
    spread over the demo agencies, sites, types and models like the demo fleet, with five
    schedules and about 25 work records each.

    Items whose inventory number exists are skipped, so a run can be resumed or extended.
    Returns the number of rows created per table.
    """
    report = progress or (lambda _msg: None)
    started = time.monotonic()
    counts: Counter[str] = Counter(dict.fromkeys(ORM_TABLES + BULK_TABLES, 0))
    with acting_as(current_actor().user_id, "seed"):
        reference = ensure_reference(session, counts)
        groups = _fleet_groups(reference)
        numbers = [f"{SYNTHETIC_PREFIX}{n:06d}" for n in range(1, equipment + 1)]
        existing = _existing_inventory(session, numbers)
        report(f"reference data ready; {len(existing)} of {equipment} items exist already")
        today = local_today(DEMO_TIMEZONE)
        context = HistoryContext(
            today=today,
            history_start=today - timedelta(days=round(SYNTHETIC_HISTORY_YEARS * DAYS_PER_YEAR)),
            failure_modes=reference.failure_modes,
            created_at=utcnow(),
        )
        specs = (
            _synthetic_spec(number, n, groups, seed)
            for n, number in enumerate(numbers, start=1)
            if number not in existing
        )
        write_fleet(session, specs, context, f"synthetic:{seed}", counts, report)
        record_bulk_events(session, counts, {"source": "seed_synthetic", "seed": seed})
        session.commit()
    refresh_statistics(session)
    report(f"{counts['equipment']} items written in {time.monotonic() - started:.1f} s")
    return dict(counts)


def _fleet_groups(reference: Reference) -> list[FleetGroup]:
    groups: list[FleetGroup] = []
    for group in load_seed_file("fleet.json")["groups"]:
        sites = tuple((code, reference.sites[code], float(w)) for code, w in group["sites"].items())
        groups.append(
            FleetGroup(
                agency=group["agency"],
                agency_id=reference.agencies[group["agency"]],
                profile=reference.profiles[group["type"]],
                count=group.get("count") or int(sum(w for _, _, w in sites)),
                sites=sites,
                exact_sites="count" not in group,
                models=tuple((reference.models[(m, n)], float(w)) for m, n, w in group["models"]),
                age_years=(float(group["age_years"][0]), float(group["age_years"][1])),
                funding=tuple((source, float(w)) for source, w in group["funding"].items()),
                notes=group.get("notes", ""),
            )
        )
    return groups


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([item for item, _ in weighted], [w for _, w in weighted])[0]


def _item_spec(
    group: FleetGroup,
    site: SiteRef,
    inventory_no: str,
    serial: str,
    rng: random.Random,
    schedules: tuple[ScheduleSpec, ...],
) -> ItemSpec:
    model: ModelRef = _pick(rng, group.models)
    return ItemSpec(
        inventory_no=inventory_no,
        serial_no=f"{model.serial_prefix}-{serial}",
        model_id=model.id,
        agency_id=group.agency_id,
        site_id=site.id,
        profile=group.profile,
        schedules=schedules,
        age_years=rng.uniform(*group.age_years),
        funding_source=_pick(rng, group.funding),
        notes=group.notes,
        end_of_support=model.end_of_support,
        site_closed_on=site.closed_on,
        at_warehouse=site.is_warehouse,
        site_criticality=site.criticality,
        site_open=site.open,
    )


def _demo_fleet(reference: Reference) -> list[ItemSpec]:
    """The items of fleet.json, numbered <agency>-<type>-0001... in file order."""
    rng = random.Random(DEMO_SEED)
    numbers: Counter[tuple[str, str]] = Counter()
    specs: list[ItemSpec] = []
    for group in _fleet_groups(reference):
        if group.exact_sites:
            sites = [site for _, site, weight in group.sites for _ in range(int(weight))]
        else:
            sites = [_pick(rng, [(s, w) for _, s, w in group.sites]) for _ in range(group.count)]
        for site in sites:
            key = (group.agency, group.profile.code)
            numbers[key] += 1
            inventory_no = f"{group.agency}-{group.profile.code}-{numbers[key]:04d}"
            serial = f"{20000 + len(specs) * 37:06d}"
            specs.append(
                _item_spec(group, site, inventory_no, serial, rng, group.profile.schedules)
            )
    return specs


def _synthetic_spec(inventory_no: str, n: int, groups: Sequence[FleetGroup], seed: int) -> ItemSpec:
    # One generator per item: skipping existing items does not change the others.
    rng = random.Random(f"synthetic:{seed}:{n}")
    group: FleetGroup = _pick(rng, [(g, g.count) for g in groups])
    site: SiteRef = _pick(rng, [(s, w) for _, s, w in group.sites])
    kinds = {s.kind for s in group.profile.schedules}
    schedules = group.profile.schedules + tuple(
        s for s in SYNTHETIC_EXTRA_SCHEDULES if s.kind not in kinds
    )
    return _item_spec(group, site, inventory_no, f"S{seed % 100:02d}{n:07d}", rng, schedules)


def _existing_inventory(session: Session, numbers: Sequence[str]) -> set[str]:
    existing: set[str] = set()
    for chunk in chunks(list(numbers), 1000):
        query = select(Equipment.inventory_no).where(Equipment.inventory_no.in_(chunk))
        existing.update(session.execute(query).scalars())
    return existing
