"""Work orders (everything done to an item) and the failure-code hierarchy."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, Numeric, text
from sqlmodel import Field, SQLModel

from equiplan.models.base import timestamp_field, version_column

WORK_KINDS = (
    "calibration",
    "preventive",
    "corrective",
    "performance_test",
    "source_check",
    "inspection",
    "firmware_update",
    "upgrade",
    "relocation",
    "decommissioning",
)
WORK_STATUSES = ("open", "in_progress", "done", "cancelled")
WORK_RESULTS = ("pass", "fail", "conditional")
FAILURE_LEVELS = ("class", "problem", "cause", "remedy")
_SCHEDULED_DONE = "status = 'done' AND schedule_id IS NOT NULL"
_REPAIRS_WITH_FAILURE = (
    "kind = 'corrective' AND failure_code_id IS NOT NULL AND status <> 'cancelled'"
)


class FailureCode(SQLModel, table=True):
    __tablename__ = "failure_code"
    __table_args__ = (CheckConstraint(f"level IN {FAILURE_LEVELS}", name="level"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    parent_id: int | None = Field(default=None, foreign_key="failure_code.id", index=True)
    level: str = Field(max_length=10)
    name_en: str = Field(max_length=200)
    name_lt: str = Field(max_length=200)


class WorkOrder(SQLModel, table=True):
    __tablename__ = "work_order"
    __table_args__ = (
        CheckConstraint(f"kind IN {WORK_KINDS}", name="kind"),
        CheckConstraint(f"status IN {WORK_STATUSES}", name="status"),
        CheckConstraint(f"result IS NULL OR result IN {WORK_RESULTS}", name="result"),
        CheckConstraint(
            "downtime_end IS NULL OR "
            "(downtime_start IS NOT NULL AND downtime_end >= downtime_start)",
            name="downtime_order",
        ),
        CheckConstraint("parts_cost_cents >= 0 AND external_cost_cents >= 0", name="costs"),
        Index(
            "ix_work_order_equipment_id_kind_completed_at", "equipment_id", "kind", "completed_at"
        ),
        Index("ix_work_order_status_due_date", "status", "due_date"),
        # Open downtime decides operational state; KPIs read failures by time.
        Index("ix_work_order_kind_downtime_end", "kind", "downtime_end"),
        # The reminder sweep and the due list read open repairs by their target.
        Index("ix_work_order_status_target_restore_at", "status", "target_restore_at"),
        # KPIs: maintenance cost per year reads done work with a cost by completion time, and
        # downtime per item reads the orders that had downtime (partial and covering on
        # PostgreSQL, so both are index-only scans over a small part of the table).
        Index(
            "ix_work_order_done_costs",
            "completed_at",
            postgresql_include=["equipment_id", "parts_cost_cents", "external_cost_cents"],
            postgresql_where=text("status = 'done' AND parts_cost_cents + external_cost_cents > 0"),
        ),
        Index(
            "ix_work_order_downtime",
            "equipment_id",
            "downtime_start",
            postgresql_include=["downtime_end", "kind", "status"],
            postgresql_where=text("downtime_start IS NOT NULL"),
        ),
        # KPIs: on-time compliance reads done scheduled work by due date, failures read
        # repairs with a failure code per item (partial and covering on PostgreSQL:
        # index-only scans). The backlog's index (work open at a moment) is in migration 0010
        # only.
        Index(
            "ix_work_order_scheduled_done",
            "due_date",
            postgresql_include=["equipment_id", "completed_on_time"],
            postgresql_where=text(_SCHEDULED_DONE),
            sqlite_where=text(_SCHEDULED_DONE),
        ),
        Index(
            "ix_work_order_failures",
            "equipment_id",
            postgresql_include=["downtime_start", "opened_at"],
            postgresql_where=text(_REPAIRS_WITH_FAILURE),
            sqlite_where=text(_REPAIRS_WITH_FAILURE),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    equipment_id: int = Field(foreign_key="equipment.id", index=True)
    schedule_id: int | None = Field(default=None, foreign_key="schedule.id", index=True)
    kind: str = Field(max_length=20)
    status: str = Field(default="open", max_length=12)
    due_date: date | None = None
    opened_at: datetime = timestamp_field(default_now=True)
    started_at: datetime | None = timestamp_field()
    completed_at: datetime | None = timestamp_field()
    downtime_start: datetime | None = timestamp_field()
    downtime_end: datetime | None = timestamp_field()
    # Corrective work: when the item should work again (site criticality, domain/repairs.py).
    target_restore_at: datetime | None = timestamp_field()
    failure_code_id: int | None = Field(default=None, foreign_key="failure_code.id")
    symptom: str = Field(default="", max_length=2000)
    cause: str = Field(default="", max_length=2000)
    remedy: str = Field(default="", max_length=2000)
    result: str | None = Field(default=None, max_length=12)
    labour_hours: Decimal = Field(default=Decimal("0"), sa_type=Numeric(8, 2))
    parts_cost_cents: int = Field(default=0)
    external_cost_cents: int = Field(default=0)
    # Scheduled work, once done: whether it was completed within its due date ± the grace
    # days (services/kpi_on_time.py); None for other work.
    completed_on_time: bool | None = None
    technician_id: int | None = Field(default=None, foreign_key="app_user.id")
    opened_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    notes: str = Field(default="", max_length=4000)
    version: int = Field(default=1, sa_column=(_version := version_column()))
    __mapper_args__ = {"version_id_col": _version}
    del _version  # otherwise pydantic keeps it as a private attribute and deep-copies it
