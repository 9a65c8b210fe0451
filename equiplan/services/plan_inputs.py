"""The reliability and cost inputs of every item in a scenario's scope, from the live records
(docs/planning.md, "Inputs").

Two queries do it for any fleet size: one reads the items with their model, type, agency and
site; one sums each item's records (failures, first failure, repair down time, repair cost, first
work order) grouped by item. Everything else is arithmetic on those rows: the random rate λ0 of
each item (Gamma–Poisson, pooled by model, `reliability.baseline_rate`), the wear-out β, η of each
model (fitted on right-censored first failures when there are enough, `weibull.fit_weibull`, else
the type's priors), the model's observed repair time and cost per repair.

The records begin with the first work order of any item in scope: an item's exposure is its
time in the fleet since then (it may have failed unseen before). Dates of failures are taken in
UTC; a few hours do not matter at the scale of years.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from equiplan.domain.planning import (
    MIN_COSTED_REPAIRS,
    REPAIR_COST_PRIOR_FRACTION,
    Fleet,
    fleet_from_columns,
)
from equiplan.domain.reliability import baseline_rate, wear_out_failures, years_between
from equiplan.domain.weibull import WeibullParameters, fit_weibull, prior_weibull
from equiplan.models import Agency, Equipment, EquipmentModel, EquipmentType, Site, WorkOrder
from equiplan.services.kpi_sql import epoch_hours
from equiplan.services.scoping import Scope, scoped

# The model's measured repair time replaces the type's MTTR + logistics delay from this many
# repairs with recorded down time on; fewer say little about a whole model.
MIN_REPAIRS_FOR_MTTR = 3
# Items in these states are planned: they are installed or can be brought back into service.
# Decommissioned items are gone.
PLANNED_STATUSES = ("in_service", "out_of_service", "in_repair", "in_storage")


@dataclass(frozen=True)
class ItemFacts:
    """Who an item is and where it stands (the non-numeric part of the inputs)."""

    equipment_id: int
    inventory_no: str
    agency_code: str
    site_code: str | None
    site_open: bool
    site_criticality: int | None
    type_code: str
    model_id: int
    model_name: str
    design_life_years: int
    age_at_start: float
    # Not in storage: installed where it stands (in service, out of service or in repair).
    installed: bool = True


@dataclass(frozen=True)
class ModelWearOut:
    """The wear-out law used for a model's items and whether it was fitted or the priors."""

    model_name: str
    parameters: WeibullParameters
    lambda0: float  # the model's random failures per year (a new unit's)
    observed_mttr_hours: float | None


@dataclass(frozen=True)
class PlanInputs:
    items: list[ItemFacts]
    fleet: Fleet
    models: dict[int, ModelWearOut]
    records_start: date | None


def _in_scope(statement: Any, agency_codes: Sequence[str], type_codes: Sequence[str]) -> Any:
    """`statement` (selecting from Equipment) limited to the planned items of the agencies and
    types (empty: all)."""
    statement = (
        statement.join(EquipmentModel, EquipmentModel.id == Equipment.model_id)
        .join(EquipmentType, EquipmentType.id == EquipmentModel.type_id)
        .join(Agency, Agency.id == Equipment.agency_id)
        .where(Equipment.status.in_(PLANNED_STATUSES))  # type: ignore[attr-defined]
    )
    if agency_codes:
        statement = statement.where(Agency.code.in_(agency_codes))  # type: ignore[attr-defined]
    if type_codes:
        statement = statement.where(EquipmentType.code.in_(type_codes))  # type: ignore[attr-defined]
    # Plans span agencies: only the centre's roles reach this (the pages check), so the scope is
    # everything; the helper still makes the reach explicit.
    return scoped(statement, Equipment, Scope.everything())


def _item_rows(
    session: Session, agency_codes: Sequence[str], type_codes: Sequence[str]
) -> list[Any]:
    statement = select(
        Equipment.id,
        Equipment.inventory_no,
        Equipment.commissioned_on,
        Equipment.acquired_on,
        Equipment.acquisition_cost_cents,
        Equipment.model_id,
        Equipment.status,
        EquipmentModel.manufacturer,
        EquipmentModel.name.label("model_name"),  # type: ignore[attr-defined]
        EquipmentModel.end_of_support,
        EquipmentType.code.label("type_code"),  # type: ignore[attr-defined]
        EquipmentType.design_life_years,
        EquipmentType.typical_unit_cost_cents,
        EquipmentType.prior_mtbf_hours,
        EquipmentType.prior_mttr_hours,
        EquipmentType.logistics_delay_hours,
        EquipmentType.weibull_beta,
        EquipmentType.weibull_eta_factor,
        Agency.code.label("agency_code"),  # type: ignore[attr-defined]
        Site.code.label("site_code"),  # type: ignore[attr-defined]
        Site.status.label("site_status"),  # type: ignore[attr-defined]
        Site.criticality,
    ).select_from(Equipment)
    statement = _in_scope(statement, agency_codes, type_codes)
    statement = statement.outerjoin(Site, Site.id == Equipment.site_id)
    return list(session.execute(statement.order_by(Equipment.inventory_no)))


