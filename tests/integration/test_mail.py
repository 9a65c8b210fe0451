"""The outbox: delivered through a real SMTP server, retried while it is away, failed for good when
an address is refused, and written to the instance outbox without SMTP."""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path

from sqlalchemy import select

from equiplan.models import OutboxMessage
from equiplan.services.mail import MailSettings, deliver_outbox, queue_mail, retry_delay
from tests.smtp_server import Sink, free_port, smtp_server

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def _settings(tmp_path: Path, port: int | None) -> MailSettings:
    url = f"smtp://127.0.0.1:{port}" if port else None
    return MailSettings(
        smtp_url=url,
        mail_from="equiplan@nssc.lt",
        outbox_dir=tmp_path / "outbox",
        timeout_seconds=5,
    )


def _queue(
    session, to: str = "officer@vsat.lt", subject: str = "Kalibravimo terminas"
) -> OutboxMessage:  # type: ignore[no-untyped-def]
    message = queue_mail(
        session,
        to=to,
        subject=subject,
        body_text="Tekstas",
        body_html="<p>Tekstas</p>",
        locale="lt",
    )
    message.next_attempt_at = NOW - timedelta(minutes=1)
    session.commit()
    return message


def test_delivers_through_smtp_once(session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first, second = _queue(session), _queue(session, to="chief@vsat.lt", subject="Pradelsta")
    with smtp_server() as (port, sink):
        report = deliver_outbox(session, _settings(tmp_path, port), NOW)
        again = deliver_outbox(session, _settings(tmp_path, port), NOW + timedelta(hours=1))
    assert (report.sent, report.retried, report.failed) == (2, 0, 0)
    assert again.sent == 0
    assert sorted(m["To"] for m in sink.received) == ["chief@vsat.lt", "officer@vsat.lt"]
    received = next(m for m in sink.received if m["To"] == "officer@vsat.lt")
    assert received["Subject"] == "Kalibravimo terminas"
    assert received["From"] == "equiplan@nssc.lt"
    assert received.is_multipart()
    assert {part.get_content_type() for part in received.walk()} >= {"text/plain", "text/html"}
    for message in (first, second):
        session.refresh(message)
        assert (message.status, message.attempts, message.sent_at) == ("sent", 1, NOW)


def test_waits_while_the_server_is_down_and_delivers_once_it_returns(
    session, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    message = _queue(session)
    port = free_port()
    down = deliver_outbox(session, _settings(tmp_path, port), NOW)
    session.refresh(message)
    # No connection at all costs no attempt: the message simply waits.
    assert (down.retried, message.status, message.attempts) == (1, "queued", 0)
    assert message.next_attempt_at == NOW + retry_delay(1)
    assert "ConnectionRefusedError" in (message.last_error or "")
    # Not due yet: nothing happens even though the server is back.
    with smtp_server(port) as (_port, sink):
        early = deliver_outbox(session, _settings(tmp_path, port), NOW + timedelta(seconds=30))
        assert early.sent == 0
        on_time = deliver_outbox(session, _settings(tmp_path, port), NOW + timedelta(minutes=2))
    assert on_time.sent == 1
    assert len(sink.received) == 1
    session.refresh(message)
    assert (message.status, message.attempts, message.last_error) == ("sent", 1, None)


def test_a_long_outage_loses_nothing_and_sends_each_message_once(session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    messages = [_queue(session, to=f"officer{n}@vsat.lt") for n in range(3)]
    port = free_port()
    # Three days without a mail server, a delivery run every hour.
    for hour in range(72):
        deliver_outbox(session, _settings(tmp_path, port), NOW + timedelta(hours=hour))
    for message in messages:
        session.refresh(message)
        assert (message.status, message.attempts) == ("queued", 0)
    with smtp_server(port) as (_port, sink):
        report = deliver_outbox(session, _settings(tmp_path, port), NOW + timedelta(hours=73))
        again = deliver_outbox(session, _settings(tmp_path, port), NOW + timedelta(hours=74))
    assert (report.sent, again.sent) == (3, 0)
    assert sorted(m["To"] for m in sink.received) == [f"officer{n}@vsat.lt" for n in range(3)]


def test_greylisting_is_retried_not_failed(session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    message = _queue(session)
    with smtp_server(sink=Sink(greylist={"officer@vsat.lt"})) as (port, sink):
        first = deliver_outbox(session, _settings(tmp_path, port), NOW)
        session.refresh(message)
        assert (first.retried, message.status, message.attempts) == (1, "queued", 1)
        assert "450" in (message.last_error or "")
        sink.greylist.clear()
        later = deliver_outbox(session, _settings(tmp_path, port), NOW + timedelta(minutes=5))
    assert later.sent == 1
    assert len(sink.received) == 1


def test_a_line_break_in_a_subject_cannot_add_headers(session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _queue(session, subject="Terminas PRD-1\r\nBcc: spy@example.com")
    with smtp_server() as (port, sink):
        deliver_outbox(session, _settings(tmp_path, port), NOW)
    (received,) = sink.received
    assert received["Subject"] == "Terminas PRD-1 Bcc: spy@example.com"
    assert received["Bcc"] is None


def test_rejected_address_is_failed_with_the_reason_not_retried(session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad, good = _queue(session, to="nobody@vsat.lt"), _queue(session)
    with smtp_server(sink=Sink(reject={"nobody@vsat.lt"})) as (port, sink):
        report = deliver_outbox(session, _settings(tmp_path, port), NOW)
        later = deliver_outbox(session, _settings(tmp_path, port), NOW + timedelta(days=1))
    assert (report.sent, report.failed, later.sent, later.failed) == (1, 1, 0, 0)
    assert [m["To"] for m in sink.received] == ["officer@vsat.lt"]
    session.refresh(bad)
    session.refresh(good)
    assert bad.status == "failed"
    assert "no such mailbox" in (bad.last_error or "")
    assert good.status == "sent"


def test_without_smtp_mail_goes_to_the_instance_outbox(session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    message = _queue(session)
    report = deliver_outbox(session, _settings(tmp_path, None), NOW)
    assert report.sent == 1
    (written,) = (tmp_path / "outbox").glob("*.eml")
    parsed = message_from_bytes(written.read_bytes())
    assert parsed["To"] == "officer@vsat.lt"
    assert parsed["Subject"] == "Kalibravimo terminas"
    session.refresh(message)
    assert message.status == "sent"


def test_back_off_grows_and_is_capped() -> None:
    assert [retry_delay(n) for n in (1, 2, 3)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert retry_delay(20) == timedelta(hours=6)


def test_a_stale_claim_is_released(session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    message = _queue(session)
    message.status, message.claimed_at = "sending", datetime.now(UTC) - timedelta(hours=1)
    session.commit()
    report = deliver_outbox(session, _settings(tmp_path, None), NOW)
    assert report.sent == 1
    assert session.execute(select(OutboxMessage.status)).scalars().all() == ["sent"]


def test_a_fresh_claim_is_kept_whatever_moment_a_run_is_as_of(session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    message = _queue(session)
    message.status, message.claimed_at = "sending", datetime.now(UTC)
    session.commit()
    # A replay far in the future must not take over a claim another deliverer holds now.
    report = deliver_outbox(session, _settings(tmp_path, None), NOW + timedelta(days=30))
    assert report.sent == 0
    session.refresh(message)
    assert message.status == "sending"
