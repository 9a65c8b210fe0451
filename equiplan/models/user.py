"""People who sign in, and their personal API tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from equiplan.models.base import timestamp_field, version_column

ROLES = ("admin", "planner", "technician", "officer", "viewer")
LOCALES = ("lt", "en")


class User(SQLModel, table=True):
    # "user" is reserved in PostgreSQL.
    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES}", name="role"),
        CheckConstraint(f"locale IN {LOCALES}", name="locale"),
        # Agency roles always belong to an agency.
        CheckConstraint(
            "role NOT IN ('officer', 'viewer') OR agency_id IS NOT NULL",
            name="agency_role_has_agency",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=12)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    locale: str = Field(default="lt", max_length=2)
    digest_opt_in: bool = Field(default=False)
    calendar_token: str | None = Field(default=None, max_length=64, unique=True)
    active: bool = Field(default=True)
    last_login_at: datetime | None = timestamp_field()
    created_at: datetime = timestamp_field(default_now=True)
    version: int = Field(default=1, sa_column=(_version := version_column()))
    __mapper_args__ = {"version_id_col": _version}
    del _version  # otherwise pydantic keeps it as a private attribute and deep-copies it

    # Flask-Login protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_fingerprint}"

    @property
    def session_fingerprint(self) -> str:
        # Part of the session identity: a password, role or agency change signs out every
        # existing session of that user, while changing e.g. the language does not.
        material = f"{self.password_hash}|{self.role}|{self.agency_id}"
        return hashlib.sha256(material.encode()).hexdigest()[:16]


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = timestamp_field(default_now=True)
    last_used_at: datetime | None = timestamp_field()
    revoked_at: datetime | None = timestamp_field()
