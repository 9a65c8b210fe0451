"""Demo and benchmark data.

`seed_demo` loads the reference data of seeds/demo/*.json (agencies, sites, equipment types and
models, failure codes), the demo users and the demo fleet of fleet.json with several years of
work history. `seed_synthetic` generates a national-scale data set for benchmarks on the same
reference data. Both are keyed by natural codes and inventory numbers: running them again adds
only what is missing.

Reference rows and users go through the ORM (few rows, audited one by one). The fleet and its
history are written with Core bulk inserts, because hundreds of thousands of rows must load in
minutes; those bypass the ORM audit hook, so each table gets one `bulk_create` audit event instead.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlmodel import Session, SQLModel

from equiplan.domain.scheduling import Anchor, Interval, IntervalUnit
from equiplan.models import (
    Agency,
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
    utcnow,
)
from equiplan.resources import resource_path
from equiplan.services.audit import acting_as, current_actor, record_bulk
from equiplan.services.clock import local_today
from equiplan.services.seeding_history import (
    DAYS_PER_YEAR,
    FailureMode,
    GeneratedItem,
    HistoryContext,
    ItemSpec,
    LabSpec,
    PointSpec,
    ScheduleSpec,
    TypeProfile,
    WorkRecord,
    generate_item,
)
from equiplan.services.users import create_user

# Fixed so that every machine gets the same demo.
DEMO_SEED = 20240901
# Due dates are Lithuanian calendar days.
DEMO_TIMEZONE = "Europe/Vilnius"
# Published in the README: the demo is for trying the app out, never for production data.
DEMO_PASSWORD = "equiplan-demo"  # noqa: S105
DEMO_HISTORY_YEARS = 6
# With five schedules per item this window gives the ~25 work records per item benchmarks expect.
SYNTHETIC_HISTORY_YEARS = 4.0
SYNTHETIC_PREFIX = "SYN-"
CHUNK_ROWS = 5000
ITEMS_PER_BATCH = 500

# Reference data and users: few rows, added through the ORM and audited row by row.
ORM_TABLES = (
    "agency",
    "site",
    "equipment_type",
    "equipment_model",
    "failure_code",
    "app_user",
)
# The fleet: Core bulk inserts, one bulk_create audit event per table instead.
BULK_TABLES = (
    "equipment",
    "schedule",
    "work_order",
    "calibration_result",
    "calibration_point",
)
# email, role, agency, name, locale
DEMO_USERS = (
    ("admin@demo.lt", "admin", "NSSC", "Demo Administrator", "en"),
    ("planner@demo.lt", "planner", "NSSC", "Rūta Planuotoja", "lt"),
    ("technician@demo.lt", "technician", "NSSC", "Tomas Technikas", "lt"),
    ("officer@vsat.demo.lt", "officer", "VSAT", "Jonas Pasienietis", "lt"),
    ("officer@customs.demo.lt", "officer", "MUIT", "Asta Muitininkė", "lt"),
    ("viewer@vsat.demo.lt", "viewer", "VSAT", "Vida Stebėtoja", "lt"),
)


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
class SiteRef:
    id: int
    agency_id: int
    closed_on: date | None
    is_warehouse: bool


@dataclass(frozen=True)
class ModelRef:
    id: int
    type_code: str
    end_of_support: date | None
    serial_prefix: str


@dataclass(frozen=True)
class Reference:
    """The reference data as the fleet generators need it, keyed by natural codes."""

    agencies: dict[str, int]
    sites: dict[str, SiteRef]
    profiles: dict[str, TypeProfile]
    models: dict[tuple[str, str], ModelRef]
    failure_modes: dict[str, tuple[FailureMode, ...]]


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
        reference = _ensure_reference(session, counts)
        technician_id = _ensure_demo_users(session, counts)
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
        _write_fleet(session, new_specs, context, f"demo:{DEMO_SEED}", counts, lambda _msg: None)
        _record_bulk_events(session, counts, {"source": "seed_demo", "seed": DEMO_SEED})
        session.commit()
    return dict(counts)


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
        reference = _ensure_reference(session, counts)
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
        _write_fleet(session, specs, context, f"synthetic:{seed}", counts, report)
        _record_bulk_events(session, counts, {"source": "seed_synthetic", "seed": seed})
        session.commit()
    report(f"{counts['equipment']} items written in {time.monotonic() - started:.1f} s")
    return dict(counts)


# --- reference data -----------------------------------------------------------------------


def _load(name: str) -> Any:
    return json.loads((resource_path("seeds") / "demo" / name).read_text(encoding="utf-8"))


def _columns(model: type[SQLModel], row: dict[str, Any]) -> dict[str, Any]:
    """The keys of a JSON row that are columns of `model` (the rest is seeding-only data)."""
    return {key: value for key, value in row.items() if key in model.model_fields}


def _optional_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _add_missing(
    session: Session,
    model: type[SQLModel],
    rows: Iterable[dict[str, Any]],
    key_columns: Sequence[str],
    build: Callable[[dict[str, Any]], SQLModel],
) -> int:
    """Add the rows whose natural key (`key_columns`) is not in the table yet."""
    table = _table(model)
    existing = {tuple(r) for r in session.execute(select(*(table.c[k] for k in key_columns)))}
    new = [build(row) for row in rows if tuple(row[k] for k in key_columns) not in existing]
    session.add_all(new)
    session.flush()
    return len(new)


def _ensure_reference(session: Session, counts: Counter[str]) -> Reference:
    """Add the reference data of seeds/demo that is missing and return it keyed by code.

    These few rows go through the ORM, so the audit trail records each of them."""
    counts["agency"] += _add_missing(
        session, Agency, _load("agencies.json"), ["code"], lambda r: Agency(**_columns(Agency, r))
    )
    agencies = dict(session.execute(select(Agency.code, Agency.id)).all())
    counts["site"] += _add_missing(
        session,
        Site,
        _load("sites.json"),
        ["code"],
        lambda r: Site(
            **_columns(Site, r)
            | {
                "agency_id": agencies[r["agency"]],
                "status_since": _optional_date(r["status_since"]),
            }
        ),
    )
    type_rows = _load("types.json")
    counts["equipment_type"] += _add_missing(
        session,
        EquipmentType,
        type_rows,
        ["code"],
        lambda r: EquipmentType(**_columns(EquipmentType, r)),
    )
    type_ids = dict(session.execute(select(EquipmentType.code, EquipmentType.id)).all())
    model_rows = _load("models.json")
    counts["equipment_model"] += _add_missing(
        session,
        EquipmentModel,
        model_rows,
        ["manufacturer", "name"],
        lambda r: EquipmentModel(
            **_columns(EquipmentModel, r)
            | {
                "type_id": type_ids[r["type"]],
                "end_of_support": _optional_date(r["end_of_support"]),
            }
        ),
    )
    failure_rows = _load("failure_codes.json")
    # Level by level, so that every parent has an id before its children refer to it.
    for level in ("class", "problem", "cause", "remedy"):
        ids = dict(session.execute(select(FailureCode.code, FailureCode.id)).all())
        counts["failure_code"] += _add_missing(
            session,
            FailureCode,
            [r for r in failure_rows if r["level"] == level],
            ["code"],
            lambda r, ids=ids: FailureCode(
                **_columns(FailureCode, r)
                | {"parent_id": ids[r["parent"]] if r["parent"] else None}
            ),
        )
    return Reference(
        agencies=agencies,
        sites=_site_refs(session),
        profiles=_type_profiles(session, type_rows),
        models=_model_refs(session, model_rows),
        failure_modes=_failure_modes(session, failure_rows),
    )


def _site_refs(session: Session) -> dict[str, SiteRef]:
    refs = {}
    for site in session.execute(select(Site)).scalars():
        # Equipment at a closed crossing has been idle since the closure.
        closed_on = site.status_since if site.status != "open" else None
        refs[site.code] = SiteRef(site.id, site.agency_id, closed_on, site.site_type == "warehouse")
    return refs


def _type_profiles(session: Session, type_rows: list[dict[str, Any]]) -> dict[str, TypeProfile]:
    """Profiles for the seeded types: priors and schedules as stored (an administrator may have
    tuned them), the seeding-only data (costs, calibration points, labs) from types.json."""
    seeding = {row["code"]: row["seeding"] for row in type_rows}
    profiles = {}
    for row in session.execute(select(EquipmentType)).scalars():
        extra = seeding.get(row.code)
        if extra is None:
            continue
        profiles[row.code] = TypeProfile(
            code=row.code,
            design_life_years=row.design_life_years,
            mtbf_hours=row.prior_mtbf_hours,
            mttr_hours=row.prior_mttr_hours,
            logistics_delay_hours=row.logistics_delay_hours,
            weibull_beta=row.weibull_beta,
            weibull_eta_factor=row.weibull_eta_factor,
            schedules=tuple(ScheduleSpec.from_json(s) for s in row.default_schedules),
            unit_cost_range_cents=tuple(extra["unit_cost_range_cents"]),
            calibration_points=tuple(PointSpec(**p) for p in extra["calibration_points"]),
            laboratories=tuple(
                LabSpec(lab["name"], lab["prefix"], tuple(lab["external_cost_cents"]))
                for lab in extra["calibration_laboratories"]
            ),
            service_hours=extra["service_hours"],
        )
    return profiles


def _model_refs(
    session: Session, model_rows: list[dict[str, Any]]
) -> dict[tuple[str, str], ModelRef]:
    prefixes = {(r["manufacturer"], r["name"]): r["serial_prefix"] for r in model_rows}
    query = select(EquipmentModel, EquipmentType.code).join(
        EquipmentType, EquipmentType.id == EquipmentModel.type_id
    )
    refs = {}
    for model, type_code in session.execute(query):
        key = (model.manufacturer, model.name)
        prefix = prefixes.get(key) or "".join(ch for ch in model.name.upper() if ch.isalnum())[:4]
        refs[key] = ModelRef(model.id, type_code, model.end_of_support, prefix)
    return refs


def _failure_modes(
    session: Session, failure_rows: list[dict[str, Any]]
) -> dict[str, tuple[FailureMode, ...]]:
    """The problem -> cause -> remedy paths of the seeded codes, per equipment type code."""
    seeding = {r["code"]: r["seeding"] for r in failure_rows if r["level"] == "problem"}
    codes = {fc.id: fc for fc in session.execute(select(FailureCode)).scalars()}
    modes: dict[str, list[FailureMode]] = {}
    type_codes = [code for (code,) in session.execute(select(EquipmentType.code))]
    for remedy in codes.values():
        if remedy.level != "remedy" or remedy.parent_id is None:
            continue
        cause = codes[remedy.parent_id]
        problem = codes[cause.parent_id] if cause.parent_id else None
        if problem is None or problem.code not in seeding:
            continue
        extra = seeding[problem.code]
        mode = FailureMode(
            problem_id=problem.id,
            remedy_id=remedy.id,
            problem=problem.name_en,
            cause=cause.name_en,
            remedy=remedy.name_en,
            weight=float(extra["weight"]),
            parts_cost_share=tuple(extra["parts_cost_share"]),
        )
        for type_code in extra.get("types") or type_codes:
            modes.setdefault(type_code, []).append(mode)
    return {code: tuple(sorted(ms, key=lambda m: m.remedy_id)) for code, ms in modes.items()}


def _ensure_demo_users(session: Session, counts: Counter[str]) -> int | None:
    """Create the demo users that are missing; returns the demo technician's id."""
    existing = {email.lower() for email in session.execute(select(User.email)).scalars()}
    for email, role, agency, name, locale in DEMO_USERS:
        if email not in existing:
            create_user(
                session,
                email=email,
                password=DEMO_PASSWORD,
                role=role,
                agency_code=agency,
                name=name,
                locale=locale,
            )
            counts["app_user"] += 1
    return session.execute(
        select(User.id).where(User.email == "technician@demo.lt")
    ).scalar_one_or_none()


