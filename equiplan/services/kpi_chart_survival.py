"""The reliability (survival) curve of a model: the Kaplan–Meier estimate of the share of its
devices still without a failure at each age, and the fitted line exp(−λ0·t − (t/η)^β)
(docs/formulas.md §5; the statistics are domain/weibull.py's and domain/reliability.py's).

Lifetimes come from SQL grouped by (age in days, failed or not), so Python gets one row per
distinct lifetime, not per device. A lifetime is a device's age at its first failure, or, if it
has not failed, its age today (or at decommissioning): right-censored. Only devices
commissioned since the model's records began count: one commissioned earlier may have failed
before the records. The records of a model begin with the first work order of any kind on any
of its devices (scheduled work is recorded for every device, failures only for some).

The random rate λ0 is the model's Gamma–Poisson update of the type's catalogue MTBF with all its
failures and operating years since the records began, less the wear-out the priors expect over
those years; then β, η are fitted with λ0 held fixed when there are enough failures, or else
the type's priors are used, and the chart says which.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Float, String, and_, case, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import Subquery
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from equiplan.domain.reliability import baseline_rate
from equiplan.domain.weibull import (
    WeibullParameters,
    fit_weibull,
    kaplan_meier,
    prior_weibull,
    weibull_survival,
)
from equiplan.models import EquipmentModel, EquipmentType, WorkOrder
from equiplan.services.kpi_chart_data import (
    ChartClock,
    ChartData,
    ChartFilter,
    Column,
    Fact,
    Series,
    items,
)
from equiplan.services.kpi_sql import days_between, install_kpi_functions
from equiplan.services.local_date_sql import local_date
from equiplan.services.scoping import Scope

DAYS_PER_YEAR = 365.25
LINE_POINTS = 61  # points of the fitted line, from age 0 to the longest lifetime


class power(FunctionElement[float]):  # noqa: N801 - reads as the SQL function it is
    """x ** y for non-negative x (SQLite's own power() exists only in some builds)."""

    type = Float()
    inherit_cache = True


@compiles(power)
def _power(element: power, compiler: SQLCompiler, **kw: Any) -> str:
    return f"power({compiler.process(element.clauses, **kw)})"


@compiles(power, "sqlite")
def _power_sqlite(element: power, compiler: SQLCompiler, **kw: Any) -> str:
    return f"equiplan_power({compiler.process(element.clauses, **kw)})"


def _install_functions(session: Session) -> None:
    install_kpi_functions(session)
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        driver.create_function(  # type: ignore[union-attr]
            "equiplan_power",
            2,
            lambda x, y: None if x is None else math.pow(x, y),
            deterministic=True,
        )


@dataclass(frozen=True)
class Lifetimes:
    """A model's lifetimes in years and the counts behind its random rate."""

    failure_ages: list[float]
    censored_ages: list[float]
    records_start: date
    failures: int  # all failures since the records began (not only first ones)
    exposure_years: float  # the devices' years in the fleet since the records began
    expected_wear_out: float  # failures the prior wear-out law expects over those years


def _chosen_model(
    session: Session, scope: Scope, chart_filter: ChartFilter, clock: ChartClock
) -> EquipmentModel | None:
    """The filter's model, or else the model with the most devices in the filtered scope."""
    if chart_filter.model_id is not None:
        return session.get(EquipmentModel, chart_filter.model_id)
    fleet = items(scope, chart_filter, clock, clock.today)
    largest = (
        select(fleet.c.model_id)
        .group_by(fleet.c.model_id)
        .order_by(func.count().desc(), fleet.c.model_id)
        .limit(1)
    )
    model_id = session.execute(largest).scalar_one_or_none()
    return None if model_id is None else session.get(EquipmentModel, model_id)


def _failure_moment() -> Any:
    return func.coalesce(WorkOrder.downtime_start, WorkOrder.opened_at)


def _is_failure(clock: ChartClock) -> list[Any]:
    return [
        WorkOrder.kind == "corrective",
        WorkOrder.failure_code_id.is_not(None),  # type: ignore[union-attr]
        WorkOrder.status != "cancelled",
        _failure_moment() <= clock.now,
    ]


def _records_start(session: Session, fleet: Subquery, clock: ChartClock) -> date | None:
    """The local date of the first work order of any kind on the devices (None: no records)."""
    first = session.execute(
        select(func.min(WorkOrder.opened_at), func.min(WorkOrder.downtime_start))
        .select_from(fleet)
        .join(WorkOrder, WorkOrder.equipment_id == fleet.c.eq)
    ).one()
    moments = [moment for moment in first if moment is not None]
    if not moments:
        return None
    return min(moments).astimezone(ZoneInfo(clock.timezone)).date()


def _end_day(fleet: Subquery, today: Any) -> Any:
    """The last day a device was observed: its decommissioning, else today."""
    return case(
        (and_(fleet.c.end_day.is_not(None), fleet.c.end_day < today), fleet.c.end_day),
        else_=today,
    )


def _lifetime_counts(
    session: Session, fleet: Subquery, clock: ChartClock, start: date
) -> tuple[list[float], list[float]]:
    """Ages at first failure and censored ages (years) of the devices commissioned on or after
    `start`, from one grouped query."""
    zone, today = literal(clock.timezone, String), literal(clock.today, Date)
    first_failure = (
        select(func.min(_failure_moment()))
        .where(WorkOrder.equipment_id == fleet.c.eq, *_is_failure(clock))
        .correlate(fleet)
        .scalar_subquery()
    )
    lives = (
        select(fleet.c.start_day, _end_day(fleet, today).label("end_day"), first_failure.label("f"))
        .where(fleet.c.start_day.is_not(None), fleet.c.start_day >= literal(start, Date))
        .subquery("lives")
    )
    failed = case((lives.c.f.is_not(None), 1), else_=0)
    days = case(
        (lives.c.f.is_not(None), days_between(local_date(lives.c.f, zone), lives.c.start_day)),
        else_=days_between(lives.c.end_day, lives.c.start_day),
    )
    statement = (
        select(days.label("days"), failed.label("failed"), func.count().label("n"))
        .where(days >= 0)  # a commissioning date in the future, or a failure before it
        .group_by(days, failed)
        .order_by(days, failed)
    )
    failure_ages: list[float] = []
    censored_ages: list[float] = []
    for row in session.execute(statement):
        target = failure_ages if row.failed else censored_ages
        target.extend([int(row.days) / DAYS_PER_YEAR] * int(row.n))
    return failure_ages, censored_ages


def _exposure(
    session: Session,
    fleet: Subquery,
    clock: ChartClock,
    start: date,
    prior: WeibullParameters,
) -> tuple[int, float, float]:
    """Failures, years in the fleet and the priors' expected wear-out failures of all the
    devices since `start` (the records' beginning)."""
    today, begin = literal(clock.today, Date), literal(start, Date)
    from_day = case((fleet.c.start_day > begin, fleet.c.start_day), else_=begin)
    to_day = _end_day(fleet, today)
    year = literal(DAYS_PER_YEAR, Float)
    age_from = days_between(from_day, fleet.c.start_day) / year
    age_to = days_between(to_day, fleet.c.start_day) / year
    eta, beta = literal(prior.eta, Float), literal(prior.beta, Float)
    wear_out = power(age_to / eta, beta) - power(age_from / eta, beta)
    totals = session.execute(
        select(
            func.coalesce(func.sum(age_to - age_from), 0.0),
            func.coalesce(func.sum(wear_out), 0.0),
        ).where(fleet.c.start_day.is_not(None), to_day > from_day)
    ).one()
    # Failures from the local midnight that begins the records' first day.
    first_moment = datetime.combine(start, time(0), ZoneInfo(clock.timezone))
    failures = session.execute(
        select(func.count())
        .select_from(fleet)
        .join(WorkOrder, WorkOrder.equipment_id == fleet.c.eq)
        .where(*_is_failure(clock), _failure_moment() >= first_moment)
    ).scalar_one()
    return int(failures), float(totals[0]), float(totals[1])


def model_lifetimes(
    session: Session,
    scope: Scope,
    chart_filter: ChartFilter,
    clock: ChartClock,
    model: EquipmentModel,
    prior: WeibullParameters,
) -> Lifetimes | None:
    """The lifetimes of the model's devices in the filtered scope (None: nothing recorded)."""
    _install_functions(session)
    fleet = items(scope, replace(chart_filter, model_id=model.id), clock, clock.today)
    start = _records_start(session, fleet, clock)
    if start is None:
        return None
    failure_ages, censored_ages = _lifetime_counts(session, fleet, clock, start)
    failures, exposure, wear_out = _exposure(session, fleet, clock, start, prior)
    return Lifetimes(failure_ages, censored_ages, start, failures, exposure, wear_out)


def _empty(title: Any, note: Any) -> ChartData:
    return ChartData(
        key="survival",
        title=title,
        x_title=_l("Age (years)"),
        y_title=_l("Share without a failure"),
        y_format="percent",
        series=(),
        columns=(),
        rows=(),
        note=note,
        x_is_category=False,
    )


def survival_curve(
    session: Session, scope: Scope, chart_filter: ChartFilter, clock: ChartClock
) -> ChartData:
    """The Kaplan–Meier survival of a model's devices and the fitted line, with the parameters
    (fitted or the type's priors) and the counts they rest on."""
    # Choosing the model already reads the devices' time in service: SQLite needs the
    # functions first (a fresh connection has none; this was an error on the first chart).
    _install_functions(session)
    model = _chosen_model(session, scope, chart_filter, clock)
    if model is None:
        return _empty(_l("Reliability by age"), _l("No devices match the filter."))
    kind = session.get_one(EquipmentType, model.type_id)
    title = _l("Reliability of %(model)s by age", model=f"{model.manufacturer} {model.name}")
    prior = prior_weibull(kind.weibull_beta, kind.weibull_eta_factor, kind.design_life_years)
    found = model_lifetimes(session, scope, chart_filter, clock, model, prior)
    if found is None or not (found.failure_ages or found.censored_ages):
        return _empty(title, _l("No device of this model has its whole life in the records."))
    lam = baseline_rate(
        kind.prior_mtbf_hours,
        found.failures,
        found.exposure_years,
        expected_wear_out=found.expected_wear_out,
    )
    params = fit_weibull(found.failure_ages, found.censored_ages, prior, random_rate=lam)
    steps = kaplan_meier(found.failure_ages, found.censored_ages)
    longest = max([*found.failure_ages, *found.censored_ages, 1.0 / DAYS_PER_YEAR])
    grid = [longest * i / (LINE_POINTS - 1) for i in range(LINE_POINTS)]
    line = weibull_survival(grid, params.beta, params.eta, lam)
    at_steps = weibull_survival([p.age for p in steps], params.beta, params.eta, lam)
    fitted = params.source == "fitted"
    series = (
        Series(
            _l("Kaplan–Meier estimate"),
            tuple(p.age for p in steps),
            tuple(p.survival for p in steps),
            "step",
        ),
        Series(
            _l("Fitted line") if fitted else _l("Line with the type's priors"),
            tuple(grid),
            tuple(line),
            "line",
        ),
    )
    columns = (
        Column(_l("Age (years)"), "years"),
        Column(_l("Kaplan–Meier estimate"), "percent"),
        Column(series[1].name, "percent"),
        Column(_l("Devices at risk"), "int"),
        Column(_l("Failures"), "int"),
    )
    rows = tuple(
        (p.age, p.survival, value, p.at_risk, p.failures)
        for p, value in zip(steps, at_steps, strict=True)
    )
    return ChartData(
        key="survival",
        title=title,
        x_title=_l("Age (years)"),
        y_title=_l("Share without a failure"),
        y_format="percent",
        series=series,
        columns=columns,
        rows=rows,
        note=(
            _l("β and η fitted from the records, with λ0 held fixed.")
            if fitted
            else _l("Too few failures to fit wear-out: β and η are the type's catalogue priors.")
        ),
        x_is_category=False,
        facts=(
            Fact(_l("Parameters"), _l("fitted") if fitted else _l("priors")),
            Fact(_l("Shape β"), params.beta, "decimal"),
            Fact(_l("Scale η (years)"), params.eta, "decimal"),
            Fact(_l("Random failures λ0 per year"), lam, "decimal"),
            Fact(_l("First failures"), params.failures, "int"),
            Fact(_l("Censored lifetimes"), params.censored, "int"),
            Fact(_l("Records begin"), found.records_start, "date"),
        ),
    )
