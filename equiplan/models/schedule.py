"""Recurring work per item: calibration, source checks, performance tests, preventive service."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from equiplan.models.base import timestamp_field, version_column

SCHEDULE_KINDS = ("calibration", "source_check", "performance_test", "preventive", "inspection")
INTERVAL_UNITS = ("days", "months", "years")
ANCHORS = ("fixed", "completion")


class Schedule(SQLModel, table=True):
    __tablename__ = "schedule"
    __table_args__ = (
        CheckConstraint(f"kind IN {SCHEDULE_KINDS}", name="kind"),
        CheckConstraint(f"interval_unit IN {INTERVAL_UNITS}", name="interval_unit"),
        CheckConstraint(f"anchor IN {ANCHORS}", name="anchor"),
        CheckConstraint("interval_value > 0", name="interval_positive"),
        CheckConstraint("lead_days >= 0 AND grace_days >= 0", name="days_not_negative"),
        # The reminder sweep and the overdue counts read active schedules by date.
        Index("ix_schedule_active_next_due", "active", "next_due"),
        Index("ix_schedule_kind_active_grace_ends_on", "kind", "active", "grace_ends_on"),
        Index("ix_schedule_active_remind_from", "active", "remind_from"),
    )

    id: int | None = Field(default=None, primary_key=True)
    equipment_id: int = Field(foreign_key="equipment.id", index=True)
    kind: str = Field(max_length=20)
    interval_value: int
    interval_unit: str = Field(max_length=10)
    anchor: str = Field(default="fixed", max_length=12)
    lead_days: int = Field(default=30)
    grace_days: int = Field(default=0)
    active: bool = Field(default=True)
    next_due: date
    # next_due + grace_days, stored so "overdue" is an indexed comparison on every backend.
    grace_ends_on: date
    # next_due - lead_days: the first day reminders go out, stored for the same reason.
    remind_from: date
    last_completed: date | None = None
    created_at: datetime = timestamp_field(default_now=True)
    version: int = Field(default=1, sa_column=(_version := version_column()))
    __mapper_args__ = {"version_id_col": _version}
    del _version  # otherwise pydantic keeps it as a private attribute and deep-copies it
