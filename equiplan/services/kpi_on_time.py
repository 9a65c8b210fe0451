"""Whether scheduled work was completed on time, stored on the work order when it is closed, so
that on-time compliance (docs/formulas.md, section 4) counts a flag instead of converting every
completion time to a local date and looking up its schedule's grace window at read time.

A done order is history (domain/work_orders.py: done is final), so its outcome never changes
afterwards: it is judged once, against the grace days its schedule had when it was closed.
`work_order.completed_on_time` is None for work without a schedule or a due date, and for
work not done.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import String, func, literal, select, update
from sqlmodel import Session

from equiplan.models import Schedule, WorkOrder
from equiplan.services.clock import DEFAULT_TIMEZONE
from equiplan.services.kpi_sql import days_between
from equiplan.services.local_date_sql import install_local_date, local_date


def on_time(completed_on: date, due_date: date, grace_days: int) -> bool:
    """Completed within the due date ± the grace days (both ends included)."""
    return abs((completed_on - due_date).days) <= grace_days


def completed_on_time(
    completed_at: datetime | None,
    due_date: date | None,
    schedule: Schedule | None,
    timezone: str,
) -> bool | None:
    """The outcome to store on a work order being closed at `completed_at` (None when it has
    no schedule or no due date: it is not scheduled work). The day of completion is the
    local calendar date in `timezone`."""
    if completed_at is None or due_date is None or schedule is None:
        return None
    completed_on = completed_at.astimezone(ZoneInfo(timezone)).date()
    return on_time(completed_on, due_date, schedule.grace_days)


def store_on_time(
    session: Session, equipment_ids: Collection[int], timezone: str = DEFAULT_TIMEZONE
) -> None:
    """Judge every done scheduled order of these devices in one UPDATE (for work written in
    bulk, which bypasses the services that close orders one by one)."""
    if not equipment_ids:
        return
    install_local_date(session)
    order = WorkOrder.__table__  # type: ignore[attr-defined]
    completed_on = local_date(order.c.completed_at, literal(timezone, String))
    grace = select(Schedule.grace_days).where(Schedule.id == order.c.schedule_id)
    session.execute(
        update(order)
        .where(
            order.c.equipment_id.in_(sorted(equipment_ids)),
            order.c.status == "done",
            order.c.schedule_id.is_not(None),
            order.c.due_date.is_not(None),
            order.c.completed_at.is_not(None),
        )
        .values(
            completed_on_time=func.abs(days_between(completed_on, order.c.due_date))
            <= grace.scalar_subquery()
        )
    )
