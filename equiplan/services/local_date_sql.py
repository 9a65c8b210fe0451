"""The local calendar date of a UTC timestamp, in SQL, on both backends.

PostgreSQL converts with `timezone(zone, timestamptz)`. SQLite knows no time zones: a small
Python function does it there, given to the connection by `install_local_date()` before a
query that uses `local_date(...)` runs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session


class local_date(FunctionElement[date]):  # noqa: N801 - reads as the SQL function it is
    """The local calendar date of a UTC timestamp column in a named time zone."""

    type = Date()
    inherit_cache = True


@compiles(local_date, "postgresql")
def _local_date_postgresql(element: local_date, compiler: SQLCompiler, **kw: Any) -> str:
    moment, zone = list(element.clauses)
    return (
        f"CAST(timezone({compiler.process(zone, **kw)}, {compiler.process(moment, **kw)}) AS DATE)"
    )


@compiles(local_date, "sqlite")
def _local_date_sqlite(element: local_date, compiler: SQLCompiler, **kw: Any) -> str:
    moment, zone = list(element.clauses)
    return f"equiplan_local_date({compiler.process(moment, **kw)}, {compiler.process(zone, **kw)})"


def _sqlite_local_date(stored: str | None, zone: str) -> str | None:
    # SQLite stores our timestamps as naive UTC text and knows no time zones.
    if stored is None:
        return None
    moment = datetime.fromisoformat(stored).replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone)).date().isoformat()


def install_local_date(session: Session) -> None:
    """Give a SQLite connection the local-date function (cheap, and idempotent)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        driver.create_function(  # type: ignore[union-attr]
            "equiplan_local_date", 2, _sqlite_local_date, deterministic=True
        )
