"""Equipment types (with reliability priors), models and the equipment register itself."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from equiplan.models.base import timestamp_field, version_column

EQUIPMENT_STATUSES = ("in_service", "out_of_service", "in_repair", "in_storage", "decommissioned")
FUNDING_SOURCES = ("national", "donor", "eu", "iaea", "other")
CONDITIONS = ("good", "fair", "poor")


class EquipmentType(SQLModel, table=True):
    __tablename__ = "equipment_type"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    name_en: str = Field(max_length=200)
    name_lt: str = Field(max_length=200)
    standards: str = Field(default="", max_length=200)
    design_life_years: int
    typical_unit_cost_cents: int = Field(default=0)
    # Reliability priors (domain.md): used until the records say otherwise.
    prior_mtbf_hours: int
    prior_mttr_hours: int
    logistics_delay_hours: int
    weibull_beta: float
    weibull_eta_factor: float
    # [{"kind", "interval_value", "interval_unit", "anchor", "lead_days", "grace_days"}, ...]
    default_schedules: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    version: int = Field(default=1, sa_column=(_version := version_column()))
    __mapper_args__ = {"version_id_col": _version}
    del _version  # otherwise pydantic keeps it as a private attribute and deep-copies it


class EquipmentModel(SQLModel, table=True):
    __tablename__ = "equipment_model"
    __table_args__ = (UniqueConstraint("manufacturer", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    type_id: int = Field(foreign_key="equipment_type.id", index=True)
    manufacturer: str = Field(max_length=120)
    name: str = Field(max_length=120)
    detector_material: str = Field(default="", max_length=120)
    neutron_capable: bool = Field(default=False)
    end_of_support: date | None = None
    version: int = Field(default=1, sa_column=(_version := version_column()))
    __mapper_args__ = {"version_id_col": _version}
    del _version  # otherwise pydantic keeps it as a private attribute and deep-copies it


class Equipment(SQLModel, table=True):
    __tablename__ = "equipment"
    __table_args__ = (
        UniqueConstraint("model_id", "serial_no"),
        CheckConstraint(f"status IN {EQUIPMENT_STATUSES}", name="status"),
        CheckConstraint(f"funding_source IN {FUNDING_SOURCES}", name="funding_source"),
        CheckConstraint(f"condition IN {CONDITIONS}", name="condition"),
        CheckConstraint("acquisition_cost_cents >= 0", name="acquisition_cost"),
        Index("ix_equipment_agency_id_status", "agency_id", "status"),
        Index("ix_equipment_site_id_status", "site_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    inventory_no: str = Field(max_length=40, unique=True)
    serial_no: str = Field(max_length=80, index=True)
    model_id: int = Field(foreign_key="equipment_model.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    site_id: int | None = Field(default=None, foreign_key="site.id")
    status: str = Field(default="in_service", max_length=20, index=True)
    acquired_on: date | None = None
    commissioned_on: date | None = None
    decommissioned_on: date | None = None
    decommission_reason: str | None = Field(default=None, max_length=500)
    funding_source: str = Field(default="national", max_length=20)
    acquisition_cost_cents: int = Field(default=0)
    warranty_end: date | None = None
    condition: str = Field(default="good", max_length=10)
    notes: str = Field(default="", max_length=4000)
    # Set when an as-found calibration reading was out of tolerance: the period since the last
    # good result needs an impact review.
    flagged_for_review: bool = Field(default=False)
    # The earliest due date of the item's active schedules, kept by database triggers on
    # `schedule` (migration 0004) so that the register sorts and filters by it with an index.
    # Read it in queries; an object loaded before a schedule changed holds the old value.
    next_due: date | None = Field(default=None, index=True)
    created_at: datetime = timestamp_field(default_now=True)
    updated_at: datetime | None = timestamp_field()
    version: int = Field(default=1, sa_column=(_version := version_column()))
    __mapper_args__ = {"version_id_col": _version}
    del _version  # otherwise pydantic keeps it as a private attribute and deep-copies it
