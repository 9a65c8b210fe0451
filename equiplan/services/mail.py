"""The mail outbox: every email is a row first, then delivered with retries.

Delivery claims due rows (FOR UPDATE SKIP LOCKED on PostgreSQL, so several scheduler processes
never send the same row), sends them through SMTP — or, without EQUIPLAN_SMTP_URL, writes them
as .eml files into the instance outbox — and records the outcome. Temporary failures are
retried with exponential back-off; permanent ones (a rejected address) are marked failed with
the reason and not retried.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import select, update
from sqlmodel import Session

from equiplan.models import OutboxMessage, utcnow

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
CLAIM_BATCH = 200
STALE_CLAIM = timedelta(minutes=15)


class PermanentMailError(Exception):
    """The server refused the message for good (e.g. unknown recipient)."""


@dataclass(frozen=True)
class MailSettings:
    smtp_url: str | None
    mail_from: str
    outbox_dir: Path
    timeout_seconds: float = 20.0


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def queue_mail(
    session: Session,
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    locale: str = "lt",
) -> OutboxMessage:
    """Put one email in the outbox (committed by the caller's transaction)."""
    message = OutboxMessage(
        to_addr=to, subject=subject, body_text=body_text, body_html=body_html, locale=locale
    )
    session.add(message)
    return message


def retry_delay(attempts: int) -> timedelta:
    """Back-off after `attempts` failed attempts: 1, 2, 4, … minutes, at most six hours."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def _build(message: OutboxMessage, settings: MailSettings) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.to_addr
    email["Subject"] = message.subject
    # A stable id per outbox row lets a mail server or reader spot a resend.
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain="equiplan")
    email["Content-Language"] = message.locale
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


class _Transport:
    """One SMTP connection (or the instance outbox folder) for a whole delivery batch."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def send(self, email: EmailMessage, message_id: int) -> None:
        if not self.settings.smtp_url:
            self.settings.outbox_dir.mkdir(parents=True, exist_ok=True)
            (self.settings.outbox_dir / f"{message_id:08d}.eml").write_bytes(bytes(email))
            return
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            refused = self.smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentMailError(_describe(error)) from error
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise PermanentMailError(_describe(error)) from error
            raise
        if refused:
            raise PermanentMailError(f"refused: {refused}")

    def _connect(self) -> smtplib.SMTP:
        url = urlsplit(self.settings.smtp_url or "")
        host, port = url.hostname or "localhost", url.port
        timeout = self.settings.timeout_seconds
        if url.scheme == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port or 465, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port or 25, timeout=timeout)
            # Credentials never travel in clear text: STARTTLS whenever a user name is given,
            # or when asked for with ?starttls=1 (?starttls=0 turns it off for a local relay).
            query = url.query or ""
            if "starttls=1" in query or (url.username and "starttls=0" not in query):
                smtp.starttls(context=ssl.create_default_context())
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        return smtp

    def reset(self) -> None:
        """Close the connection, if any; the next send opens a new one."""
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


def _describe(error: Exception) -> str:
    return str(error)[:1900]


def _claim(session: Session, now: datetime) -> list[OutboxMessage]:
    """Mark a batch of due messages as `sending` in one short transaction and return them.

    SKIP LOCKED lets concurrent deliverers take disjoint batches; a claim left behind by a
    crashed process is released again after STALE_CLAIM.
    """
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.next_attempt_at < now - STALE_CLAIM)
        .values(status="queued")
    )
    claimed = list(
        session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(CLAIM_BATCH)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    for message in claimed:
        message.status, message.next_attempt_at = "sending", now
    session.commit()
    return claimed


def deliver_outbox(
    session: Session, settings: MailSettings, now: datetime | None = None
) -> DeliveryReport:
    """Deliver the queued messages that are due; safe to run from several processes at once."""
    now = now or utcnow()
    report = DeliveryReport()
    transport = _Transport(settings)
    try:
        for message in _claim(session, now):
            message.attempts += 1
            try:
                transport.send(_build(message, settings), message.id or 0)
            except PermanentMailError as error:
                message.status, message.last_error = "failed", _describe(error)
                report.failed += 1
            except (OSError, smtplib.SMTPException) as error:
                # The server is away or busy: try again later, with growing pauses.
                transport.reset()
                message.last_error = f"{type(error).__name__}: {_describe(error)}"
                if message.attempts >= MAX_ATTEMPTS:
                    message.status = "failed"
                    report.failed += 1
                else:
                    message.status = "queued"
                    message.next_attempt_at = now + retry_delay(message.attempts)
                    report.retried += 1
            else:
                message.status, message.sent_at, message.last_error = "sent", now, None
                report.sent += 1
            # Commit per message: a crash after sending loses at most the record of one email.
            session.commit()
    finally:
        transport.reset()
    return report
