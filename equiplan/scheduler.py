"""APScheduler wiring. The database is the source of truth; the scheduler is only a clock.

Every job has a fixed id, is idempotent and runs inside an app context with its own session,
so a missed or repeated run does no harm. Jobs arrive with their features: this foundation
delivers the mail outbox; the reminder sweep, daily digest, status refresh and pickup of
queued long-running work come with the reminders and planning issues.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from equiplan.db import session_scope
from equiplan.services.audit import acting_as
from equiplan.services.mail import MailSettings, deliver_outbox

log = logging.getLogger(__name__)


def mail_settings(app: Flask) -> MailSettings:
    return MailSettings(
        smtp_url=app.config.get("SMTP_URL"),
        mail_from=app.config["MAIL_FROM"],
        outbox_dir=Path(app.config["OUTBOX_DIR"]),
    )


def outbox_flush(app: Flask, now: datetime | None = None) -> str:
    """Deliver due outbox messages."""
    with app.app_context(), session_scope(app) as session, acting_as(None, "scheduler"):
        report = deliver_outbox(session, mail_settings(app), now)
    return f"sent {report.sent}, retried {report.retried}, failed {report.failed}"


@dataclass(frozen=True)
class JobSpec:
    id: str
    run: Callable[[Flask, datetime | None], str]
    trigger: str
    trigger_args: dict[str, Any]


JOBS: tuple[JobSpec, ...] = (JobSpec("outbox-flush", outbox_flush, "interval", {"seconds": 30}),)


def _logged(app: Flask, spec: JobSpec) -> Callable[[], None]:
    def run() -> None:
        try:
            log.info("job %s: %s", spec.id, spec.run(app, None))
        except Exception:
            # One failing run must not stop the clock; the next run retries from the database.
            log.exception("job %s failed", spec.id)

    return run


def build_scheduler(app: Flask, *, blocking: bool) -> BaseScheduler:
    """A scheduler with every job registered under its fixed id."""
    scheduler: BaseScheduler = (BlockingScheduler if blocking else BackgroundScheduler)(
        timezone=app.config["TIMEZONE"],
        # Missed runs (process down) are caught up once on start, never several times.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    for spec in JOBS:
        scheduler.add_job(
            _logged(app, spec), spec.trigger, id=spec.id, replace_existing=True, **spec.trigger_args
        )
    return scheduler


def run_once(app: Flask, now: datetime | None = None) -> dict[str, str]:
    """Run every job once as of `now` (operations and tests)."""
    return {spec.id: spec.run(app, now) for spec in JOBS}
