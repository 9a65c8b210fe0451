"""The append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index
from sqlmodel import Field, SQLModel

from equiplan.models.base import timestamp_field

AUDIT_ACTIONS = ("create", "update", "delete", "bulk_create")


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        CheckConstraint(f"action IN {AUDIT_ACTIONS}", name="action"),
        Index("ix_audit_event_entity_entity_id", "entity", "entity_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp_field(default_now=True, index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    # "web", "api", "cli", "seed", "scheduler": where the change came from.
    origin: str = Field(default="system", max_length=16)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    # The agency whose data changed (NULL for centre-wide rows) so that officers see only theirs.
    agency_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=12)
    # {"field": [before, after], ...}; secrets are redacted.
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