# --- fleets -------------------------------------------------------------------------------


def _fleet_groups(reference: Reference) -> list[FleetGroup]:
    groups: list[FleetGroup] = []
    for group in _load("fleet.json")["groups"]:
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
    for chunk in _chunks(list(numbers), 1000):
        query = select(Equipment.inventory_no).where(Equipment.inventory_no.in_(chunk))
        existing.update(session.execute(query).scalars())
    return existing


# --- bulk writing -------------------------------------------------------------------------


def _chunks(rows: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _table(model: type[SQLModel]) -> Table:
    return model.__table__


def _allocate_ids(session: Session, model: type[SQLModel], count: int) -> list[int]:
    """Reserve `count` primary keys, so that child rows can refer to rows before they are written.

    PostgreSQL hands them out from the table's sequence (safe under concurrency). SQLite has one
    writer at a time: a concurrent write after our read would make our insert fail, never collide.
    Explicit ids let the driver's fast executemany do the inserts (no RETURNING round trips).
    """
    if count == 0:
        return []
    table = _table(model)
    if session.get_bind().dialect.name == "postgresql":
        query = text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)")
        return sorted(session.execute(query, {"t": table.name, "n": count}).scalars())
    start = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(start + 1, start + count + 1))


def _insert_with_ids(
    session: Session, model: type[SQLModel], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert `rows` with freshly allocated ids (set on the dicts too) and return the ids."""
    ids = _allocate_ids(session, model, len(rows))
    for row, id_ in zip(rows, ids, strict=True):
        row["id"] = id_
    _insert(session, model, rows)
    return ids


def _insert(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    for chunk in _chunks(rows, CHUNK_ROWS):
        session.execute(insert(_table(model)), chunk)


def _write_fleet(
    session: Session,
    specs: Iterable[ItemSpec],
    context: HistoryContext,
    seed_prefix: str,
    counts: Counter[str],
    report: Callable[[str], None],
) -> None:
    batch: list[GeneratedItem] = []
    for spec in specs:
        batch.append(
            generate_item(spec, context, random.Random(f"{seed_prefix}:{spec.inventory_no}"))
        )
        if len(batch) == ITEMS_PER_BATCH:
            _write_batch(session, batch, counts)
            batch = []
            report(f"{counts['equipment']} items, {counts['work_order']} work orders written")
    if batch:
        _write_batch(session, batch, counts)


def _write_batch(session: Session, batch: list[GeneratedItem], counts: Counter[str]) -> None:
    """Insert a batch of generated items table by table, wiring the new ids into child rows."""
    equipment_ids = _insert_with_ids(session, Equipment, [item.equipment for item in batch])
    for item, equipment_id in zip(batch, equipment_ids, strict=True):
        for row in item.schedules:
            row["equipment_id"] = equipment_id
    schedule_ids = iter(
        _insert_with_ids(session, Schedule, [row for item in batch for row in item.schedules])
    )

    work: list[WorkRecord] = []
    for item, equipment_id in zip(batch, equipment_ids, strict=True):
        item_schedule_ids = [next(schedule_ids) for _ in item.schedules]
        for record in sorted(item.work, key=lambda r: r.row["opened_at"]):
            record.row["equipment_id"] = equipment_id
            if record.schedule_index is not None:
                record.row["schedule_id"] = item_schedule_ids[record.schedule_index]
            work.append(record)
    work_ids = _insert_with_ids(session, WorkOrder, [record.row for record in work])

    calibrations = []
    for record, work_id in zip(work, work_ids, strict=True):
        if record.calibration is not None:
            record.calibration.row.update(
                work_order_id=work_id, equipment_id=record.row["equipment_id"]
            )
            calibrations.append(record.calibration)
    calibration_ids = _insert_with_ids(session, CalibrationResult, [c.row for c in calibrations])
    points = []
    for calibration, calibration_id in zip(calibrations, calibration_ids, strict=True):
        for point in calibration.points:
            point["calibration_id"] = calibration_id
            points.append(point)
    _insert(session, CalibrationPoint, points)

    counts["equipment"] += len(equipment_ids)
    counts["schedule"] += sum(len(item.schedules) for item in batch)
    counts["work_order"] += len(work_ids)
    counts["calibration_result"] += len(calibration_ids)
    counts["calibration_point"] += len(points)


def _record_bulk_events(session: Session, counts: Counter[str], detail: dict[str, Any]) -> None:
    for table in BULK_TABLES:
        if counts[table]:
            record_bulk(session, table, counts[table], detail)
