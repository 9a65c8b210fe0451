"""The reminder engine: find what has come due, write the emails, send the daily digests.

`sweep_reminders` runs every few minutes (equiplan/scheduler.py): one INSERT … SELECT per stage
adds a pending `notification` row per (work, due date, stage, recipient) — the unique keys make
it idempotent — then the writer turns the pending rows of recipients who want single emails
into outbox messages. `send_digests` runs once a day and sends everyone who chose a daily
digest one email with all their pending reminders. The rules are domain/reminders.py; the SQL
is services/reminder_sweep.py; the emails are services/reminder_mail.py.

Both claim rows with FOR UPDATE SKIP LOCKED (PostgreSQL) and write each outbox message in the
same transaction that marks its notification rows, so a crash half way loses nothing and a
second process running at the same time sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlmodel import Session

from equiplan.domain.reminders import (
    Stage,
    Verdict,
    repair_bounds,
    schedule_bounds,
)
from equiplan.models import Notification, User
from equiplan.services.mail import queue_mail
from equiplan.services.reminder_facts import ReminderFacts, load_facts
from equiplan.services.reminder_mail import render_digest, render_reminder
from equiplan.services.reminder_sweep import insert_repair_reminders, insert_schedule_reminders

__all__ = [
    "DigestReport",
    "ReminderSettings",
    "SweepReport",
    "find_due_reminders",
    "reminder_settings",
    "send_digests",
    "sweep_reminders",
    "write_single_reminders",
]

WRITE_BATCH = 200


@dataclass(frozen=True)
class ReminderSettings:
    timezone: str  # app.config["TIMEZONE"]
    base_url: str  # app.config["BASE_URL"] (links in emails)
    default_locale: str  # app.config["DEFAULT_LOCALE"]
    escalation_days: tuple[int, int]  # app.config["ESCALATION_DAYS"]
    repair_escalation_hours: tuple[int, int]  # app.config["REPAIR_ESCALATION_HOURS"]


def reminder_settings(config: Mapping[str, Any]) -> ReminderSettings:
    """The reminder settings from the app's configuration (already parsed by config.py)."""
    return ReminderSettings(
        timezone=config["TIMEZONE"],
        base_url=config["BASE_URL"],
        default_locale=config["DEFAULT_LOCALE"],
        escalation_days=tuple(config["ESCALATION_DAYS"]),  # type: ignore[arg-type]
        repair_escalation_hours=tuple(config["REPAIR_ESCALATION_HOURS"]),  # type: ignore[arg-type]
    )


@dataclass
class SweepReport:
    found: dict[Stage, int] = field(default_factory=lambda: dict.fromkeys(Stage, 0))
    queued: int = 0
    obsolete: int = 0

    def __str__(self) -> str:
        by_stage = ", ".join(f"{stage.value} {count}" for stage, count in self.found.items())
        total = sum(self.found.values())
        return (
            f"new reminders {total} ({by_stage}); emails queued {self.queued}, "
            f"obsolete {self.obsolete}"
        )


@dataclass
class DigestReport:
    digests: int = 0
    reminders: int = 0
    obsolete: int = 0

    def __str__(self) -> str:
        return (
            f"digests queued {self.digests} ({self.reminders} reminders), obsolete {self.obsolete}"
        )


def find_due_reminders(
    session: Session, settings: ReminderSettings, now: datetime
) -> dict[Stage, int]:
    """Add a pending notification for every stage and recipient that has come due at `now`
    (committed). Returns the new rows by stage."""
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    found = insert_schedule_reminders(
        session, schedule_bounds(today, settings.escalation_days), now
    )
    for stage, count in insert_repair_reminders(
        session,
        repair_bounds(now, settings.repair_escalation_hours),
        now,
        settings.timezone,
    ).items():
        found[stage] += count
    return found


def _verdict(fact: ReminderFacts | None, now: datetime) -> Verdict:
    # No facts: the work the reminder was about is gone (e.g. its item no longer exists).
    return Verdict.OBSOLETE if fact is None else fact.verdict(now)


def _wants_single_emails() -> ColumnElement[bool]:
    # An address without an account, or a user who did not choose the digest. Rows of a
    # deactivated user are taken too, so that they are marked obsolete, not left pending
    # (or, for a focal-point address, sent to the address as a bare address).
    return or_(
        Notification.user_id.is_(None),  # type: ignore[union-attr]
        exists().where(
            User.id == Notification.user_id,
            or_(User.digest_opt_in == false(), User.active == false()),
        ),
    )


