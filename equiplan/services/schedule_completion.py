"""Completing scheduled work moves the schedule on (domain.md, "Schedule")."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from equiplan.domain.scheduling import (
    Anchor,
    Interval,
    IntervalUnit,
    grace_ends_on,
    next_due,
    reminders_start_on,
)
from equiplan.models import Schedule


def set_next_due(schedule: Schedule, due: date) -> None:
    """Date the schedule's next occurrence; the stored on-time window and reminder start follow.

    Every writer of `next_due` goes through here, so the sweep and the overdue counts can
    compare the stored dates with an index instead of computing them per row.
    """
    schedule.next_due = due
    schedule.grace_ends_on = grace_ends_on(due, schedule.grace_days)
    schedule.remind_from = reminders_start_on(due, schedule.lead_days)


def advance_schedule(schedule: Schedule, completed_on: date) -> None:
    """Record that the work `schedule` asks for was completed on `completed_on`.

    `next_due` moves by the domain rule and the stored on-time window follows it. The caller
    commits (together with the work order that completed the work).
    """
    interval = Interval(schedule.interval_value, IntervalUnit(schedule.interval_unit))
    set_next_due(
        schedule, next_due(schedule.next_due, completed_on, interval, Anchor(schedule.anchor))
    )
    if schedule.last_completed is None or completed_on > schedule.last_completed:
        schedule.last_completed = completed_on


def matching_schedule(session: Session, equipment_id: int, kind: str) -> Schedule | None:
    """The item's active schedule for work of `kind` (the one due first), if it has one."""
    statement = (
        select(Schedule)
        .where(Schedule.equipment_id == equipment_id, Schedule.kind == kind, Schedule.active)
        .order_by(Schedule.next_due, Schedule.id)
        .limit(1)
    )
    return session.scalars(statement).first()
