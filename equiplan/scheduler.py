"""APScheduler wiring. The database is the source of truth; the scheduler is only a clock.

Every job has a fixed id, is idempotent and runs inside an app context with its own session,
so a missed or repeated run does no harm: reminders are unique rows, outbox rows are claimed
with SKIP LOCKED, and the sweep finds by date whatever is due, however late it runs.

Only one process runs the jobs at a time (the leader, see equiplan/leadership.py); the others
stand by and take over when the leader's database connection (PostgreSQL) or lock file
(SQLite) goes away. Each run is recorded in `scheduler_job`, so a restarted leader can tell
that the daily digest was missed while nobody was running and catch it up once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import Engine, select
from sqlmodel import Session

from equiplan.db import get_db, session_scope
from equiplan.leadership import Leadership, leadership_for
from equiplan.models import SchedulerJob, utcnow
from equiplan.services.audit import acting_as
from equiplan.services.background_work import (
    allow_work,
    pick_up_queued_work,
    register_runner,
    stop_running_work,
)
from equiplan.services.clock import local_today
from equiplan.services.mail import MailSettings, deliver_outbox, deliver_outbox_in_parallel
from equiplan.services.reminders import reminder_settings, send_digests, sweep_reminders
from equiplan.services.run_execution import execute_run
from equiplan.services.status_snapshots import refresh_status_snapshot
from equiplan.services.upsert import insert_for

log = logging.getLogger(__name__)
# Queued optimisation runs run in the process that runs the jobs (`serve` or `scheduler`).
register_runner("optimisation", execute_run)

# How often a standby asks for the lock, and the leader checks it still holds it.
LEADER_POLL_SECONDS = 1.0


def mail_settings(app: Flask) -> MailSettings:
    return MailSettings(
        smtp_url=app.config.get("SMTP_URL"),
        mail_from=app.config["MAIL_FROM"],
        outbox_dir=Path(app.config["OUTBOX_DIR"]),
    )


# --- the jobs: each takes the app and the moment it runs as of, and returns a one-line outcome


def reminder_sweep(session: Session, app: Flask, now: datetime) -> str:
    """Find every reminder stage that has come due and write its emails to the outbox."""
    return str(sweep_reminders(session, reminder_settings(app.config), now))


def outbox_flush(session: Session, app: Flask, now: datetime) -> str:
    """Deliver due outbox messages (over several SMTP connections on PostgreSQL)."""
    database = get_db(app)
    connections = app.config["SMTP_CONNECTIONS"]
    # Parallel deliverers need their own connections: not on SQLite (one writer at a time) and
    # not when the app is bound to a single connection (tests).
    if connections > 1 and database.dialect == "postgresql" and isinstance(database.bind, Engine):
        report = deliver_outbox_in_parallel(
            database.new_session, mail_settings(app), now, connections
        )
    else:
        report = deliver_outbox(session, mail_settings(app), now)
    return f"sent {report.sent}, retried {report.retried}, failed {report.failed}"


def daily_digest(session: Session, app: Flask, now: datetime) -> str:
    """One email per digest reader with everything that came due for them since the last."""
    return str(send_digests(session, reminder_settings(app.config), now))


def status_refresh(session: Session, app: Flask, now: datetime) -> str:
    """Store today's operational counts per agency and type."""
    return str(refresh_status_snapshot(session, local_today(app.config["TIMEZONE"], now), now))


def queued_work(session: Session, app: Flask, now: datetime) -> str:
    """Fail orphaned long-running work and start the next queued run.

    Always at the real moment, whatever `now` a manual `--once --now` gives: heartbeats are
    real times, so a moment ahead would fail live runs as orphaned, and one behind would claim
    a run with a heartbeat already stale."""
    return str(pick_up_queued_work(session, utcnow()))


@dataclass(frozen=True)
class JobSpec:
    id: str
    run: Callable[[Session, Flask, datetime], str]
    trigger: Callable[[Flask], BaseTrigger]


def _every(setting: str) -> Callable[[Flask], BaseTrigger]:
    def trigger(app: Flask) -> BaseTrigger:
        return IntervalTrigger(seconds=int(app.config[setting]), timezone=app.config["TIMEZONE"])

    return trigger


def _daily_at_digest_time(app: Flask) -> BaseTrigger:
    hour, minute = app.config["DIGEST_TIME"].split(":")
    return CronTrigger(hour=int(hour), minute=int(minute), timezone=app.config["TIMEZONE"])


# In this order for `--once`: counts first, then reminders, so the same run delivers them.
JOBS: tuple[JobSpec, ...] = (
    JobSpec("status-refresh", status_refresh, _every("STATUS_EVERY_SECONDS")),
    JobSpec("reminder-sweep", reminder_sweep, _every("SWEEP_EVERY_SECONDS")),
    JobSpec("daily-digest", daily_digest, _daily_at_digest_time),
    JobSpec("outbox-flush", outbox_flush, _every("OUTBOX_EVERY_SECONDS")),
    JobSpec("queued-work", queued_work, _every("QUEUE_EVERY_SECONDS")),
)


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _record(app: Flask, job_id: str, **values: object) -> None:
    """Upsert the job's row in its own short transaction (the job commits its own work)."""
    with session_scope(app) as session:
        insert = insert_for(session, SchedulerJob).values(id=job_id, **values)
        updates = {name: getattr(insert.excluded, name) for name in values}
        if "runs" in values:
            updates["runs"] = SchedulerJob.runs + 1  # type: ignore[assignment]
        session.execute(insert.on_conflict_do_update(index_elements=["id"], set_=updates))
        session.commit()