def _record_rows(session: Session, equipment_ids: Any, now: datetime) -> dict[int, Any]:
    """Per item: failures, first failure, repair hours and their count, repair cost and its
    count, first work order of any kind. One grouped query."""
    moment = func.coalesce(WorkOrder.downtime_start, WorkOrder.opened_at)
    failure = and_(
        WorkOrder.kind == "corrective",
        WorkOrder.failure_code_id.is_not(None),  # type: ignore[union-attr]
        WorkOrder.status != "cancelled",
        moment <= now,
    )
    timed = and_(
        failure,
        WorkOrder.downtime_start.is_not(None),  # type: ignore[union-attr]
        WorkOrder.downtime_end.is_not(None),  # type: ignore[union-attr]
        WorkOrder.downtime_end >= WorkOrder.downtime_start,  # type: ignore[operator]
    )
    costed = and_(failure, WorkOrder.status == "done")
    down_hours = epoch_hours(WorkOrder.downtime_end) - epoch_hours(WorkOrder.downtime_start)
    statement = (
        select(
            WorkOrder.equipment_id,
            func.sum(case((failure, 1), else_=0)).label("failures"),
            func.min(case((failure, moment), else_=None)).label("first_failure"),
            func.sum(case((timed, down_hours), else_=0.0)).label("down_hours"),
            func.sum(case((timed, 1), else_=0)).label("timed"),
            func.sum(
                case(
                    (costed, WorkOrder.parts_cost_cents + WorkOrder.external_cost_cents),
                    else_=0,
                )
            ).label("cost_cents"),
            func.sum(case((costed, 1), else_=0)).label("costed"),
            func.min(WorkOrder.opened_at).label("first_record"),
        )
        .where(WorkOrder.equipment_id.in_(equipment_ids))  # type: ignore[attr-defined]
        .group_by(WorkOrder.equipment_id)
    )
    return {row.equipment_id: row for row in session.execute(statement)}


def _day(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).date() if moment.tzinfo else moment.date()


@dataclass
class _ModelPool:
    failures: float = 0.0
    exposure: float = 0.0
    wear_out: float = 0.0
    down_hours: float = 0.0
    timed: int = 0
    cost_cents: float = 0.0
    costed: int = 0


def _lifetime(commissioned: date, first_failure: date | None, today: date) -> tuple[float, bool]:
    end = first_failure if first_failure is not None else today
    return years_between(commissioned, end), first_failure is not None


@dataclass
class _Observed:
    """What the records say, per item (in the order of the rows) and pooled per model."""

    commissioned: list[date] = field(default_factory=list)
    exposure: list[float] = field(default_factory=list)  # years observed since records began
    wear_out: list[float] = field(default_factory=list)  # wear-out the priors expect in them
    age_from: list[float] = field(default_factory=list)  # the age when observation began
    rows_of: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    pools: dict[int, _ModelPool] = field(default_factory=lambda: defaultdict(_ModelPool))
    priors: dict[int, WeibullParameters] = field(default_factory=dict)
    # model id -> (ages at first failure, censored ages) of items observed since commissioning
    lifetimes: dict[int, tuple[list[float], list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: ([], []))
    )


def _observe(
    rows: list[Any], records: dict[int, Any], records_start: date | None, today: date
) -> _Observed:
    seen = _Observed()
    for row in rows:
        since = row.commissioned_on or row.acquired_on or today
        prior = seen.priors.setdefault(
            row.model_id,
            prior_weibull(row.weibull_beta, row.weibull_eta_factor, row.design_life_years),
        )
        record = records.get(row.id)
        years, expected, age_from = 0.0, 0.0, 0.0
        if records_start is not None:
            observed_from = max(since, records_start)
            age_from = max(years_between(since, observed_from), 0.0)
            years = max(years_between(observed_from, today), 0.0)
            expected = wear_out_failures(age_from, age_from + years, prior.beta, prior.eta)
            if since >= records_start:  # its whole life is in the records: a lifetime
                first_failure = _day(record.first_failure) if record else None
                age, failed = _lifetime(since, first_failure, today)
                if age >= 0:
                    seen.lifetimes[row.model_id][0 if failed else 1].append(age)
        seen.commissioned.append(since)
        seen.exposure.append(years)
        seen.wear_out.append(expected)
        seen.age_from.append(age_from)
        seen.rows_of[row.model_id].append(len(seen.exposure) - 1)
        pool = seen.pools[row.model_id]
        pool.exposure += years
        pool.wear_out += expected
        if record is not None:
            pool.failures += float(record.failures or 0)
            pool.down_hours += float(record.down_hours or 0.0)
            pool.timed += int(record.timed or 0)
            pool.cost_cents += float(record.cost_cents or 0)
            pool.costed += int(record.costed or 0)
    return seen


def _rebase_wear_out(seen: _Observed, model_id: int, law: WeibullParameters) -> None:
    """The expected wear-out of a model's items (and their pool) under `law`."""
    pool = seen.pools[model_id]
    pool.wear_out = 0.0
    for index in seen.rows_of[model_id]:
        start = seen.age_from[index]
        expected = wear_out_failures(start, start + seen.exposure[index], law.beta, law.eta)
        seen.wear_out[index] = expected
        pool.wear_out += expected


