"""The KPI report's independent aggregate queries, run on two PostgreSQL connections at once.

The report is a handful of independent aggregate statements (kpi_aggregates.FAMILIES). On
PostgreSQL, when the session works on the app's engine, a second connection from the same pool
takes statements from the same list while the session's own connection runs the others: two
server processes, so two cores, and the report takes about as long as the longer lane.

Consistency is what it was on one connection: in READ COMMITTED each statement already reads
its own snapshot, so the two connections see the committed data just as consecutive statements
on one would. What the second connection cannot see is the session's own uncommitted work, so
the lanes are used only when the session is bound to an engine (the app; tests that roll back
an outer transaction bind it to that connection and run on one lane), has no pending changes
and its transaction has written nothing yet. SQLite has one writer and little to gain: always
one lane. A second connection is only taken when the pool has one to spare at once: a busy
pool, or a server refusing connections, leaves the report on one lane rather than waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql import Executable
from sqlmodel import Session

from equiplan.services.kpi_sql import POSTGRESQL_SETTINGS

# Connections a report may use at once (the session's own included); 1 turns the lanes off.
LANES = 2


def _pool_has_room(engine: Engine) -> bool:
    """Whether a connection can be had without waiting for one (within the pool's own size)."""
    pool = engine.pool
    if isinstance(pool, QueuePool):
        return pool.checkedout() < pool.size()
    return True


def second_connection(session: Session) -> Connection | None:
    """A new connection of the session's engine, when the report may use one (see above)."""
    bind = session.get_bind()
    if LANES < 2 or not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
        return None
    if session.new or session.dirty or session.deleted or not _pool_has_room(bind):
        return None
    # Work already written in this transaction (flushed, or a bulk UPDATE) would be invisible
    # to the other connection: then the report stays on the session's connection.
    written = session.execute(text("SELECT txid_current_if_assigned() IS NOT NULL")).scalar()
    if written:
        return None
    try:
        return bind.connect()
    except SQLAlchemyError:
        return None  # no connection to spare after all (pool timeout, server full): one lane


def run_in_lanes(session: Session, statements: Sequence[Executable]) -> list[list[RowMapping]]:
    """The rows of each statement, in order; two lanes take the statements in turn when a second
    connection may be used, the session's connection alone otherwise. A failure in either lane
    stops both (each finishes the statement it is running) and is raised here."""
    results: list[list[RowMapping] | None] = [None] * len(statements)
    upcoming = iter(range(len(statements)))
    handing_out = threading.Lock()
    failed = threading.Event()

    def lane(execute: Callable[[Executable], Any]) -> None:
        while not failed.is_set():
            with handing_out:
                index = next(upcoming, None)
            if index is None:
                return
            try:
                results[index] = list(execute(statements[index]).mappings())
            except BaseException:
                failed.set()
                raise

    other = second_connection(session)
    if other is None:
        lane(session.execute)
    else:
        _two_lanes(session, other, lane, failed)
    return [rows if rows is not None else [] for rows in results]


def _two_lanes(
    session: Session,
    other: Connection,
    lane: Callable[[Callable[[Executable], Any]], None],
    failed: threading.Event,
) -> None:
    """Run `lane` on the session's connection and, in a thread, on `other`; give `other` back
    to the pool and raise the first failure of either."""
    failures: list[BaseException] = []

    def other_lane() -> None:
        try:
            with other.begin():
                for setting in POSTGRESQL_SETTINGS:
                    other.exec_driver_sql(setting)
                lane(other.execute)
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            failed.set()
            failures.append(error)

    try:
        thread = threading.Thread(target=other_lane, name="equiplan-kpi-lane", daemon=True)
        thread.start()
        try:
            lane(session.execute)
        finally:
            thread.join()
    finally:
        other.close()
    if failures:
        raise failures[0]
