"""Calibration results with certificate and readings per calibration point."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from equiplan.models.base import timestamp_field, version_column

TOLERANCE_KINDS = ("abs", "pct")


class CalibrationResult(SQLModel, table=True):
    __tablename__ = "calibration_result"
    __table_args__ = (
        UniqueConstraint("work_order_id"),
        # KPIs: pass rate and drift of the calibrations of a window (an index-only scan on
        # PostgreSQL).
        Index(
            "ix_calibration_result_kpi",
            "calibrated_on",
            postgresql_include=[
                "equipment_id",
                "as_found_passed",
                "drift_points",
                "drift_share_total",
            ],
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    work_order_id: int = Field(foreign_key="work_order.id")
    # Denormalised from the work order: drift and history queries read calibrations per item.
    equipment_id: int = Field(foreign_key="equipment.id", index=True)
    laboratory: str = Field(max_length=200)
    certificate_no: str = Field(max_length=80)
    calibrated_on: date
    valid_until: date | None = Field(default=None, index=True)
    certificate_file: str | None = Field(default=None, max_length=80)
    certificate_filename: str | None = Field(default=None, max_length=255)
    as_found_passed: bool = Field(default=True)
    as_left_passed: bool = Field(default=True)
    # The points' stored drift added up (services/calibration_drift.py): how many points have
    # one, and the sum of their shares of the tolerance. KPIs read these, not every point.
    drift_points: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    drift_share_total: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = timestamp_field(default_now=True)
    version: int = Field(default=1, sa_column=(_version := version_column()))
    __mapper_args__ = {"version_id_col": _version}
    del _version  # otherwise pydantic keeps it as a private attribute and deep-copies it


class CalibrationPoint(SQLModel, table=True):
    __tablename__ = "calibration_point"
    __table_args__ = (
        UniqueConstraint("calibration_id", "position"),
        CheckConstraint(f"tolerance_kind IN {TOLERANCE_KINDS}", name="tolerance_kind"),
        CheckConstraint("tolerance >= 0", name="tolerance_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    calibration_id: int = Field(foreign_key="calibration_result.id", index=True)
    position: int
    quantity: str = Field(default="dose_rate", max_length=40)
    unit: str = Field(default="µSv/h", max_length=20)
    nominal: float
    as_found: float | None = None
    as_left: float | None = None
    tolerance: float
    tolerance_kind: str = Field(default="pct", max_length=4)
    # |as found − the previous calibration's as left| as a share of the allowed deviation,
    # stored when a calibration is recorded (services/calibration_drift.py); None: nothing
    # to compare.
    drift: float | None = None
