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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import select, text, update
from sqlmodel import Session

from equiplan.models import OutboxMessage, utcnow

# Attempts the server answered (a busy or greylisting server: 4xx). With the back-off below
# the last one is made about 20 hours after the first. A server that cannot be reached at all
# costs no attempt: mail waits for it however long it is away.
MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
CLAIM_BATCH = 50
STALE_CLAIM = timedelta(minutes=15)


class PermanentMailError(Exception):
    """The server refused the message for good (e.g. unknown recipient)."""


class ServerUnreachable(Exception):
    """No connection to the mail server (refused, timed out, no greeting, failed sign-in)."""


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
    now: datetime | None = None,
) -> OutboxMessage:
    """Put one email in the outbox (committed by the caller's transaction).

    `now` (default: the current moment) is when it was written and first due for delivery;
    jobs run as of a given moment pass theirs, so a replayed day delivers at its own time.
    """
    message = OutboxMessage(
        to_addr=to, subject=subject, body_text=body_text, body_html=body_html, locale=locale
    )
    if now is not None:
        message.created_at = message.next_attempt_at = now
    session.add(message)
    return message


def retry_delay(attempts: int) -> timedelta:
    """Back-off after `attempts` failed attempts: 1, 2, 4, … minutes, at most six hours."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


# The classic MIME classes build a message several times faster than EmailMessage's header
# registry, which matters when thousands of reminders go out in one run.
_WIRE = policy.compat32.clone(linesep="\r\n")


def _header(value: str) -> str | Header:
    # A header is one line: a line break in a subject must not start a header of its own.
    value = " ".join(value.split())
    return value if value.isascii() else Header(value, "utf-8")


def message_id(message: OutboxMessage, mail_from: str) -> str:
    """The same Message-ID every time the row is sent, so a resend can be recognised."""
    domain = mail_from.rpartition("@")[2] or "equiplan"
    return f"<equiplan-outbox-{message.id}-{message.created_at:%Y%m%d%H%M%S}@{domain}>"


def _build(message: OutboxMessage, settings: MailSettings) -> bytes:
    """The message as it goes over the wire (CRLF line ends)."""
    text_part = MIMEText(message.body_text, "plain", "utf-8")
    email: MIMEText | MIMEMultipart = text_part
    if message.body_html:
        email = MIMEMultipart("alternative")
        email.attach(text_part)
        email.attach(MIMEText(message.body_html, "html", "utf-8"))
    email["From"] = settings.mail_from
    email["To"] = _header(message.to_addr)
    email["Subject"] = _header(message.subject)
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message_id(message, settings.mail_from)
    email["Content-Language"] = message.locale
    return email.as_bytes(policy=_WIRE)


class _Transport:
    """One SMTP connection (or the instance outbox folder) for a whole delivery batch."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def send(self, email: bytes, to_addr: str, message_id: int) -> None:
        if not self.settings.smtp_url:
            self.settings.outbox_dir.mkdir(parents=True, exist_ok=True)
            (self.settings.outbox_dir / f"{message_id:08d}.eml").write_bytes(email)
            return
        if self.smtp is None:
            try:
                self.smtp = self._connect()
            except (OSError, smtplib.SMTPException) as error:
                raise ServerUnreachable(f"{type(error).__name__}: {_describe(error)}") from error
        try:
            refused = self.smtp.sendmail(self.settings.mail_from, [to_addr], email)
        except smtplib.SMTPRecipientsRefused as error:
            # Permanent only when the server said so (5xx); 4xx is "not now" (greylisting).
            codes = [code for code, _text in error.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentMailError(_describe(error)) from error
            raise
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

    SKIP LOCKED lets concurrent deliverers take disjoint batches. A claim left behind by a
    crashed process is released again STALE_CLAIM after it was made, by the wall clock (not by
    the moment a run is "as of", which `scheduler --once --now` may set anywhere).
    """
    claimed_at = utcnow()
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == "sending",
            OutboxMessage.claimed_at < claimed_at - STALE_CLAIM,  # type: ignore[operator]
        )
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
        message.status, message.claimed_at = "sending", claimed_at
    session.commit()
    return claimed


def deliver_outbox(
    session: Session, settings: MailSettings, now: datetime | None = None
) -> DeliveryReport:
    """Deliver every queued message that is due, batch after batch; safe to run from several
    processes at once. Stops early when the mail server cannot be reached at all."""
    now = now or utcnow()
    report = DeliveryReport()
    transport = _Transport(settings)
    try:
        while batch := _claim(session, now):
            if not _deliver_batch(session, batch, transport, settings, now, report):
                break
    finally:
        transport.reset()
    return report


def deliver_outbox_in_parallel(
    new_session: Callable[[], Session],
    settings: MailSettings,
    now: datetime | None = None,
    connections: int = 4,
) -> DeliveryReport:
    """Deliver with several SMTP connections at once, each deliverer with its own database
    session: SKIP LOCKED hands them disjoint batches (PostgreSQL only; SQLite has one writer).

    A mail server answers each command of each message in turn, so one connection spends most
    of its time waiting; a few in parallel multiply the throughput.
    """
    now = now or utcnow()

    def deliverer(_index: int) -> DeliveryReport:
        with closing(new_session()) as session:
            return deliver_outbox(session, settings, now)

    with ThreadPoolExecutor(max_workers=connections, thread_name_prefix="outbox") as pool:
        reports = list(pool.map(deliverer, range(connections)))
    return DeliveryReport(
        sent=sum(r.sent for r in reports),
        retried=sum(r.retried for r in reports),
        failed=sum(r.failed for r in reports),
    )


def _deliver_batch(
    session: Session,
    batch: list[OutboxMessage],
    transport: _Transport,
    settings: MailSettings,
    now: datetime,
    report: DeliveryReport,
) -> bool:
    """Send one claimed batch; False when the server could not be reached (the rest waits)."""
    for index, message in enumerate(batch):
        try:
            email = _build(message, settings)
        except Exception as error:  # noqa: BLE001 - one unbuildable message must not stop the rest
            message.status = "failed"
            message.last_error = f"cannot be built: {type(error).__name__}: {_describe(error)}"
            report.failed += 1
            _commit_outcome(session)
            continue
        try:
            transport.send(email, message.to_addr, message.id or 0)
        except ServerUnreachable as error:
            # Not even a connection: no attempt is counted, and rather than knocking once per
            # message (each may wait for the timeout) the whole rest of the batch waits.
            for waiting in batch[index:]:
                waiting.status, waiting.next_attempt_at = "queued", now + FIRST_RETRY
            message.last_error = str(error)
            report.retried += len(batch) - index
            _commit_outcome(session)
            return False
        except PermanentMailError as error:
            message.attempts += 1
            message.status, message.last_error = "failed", _describe(error)
            report.failed += 1
        except (OSError, smtplib.SMTPException) as error:
            # The server answered "not now" or dropped the line: try again later, with growing
            # pauses, on a fresh connection.
            transport.reset()
            message.attempts += 1
            message.last_error = f"{type(error).__name__}: {_describe(error)}"
            if message.attempts >= MAX_ATTEMPTS:
                message.status = "failed"
                report.failed += 1
            else:
                message.status = "queued"
                message.next_attempt_at = now + retry_delay(message.attempts)
                report.retried += 1
        else:
            message.attempts += 1
            message.status, message.sent_at, message.last_error = "sent", now, None
            report.sent += 1
        # Commit per message: a crash after sending loses at most the record of one email.
        _commit_outcome(session)
    return True


def _commit_outcome(session: Session) -> None:
    """Commit one message's outcome without waiting for the disk (PostgreSQL).

    The commit still reaches the server before the next email is sent, so the death of this
    process loses nothing; only a crash of the database server itself could forget the last
    fraction of a second of outcomes, and those messages would be sent once more. In exchange
    delivery is no longer bound by one disk flush per email.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    session.commit()
