"""Aggregates of scheduled and open work for the KPIs: on-time compliance (done work, work past
its grace window, and the occurrences for which no work order was raised) and the backlog at
each window's end. See kpi_aggregates.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Select, String, and_, exists, func, literal, or_, select
from sqlalchemy.sql import Subquery

from equiplan.domain.kpi import BACKLOG_BUCKETS
from equiplan.models import Schedule, WorkOrder
from equiplan.services.kpi_periods import Periods, count_if, grouped, tagged, window_of
from equiplan.services.kpi_sql import days_between, open_at
from equiplan.services.local_date_sql import local_date


def compliance(items: Subquery, periods: Periods) -> Select[Any]:
    """Scheduled work due in each window and done, and how much of it was on time (completed
    within due ± grace, by the local date of completion): judged when it was closed and
    stored on the order (services/kpi_on_time.py), so this only counts."""
    on_time = WorkOrder.completed_on_time.is_(True)  # type: ignore[union-attr]
    tag = window_of(WorkOrder.due_date, periods.current.first_day)
    return (
        tagged(
            items,
            tag,
            func.count().label("scheduled_due"),
            count_if(on_time).label("scheduled_on_time"),
        )
        .select_from(items)
        .join(WorkOrder, WorkOrder.equipment_id == items.c.eq)
        .where(
            # As the partial index ix_work_order_scheduled_done reads them.
            WorkOrder.status == "done",
            WorkOrder.schedule_id.is_not(None),  # type: ignore[union-attr]
            WorkOrder.due_date >= periods.previous.first_day,  # type: ignore[operator]
            WorkOrder.due_date <= periods.current.last_day,  # type: ignore[operator]
        )
    )


def overdue(items: Subquery, periods: Periods) -> Select[Any]:
    """Scheduled work due in each window, not done and past its grace window today: decided,
    and not on time (work still inside its grace window may yet be on time: not counted)."""
    today = literal(periods.today, Date)
    tag = window_of(WorkOrder.due_date, periods.current.first_day)
    # Looked up per order (a few hundred open ones), not joined: a join reads every schedule.
    grace = (
        select(Schedule.grace_days).where(Schedule.id == WorkOrder.schedule_id).scalar_subquery()
    )
    return (
        tagged(items, tag, func.count().label("scheduled_due"))
        .select_from(items)
        .join(WorkOrder, WorkOrder.equipment_id == items.c.eq)
        .where(
            WorkOrder.status.in_(("open", "in_progress")),  # type: ignore[attr-defined]
            WorkOrder.schedule_id.is_not(None),  # type: ignore[union-attr]
            WorkOrder.due_date >= periods.previous.first_day,  # type: ignore[operator]
            WorkOrder.due_date <= periods.current.last_day,  # type: ignore[operator]
            days_between(today, WorkOrder.due_date) > grace,
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
    moment_type = WorkOrder.__table__.c.opened_at.type  # type: ignore[attr-defined]
    open_then = {
        prefix: open_at(
            WorkOrder.opened_at, WorkOrder.completed_at, literal(period.end, moment_type)
        )
        for prefix, period in periods.both()
    }
    for prefix, period in periods.both():
        late = days_between(period.as_of_day, due)
        for index, (low, high) in enumerate(BACKLOG_BUCKETS):
            bucket = late >= low if high is None else and_(late >= low, late <= high)
            columns.append(
                count_if(and_(open_then[prefix], bucket)).label(f"{prefix}_backlog{index}")
            )
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
            or_(*open_then.values()),
        )
    )
    return grouped(items, statement)
