"""Agencies (the NSSC's partners) and their sites."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from equiplan.models.base import timestamp_field, version_column

AGENCY_KINDS = (
    "border_guard",
    "customs",
    "police",
    "fire_rescue",
    "regulator",
    "laboratory",
    "nssc",
    "other",
)
SITE_TYPES = (
    "road_crossing",
    "rail_crossing",
    "seaport",
    "airport",
    "inland_post",
    "mobile_base",
    "laboratory",
    "warehouse",
    "training",
    "headquarters",
)
SITE_STATUSES = ("open", "temporarily_closed", "closed")


class Agency(SQLModel, table=True):
    __tablename__ = "agency"
    __table_args__ = (CheckConstraint(f"kind IN {AGENCY_KINDS}", name="kind"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    name_en: str = Field(max_length=200)
    name_lt: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    is_nssc: bool = Field(default=False)
    focal_point_email: str | None = Field(default=None, max_length=254)
    created_at: datetime = timestamp_field(default_now=True)
    version: int = Field(default=1, sa_column=(_version := version_column()))
    __mapper_args__ = {"version_id_col": _version}
    del _version  # otherwise pydantic keeps it as a private attribute and deep-copies it


class Site(SQLModel, table=True):
    __tablename__ = "site"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint(f"site_type IN {SITE_TYPES}", name="site_type"),
        CheckConstraint(f"status IN {SITE_STATUSES}", name="status"),
        CheckConstraint("criticality BETWEEN 1 AND 5", name="criticality"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    code: str = Field(max_length=24)
    name_en: str = Field(max_length=200)
    name_lt: str = Field(max_length=200)
    site_type: str = Field(max_length=20)
    border_country: str | None = Field(default=None, max_length=2)
    status: str = Field(default="open", max_length=20)
    status_since: date | None = None
    criticality: int = Field(default=3)
    created_at: datetime = timestamp_field(default_now=True)
    version: int = Field(default=1, sa_column=(_version := version_column()))
    __mapper_args__ = {"version_id_col": _version}
    del _version  # otherwise pydantic keeps it as a private attribute and deep-copies it
