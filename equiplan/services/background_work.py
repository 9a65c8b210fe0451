"""Long-running work queued in the database and picked up by the scheduler process.

Optimisation runs (and later other long jobs) are rows: queued → running → done / failed /
cancelled. A web request only queues; the scheduler's queued-work job claims the oldest queued
row (SKIP LOCKED, so two schedulers never take the same one), runs it with a heartbeat, and
records the outcome. A run whose process died stops beating; the same job then reports it as
failed with the reason instead of leaving it "running" forever.

Runners register per kind of work; the optimiser (a later issue) registers its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlmodel import Session

from equiplan.models import OptimisationRun
from equiplan.services import run_errors

# A running job beats at least this often; four times as long without a beat means it is
# orphaned. The check runs with each queued-work pass and, while a solve keeps that job busy,
# from the solve's monitor (run_progress.RunMonitor).
HEARTBEAT_EVERY = timedelta(seconds=30)
ORPHANED_AFTER = HEARTBEAT_EVERY * 4

RunRunner = Callable[[Session, OptimisationRun, datetime], None]
_RUNNERS: dict[str, RunRunner] = {}
# The current term of work: set while the process that runs the jobs is stopping
# (scheduler.py), so that a running solve stops at its next check and its run ends "failed"
# (interrupted), instead of holding the shutdown up to its whole time limit. A job keeps the
# term it started in (work_term): when a scheduler loses and at once retakes the leadership, the
# new term starts unset while the old term's solve still sees its own term stopped.
_TERM = threading.Event()


def stop_running_work() -> None:
    """Ask the work running in this process to stop soon (the process is shutting down)."""
    _TERM.set()


def allow_work() -> None:
    """Let new work run (a scheduler starts, or takes over as leader). Work started in an
    earlier, stopped term stays stopped."""
    global _TERM
    if _TERM.is_set():
        _TERM = threading.Event()


def work_term() -> threading.Event:
    """The current term's stop flag, for a job to keep while it runs."""
    return _TERM


def stopping() -> bool:
    """True while this process is shutting down its jobs (the current term is stopped)."""
    return _TERM.is_set()


def register_runner(kind: str, runner: RunRunner) -> None:
    """Register the function that executes queued work of `kind` (e.g. "optimisation")."""
    _RUNNERS[kind] = runner


@dataclass(frozen=True)
class PickupReport:
    orphaned: int
    started: int
    waiting: int

    def __str__(self) -> str:
        return f"orphaned {self.orphaned}, started {self.started}, waiting {self.waiting}"


def fail_orphaned_runs(session: Session, now: datetime) -> int:
    """Mark runs that stopped beating as failed, with the reason. Commits."""
    cutoff = now - ORPHANED_AFTER
    orphans = session.scalars(
        select(OptimisationRun)
        .where(
            OptimisationRun.status == "running",
            or_(
                OptimisationRun.heartbeat_at < cutoff,
                OptimisationRun.heartbeat_at.is_(None)  # type: ignore[union-attr]
                & (OptimisationRun.started_at < cutoff),
            ),
        )
        .with_for_update(skip_locked=True)
    ).all()
    for run in orphans:
        last_sign = run.heartbeat_at or run.started_at or now
        reason = run_errors.RunError(run_errors.ORPHANED, {"since": f"{last_sign:%Y-%m-%d %H:%M}"})
        run.status, run.finished_at = "failed", now
        run.error, run.error_code, run.error_params = reason.english, reason.code, reason.params
    session.commit()
    return len(orphans)


def pick_up_queued_work(session: Session, now: datetime) -> PickupReport:
    """Fail orphaned runs, then claim and execute the oldest queued run if a runner exists.

    Claims nothing while the process is stopping: the run would only end "interrupted"."""
    orphaned = fail_orphaned_runs(session, now)
    runner = _RUNNERS.get("optimisation")
    waiting_query = (
        select(func.count()).select_from(OptimisationRun).where(OptimisationRun.status == "queued")
    )
    if runner is None or stopping():
        waiting = session.scalar(waiting_query) or 0
        session.rollback()
        return PickupReport(orphaned, 0, waiting)
    run = session.scalars(
        select(OptimisationRun)
        .where(OptimisationRun.status == "queued")
        .order_by(OptimisationRun.created_at, OptimisationRun.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if run is None:
        session.rollback()
        return PickupReport(orphaned, 0, 0)
    run.status, run.started_at, run.heartbeat_at = "running", now, now
    session.commit()
    runner(session, run, now)
    waiting = session.scalar(waiting_query) or 0
    session.rollback()
    return PickupReport(orphaned, 1, waiting)
