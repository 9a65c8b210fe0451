"""The sums behind the KPIs, in SQL: one aggregate query per kind of record, each grouped by the
breakdown's keys and computing the current and the previous window in the same pass.

Every query starts from `items`, the devices of the group (a subquery with the columns `eq`,
`k1`, `k2`, `model_id`, `start_day`, `end_day`, `start_h`, `end_h`; see kpis.py), so Python
never sees an item or a work order: it gets one row of sums per group key and window pair.
Devices' time and failures, and costs, are here; scheduled and open work in
kpi_work_aggregates.py, calibrations in kpi_calibration_aggregates.py; the windows and shared
helpers in kpi_periods.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Select, and_, case, func, literal, or_, select
from sqlalchemy.sql import Subquery
from sqlmodel import Session

from equiplan.domain.kpi import BACKLOG_BUCKETS, DAYS_PER_YEAR, Counts
from equiplan.models import EquipmentModel, EquipmentType, WorkOrder
from equiplan.services.kpi_calibration_aggregates import calibration_results
from equiplan.services.kpi_lanes import run_in_lanes
from equiplan.services.kpi_periods import (
    Periods,
    count_if,
    grouped,
    in_service,
    sum_if,
    tagged,
    window_of,
)
from equiplan.services.kpi_sql import days_between, epoch_hours, greatest, least
from equiplan.services.kpi_work_aggregates import backlog, compliance, missed, overdue

GroupKey = tuple[Any, Any]
# Downtime of these kinds of work counts (domain.md: corrective, and calibration downtime
# where it was recorded).
DOWNTIME_KINDS = ("corrective", "calibration")
# Sums that PostgreSQL may return as exact decimals.
FLOAT_FIELDS = (
    "calendar_hours",
    "downtime_hours",
    "drift_share_total",
    "age_years_total",
    "life_used_total",
)


def fleet_time(items: Subquery, periods: Periods) -> Select[Any]:
    """Calendar time and devices per window; age against design life at each window's end."""
    columns: list[Any] = []
    for prefix, period in periods.both():
        begin, finish = in_service(items, period)
        hours = greatest(literal(0.0, Float), finish - begin)
        on = period.as_of_day
        in_fleet = and_(
            items.c.start_day.is_not(None),
            items.c.start_day <= on,
            or_(items.c.end_day.is_(None), items.c.end_day > on),
        )
        age_days = days_between(on, items.c.start_day)
        life = EquipmentType.design_life_years
        columns += [
            count_if(hours > 0).label(f"{prefix}_items"),
            func.coalesce(func.sum(hours), 0.0).label(f"{prefix}_calendar_hours"),
            count_if(in_fleet).label(f"{prefix}_aged_items"),
            sum_if(in_fleet, age_days / DAYS_PER_YEAR).label(f"{prefix}_age_years_total"),
            sum_if(in_fleet, age_days / (life * DAYS_PER_YEAR)).label(f"{prefix}_life_used_total"),
            count_if(and_(in_fleet, age_days > life * DAYS_PER_YEAR)).label(
                f"{prefix}_past_design_life"
            ),
        ]
    statement = (
        select(items.c.k1, items.c.k2, *columns)
        .select_from(items)
        .join(EquipmentModel, EquipmentModel.id == items.c.model_id)
        .join(EquipmentType, EquipmentType.id == EquipmentModel.type_id)
    )
    return grouped(items, statement)


