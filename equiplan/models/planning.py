"""Budget scenarios and the optimisation runs that solve them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Numeric
from sqlmodel import Field, SQLModel

from equiplan.models.base import timestamp_field, version_column

RUN_STATUSES = ("queued", "running", "done", "failed", "cancelled")


class BudgetScenario(SQLModel, table=True):
    __tablename__ = "budget_scenario"
    # Names are also unique ignoring case, by an index on lower(name) that only the migrations
    # declare (0012: SQLite cannot reflect it for the model comparison).
    __table_args__ = (CheckConstraint("horizon_years BETWEEN 1 AND 30", name="horizon"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    description: str = Field(default="", max_length=4000)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    first_year: int
    horizon_years: int
    inflation_pct: Decimal = Field(default=Decimal("0"), sa_type=Numeric(6, 3))
    carry_over: bool = Field(default=False)
    # {"total": [cents per year], "agency:VSAT": [...]}: money in integer cents.
    budgets: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # {"site:MED/RPM": [minimum per year]}
    requirements: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    agency_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Equipment type codes in scope; empty means every type.
    type_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # {"MED": 5.0}: criticality weight per site code; a site not listed weighs its criticality.
    site_weights: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    copied_from_id: int | None = Field(default=None, foreign_key="budget_scenario.id")
    created_at: datetime = timestamp_field(default_now=True)
    updated_at: datetime | None = timestamp_field()
    version: int = Field(default=1, sa_column=(_version := version_column()))
    __mapper_args__ = {"version_id_col": _version}
    del _version  # otherwise pydantic keeps it as a private attribute and deep-copies it


class OptimisationRun(SQLModel, table=True):
    __tablename__ = "optimisation_run"
    __table_args__ = (
        CheckConstraint(f"status IN {RUN_STATUSES}", name="status"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="budget_scenario.id", index=True)
    status: str = Field(default="queued", max_length=10, index=True)
    progress: float = Field(default=0.0)
    requested_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    time_limit_seconds: int = Field(default=60)
    workers: int = Field(default=2)
    seed: int = Field(default=0)
    created_at: datetime = timestamp_field(default_now=True)
    started_at: datetime | None = timestamp_field()
    finished_at: datetime | None = timestamp_field()
    heartbeat_at: datetime | None = timestamp_field()
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    # Set by a planner; the runner stops the solver at its next callback and records "cancelled".
    cancel_requested: bool = Field(default=False)
    # Budget sweep: runs of one sweep share sweep_key and differ in budget_factor (1.0: as
    # planned).
    budget_factor: float = Field(default=1.0)
    sweep_key: str | None = Field(default=None, max_length=40, index=True)
    # The reason in English (for logs and API clients); `error_code` and `error_params` let
    # the pages say it in the reader's language (services/run_errors.py).
    error: str | None = Field(default=None, max_length=2000)
    error_code: str | None = Field(default=None, max_length=40)
    error_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # The full result can be megabytes: list pages never load it (they defer the column) and
    # read `summary`, a few hundred bytes of headline figures written with it.
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    summary: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
