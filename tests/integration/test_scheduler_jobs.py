"""The scheduler's jobs: fixed ids, catch-up once, each run recorded; leader election; the
status-refresh and queued-work jobs."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlmodel import Session

from equiplan import create_app
from equiplan.leadership import AdvisoryLockLeadership, FileLockLeadership
from equiplan.models import OptimisationRun, SchedulerJob, StatusSnapshot
from equiplan.scheduler import JOBS, build_scheduler, missed_jobs, run_job, run_once
from equiplan.services import background_work
from equiplan.services.background_work import ORPHANED_AFTER, pick_up_queued_work
from equiplan.services.status_snapshots import refresh_status_snapshot
from tests.conftest import postgres_url
from tests.factories import (
    make_agency,
    make_equipment,
    make_model,
    make_schedule,
    make_type,
    open_downtime,
)

# 09:00 in Vilnius (UTC+2 in November); the digest is due at 07:00 local.
NOW = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
TODAY = date(2026, 11, 21)


def test_jobs_have_fixed_unique_ids_and_coalesce(tmp_path: Path) -> None:
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "INSTANCE_PATH": str(tmp_path)}
    )
    from equiplan.db import upgrade

    upgrade(app.config["DATABASE_URL"])
    scheduler = build_scheduler(app, blocking=False, now=NOW)
    scheduler.start(paused=True)  # job defaults are applied when the scheduler starts
    ids = [job.id for job in scheduler.get_jobs()]
    assert sorted(ids) == sorted(spec.id for spec in JOBS)
    assert set(ids) == {
        "status-refresh",
        "reminder-sweep",
        "daily-digest",
        "outbox-flush",
        "queued-work",
    }
    jobs = {job.id: job for job in scheduler.get_jobs()}
    for job in jobs.values():
        assert job.coalesce is True
        assert job.max_instances == 1
    # Interval jobs start right away; the digest (never run before) waits for its time.
    assert jobs["reminder-sweep"].next_run_time == NOW
    assert jobs["daily-digest"].next_run_time == datetime(2026, 11, 22, 5, 0, tzinfo=UTC)
    scheduler.shutdown(wait=False)


def _record_digest_run(session: Session, as_of: datetime) -> None:
    session.add(SchedulerJob(id="daily-digest", runs=1, last_as_of=as_of))
    session.commit()


def test_a_digest_missed_while_down_is_caught_up_once_on_start(
    app: Flask, session: Session
) -> None:
    # Last digest yesterday at 07:00 local; the process was down this morning at 07:00.
    _record_digest_run(session, datetime(2026, 11, 20, 5, 0, tzinfo=UTC))
    assert missed_jobs(app, NOW) == ["daily-digest"]
    scheduler = build_scheduler(app, blocking=False, now=NOW)
    scheduler.start(paused=True)
    digest = scheduler.get_job("daily-digest")
    # Once now (not once per missed day), then back on its daily rhythm.
    assert digest.next_run_time == NOW
    assert digest.trigger.get_next_fire_time(NOW, NOW) == datetime(2026, 11, 22, 5, 0, tzinfo=UTC)
    scheduler.shutdown(wait=False)


def test_a_digest_already_sent_today_is_not_missed(app: Flask, session: Session) -> None:
    _record_digest_run(session, datetime(2026, 11, 21, 5, 0, tzinfo=UTC))
    assert missed_jobs(app, NOW) == []
    # Two missed days still give a single catch-up run.
    session.get_one(SchedulerJob, "daily-digest").last_as_of = datetime(
        2026, 11, 18, 5, 0, tzinfo=UTC
    )
    session.commit()
    assert missed_jobs(app, NOW) == ["daily-digest"]


def test_every_run_is_recorded_with_its_outcome_and_runner(app: Flask, session: Session) -> None:
    outcomes = run_once(app, NOW)
    assert list(outcomes) == [spec.id for spec in JOBS]
    assert outcomes["outbox-flush"] == "sent 0, retried 0, failed 0"
    run_once(app, NOW + timedelta(minutes=5))
    rows = {row.id: row for row in session.scalars(select(SchedulerJob))}
    assert set(rows) == set(outcomes)
    for row in rows.values():
        session.refresh(row)
        assert row.runs == 2
        assert row.last_as_of == NOW + timedelta(minutes=5)
        assert row.last_error is None
        assert ":" in row.last_runner
        assert row.last_finished_at is not None
        assert row.last_started_at is not None


def test_a_failing_job_is_recorded_and_does_not_raise(app: Flask, session: Session) -> None:
    from equiplan.scheduler import JobSpec

    def broken(_session: Session, _app: Flask, _now: datetime) -> str:
        raise RuntimeError("disk full")

    spec = JobSpec("broken-job", broken, JOBS[0].trigger)
    assert run_job(app, spec, NOW) == "failed: RuntimeError"
    row = session.get_one(SchedulerJob, "broken-job")
    session.refresh(row)
    assert (row.last_outcome, row.last_error, row.runs) == ("failed: RuntimeError", "disk full", 1)


# --- status refresh ---------------------------------------------------------------------------


def test_status_refresh_counts_operational_items_per_agency_and_type(session: Session) -> None:
    vsat, customs = make_agency(session), make_agency(session)
    rpm, prd = make_model(session, make_type(session)), make_model(session, make_type(session))
    fine = make_equipment(session, vsat, rpm)
    broken = make_equipment(session, vsat, rpm)
    open_downtime(session, broken)
    lapsed = make_equipment(session, vsat, prd)
    make_schedule(session, lapsed, TODAY - timedelta(days=40), grace_days=14)
    make_equipment(session, customs, prd)
    make_equipment(session, customs, prd, status="decommissioned")
    assert fine.id

    first = refresh_status_snapshot(session, TODAY, NOW)
    assert first.groups == 3
    counts = {
        (row.agency_id, row.type_id): (row.in_fleet, row.operational)
        for row in session.scalars(select(StatusSnapshot).where(StatusSnapshot.day == TODAY))
    }
    assert counts == {
        (vsat.id, rpm.type_id): (2, 1),
        (vsat.id, prd.type_id): (1, 0),
        (customs.id, prd.type_id): (1, 1),
    }
    # Later the same day: today's rows are replaced, not duplicated.
    session.execute(
        text("UPDATE equipment SET status = 'in_storage' WHERE id = :i"), {"i": fine.id}
    )
    session.commit()
    refresh_status_snapshot(session, TODAY, NOW + timedelta(hours=1))
    rows = session.scalars(
        select(StatusSnapshot).where(
            StatusSnapshot.day == TODAY,
            StatusSnapshot.agency_id == vsat.id,
            StatusSnapshot.type_id == rpm.type_id,
        )
    ).all()
    assert [(r.in_fleet, r.operational) for r in rows] == [(2, 0)]


# --- queued long-running work -------------------------------------------------------------------


def _run(session: Session, **fields: object) -> OptimisationRun:
    from equiplan.models import BudgetScenario

    scenario = BudgetScenario(name=f"Scenario {id(fields)}", first_year=2027, horizon_years=5)
    session.add(scenario)
    session.commit()
    run = OptimisationRun(scenario_id=scenario.id, **fields)  # type: ignore[arg-type]
    session.add(run)
    session.commit()
    return run


def test_orphaned_runs_are_failed_with_the_reason(session: Session) -> None:
    stale = NOW - ORPHANED_AFTER - timedelta(seconds=1)
    orphan = _run(session, status="running", started_at=stale, heartbeat_at=stale)
    alive = _run(session, status="running", started_at=stale, heartbeat_at=NOW)
    report = pick_up_queued_work(session, NOW)
    assert (report.orphaned, report.started) == (1, 0)
    session.refresh(orphan)
    session.refresh(alive)
    assert orphan.status == "failed"
    assert "stopped" in (orphan.error or "")
    assert orphan.finished_at == NOW
    assert alive.status == "running"


def _recorder(seen: list[int]):  # type: ignore[no-untyped-def]
    def runner(session: Session, run: OptimisationRun, now: datetime) -> None:
        seen.append(run.id or 0)
        run.status, run.finished_at = "done", now
        session.commit()

    return runner


@pytest.fixture
def no_runner() -> Iterator[None]:
    background_work._RUNNERS.pop("optimisation", None)
    yield
    background_work._RUNNERS.pop("optimisation", None)


@pytest.mark.usefixtures("no_runner")
def test_queued_runs_wait_without_a_runner_and_run_oldest_first_with_one(
    session: Session,
) -> None:
    first = _run(session, status="queued", created_at=NOW - timedelta(minutes=2))
    second = _run(session, status="queued", created_at=NOW - timedelta(minutes=1))
    assert str(pick_up_queued_work(session, NOW)) == "orphaned 0, started 0, waiting 2"
    seen: list[int] = []
    background_work.register_runner("optimisation", _recorder(seen))
    assert str(pick_up_queued_work(session, NOW)) == "orphaned 0, started 1, waiting 1"
    assert seen == [first.id]
    session.refresh(first)
    assert (first.status, first.started_at) == ("done", NOW)
    pick_up_queued_work(session, NOW)
    assert seen == [first.id, second.id]


# --- leader election -----------------------------------------------------------------------


def test_one_file_lock_leader_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite.scheduler.lock"
    first, second = FileLockLeadership(path), FileLockLeadership(path)
    assert first.acquire() is True
    assert first.acquire() is True  # asking again while leading is fine
    assert second.acquire() is False
    first.release()
    assert first.held() is False
    assert second.acquire() is True
    assert second.held() is True
    second.close()


def test_advisory_lock_passes_to_the_standby_when_the_leaders_connection_dies(
    postgres_engine,  # type: ignore[no-untyped-def]
) -> None:
    leader, standby = AdvisoryLockLeadership(postgres_url()), AdvisoryLockLeadership(postgres_url())
    try:
        assert leader.acquire() is True
        assert standby.acquire() is False
        assert leader.held() is True
        assert standby.held() is False  # connected, but without the lock
        # Releasing and taking it back: held() follows the lock, not just the connection.
        leader.release()
        assert leader.held() is False
        assert leader.acquire() is True
        # The leader's connection is cut (server restart, network, a killed process).
        assert leader.connection is not None
        pid = leader.connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        leader.connection.commit()
        with postgres_engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert leader.held() is False
        assert standby.acquire() is True
        assert leader.acquire() is False  # it comes back as a standby
    finally:
        leader.close()
        standby.close()
