"""How many items of each agency and type were operational, one row per day (kept by the
scheduler's status-refresh job; the dashboard and the availability trend read it)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from equiplan.models.base import timestamp_field


class StatusSnapshot(SQLModel, table=True):
    __tablename__ = "status_snapshot"
    __table_args__ = (UniqueConstraint("day", "agency_id", "type_id"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    type_id: int = Field(foreign_key="equipment_type.id")
    in_fleet: int
    operational: int
    refreshed_at: datetime = timestamp_field(default_now=True)