def _pooled_rate(prior_mtbf_hours: float, pool: _ModelPool) -> float:
    """A model's random failure rate from its pooled records alone (no item-level counts)."""
    return baseline_rate(
        prior_mtbf_hours,
        0.0,
        0.0,
        model_failures=pool.failures,
        model_exposure_years=pool.exposure,
        model_expected_wear_out=pool.wear_out,
    )


def _model_laws(rows: list[Any], seen: _Observed) -> dict[int, ModelWearOut]:
    """Per model: its random rate, its wear-out law (fitted or the priors), its repair time."""
    models: dict[int, ModelWearOut] = {}
    for model_id, row in {r.model_id: r for r in reversed(rows)}.items():
        pool = seen.pools[model_id]
        model_rate = _pooled_rate(row.prior_mtbf_hours, pool)
        failure_ages, censored_ages = seen.lifetimes[model_id]
        parameters = fit_weibull(
            failure_ages, censored_ages, seen.priors[model_id], random_rate=model_rate
        )
        if parameters.source == "fitted":
            # The wear-out taken out of the counts must be the one the availability uses: with
            # the fitted law, not the priors. One pass: the fit itself held the priors' λ0.
            _rebase_wear_out(seen, model_id, parameters)
            model_rate = _pooled_rate(row.prior_mtbf_hours, pool)
        mttr = pool.down_hours / pool.timed if pool.timed >= MIN_REPAIRS_FOR_MTTR else None
        models[model_id] = ModelWearOut(
            f"{row.manufacturer} {row.model_name}", parameters, model_rate, mttr
        )
    return models


def _item_columns(
    row: Any,
    record: Any,
    index: int,
    seen: _Observed,
    model: ModelWearOut,
    start_of_plan: date,
) -> dict[str, float]:
    """One item's entries of the Fleet arrays."""
    pool = seen.pools[row.model_id]
    unit_cost = (row.typical_unit_cost_cents or row.acquisition_cost_cents or 0) / 100.0
    eos, mttr = row.end_of_support, model.observed_mttr_hours
    return {
        "age": max(years_between(seen.commissioned[index], start_of_plan), 0.0),
        "lambda0": baseline_rate(
            row.prior_mtbf_hours,
            float(record.failures or 0) if record else 0.0,
            seen.exposure[index],
            expected_wear_out=seen.wear_out[index],
            model_failures=pool.failures,
            model_exposure_years=pool.exposure,
            model_expected_wear_out=pool.wear_out,
        ),
        "new_lambda0": model.lambda0,
        "beta": model.parameters.beta,
        "eta": model.parameters.eta,
        "observed_mttr": math.nan if mttr is None else mttr,
        "prior_mttr": float(row.prior_mttr_hours),
        "logistics_delay": float(row.logistics_delay_hours),
        "support_left": math.inf if eos is None else years_between(start_of_plan, eos),
        "design_life": float(row.design_life_years),
        "unit_cost": unit_cost,
        "repair_cost": (
            pool.cost_cents / pool.costed / 100.0
            if pool.costed >= MIN_COSTED_REPAIRS
            else unit_cost * REPAIR_COST_PRIOR_FRACTION
        ),
    }


def load_plan_inputs(
    session: Session,
    *,
    agency_codes: Sequence[str],
    type_codes: Sequence[str],
    first_year: int,
    today: date,
) -> PlanInputs:
    """The planning inputs of every planned item of the given agencies and types (empty: all),
    ordered by inventory number, with ages and support counted on 1 January of `first_year`."""
    rows = _item_rows(session, agency_codes, type_codes)
    if not rows:
        empty = fleet_from_columns({f.name: [] for f in fields(Fleet)})
        return PlanInputs([], empty, {}, None)
    now = datetime.combine(today + timedelta(days=1), time(0), UTC)
    records = _record_rows(session, _in_scope(select(Equipment.id), agency_codes, type_codes), now)
    starts = [_day(r.first_record) for r in records.values()]
    records_start = min((d for d in starts if d is not None), default=None)
    seen = _observe(rows, records, records_start, today)
    models = _model_laws(rows, seen)
    start_of_plan = date(first_year, 1, 1)
    columns: dict[str, list[float]] = defaultdict(list)
    items: list[ItemFacts] = []
    for index, row in enumerate(rows):
        model = models[row.model_id]
        values = _item_columns(row, records.get(row.id), index, seen, model, start_of_plan)
        for name, value in values.items():
            columns[name].append(value)
        items.append(
            ItemFacts(
                equipment_id=row.id,
                inventory_no=row.inventory_no,
                agency_code=row.agency_code,
                site_code=row.site_code,
                site_open=row.site_status == "open",
                site_criticality=row.criticality,
                type_code=row.type_code,
                model_id=row.model_id,
                model_name=model.model_name,
                design_life_years=row.design_life_years,
                age_at_start=values["age"],
                installed=row.status != "in_storage",
            )
        )
    return PlanInputs(items, fleet_from_columns(columns), models, records_start)
