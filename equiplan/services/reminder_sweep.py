"""The reminder rules of domain/reminders.py as set-based SQL: one INSERT … SELECT per stage.

Each statement compares only stored dates (`remind_from`, `next_due`, `grace_ends_on`,
`target_restore_at`) with bounds computed once in Python, so the indexes do the work and no
date arithmetic runs per row. The unique keys of `notification` make every insert idempotent
(ON CONFLICT DO NOTHING): a stage reaches each recipient once, however often the sweep runs.
`domain/reminders.py` is the reference; a test checks that these clauses agree with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, String, and_, case, exists, func, literal, select, true
from sqlalchemy.orm import aliased
from sqlmodel import Session

from equiplan.domain.reminders import (
    AUDIENCE,
    REPAIR_STAGES,
    Audience,
    RepairBounds,
    ScheduleBounds,
    Stage,
)
from equiplan.models import Agency, Equipment, Notification, Schedule, User, WorkOrder
from equiplan.models.base import UTCDateTime
from equiplan.services.upsert import insert_for

REPAIR_STATUSES = ("open", "in_progress")
# Late repairs get their due date (the local date of the target) through a CASE of bound
# parameters; chunks keep the statement well within SQLite's limit on parameters.
REPAIR_CHUNK = 400

_COLUMNS = ("due_date", "stage", "recipient_email", "user_id", "status", "created_at")


def schedule_stage_clause(stage: Stage, bounds: ScheduleBounds) -> ColumnElement[bool]:
    """The condition of `stage` on a schedule's stored dates (mirrors `schedule_stages`)."""
    today = bounds.today
    if stage is Stage.LEAD:
        # remind_from == next_due when lead_days is 0, so no lead reminder then.
        return and_(Schedule.remind_from <= today, Schedule.next_due > today)
    if stage is Stage.DUE:
        return and_(Schedule.next_due <= today, Schedule.grace_ends_on >= today)
    if stage is Stage.OVERDUE:
        return Schedule.grace_ends_on < today
    if stage is Stage.ESCALATION_1:
        return Schedule.grace_ends_on < bounds.escalation_1_before
    return Schedule.grace_ends_on < bounds.escalation_2_before


def schedule_reminded_clause() -> ColumnElement[bool]:
    """Active schedules of items still in the fleet (mirrors `schedule_reminded`)."""
    return and_(Schedule.active == true(), Equipment.status != "decommissioned")


def repair_stage_clause(stage: Stage, bounds: RepairBounds) -> ColumnElement[bool]:
    """The condition of `stage` on a repair's stored target (mirrors `repair_stages`)."""
    bound = {
        Stage.OVERDUE: bounds.overdue_before,
        Stage.ESCALATION_1: bounds.escalation_1_before,
        Stage.ESCALATION_2: bounds.escalation_2_before,
    }[stage]
    return WorkOrder.target_restore_at < bound  # type: ignore[operator]


def repair_reminded_clause() -> ColumnElement[bool]:
    """Unfinished corrective work with a target, on an item still in the fleet."""
    return and_(
        WorkOrder.kind == "corrective",
        WorkOrder.status.in_(REPAIR_STATUSES),  # type: ignore[attr-defined]
        WorkOrder.target_restore_at.is_not(None),  # type: ignore[union-attr]
        Equipment.status != "decommissioned",
    )


def _with_recipients(
    statement: Any, audience: Audience, stage: Stage, due_date: Any, now: datetime
) -> Any:
    """Join the recipients of `audience` to a select over the item (`Equipment` in FROM) and
    give it the notification columns after the subject's id."""
    common = (
        literal(stage.value, String()),
        literal("pending", String()),
        literal(now, UTCDateTime()),
    )
    if audience is Audience.OFFICERS:
        return statement.join(
            User,
            and_(
                User.agency_id == Equipment.agency_id,
                User.role == "officer",
                User.active == true(),
            ),
        ).add_columns(due_date, common[0], User.email, User.id, *common[1:])
    if audience is Audience.TECHNICIANS:
        return statement.join(
            User, and_(User.role == "technician", User.active == true())
        ).add_columns(due_date, common[0], User.email, User.id, *common[1:])
    # The focal point is an address; when it is also an active user's, the reminder is theirs
    # (their language, their choice of a daily digest).
    account = aliased(User)
    return (
        statement.join(Agency, Agency.id == Equipment.agency_id)
        .outerjoin(
            account,
            and_(
                func.lower(account.email) == func.lower(Agency.focal_point_email),
                account.active == true(),
            ),
        )
        .where(Agency.focal_point_email.is_not(None), Agency.focal_point_email != "")  # type: ignore[union-attr]
        .add_columns(due_date, common[0], Agency.focal_point_email, account.id, *common[1:])
    )


