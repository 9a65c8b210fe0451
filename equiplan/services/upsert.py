"""INSERT ... ON CONFLICT for the backend in use (PostgreSQL and SQLite both speak it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def insert_for(session: Session, table: Any) -> Any:
    """An INSERT construct with `on_conflict_do_nothing` / `on_conflict_do_update`."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
