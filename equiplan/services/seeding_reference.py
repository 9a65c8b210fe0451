"""The reference data of seeds/demo/*.json and the demo users, loaded idempotently.

Agencies, sites, equipment types and models, failure codes and the demo users are few rows, so
they go through the ORM and the audit trail records each of them. Rows are matched by natural
code (users by email): a second run adds only what is missing. The result is returned keyed by
code, in the shape the fleet and history generators need.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, SQLModel

from equiplan.models import Agency, EquipmentModel, EquipmentType, FailureCode, Site, User
from equiplan.resources import resource_path
from equiplan.services.seeding_bulk import table_of
from equiplan.services.seeding_specs import (
    FailureMode,
    LabSpec,
    PointSpec,
    ScheduleSpec,
    TypeProfile,
)
from equiplan.services.users import create_user

# Published in the README: the demo is for trying the app out, never for production data.
DEMO_PASSWORD = "equiplan-demo"  # noqa: S105

# Reference data and users: few rows, added through the ORM and audited row by row.
ORM_TABLES = (
    "agency",
    "site",
    "equipment_type",
    "equipment_model",
    "failure_code",
    "app_user",
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


@dataclass(frozen=True)
class SiteRef:
    id: int
    agency_id: int
    closed_on: date | None
    is_warehouse: bool
    # What a repair's target restore time depends on (domain/repairs.py).
    criticality: int = 3
    open: bool = True


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


def load_seed_file(name: str) -> Any:
    """The parsed content of seeds/demo/`name`."""
    return json.loads((resource_path("seeds") / "demo" / name).read_text(encoding="utf-8"))


def ensure_reference(session: Session, counts: Counter[str]) -> Reference:
    """Add the reference data of seeds/demo that is missing and return it keyed by code.

    These few rows go through the ORM, so the audit trail records each of them."""
    counts["agency"] += _add_missing(
        session,
        Agency,
        load_seed_file("agencies.json"),
        ["code"],
        lambda r: Agency(**_columns(Agency, r)),
    )
    agencies = dict(session.execute(select(Agency.code, Agency.id)).all())
    counts["site"] += _add_missing(
        session,
        Site,
        load_seed_file("sites.json"),
        ["code"],
        lambda r: Site(
            **_columns(Site, r)
            | {
                "agency_id": agencies[r["agency"]],
                "status_since": _optional_date(r["status_since"]),
            }
        ),
    )
    type_rows = load_seed_file("types.json")
    counts["equipment_type"] += _add_missing(
        session,
        EquipmentType,
        type_rows,
        ["code"],
        lambda r: EquipmentType(**_columns(EquipmentType, r)),
    )
    type_ids = dict(session.execute(select(EquipmentType.code, EquipmentType.id)).all())
    model_rows = load_seed_file("models.json")
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
    failure_rows = load_seed_file("failure_codes.json")
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


def ensure_demo_users(session: Session, counts: Counter[str]) -> int | None:
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
    table = table_of(model)
    existing = {tuple(r) for r in session.execute(select(*(table.c[k] for k in key_columns)))}
    new = [build(row) for row in rows if tuple(row[k] for k in key_columns) not in existing]
    session.add_all(new)
    session.flush()
    return len(new)


def _site_refs(session: Session) -> dict[str, SiteRef]:
    refs = {}
    for site in session.execute(select(Site)).scalars():
        # Equipment at a closed crossing has been idle since the closure.
        closed_on = site.status_since if site.status != "open" else None
        refs[site.code] = SiteRef(
            site.id,
            site.agency_id,
            closed_on,
            site.site_type == "warehouse",
            criticality=site.criticality,
            open=site.status == "open",
        )
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