def _not_found_yet(rows: Any, same_subject: ColumnElement[bool], stage: Stage) -> Any:
    """Leave out the reminders already found. ON CONFLICT alone would be enough, but on a
    fleet with much overdue work one anti-join is several times faster than probing the
    unique key once per row; ON CONFLICT stays for two sweeps racing each other."""
    recipient = rows.selected_columns[3]  # see _COLUMNS: after the subject, due date, stage
    return rows.where(
        ~exists().where(
            same_subject,
            Notification.stage == stage.value,
            Notification.recipient_email == recipient,
        )
    )


def _inserted(session: Session, statement: Any) -> int:
    """Run an INSERT and return how many rows it added (conflicts excluded)."""
    # SQLAlchemy reports the row count of an INSERT … SELECT only when asked to keep it.
    result = session.execute(statement.execution_options(preserve_rowcount=True))
    return max(result.rowcount, 0)


def insert_schedule_reminders(
    session: Session, bounds: ScheduleBounds, now: datetime
) -> dict[Stage, int]:
    """Insert the pending reminders of every stage that holds `bounds.today`, committing each
    stage; returns the new rows by stage."""
    inserted: dict[Stage, int] = {}
    for stage in Stage:
        subjects = (
            select(Schedule.id)
            .join(Equipment, Equipment.id == Schedule.equipment_id)
            .where(schedule_reminded_clause(), schedule_stage_clause(stage, bounds))
        )
        rows = _not_found_yet(
            _with_recipients(subjects, AUDIENCE[stage], stage, Schedule.next_due, now),
            and_(
                Notification.schedule_id == Schedule.id,
                Notification.due_date == Schedule.next_due,
            ),
            stage,
        )
        statement = (
            insert_for(session, Notification)
            .from_select(["schedule_id", *_COLUMNS], rows)
            .on_conflict_do_nothing()
        )
        inserted[stage] = _inserted(session, statement)
        # Short transactions: a sweep racing another holds its new keys only briefly.
        session.commit()
    return inserted


def _late_repairs(session: Session, before: datetime) -> list[tuple[int, datetime]]:
    """(id, target) of the unfinished repairs whose target is before `before`."""
    statement = (
        select(WorkOrder.id, WorkOrder.target_restore_at)
        .join(Equipment, Equipment.id == WorkOrder.equipment_id)
        .where(repair_reminded_clause(), WorkOrder.target_restore_at < before)  # type: ignore[operator]
        .order_by(WorkOrder.id)
    )
    return [(row[0], row[1]) for row in session.execute(statement)]


def _chunks(items: list[tuple[int, datetime]], size: int) -> Iterator[list[tuple[int, datetime]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_repair_reminders(
    session: Session, bounds: RepairBounds, now: datetime, timezone: str
) -> dict[Stage, int]:
    """Insert the pending reminders of late repairs, committing each stage; new rows by stage.

    A notification's due date is the local date of the repair's target. Late repairs are few
    (unlike schedules), so their dates are computed here and passed in as parameters.
    """
    inserted = dict.fromkeys(REPAIR_STAGES, 0)
    zone = ZoneInfo(timezone)
    for chunk in _chunks(_late_repairs(session, bounds.overdue_before), REPAIR_CHUNK):
        local_dates: dict[int, date] = {
            work_id: target.astimezone(zone).date() for work_id, target in chunk
        }
        due_date = case(
            *(
                (WorkOrder.id == work_id, literal(day, Date()))
                for work_id, day in local_dates.items()
            )
        )
        for stage in REPAIR_STAGES:
            subjects = (
                select(WorkOrder.id)
                .join(Equipment, Equipment.id == WorkOrder.equipment_id)
                .where(
                    WorkOrder.id.in_(list(local_dates)),  # type: ignore[union-attr]
                    repair_reminded_clause(),
                    repair_stage_clause(stage, bounds),
                )
            )
            rows = _not_found_yet(
                _with_recipients(subjects, AUDIENCE[stage], stage, due_date, now),
                Notification.work_order_id == WorkOrder.id,
                stage,
            )
            statement = (
                insert_for(session, Notification)
                .from_select(["work_order_id", *_COLUMNS], rows)
                .on_conflict_do_nothing()
            )
            inserted[stage] += _inserted(session, statement)
            session.commit()
    return inserted
