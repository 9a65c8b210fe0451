"""The edges of executing queued runs: the queued-work job keeps the real clock, a stopped term
of work stays stopped for the solve that started in it, a failure while storing the outcome
ends the run with the reason, the planning date is the local one, and on SQLite the portfolio
build does not hold the write lock."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlmodel import Session

from equiplan.db import begin_read_only, make_engine
from equiplan.models import OptimisationRun, utcnow
from equiplan.scheduler import JOBS, run_job
from equiplan.services import optimisation_runs as runs
from equiplan.services import run_errors, run_execution
from equiplan.services.background_work import (
    allow_work,
    pick_up_queued_work,
    register_runner,
    stop_running_work,
    stopping,
    work_term,
)
from equiplan.services.run_execution import execute_run, planning_date
from equiplan.services.run_progress import RunMonitor
from tests.factories import make_agency
from tests.run_fixtures import make_planned_fleet, make_run, make_scenario


@pytest.fixture(autouse=True)
def _work_allowed() -> Iterator[None]:
    allow_work()
    yield
    allow_work()  # a test that stops the work must not leave it stopped
    register_runner("optimisation", execute_run)


def _recorder(seen: list[tuple[int, datetime]]):  # type: ignore[no-untyped-def]
    def runner(session: Session, run: OptimisationRun, now: datetime) -> None:
        seen.append((run.id or 0, now))
        run.status, run.finished_at = "done", now
        session.commit()

    return runner


def test_the_queued_work_job_keeps_the_real_clock_whatever_moment_it_runs_as(
    app: Flask, session: Session
) -> None:
    scenario = make_scenario(session)
    beating = make_run(session, scenario, status="running")
    beating.started_at = beating.heartbeat_at = utcnow()
    queued = make_run(session, scenario, status="queued")
    session.commit()
    seen: list[tuple[int, datetime]] = []
    register_runner("optimisation", _recorder(seen))
    spec = next(spec for spec in JOBS if spec.id == "queued-work")
    before = utcnow()
    # An operator's `equiplan scheduler --once --now` a day ahead.
    outcome = run_job(app, spec, before + timedelta(days=1))
    assert outcome == "orphaned 0, started 1, waiting 0"
    session.expire_all()
    assert session.get_one(OptimisationRun, beating.id).status == "running"
    [(run_id, claimed_at)] = seen
    assert run_id == queued.id
    assert before <= claimed_at <= utcnow()


def test_a_stopped_term_stays_stopped_for_its_work_when_a_new_term_starts() -> None:
    term = work_term()
    assert not term.is_set()
    monitor = RunMonitor(lambda: None, 1, 30.0)  # type: ignore[arg-type,return-value]
    stop_running_work()  # the leadership was lost ...
    assert stopping()
    assert monitor.should_stop()
    assert monitor.interrupted
    allow_work()  # ... and at once taken again: a new term
    assert not stopping()
    assert work_term() is not term
    # The solve of the old term still stops and is reported interrupted, not done.
    assert term.is_set()
    assert monitor.should_stop()
    assert monitor.interrupted
    fresh = RunMonitor(lambda: None, 2, 30.0)  # type: ignore[arg-type,return-value]
    assert not fresh.should_stop()
    assert not fresh.interrupted


def test_a_stopping_process_claims_no_queued_run(session: Session) -> None:
    queued = make_run(session, make_scenario(session), status="queued")
    seen: list[tuple[int, datetime]] = []
    register_runner("optimisation", _recorder(seen))
    stop_running_work()
    assert str(pick_up_queued_work(session, utcnow())) == "orphaned 0, started 0, waiting 1"
    assert seen == []
    session.expire_all()
    assert session.get_one(OptimisationRun, queued.id).status == "queued"
    allow_work()
    assert str(pick_up_queued_work(session, utcnow())) == "orphaned 0, started 1, waiting 0"
    assert [run_id for run_id, _ in seen] == [queued.id]


def test_a_failure_while_storing_the_outcome_ends_the_run_failed_with_the_reason(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned = make_planned_fleet(session, make_agency(session, "VSAT"))
    run = runs.queue_run(
        session, planned.scenario.id, requested_by_id=None, time_limit_seconds="5", workers=1
    )

    def failing_summary(result: object) -> dict[str, object]:
        raise RuntimeError("the disk is full")

    # Storing the result computes its summary first: this is where the write fails.
    monkeypatch.setattr(run_execution, "result_summary", failing_summary)
    pick_up_queued_work(session, utcnow())
    session.expire_all()
    stored = session.get_one(OptimisationRun, run.id)
    assert stored.status == "failed"
    assert stored.error_code == run_errors.UNEXPECTED
    assert stored.error_params == {"kind": "RuntimeError"}
    assert stored.result is None
    assert stored.finished_at is not None


def test_a_run_plans_from_the_local_date(app: Flask) -> None:
    late_evening_utc = datetime(2026, 11, 21, 23, 30, tzinfo=UTC)  # 01:30 in Vilnius
    with app.app_context():
        app.config["TIMEZONE"] = "Europe/Vilnius"
        assert planning_date(late_evening_utc) == date(2026, 11, 22)
        app.config["TIMEZONE"] = "UTC"
        assert planning_date(late_evening_utc) == date(2026, 11, 21)
    assert planning_date(late_evening_utc) == date(2026, 11, 22)  # outside an app: the default


def _writes_within(path: Path, milliseconds: int) -> bool:
    """Whether another connection can start writing within `milliseconds`."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute(f"PRAGMA busy_timeout={milliseconds}")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        if "locked" not in str(error):
            raise
        return False
    finally:
        other.close()


def test_on_sqlite_a_read_only_transaction_leaves_the_write_lock_free(tmp_path: Path) -> None:
    path = tmp_path / "lock.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE facts (x INTEGER)"))
            conn.execute(text("INSERT INTO facts VALUES (1)"))
        with Session(engine) as reading:
            begin_read_only(reading)
            assert reading.scalar(select(text("count(*)")).select_from(text("facts"))) == 1
            assert reading.in_transaction()
            assert _writes_within(path, 100)
        with Session(engine) as ordinary:
            assert ordinary.scalar(select(text("count(*)")).select_from(text("facts"))) == 1
            assert not _writes_within(path, 100)  # BEGIN IMMEDIATE holds it
        assert _writes_within(path, 100)
    finally:
        engine.dispose()


def test_begin_read_only_changes_nothing_inside_an_open_transaction(session: Session) -> None:
    make_scenario(session)
    session.scalar(select(text("1")))
    assert session.in_transaction()
    begin_read_only(session)  # no warning (the suite turns warnings into errors), no effect
    assert session.in_transaction()