def downtime(items: Subquery, periods: Periods) -> Select[Any]:
    """The union of each device's downtime intervals, cut to each window.

    Intervals are cut to the span of both windows and the device's time in the fleet. Sorted
    per device by start, each interval adds only what lies after the latest end before it:
    these new parts do not overlap and together cover the union, so cutting each to a window
    and adding them up gives the union's hours in that window (one pass, no islands)."""
    current, previous = periods.current, periods.previous
    low, high = greatest(previous.start_h, items.c.start_h), least(current.end_h, items.c.end_h)
    ends = func.coalesce(epoch_hours(WorkOrder.downtime_end), current.end_h)
    intervals = (
        select(
            items.c.eq,
            items.c.k1,
            items.c.k2,
            greatest(epoch_hours(WorkOrder.downtime_start), low).label("s"),
            least(ends, high).label("e"),
        )
        .select_from(items)
        .join(WorkOrder, WorkOrder.equipment_id == items.c.eq)
        .where(
            WorkOrder.kind.in_(DOWNTIME_KINDS),  # type: ignore[attr-defined]
            WorkOrder.status != "cancelled",
            WorkOrder.downtime_start < current.end,  # type: ignore[operator]
            or_(
                WorkOrder.downtime_end.is_(None),  # type: ignore[union-attr]
                WorkOrder.downtime_end > previous.start,  # type: ignore[operator]
            ),
        )
        .subquery("intervals")
    )
    latest_end = func.max(intervals.c.e).over(
        partition_by=intervals.c.eq,
        order_by=(intervals.c.s, intervals.c.e),
        rows=(None, -1),
    )
    parts = (
        select(
            intervals.c.k1,
            intervals.c.k2,
            # NULL for a device's first interval: GREATEST/max() differ there, so say it.
            case(
                (latest_end.is_(None), intervals.c.s),
                else_=greatest(intervals.c.s, latest_end),
            ).label("s"),
            intervals.c.e,
        )
        .where(intervals.c.e > intervals.c.s)
        .subquery("parts")
    )
    columns = [
        func.coalesce(
            func.sum(
                greatest(
                    literal(0.0, Float),
                    least(parts.c.e, period.end_h) - greatest(parts.c.s, period.start_h),
                )
            ),
            0.0,
        ).label(f"{prefix}_downtime_hours")
        for prefix, period in periods.both()
    ]
    return select(parts.c.k1, parts.c.k2, *columns).group_by(parts.c.k1, parts.c.k2)


def failures(items: Subquery, periods: Periods) -> Select[Any]:
    """Corrective work with a failure code, dated by its downtime start (else when reported),
    in each window and within the device's time in the fleet."""
    moment = func.coalesce(WorkOrder.downtime_start, WorkOrder.opened_at)
    hours = epoch_hours(moment)
    tag = window_of(moment, periods.current.start)
    return (
        tagged(items, tag, func.count().label("failures"))
        .select_from(items)
        .join(WorkOrder, WorkOrder.equipment_id == items.c.eq)
        .where(
            WorkOrder.kind == "corrective",
            WorkOrder.failure_code_id.is_not(None),  # type: ignore[union-attr]
            WorkOrder.status != "cancelled",
            moment >= periods.previous.start,
            moment < periods.current.end,
            hours >= items.c.start_h,
            hours < items.c.end_h,
        )
    )


def cost(items: Subquery, periods: Periods) -> Select[Any]:
    """Parts and external services of the work completed in each window (work without costs
    is left out early: it adds nothing)."""
    spent = WorkOrder.parts_cost_cents + WorkOrder.external_cost_cents
    tag = window_of(WorkOrder.completed_at, periods.current.start)
    return (
        tagged(items, tag, func.sum(spent).label("cost_cents"))
        .select_from(items)
        .join(WorkOrder, WorkOrder.equipment_id == items.c.eq)
        .where(
            WorkOrder.status == "done",
            spent > 0,
            WorkOrder.completed_at >= periods.previous.start,  # type: ignore[operator]
            WorkOrder.completed_at < periods.current.end,  # type: ignore[operator]
        )
    )


# In the order they are handed out to the lanes below: the slowest first (measured on the
# national benchmark), so that two lanes end at about the same time.
FAMILIES = (
    compliance,
    downtime,
    backlog,
    fleet_time,
    missed,
    failures,
    cost,
    calibration_results,
    overdue,
)


def grouped_counts(
    session: Session, items: Subquery, periods: Periods
) -> dict[GroupKey, tuple[Counts, Counts]]:
    """The current and previous window's Counts of every group key that has any records."""
    sums: dict[GroupKey, dict[str, dict[str, Any]]] = {}
    statements = [family(items, periods) for family in FAMILIES]
    for rows in run_in_lanes(session, statements):
        for row in rows:
            windows = sums.setdefault((row["k1"], row["k2"]), {"c": {}, "p": {}})
            for name, value in row.items():
                if name in ("k1", "k2", "w"):
                    continue
                # Tagged rows hold one window's figures; the others prefix each with c_ or p_.
                prefix, field = (row["w"], name) if "w" in row else name.split("_", 1)
                target = windows[prefix]
                target[field] = target.get(field, 0) + (value or 0)
    return {key: (_counts(found["c"]), _counts(found["p"])) for key, found in sums.items()}


def _counts(found: dict[str, Any]) -> Counts:
    buckets = tuple(int(found.pop(f"backlog{i}", 0)) for i in range(len(BACKLOG_BUCKETS)))
    values: dict[str, Any] = dict(found)
    for name in FLOAT_FIELDS:
        if name in values:
            values[name] = float(values[name])
    return Counts(backlog=buckets, **values)