def write_single_reminders(
    session: Session, settings: ReminderSettings, now: datetime
) -> tuple[int, int]:
    """Write the email of every pending reminder whose recipient wants single emails.

    Batches of WRITE_BATCH rows, claimed with SKIP LOCKED and committed together with their
    outbox messages. Returns (emails queued, reminders found obsolete).
    """
    queued = obsolete = 0
    last_id = 0
    while True:
        claimed = list(
            session.scalars(
                select(Notification)
                .where(
                    Notification.status == "pending",
                    Notification.id > last_id,  # type: ignore[operator]
                    _wants_single_emails(),
                )
                .order_by(Notification.id)  # type: ignore[arg-type]
                .limit(WRITE_BATCH)
                .with_for_update(skip_locked=True, of=Notification)  # type: ignore[arg-type]
                .execution_options(populate_existing=True)
            )
        )
        if not claimed:
            session.commit()  # ends the (empty) claiming transaction
            return queued, obsolete
        last_id = claimed[-1].id or last_id
        facts = load_facts(session, [n.id for n in claimed if n.id], settings.default_locale)
        outgoing = []
        for notification in claimed:
            fact = facts.get(notification.id)  # type: ignore[arg-type]
            verdict = _verdict(fact, now)
            if verdict is Verdict.OBSOLETE or fact is None:
                notification.status = "obsolete"
                obsolete += 1
            elif verdict is Verdict.SEND:
                mail = render_reminder(fact, now, settings)
                message = queue_mail(
                    session,
                    to=fact.recipient_email,
                    subject=mail.subject,
                    body_text=mail.text,
                    body_html=mail.html,
                    locale=mail.locale,
                    now=now,
                )
                outgoing.append((notification, message))
            # Verdict.WAIT: left pending for a later sweep (the schedule is paused, or the
            # repair is not late just now).
        session.flush()
        for notification, message in outgoing:
            notification.outbox_id, notification.status = message.id, "queued"
        queued += len(outgoing)
        session.commit()


def sweep_reminders(session: Session, settings: ReminderSettings, now: datetime) -> SweepReport:
    """Find every reminder that has come due at `now` and write the single emails.

    Safe to run at any frequency, late, twice or from two processes at once: a stage reaches
    each recipient once, and only while the work it is about is still due.
    """
    report = SweepReport()
    report.found.update(find_due_reminders(session, settings, now))
    report.queued, report.obsolete = write_single_reminders(session, settings, now)
    return report


def _digest_readers(session: Session) -> list[tuple[int, str, str]]:
    """Active users who chose the digest and have something pending: (id, email, locale)."""
    statement = (
        select(User.id, User.email, User.locale)
        .where(
            User.digest_opt_in == true(),
            User.active == true(),
            exists().where(Notification.user_id == User.id, Notification.status == "pending"),
        )
        .order_by(User.id)  # type: ignore[arg-type]
    )
    return [(row[0], row[1], row[2]) for row in session.execute(statement)]


def send_digests(session: Session, settings: ReminderSettings, now: datetime) -> DigestReport:
    """Send each digest reader one email with all their pending reminders (obsolete ones are
    marked and left out, waiting ones stay pending), one transaction per reader. Readers with
    nothing to say get nothing."""
    report = DigestReport()
    readers = _digest_readers(session)
    session.commit()
    for user_id, email, locale in readers:
        claimed = list(
            session.scalars(
                select(Notification)
                .where(Notification.user_id == user_id, Notification.status == "pending")
                .order_by(Notification.id)  # type: ignore[arg-type]
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            )
        )
        facts = load_facts(session, [n.id for n in claimed if n.id], settings.default_locale)
        included: list[tuple[Notification, ReminderFacts]] = []
        for notification in claimed:
            fact = facts.get(notification.id)  # type: ignore[arg-type]
            verdict = _verdict(fact, now)
            if verdict is Verdict.OBSOLETE or fact is None:
                notification.status = "obsolete"
                report.obsolete += 1
            elif verdict is Verdict.SEND:
                included.append((notification, fact))
        if included:
            mail = render_digest([fact for _n, fact in included], locale, now, settings)
            message = queue_mail(
                session,
                to=email,
                subject=mail.subject,
                body_text=mail.text,
                body_html=mail.html,
                locale=mail.locale,
                now=now,
            )
            session.flush()
            for notification, _fact in included:
                notification.outbox_id, notification.status = message.id, "digest"
            report.digests += 1
            report.reminders += len(included)
        session.commit()
    return report
