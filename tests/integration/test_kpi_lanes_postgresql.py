"""The two KPI lanes on PostgreSQL only (kpi_lanes.py): a failure in either lane stops the
other, the second connection always goes back to the pool, and the report stays on one
connection when the other could not see its data (work written in the transaction) or the pool
has no connection to spare."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from equiplan.db import make_engine, upgrade
from equiplan.models import Agency
from equiplan.services import kpi_lanes

QUEUED = 6


@pytest.fixture
def backend() -> str:
    return "postgresql"


@pytest.fixture
def database(empty_database_url: str) -> Iterator[Engine]:
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    with engine.begin() as conn:
        # Sequences do not roll back: they count the statements that ran.
        conn.execute(text("CREATE SEQUENCE lane_probe"))
    yield engine
    engine.dispose()


def _probes_run(engine: Engine) -> int:
    with engine.connect() as conn:
        called = conn.execute(text("SELECT is_called, last_value FROM lane_probe")).one()
    return int(called[1]) if called[0] else 0


@pytest.mark.parametrize("failing_first", [True, False])
def test_a_failure_in_either_lane_stops_the_other(database: Engine, failing_first: bool) -> None:
    probe = text("SELECT nextval('lane_probe'), pg_sleep(0.2)")
    failing = text("SELECT 1 / 0")
    # Each lane takes one of the first two; whichever takes the failing one, the other lane
    # finishes its statement and takes no more of the queued ones.
    first_two = [failing, probe] if failing_first else [probe, failing]
    with Session(database) as session, pytest.raises(DBAPIError, match="division by zero"):
        kpi_lanes.run_in_lanes(session, [*first_two, *[probe] * QUEUED])
    assert _probes_run(database) <= 2
    assert database.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_work_written_in_the_transaction_keeps_the_report_on_one_connection(
    database: Engine,
) -> None:
    with Session(database) as session:
        session.add(Agency(code="NEW", name_en="New", name_lt="Nauja", kind="police"))
        session.flush()  # written, not committed: new/dirty/deleted are empty again
        assert not session.new
        assert kpi_lanes.second_connection(session) is None
        session.rollback()
        other = kpi_lanes.second_connection(session)
        assert other is not None
        other.close()


def test_a_pool_without_a_spare_connection_keeps_the_report_on_one(
    empty_database_url: str,
) -> None:
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url, pool_size=1, max_overflow=0, pool_timeout=30)
    try:
        with Session(engine) as session:
            session.execute(text("SELECT 1"))  # the session holds the pool's only connection
            assert kpi_lanes.second_connection(session) is None
            rows = kpi_lanes.run_in_lanes(session, [text("SELECT 1 AS a"), text("SELECT 2 AS a")])
        assert [[dict(r) for r in found] for found in rows] == [[{"a": 1}], [{"a": 2}]]
    finally:
        engine.dispose()
