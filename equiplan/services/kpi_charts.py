"""The figures behind the KPI charts: failures and maintenance cost per year, age against design
life; and the set of all five charts for a page (availability over time and the survival curve
are in kpi_chart_availability.py and kpi_chart_survival.py).

Every figure is one or two SQL aggregates over the scope's devices (kpi_chart_data.items), so
Python sees one row per group and year or band, never an item or a work order. Years are
calendar years where the centre works (the configured time zone); the current year is counted
to date.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Float, Integer, String, and_, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from equiplan.models import WorkOrder
from equiplan.services.kpi_chart_availability import availability_over_time
from equiplan.services.kpi_chart_data import (
    ChartClock,
    ChartData,
    ChartFilter,
    Column,
    Fact,
    Marker,
    Series,
    group_labels,
    grouped_series,
    items,
    series_table,
)
from equiplan.services.kpi_chart_survival import survival_curve
from equiplan.services.kpi_sql import days_between, install_kpi_functions
from equiplan.services.local_date_sql import local_date
from equiplan.services.scoping import Scope

DAYS_PER_YEAR = 365.25
# Age as a share of the type's design life: the upper bound of each band (the last is open).
# Past design life means strictly older than it, as on the KPI pages.
LIFE_BANDS = (0.25, 0.5, 0.75, 1.0, 1.25)
LIFE_BAND_LABELS = ("≤ 25 %", "25–50 %", "50–75 %", "75–100 %", "100–125 %", "> 125 %")
DESIGN_LIFE_BAND = LIFE_BANDS.index(1.0)  # bands after this one are past design life


def _year_axis(found: set[int], today_year: int) -> list[int]:
    """Every year from the first with records to this year (years without any show 0)."""
    if not found:
        return []
    return list(range(min(min(found), today_year), max(max(found), today_year) + 1))


class local_year(FunctionElement[int]):  # noqa: N801 - reads as the SQL function it is
    """The calendar year, in a named time zone, of a UTC timestamp column."""

    type = Integer()
    inherit_cache = True


@compiles(local_year, "postgresql")
def _local_year_postgresql(element: local_year, compiler: SQLCompiler, **kw: Any) -> str:
    moment, zone = (compiler.process(c, **kw) for c in element.clauses)
    # date_part gives double precision; EXTRACT's numeric is a fifth slower over every row.
    return f"CAST(date_part('year', timezone({zone}, {moment})) AS INTEGER)"


@compiles(local_year, "sqlite")
def _local_year_sqlite(element: local_year, compiler: SQLCompiler, **kw: Any) -> str:
    moment, zone = element.clauses
    day = compiler.process(local_date(moment, zone), **kw)
    return f"CAST(strftime('%Y', {day}) AS INTEGER)"


def _local_year(moment: Any, clock: ChartClock) -> Any:
    return local_year(moment, literal(clock.timezone, String))


def failures_per_year(
    session: Session, scope: Scope, chart_filter: ChartFilter, clock: ChartClock
) -> ChartData:
    """Failures (corrective work with a failure code, not cancelled) per calendar year of the
    failure: its downtime start, else when it was reported; split by type or agency."""
    install_kpi_functions(session)
    fleet = items(scope, chart_filter, clock, clock.today)
    moment = func.coalesce(WorkOrder.downtime_start, WorkOrder.opened_at)
    year = _local_year(moment, clock).label("year")
    statement = (
        select(fleet.c.g, year, func.count().label("n"))
        .select_from(fleet)
        .join(WorkOrder, WorkOrder.equipment_id == fleet.c.eq)
        .where(
            WorkOrder.kind == "corrective",
            WorkOrder.failure_code_id.is_not(None),  # type: ignore[union-attr]
            WorkOrder.status != "cancelled",
            moment <= clock.now,
        )
        .group_by(fleet.c.g, year)
    )
    counts = {(row.g, int(row.year)): float(row.n) for row in session.execute(statement)}
    years = _year_axis({y for _g, y in counts}, clock.today.year)
    series = grouped_series(years, counts, group_labels(session, chart_filter.by))
    columns, rows = series_table(Column(_l("Year"), "text"), series, "int", total=_l("Total"))
    return ChartData(
        key="failures",
        title=_l("Failures per year"),
        x_title=_l("Year"),
        y_title=_l("Failures"),
        y_format="int",
        series=series,
        columns=columns,
        rows=rows,
        note=_l("Repairs with a failure code, by the year the failure began; this year to date."),
        stacked=True,
    )


def cost_per_year(
    session: Session, scope: Scope, chart_filter: ChartFilter, clock: ChartClock
) -> ChartData:
    """Maintenance cost (parts and external services; labour is recorded in hours, not money)
    of the work completed in each calendar year, split by type or agency."""
    install_kpi_functions(session)
    fleet = items(scope, chart_filter, clock, clock.today)
    year = _local_year(WorkOrder.completed_at, clock).label("year")
    spent = func.sum(WorkOrder.parts_cost_cents + WorkOrder.external_cost_cents)
    statement = (
        select(fleet.c.g, year, spent.label("cents"))
        .select_from(fleet)
        .join(WorkOrder, WorkOrder.equipment_id == fleet.c.eq)
        .where(
            WorkOrder.status == "done",
            WorkOrder.completed_at.is_not(None),  # type: ignore[union-attr]
            WorkOrder.completed_at <= clock.now,  # type: ignore[operator]
        )
        .group_by(fleet.c.g, year)
    )
    euros = {
        (row.g, int(row.year)): int(row.cents or 0) / 100 for row in session.execute(statement)
    }
    years = _year_axis({y for _g, y in euros}, clock.today.year)
    series = grouped_series(years, euros, group_labels(session, chart_filter.by))
    columns, rows = series_table(Column(_l("Year"), "text"), series, "euro", total=_l("Total"))
    return ChartData(
        key="cost",
        title=_l("Maintenance cost per year"),
        x_title=_l("Year"),
        y_title=_l("Cost (EUR)"),
        y_format="euro",
        series=series,
        columns=columns,
        rows=rows,
        note=_l(
            "Spare parts and external services of the work completed in each year; labour is "
            "recorded in hours and not included. This year to date."
        ),
        stacked=True,
    )


def age_against_design_life(
    session: Session, scope: Scope, chart_filter: ChartFilter, clock: ChartClock
) -> ChartData:
    """Devices in the fleet today by age as a share of their type's design life, per type, and
    the share of each type (and of all) past its design life."""
    install_kpi_functions(session)
    fleet = items(scope, chart_filter, clock, clock.today, design_life=True)
    today = literal(clock.today, Date)
    life_used = days_between(today, fleet.c.start_day) / (
        fleet.c.design_life * literal(DAYS_PER_YEAR, Float)
    )
    band = case(
        *((life_used <= bound, index) for index, bound in enumerate(LIFE_BANDS)),
        else_=len(LIFE_BANDS),
    ).label("band")
    in_fleet = and_(
        fleet.c.status != "decommissioned",
        fleet.c.start_day <= today,  # not yet commissioned: not in the fleet
        or_(fleet.c.end_day.is_(None), fleet.c.end_day > today),
    )
    statement = (
        select(fleet.c.type_id, band, func.count().label("n"))
        .where(in_fleet)
        .group_by(fleet.c.type_id, band)
    )
    counts = {(row.type_id, int(row.band)): float(row.n) for row in session.execute(statement)}
    undated = session.execute(
        select(func.count()).where(fleet.c.status != "decommissioned", fleet.c.start_day.is_(None))
    ).scalar_one()
    labels = group_labels(session, "type")
    bands = list(range(len(LIFE_BAND_LABELS)))
    by_band = grouped_series(bands, counts, labels)
    # The same numbers, with the bands' names on the axis.
    series = tuple(Series(s.name, LIFE_BAND_LABELS, s.y, s.kind) for s in by_band)
    columns = (
        Column(_l("Type"), "text"),
        *(Column(label, "int") for label in LIFE_BAND_LABELS),
        Column(_l("Devices"), "int"),
        Column(_l("Past design life"), "percent"),
    )
    rows = []
    fleet_total = past_total = 0.0
    for s in series:  # one per type
        total = sum(v or 0 for v in s.y)
        past = sum(v or 0 for v in s.y[DESIGN_LIFE_BAND + 1 :])
        fleet_total, past_total = fleet_total + total, past_total + past
        rows.append((s.name, *s.y, total, past / total if total else None))
    return ChartData(
        key="age",
        title=_l("Age against design life"),
        x_title=_l("Age as a share of the design life"),
        y_title=_l("Devices"),
        y_format="int",
        series=series,
        columns=columns,
        rows=tuple(rows),
        note=_l("Devices in the fleet today; the dashed line marks the end of the design life."),
        stacked=True,
        markers=(Marker(DESIGN_LIFE_BAND + 0.5, _l("Design life")),),
        facts=(
            Fact(_l("Devices in the fleet"), int(fleet_total), "int"),
            Fact(
                _l("Past design life"),
                past_total / fleet_total if fleet_total else None,
                "percent",
            ),
            Fact(_l("Without a commissioning date (not shown)"), int(undated), "int"),
        ),
    )


def all_charts(
    session: Session, scope: Scope, chart_filter: ChartFilter, clock: ChartClock
) -> list[ChartData]:
    """The five KPI charts of the filtered scope: availability over time, failures per year,
    age against design life, maintenance cost per year, and the survival curve of a model."""
    return [
        availability_over_time(session, scope, chart_filter, clock),
        failures_per_year(session, scope, chart_filter, clock),
        age_against_design_life(session, scope, chart_filter, clock),
        cost_per_year(session, scope, chart_filter, clock),
        survival_curve(session, scope, chart_filter, clock),
    ]
