"""When each scheduler job last ran, where and with what outcome (the database remembers what
the scheduler's clock forgets across restarts: a missed daily digest is caught up on start)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from equiplan.models.base import timestamp_field


class SchedulerJob(SQLModel, table=True):
    __tablename__ = "scheduler_job"

    id: str = Field(primary_key=True, max_length=40)  # the job's fixed id
    runs: int = Field(default=0)
    last_started_at: datetime | None = timestamp_field()
    last_finished_at: datetime | None = timestamp_field()
    # The moment the job ran "as of" (differs from the wall clock with `scheduler --once --now`).
    last_as_of: datetime | None = timestamp_field()
    last_outcome: str = Field(default="", max_length=500)
    last_error: str | None = Field(default=None, max_length=2000)
    last_runner: str = Field(default="", max_length=200)  # host:pid
