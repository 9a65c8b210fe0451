"""Reminder notifications (the idempotency key) and the mail outbox."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from equiplan.models.base import timestamp_field

REMINDER_STAGES = ("lead", "due", "overdue", "escalation_1", "escalation_2", "digest")
OUTBOX_STATUSES = ("queued", "sending", "sent", "failed")
# pending: found by the sweep, email not written yet · queued: its own email is in the outbox ·
# digest: went out in the recipient's daily digest · obsolete: the work was done (or the
# schedule re-dated, the item decommissioned or the recipient no longer concerned) before the
# email was written, so none was sent (a paused schedule's reminders wait instead).
NOTIFICATION_STATUSES = ("pending", "queued", "digest", "obsolete")


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (
        # One reminder per (schedule, due date, stage, recipient): the sweep can run any number
        # of times and still sends each stage once.
        UniqueConstraint("schedule_id", "due_date", "stage", "recipient_email"),
        UniqueConstraint("work_order_id", "stage", "recipient_email"),
        CheckConstraint(f"stage IN {REMINDER_STAGES}", name="stage"),
        CheckConstraint(f"status IN {NOTIFICATION_STATUSES}", name="status"),
        # The writer and the digest read the pending rows of a recipient.
        Index("ix_notification_status_recipient_email", "status", "recipient_email"),
    )

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int | None = Field(default=None, foreign_key="schedule.id", index=True)
    work_order_id: int | None = Field(default=None, foreign_key="work_order.id", index=True)
    due_date: date
    stage: str = Field(max_length=16)
    recipient_email: str = Field(max_length=254)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    outbox_id: int | None = Field(default=None, foreign_key="outbox_message.id", index=True)
    status: str = Field(default="pending", max_length=10)
    created_at: datetime = timestamp_field(default_now=True)


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(f"status IN {OUTBOX_STATUSES}", name="status"),
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
        # The outbox pages list newest first.
        Index("ix_outbox_message_created_at_id", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = timestamp_field(default_now=True)
    to_addr: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body_text: str = Field(sa_type=Text)
    body_html: str | None = Field(default=None, sa_type=Text)
    locale: str = Field(default="lt", max_length=2)
    status: str = Field(default="queued", max_length=10)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = timestamp_field(default_now=True)
    last_error: str | None = Field(default=None, max_length=2000)
    sent_at: datetime | None = timestamp_field()
    # When a deliverer took it (wall clock); a claim older than 15 minutes was abandoned.
    claimed_at: datetime | None = timestamp_field()
