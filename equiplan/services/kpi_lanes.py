"""The KPI report's independent aggregate queries, run on two PostgreSQL connections at once.

The report is a handful of independent aggregate statements (kpi_aggregates.FAMILIES). On
PostgreSQL, when the session works on the app's engine, a second connection from the same pool
takes statements from the same list while the session's own connection runs the others: two
server processes, so two cores, and the report takes about as long as the longer lane.

Consistency is what it was on one connection: in READ COMMITTED each statement already reads
its own snapshot, so the two connections see the committed data just as consecutive statements
on one would. What the second connection cannot see is the session's own uncommitted work, so
the lanes are used only when the session is bound to an engine (the app; tests that roll back
an outer transaction bind it to that connection and run on one lane) and has no pending
changes. SQLite has one writer and little to gain: always one lane.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping
from sqlalchemy.sql import Executable
from sqlmodel import Session

from equiplan.services.kpi_sql import POSTGRESQL_SETTINGS

# Connections a report may use at once (the session's own included); 1 turns the lanes off.
LANES = 2


def second_connection(session: Session) -> Connection | None:
    """A new connection of the session's engine, when the report may use one (see above)."""
    bind = session.get_bind()
    if LANES < 2 or not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
        return None
    if session.new or session.dirty or session.deleted:
        return None
    return bind.connect()


def run_in_lanes(session: Session, statements: Sequence[Executable]) -> list[list[RowMapping]]:
    """The rows of each statement, in order; two lanes take the statements in turn when a second
    connection may be used, the session's connection alone otherwise."""
    results: list[list[RowMapping] | None] = [None] * len(statements)
    upcoming = iter(range(len(statements)))
    handing_out = threading.Lock()

    def lane(execute: Callable[[Executable], Any]) -> None:
        while True:
            with handing_out:
                index = next(upcoming, None)
            if index is None:
                return
            results[index] = list(execute(statements[index]).mappings())

    other = second_connection(session)
    if other is None:
        lane(session.execute)
    else:
        failures: list[BaseException] = []

        def other_lane() -> None:
            try:
                with other.begin():
                    for setting in POSTGRESQL_SETTINGS:
                        other.exec_driver_sql(setting)
                    lane(other.execute)
            except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
                failures.append(error)

        thread = threading.Thread(target=other_lane, name="equiplan-kpi-lane", daemon=True)
        try:
            thread.start()
            lane(session.execute)
        finally:
            thread.join()
            other.close()
        if failures:
            raise failures[0]
    return [rows if rows is not None else [] for rows in results]