def run_job(app: Flask, spec: JobSpec, now: datetime | None = None) -> str:
    """Run one job as of `now` (default: the current moment), record and log the outcome.

    A failure is logged and recorded, never raised: one failing run must not stop the clock,
    and the next run retries from the database.
    """
    as_of = now or utcnow()
    with app.app_context():
        _record(app, spec.id, runs=1, last_started_at=utcnow(), last_runner=runner_name())
        try:
            with session_scope(app) as session, acting_as(None, "scheduler"):
                outcome = spec.run(session, app, as_of)
        except Exception as error:
            log.exception("job %s failed", spec.id)
            outcome, error_text = f"failed: {type(error).__name__}", str(error)[:2000]
        else:
            error_text = None
            log.info("job %s: %s", spec.id, outcome)
        _record(
            app,
            spec.id,
            last_finished_at=utcnow(),
            last_as_of=as_of,
            last_outcome=outcome[:500],
            last_error=error_text,
        )
    return outcome


def run_once(app: Flask, now: datetime | None = None) -> dict[str, str]:
    """Run every job once as of `now` (operations and tests)."""
    return {spec.id: run_job(app, spec, now) for spec in JOBS}


def missed_jobs(app: Flask, now: datetime) -> list[str]:
    """Jobs whose scheduled time passed since their last recorded run (while nobody ran them).

    Interval jobs simply run on start; this matters for the daily digest: a scheduler that was
    down at digest time sends it once when it comes back, not once per missed day.
    """
    with app.app_context(), session_scope(app) as session:
        last = dict(session.execute(select(SchedulerJob.id, SchedulerJob.last_as_of)).all())
    missed = []
    for spec in JOBS:
        trigger, last_run = spec.trigger(app), last.get(spec.id)
        if isinstance(trigger, CronTrigger) and last_run is not None:
            # The first scheduled time strictly after the last run (the trigger's answer is
            # inclusive, and a run at exactly 07:00 has done 07:00's work).
            due = trigger.get_next_fire_time(None, last_run + timedelta(seconds=1))
            if due is not None and due <= now:
                missed.append(spec.id)
    return missed


def build_scheduler(app: Flask, *, blocking: bool, now: datetime | None = None) -> BaseScheduler:
    """A scheduler with every job registered under its fixed id.

    Interval jobs and missed daily jobs run right away (once: coalesce), the rest at their time.
    """
    now = now or utcnow()
    start_now = {spec.id for spec in JOBS if not isinstance(spec.trigger(app), CronTrigger)}
    start_now.update(missed_jobs(app, now))
    scheduler: BaseScheduler = (BlockingScheduler if blocking else BackgroundScheduler)(
        timezone=app.config["TIMEZONE"],
        # Runs missed while this process was busy are caught up once, never several times.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    for spec in JOBS:
        options = {"next_run_time": now} if spec.id in start_now else {}
        scheduler.add_job(
            run_job,
            spec.trigger(app),
            args=(app, spec),
            id=spec.id,
            name=spec.id,
            replace_existing=True,
            **options,
        )
    return scheduler


def run_as_leader_or_standby(
    app: Flask,
    stop: threading.Event,
    *,
    say: Callable[[str], None] = log.info,
    leadership: Leadership | None = None,
) -> None:
    """Run the jobs while this process leads; otherwise wait to take over. Returns on `stop`.

    The leader checks every second that it still holds the lock; if its database connection
    dropped (and with it the lock, which a standby may now hold), it stops its jobs at once.
    """
    lock = leadership or leadership_for(app)
    waiting_said = False
    try:
        while not stop.is_set():
            if not lock.acquire():
                if not waiting_said:
                    say(f"standby: another scheduler leads; {runner_name()} waits to take over")
                    waiting_said = True
                stop.wait(LEADER_POLL_SECONDS)
                continue
            waiting_said = False
            say(f"leader: {runner_name()} runs the jobs")
            scheduler = build_scheduler(app, blocking=False)
            allow_work()
            scheduler.start()
            lost = False
            try:
                while not stop.wait(LEADER_POLL_SECONDS):
                    if not lock.held():
                        lost = True
                        say(f"leadership lost: {runner_name()} stops its jobs")
                        break
            finally:
                # On a clean stop let the running job finish; when the lock is gone, do not
                # wait for it (its work is idempotent, and the new leader may already run).
                # A running optimisation stops at its next check rather than at its time limit.
                stop_running_work()
                scheduler.shutdown(wait=not lost)
                lock.release()
    finally:
        lock.close()
