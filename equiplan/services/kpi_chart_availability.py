"""Operational availability month by month, per type or per agency, from the records.

Ao of a month = (C − D) / C, as on the KPI pages (docs/formulas.md §3): C is the devices' hours
in the fleet in that month, D the hours they were down for repair (downtime of corrective work,
and of calibrations where it was recorded), each device's overlapping intervals counted once.
The current month runs to now. The daily status snapshots are not used: they begin only when
the scheduler first runs, while the work orders hold the whole history.

Three aggregates: fleet hours per month and group (devices with the same dates counted
together), the union of each device's downtime intervals (gaps and islands, in SQL), and those
islands cut to each month.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, String, and_, case, func, literal, or_, select, union_all
from sqlalchemy.sql import Subquery
from sqlmodel import Session

from equiplan.models import WorkOrder
from equiplan.services.kpi_chart_data import (
    ChartClock,
    ChartData,
    ChartFilter,
    Column,
    Fact,
    Series,
    group_labels,
    grouped_series,
    items,
    series_table,
)
from equiplan.services.kpi_sql import (
    epoch_hours,
    greatest,
    hours_since_epoch,
    install_kpi_functions,
    least,
)
from equiplan.services.scoping import Scope

MONTHS = 24  # the chart's span, this month included
# Downtime of these kinds counts (domain.md: corrective, and calibration where recorded).
DOWNTIME_KINDS = ("corrective", "calibration")


def month_bounds(clock: ChartClock, months: int = MONTHS) -> list[tuple[str, datetime, datetime]]:
    """The last `months` calendar months, oldest first, as ("YYYY-MM", start, end): local
    midnights of the first days, the current month ending now."""
    zone = ZoneInfo(clock.timezone)
    year, month = clock.today.year, clock.today.month
    found = []
    for _ in range(months):
        start = datetime(year, month, 1, tzinfo=zone)
        following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
        found.append((f"{year:04d}-{month:02d}", start, min(following, clock.now)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]


def _months_table(bounds: list[tuple[str, datetime, datetime]]) -> Subquery:
    """The months as a small derived table (month, s, e in epoch hours), on both backends."""
    rows = [
        select(
            literal(label, String).label("month"),
            literal(hours_since_epoch(start), Float).label("s"),
            literal(hours_since_epoch(end), Float).label("e"),
        )
        for label, start, end in bounds
    ]
    return union_all(*rows).subquery("months")


def _overlap(s: Any, e: Any, months: Subquery) -> Any:
    return greatest(literal(0.0, Float), least(e, months.c.e) - greatest(s, months.c.s))


def _fleet_hours(fleet: Subquery, months: Subquery) -> Any:
    """Hours in the fleet per (month, group); devices with the same dates are one cohort."""
    cohorts = (
        select(fleet.c.g, fleet.c.start_h, fleet.c.end_h, func.count().label("n"))
        .group_by(fleet.c.g, fleet.c.start_h, fleet.c.end_h)
        .subquery("cohorts")
    )
    hours = func.sum(_overlap(cohorts.c.start_h, cohorts.c.end_h, months) * cohorts.c.n)
    return (
        select(months.c.month, cohorts.c.g, hours.label("hours"))
        .select_from(cohorts)
        .join(months, and_(cohorts.c.start_h < months.c.e, cohorts.c.end_h > months.c.s))
        .group_by(months.c.month, cohorts.c.g)
    )


def _downtime_hours(fleet: Subquery, months: Subquery, start: datetime, now: datetime) -> Any:
    """Downtime hours per (month, group): each device's intervals, cut to the charted span and
    its time in the fleet, merged where they overlap (an interval starting after the latest
    end so far begins a new island), then each island cut to each month."""
    start_h, now_h = (
        literal(hours_since_epoch(start), Float),
        literal(hours_since_epoch(now), Float),
    )
    low, high = greatest(start_h, fleet.c.start_h), least(now_h, fleet.c.end_h)
    ends = func.coalesce(epoch_hours(WorkOrder.downtime_end), now_h)
    intervals = (
        select(
            fleet.c.eq,
            fleet.c.g,
            greatest(epoch_hours(WorkOrder.downtime_start), low).label("s"),
            least(ends, high).label("e"),
        )
        .select_from(fleet)
        .join(WorkOrder, WorkOrder.equipment_id == fleet.c.eq)
        .where(
            WorkOrder.kind.in_(DOWNTIME_KINDS),  # type: ignore[attr-defined]
            WorkOrder.status != "cancelled",
            WorkOrder.downtime_start < now,  # type: ignore[operator]
            or_(
                WorkOrder.downtime_end.is_(None),  # type: ignore[union-attr]
                WorkOrder.downtime_end > start,  # type: ignore[operator]
            ),
        )
        .subquery("intervals")
    )
    order = (intervals.c.s, intervals.c.e)
    latest_end = func.max(intervals.c.e).over(
        partition_by=intervals.c.eq, order_by=order, rows=(None, -1)
    )
    starts_island = case((or_(latest_end.is_(None), intervals.c.s > latest_end), 1), else_=0)
    marked = (
        select(*intervals.c, starts_island.label("new"))
        .where(intervals.c.e > intervals.c.s)
        .subquery("marked")
    )
    island = func.sum(marked.c.new).over(
        partition_by=marked.c.eq, order_by=(marked.c.s, marked.c.e), rows=(None, 0)
    )
    numbered = select(*marked.c, island.label("island")).subquery("numbered")
    islands = (
        select(
            numbered.c.g,
            func.min(numbered.c.s).label("s"),
            func.max(numbered.c.e).label("e"),
        )
        .group_by(numbered.c.eq, numbered.c.g, numbered.c.island)
        .subquery("islands")
    )
    hours = func.sum(_overlap(islands.c.s, islands.c.e, months))
    return (
        select(months.c.month, islands.c.g, hours.label("hours"))
        .select_from(islands)
        .join(months, and_(islands.c.s < months.c.e, islands.c.e > months.c.s))
        .group_by(months.c.month, islands.c.g)
    )


def availability_over_time(
    session: Session, scope: Scope, chart_filter: ChartFilter, clock: ChartClock
) -> ChartData:
    """Monthly operational availability Ao of the filtered devices over the last 24 months, one
    line per type or agency and the whole selection in the table; None for a month in which a
    group had no device in the fleet."""
    install_kpi_functions(session)
    bounds = month_bounds(clock)
    first_day: date = bounds[0][1].date()
    fleet = items(scope, chart_filter, clock, first_day)
    months = _months_table(bounds)
    calendar = {
        (row.g, row.month): float(row.hours)
        for row in session.execute(_fleet_hours(fleet, months))
        if row.hours
    }
    down = {
        (row.g, row.month): float(row.hours)
        for row in session.execute(_downtime_hours(fleet, months, bounds[0][1], clock.now))
    }
    availability = {key: (hours - down.get(key, 0.0)) / hours for key, hours in calendar.items()}
    labels = [label for label, _start, _end in bounds]
    series = grouped_series(
        labels, availability, group_labels(session, chart_filter.by), "line", missing=None
    )
    overall = []
    for month in labels:
        hours = sum(h for (_g, m), h in calendar.items() if m == month)
        lost = sum(h for (_g, m), h in down.items() if m == month)
        overall.append((hours - lost) / hours if hours else None)
    columns, rows = series_table(Column(_l("Month"), "text"), series, "percent")
    if series:
        columns = (*columns, Column(_l("All devices"), "percent"))
        rows = tuple((*row, value) for row, value in zip(rows, overall, strict=True))
        series = (
            *series,
            Series(_l("All devices"), tuple(labels), tuple(overall), "line", highlight=True),
        )
    total_hours = sum(calendar.values())
    total_down = sum(down.values())
    return ChartData(
        key="availability",
        title=_l("Operational availability by month"),
        x_title=_l("Month"),
        y_title=_l("Availability (Ao)"),
        y_format="percent",
        series=series,
        columns=columns,
        rows=rows,
        note=_l(
            "Ao = (C − D) / C per month: hours in the fleet C, downtime for repair and "
            "calibration D. This month to date."
        ),
        facts=(
            Fact(
                _l("Ao over the 24 months"),
                (total_hours - total_down) / total_hours if total_hours else None,
                "percent",
            ),
        ),
    )
