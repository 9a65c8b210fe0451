"""Aggregates of scheduled and open work for the KPIs: on-time compliance (with the occurrences
for which no work order was raised) and the backlog at each window's end. See kpi_aggregates.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Select, String, and_, exists, func, literal, or_, select
from sqlalchemy.sql import Subquery

from equiplan.domain.kpi import BACKLOG_BUCKETS
from equiplan.models import Schedule, WorkOrder
from equiplan.services.kpi_periods import Periods, count_if, grouped, tagged, window_of
from equiplan.services.kpi_sql import days_between
from equiplan.services.local_date_sql import local_date


def compliance(items: Subquery, periods: Periods) -> Select[Any]:
    """Scheduled work due in each window: decided (done, or past its grace window) and on time
    (completed within due ± grace, by the local date of completion)."""
    today = literal(periods.today, Date)
    done = WorkOrder.status == "done"
    completed_on = local_date(WorkOrder.completed_at, literal(periods.timezone, String))
    on_time = and_(
        done,
        WorkOrder.completed_at.is_not(None),  # type: ignore[union-attr]
        func.abs(days_between(completed_on, WorkOrder.due_date)) <= Schedule.grace_days,
    )
    decided = or_(done, days_between(today, WorkOrder.due_date) > Schedule.grace_days)
    tag = window_of(WorkOrder.due_date, periods.current.first_day)
    return (
        tagged(
            items,
            tag,
            count_if(decided).label("scheduled_due"),
            count_if(on_time).label("scheduled_on_time"),
        )
        .select_from(items)
        .join(WorkOrder, WorkOrder.equipment_id == items.c.eq)
        .join(Schedule, Schedule.id == WorkOrder.schedule_id)
        .where(
            WorkOrder.status != "cancelled",
            WorkOrder.due_date >= periods.previous.first_day,  # type: ignore[operator]
            WorkOrder.due_date <= periods.current.last_day,  # type: ignore[operator]
        )
    )


def missed(items: Subquery, periods: Periods) -> Select[Any]:
    """Scheduled occurrences past their grace window for which no work order was raised at all:
    due and not on time (they would otherwise vanish from the compliance count)."""
    raised = exists().where(
        WorkOrder.schedule_id == Schedule.id,
        WorkOrder.due_date == Schedule.next_due,
        WorkOrder.status != "cancelled",
    )
    tag = window_of(Schedule.next_due, periods.current.first_day)
    return (
        tagged(items, tag, func.count().label("scheduled_due"))
        .select_from(items)
        .join(Schedule, Schedule.equipment_id == items.c.eq)
        .where(
            Schedule.active.is_(True),  # type: ignore[attr-defined]
            Schedule.grace_ends_on < periods.today,  # type: ignore[operator]
            Schedule.next_due >= periods.previous.first_day,  # type: ignore[operator]
            Schedule.next_due <= periods.current.last_day,  # type: ignore[operator]
            ~raised,
        )
    )


def backlog(items: Subquery, periods: Periods) -> Select[Any]:
    """Work open at each window's end and past its due date (a repair's: the local date of its
    target restore time) on the window's last day (today, if it has not ended), by days past
    due."""
    zone = literal(periods.timezone, String)
    due = func.coalesce(WorkOrder.due_date, local_date(WorkOrder.target_restore_at, zone))
    columns = []
    for prefix, period in periods.both():
        open_then = and_(
            WorkOrder.opened_at < period.end,  # type: ignore[operator]
            or_(
                WorkOrder.completed_at.is_(None),  # type: ignore[union-attr]
                WorkOrder.completed_at >= period.end,  # type: ignore[operator]
            ),
        )
        late = days_between(period.as_of_day, due)
        for index, (low, high) in enumerate(BACKLOG_BUCKETS):
            bucket = late >= low if high is None else and_(late >= low, late <= high)
            columns.append(count_if(and_(open_then, bucket)).label(f"{prefix}_backlog{index}"))
    statement = (
        select(items.c.k1, items.c.k2, *columns)
        .select_from(items)
        .join(WorkOrder, WorkOrder.equipment_id == items.c.eq)
        .where(
            WorkOrder.status != "cancelled",
            or_(
                WorkOrder.due_date.is_not(None),  # type: ignore[union-attr]
                WorkOrder.target_restore_at.is_not(None),  # type: ignore[union-attr]
            ),
            WorkOrder.opened_at < periods.current.end,  # type: ignore[operator]
            or_(
                WorkOrder.completed_at.is_(None),  # type: ignore[union-attr]
                WorkOrder.completed_at >= periods.previous.end,  # type: ignore[operator]
            ),
        )
    )
    return grouped(items, statement)
