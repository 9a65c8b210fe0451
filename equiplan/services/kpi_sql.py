"""Arithmetic on moments and days in SQL, the same on PostgreSQL and SQLite, for the KPI queries.

Moments become hours since 1970 (floats), so that clipping intervals to a window is plain
arithmetic with GREATEST/LEAST; days are subtracted as whole numbers. SQLite knows no time
zones: the local midnight of a date is a small Python function there, given to the connection
by `install_kpi_functions()` (with `local_date`) before a query that uses it runs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from equiplan.services.local_date_sql import install_local_date

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNIX_EPOCH_JULIAN_DAY = 2440587.5


def hours_since_epoch(moment: datetime) -> float:
    """A moment as the SQL below computes it: hours since 1970-01-01 UTC."""
    return (moment - EPOCH).total_seconds() / 3600.0


class epoch_hours(FunctionElement[float]):  # noqa: N801 - reads as the SQL function it is
    """Hours since 1970 of a UTC timestamp column."""

    type = Float()
    inherit_cache = True


@compiles(epoch_hours, "postgresql")
def _epoch_hours_postgresql(element: epoch_hours, compiler: SQLCompiler, **kw: Any) -> str:
    # date_part gives double precision (EXTRACT gives numeric, which is slower to add up).
    return f"(date_part('epoch', {compiler.process(element.clauses, **kw)}) / 3600.0)"


@compiles(epoch_hours, "sqlite")
def _epoch_hours_sqlite(element: epoch_hours, compiler: SQLCompiler, **kw: Any) -> str:
    moment = compiler.process(element.clauses, **kw)
    return f"((julianday({moment}) - {UNIX_EPOCH_JULIAN_DAY}) * 24.0)"


class midnight_hours(FunctionElement[float]):  # noqa: N801
    """Hours since 1970 of the moment a local calendar day (a date column) begins."""

    type = Float()
    inherit_cache = True


@compiles(midnight_hours, "postgresql")
def _midnight_hours_postgresql(element: midnight_hours, compiler: SQLCompiler, **kw: Any) -> str:
    day, zone = (compiler.process(c, **kw) for c in element.clauses)
    return (
        f"(date_part('epoch', timezone({zone}, CAST({day} AS TIMESTAMP WITHOUT TIME ZONE)))"
        " / 3600.0)"
    )


@compiles(midnight_hours, "sqlite")
def _midnight_hours_sqlite(element: midnight_hours, compiler: SQLCompiler, **kw: Any) -> str:
    day, zone = (compiler.process(c, **kw) for c in element.clauses)
    return f"equiplan_midnight_hours({day}, {zone})"


def _sqlite_midnight_hours(stored: str | None, zone: str) -> float | None:
    if stored is None:
        return None
    midnight = datetime.combine(date.fromisoformat(stored), time(0), ZoneInfo(zone))
    return hours_since_epoch(midnight)


class days_between(FunctionElement[int]):  # noqa: N801
    """later − earlier, in whole days, for two date expressions."""

    type = Integer()
    inherit_cache = True


@compiles(days_between, "postgresql")
def _days_between_postgresql(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST({later} AS DATE) - CAST({earlier} AS DATE))"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(round(julianday({later}) - julianday({earlier})) AS INTEGER)"


class greatest(FunctionElement[float]):  # noqa: N801
    """The largest of its (non-null) arguments."""

    type = Float()
    inherit_cache = True


class least(FunctionElement[float]):  # noqa: N801
    """The smallest of its (non-null) arguments."""

    type = Float()
    inherit_cache = True


@compiles(greatest)
def _greatest(element: greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element: greatest, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite's multi-argument max() is its GREATEST.
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(least)
def _least(element: least, compiler: SQLCompiler, **kw: Any) -> str:
    return f"LEAST({compiler.process(element.clauses, **kw)})"


@compiles(least, "sqlite")
def _least_sqlite(element: least, compiler: SQLCompiler, **kw: Any) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"


class open_at(FunctionElement[bool]):  # noqa: N801
    """Work open at a moment: opened before it and not completed until it (or later), from
    the (opened, completed, moment) columns.

    On PostgreSQL this is "the range (opened, completed] holds the moment", which the GiST
    index `pgonly_work_order_open_span` of migration 0010 answers without reading every order
    completed since (the expression must stay exactly as the index's). A completion typed a
    little before the opening (forms allow a minute) makes an empty range instead of an error:
    such an order was never open at any moment, as the plain comparison says too."""

    type = Boolean()
    inherit_cache = True


OPEN_SPAN_SQL = (
    "tstzrange({opened}, CASE WHEN {completed} < {opened} THEN {opened} ELSE {completed} END, '(]')"
)


@compiles(open_at, "postgresql")
def _open_at_postgresql(element: open_at, compiler: SQLCompiler, **kw: Any) -> str:
    opened, completed, moment = (compiler.process(c, **kw) for c in element.clauses)
    span = OPEN_SPAN_SQL.format(opened=opened, completed=completed)
    return f"({span} @> CAST({moment} AS TIMESTAMP WITH TIME ZONE))"


@compiles(open_at)
def _open_at(element: open_at, compiler: SQLCompiler, **kw: Any) -> str:
    opened, completed, moment = (compiler.process(c, **kw) for c in element.clauses)
    return f"({opened} < {moment} AND ({completed} IS NULL OR {completed} >= {moment}))"


# PostgreSQL settings for the rest of the transaction that runs KPI queries. The queries are
# the same text each time with other dates: once the driver prepares them (after a few runs),
# PostgreSQL may switch to a generic plan that ignores the dates and reads far more rows
# (measured 2–3 times slower), so plans are made for the actual values. Grouping by window
# over tens of thousands of rows needs more than the default 4 MB to hash instead of sorting
# on disk.
POSTGRESQL_SETTINGS = (
    "SET LOCAL plan_cache_mode = force_custom_plan",
    "SET LOCAL work_mem = '16MB'",
)


def install_kpi_functions(session: Session) -> None:
    """Prepare the session's connection for the KPI queries (cheap, idempotent): SQLite gets
    the functions these expressions need, PostgreSQL the planner settings above for the
    current transaction."""
    install_local_date(session)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        for setting in POSTGRESQL_SETTINGS:
            connection.exec_driver_sql(setting)
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        driver.create_function(  # type: ignore[union-attr]
            "equiplan_midnight_hours", 2, _sqlite_midnight_hours, deterministic=True
        )
