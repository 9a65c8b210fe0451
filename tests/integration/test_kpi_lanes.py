"""The KPI report's aggregate queries run on two connections at once on PostgreSQL (kpi_lanes.py),
on committed data (the lanes cannot see a rolled-back test transaction, so not the shared
`session` fixture): the same report as on one connection, from two server connections; SQLite,
and a session with changes not yet written, keep to one connection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from equiplan.db import make_engine, upgrade
from equiplan.models import Agency
from equiplan.services import kpi_lanes
from equiplan.services.kpi_query import KpiQuery
from equiplan.services.kpis import KpiReport, kpi_report
from equiplan.services.scoping import Scope
from equiplan.services.seeding import seed_synthetic

ZONE = "Europe/Vilnius"
NOW = datetime.now(UTC)
THREE_YEARS = KpiQuery(window="3y")


@pytest.fixture
def fleet(empty_database_url: str) -> Iterator[Engine]:
    """A migrated database with a small synthetic fleet and its history, committed."""
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    with Session(engine) as session:
        seed_synthetic(session, equipment=40, seed=5)
    yield engine
    engine.dispose()


def _report(engine: Engine, query: KpiQuery = THREE_YEARS) -> tuple[KpiReport, set[int]]:
    """The report, and the server connections its KPI statements ran on."""
    connections: set[int] = set()

    def seen(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "k1" in statement:  # the aggregates (and the items of the group) only
            connections.add(id(conn.connection.dbapi_connection))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with Session(engine) as session:
            found = kpi_report(session, Scope.everything(), query, NOW, timezone=ZONE)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return found, connections


def test_two_lanes_give_the_report_of_one(
    fleet: Engine, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_lanes, used = _report(fleet)
    assert in_lanes.subject.current.counts.failures > 0  # a history to count
    assert in_lanes.subject.current.counts.scheduled_due > 0
    assert len(used) == (2 if backend == "postgresql" else 1)

    monkeypatch.setattr(kpi_lanes, "LANES", 1)
    alone, used_alone = _report(fleet)
    assert len(used_alone) == 1
    assert in_lanes == alone


def test_an_agency_report_in_lanes_matches_one_lane(
    fleet: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(fleet) as session:
        agency = session.execute(text("SELECT min(id) FROM agency")).scalar_one()
    query = KpiQuery(level="agency", id=agency)
    in_lanes, _ = _report(fleet, query)
    monkeypatch.setattr(kpi_lanes, "LANES", 1)
    assert _report(fleet, query)[0] == in_lanes


def test_a_session_with_unwritten_changes_keeps_to_one_connection(
    fleet: Engine, backend: str
) -> None:
    with Session(fleet) as session:
        session.add(
            Agency(code="NEW", name_en="Not yet written", name_lt="Dar neįrašyta", kind="police")
        )
        assert kpi_lanes.second_connection(session) is None
        session.rollback()
        other = kpi_lanes.second_connection(session)
        assert (other is not None) == (backend == "postgresql")
        if other is not None:
            other.close()


def test_a_failing_statement_fails_the_report(fleet: Engine, backend: str) -> None:
    slow = "SELECT pg_sleep(0.3)" if backend == "postgresql" else "SELECT 1"
    statements = [text(slow), text("SELECT * FROM no_such_table")]
    with Session(fleet) as session, pytest.raises(DBAPIError, match="no_such_table"):
        kpi_lanes.run_in_lanes(session, statements)
    with Session(fleet) as session:
        rows = kpi_lanes.run_in_lanes(session, [text("SELECT 1 AS a"), text("SELECT 2 AS a")])
    assert [[dict(r) for r in found] for found in rows] == [[{"a": 1}], [{"a": 2}]]
    assert fleet.pool.checkedout() == 0  # type: ignore[attr-defined]
