"""The outbox as administrators see it: filtered, counted and paged in SQL; failed messages sent
again with a fresh back-off and an audit event for each."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select

from equiplan.models import AuditEvent, OutboxMessage
from equiplan.services.audit import acting_as
from equiplan.services.errors import NotFound, ValidationError
from equiplan.services.mail import MailSettings, deliver_outbox, queue_mail, retry_delay
from equiplan.services.outbox_admin import (
    OutboxQuery,
    count_by_status,
    get_message,
    list_outbox,
    message_detail,
    outbox_overview,
    parse_outbox_query,
    retry_failed,
    retry_message,
)
from tests.factories import make_user
from tests.smtp_server import free_port

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def _message(session, to="officer@vsat.lt", status="queued", age_minutes=0, **fields):  # type: ignore[no-untyped-def]
    message = queue_mail(session, to=to, subject=f"Priminimas {to}", body_text="Tekstas")
    message.status = status
    message.created_at = NOW - timedelta(minutes=age_minutes)
    message.next_attempt_at = NOW - timedelta(minutes=1)
    for name, value in fields.items():
        setattr(message, name, value)
    session.commit()
    return message


def _failed(session, to="gone@vsat.lt", **fields):  # type: ignore[no-untyped-def]
    values = {
        "attempts": 8,
        "last_error": "SMTPRecipientsRefused: 550 no such mailbox",
        "next_attempt_at": NOW - timedelta(hours=3),
        **fields,
    }
    return _message(session, to=to, status="failed", **values)


@pytest.fixture
def outbox(session):  # type: ignore[no-untyped-def]
    return {
        "old_sent": _message(
            session, "chief@vsat.lt", "sent", 60, sent_at=NOW - timedelta(hours=1)
        ),
        "failed": _failed(session, "gone@vsat.lt", age_minutes=30),
        "queued": _message(session, "officer@vsat.lt", "queued", 10),
        "sending": _message(session, "Officer@MUIT.lt", "sending", 5),
        "new_sent": _message(session, "planner@nssc.lt", "sent", 1, sent_at=NOW),
    }


def _ids(page):  # type: ignore[no-untyped-def]
    return [m.id for m in page.items]


def test_lists_newest_first_filtered_by_status_and_recipient(session, outbox) -> None:  # type: ignore[no-untyped-def]
    everything = list_outbox(session)
    assert _ids(everything) == [
        outbox[k].id for k in ("new_sent", "sending", "queued", "failed", "old_sent")
    ]
    assert everything.total == 5
    sent = list_outbox(session, status="sent")
    assert (_ids(sent), sent.total) == ([outbox["new_sent"].id, outbox["old_sent"].id], 2)
    # Part of the address, ignoring case.
    officers = list_outbox(session, recipient="officer@")
    assert _ids(officers) == [outbox["sending"].id, outbox["queued"].id]
    assert _ids(list_outbox(session, status="queued", recipient="muit")) == []
    assert _ids(list_outbox(session, status="sending", recipient="muit")) == [outbox["sending"].id]


def test_search_wildcards_match_literally(session, outbox) -> None:  # type: ignore[no-untyped-def]
    odd = _message(session, "a_b%c@vsat.lt")
    assert _ids(list_outbox(session, recipient="_b%")) == [odd.id]
    assert list_outbox(session, recipient="%").total == 1


def test_pages_do_not_overlap_and_are_counted_in_sql(session) -> None:  # type: ignore[no-untyped-def]
    made = [_message(session, f"user{n}@vsat.lt", age_minutes=n // 2) for n in range(7)]
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):  # not the test's SAVEPOINTs
            statements.append(statement)

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        pages = [list_outbox(session, page=n, per_page=3) for n in (1, 2, 3)]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [p.total for p in pages] == [7, 7, 7]
    assert [p.pages for p in pages] == [3, 3, 3]
    seen = [i for p in pages for i in _ids(p)]
    # Newest first; created in the same instant, the later row (higher id) first.
    assert seen == [made[n].id for n in (1, 0, 3, 2, 5, 4, 6)]
    assert len(statements) == 6  # a count and a page per call, whatever the page size


def test_counts_per_status_in_one_grouped_query(session, outbox) -> None:  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):  # not the test's SAVEPOINTs
            statements.append(statement)

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        counts = count_by_status(session)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts == {"queued": 1, "sending": 1, "sent": 2, "failed": 1}
    assert len(statements) == 1
    assert "GROUP BY" in statements[0].upper()
    overview = outbox_overview(session, OutboxQuery(status="failed"))
    assert overview.total == 5
    assert _ids(overview.page) == [outbox["failed"].id]


def test_an_empty_outbox_counts_zero_everywhere(session) -> None:  # type: ignore[no-untyped-def]
    assert count_by_status(session) == {"queued": 0, "sending": 0, "sent": 0, "failed": 0}
    assert list_outbox(session).items == []


def test_query_string_is_parsed_and_bad_values_reported(session) -> None:  # type: ignore[no-untyped-def]
    query, errors = parse_outbox_query({"status": "failed", "recipient": " gone ", "page": "2"})
    assert (query, errors) == (OutboxQuery("failed", "gone", 2), {})
    assert query.as_args(page=1) == {"status": "failed", "recipient": "gone"}
    query, errors = parse_outbox_query({"status": "lost", "page": "x"})
    assert query == OutboxQuery()
    assert set(errors) == {"status", "page"}


def test_retrying_a_failed_message_starts_the_back_off_over(session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(session, "admin")
    failed = _failed(session)
    with acting_as(admin.id, "web"):
        retried = retry_message(session, failed.id, NOW)
    session.expire_all()
    stored = session.get_one(OutboxMessage, failed.id)
    assert retried.id == failed.id
    assert (stored.status, stored.attempts, stored.next_attempt_at) == ("queued", 0, NOW)
    # The reason stays visible until the next attempt replaces it.
    assert stored.last_error == "SMTPRecipientsRefused: 550 no such mailbox"
    [audit] = session.execute(
        select(AuditEvent).where(AuditEvent.entity == "outbox_message")
    ).scalars()
    assert (audit.entity_id, audit.action, audit.user_id, audit.origin) == (
        failed.id,
        "update",
        admin.id,
        "web",
    )
    assert audit.changes["status"] == ["failed", "queued"]
    assert audit.changes["attempts"] == [8, 0]
    assert [r.who for r in message_detail(session, failed.id).retries] == [admin.name]

    # The server is still away: the first retry waits one minute, not six hours.
    settings = MailSettings(
        smtp_url=f"smtp://127.0.0.1:{free_port()}",
        mail_from="equiplan@nssc.lt",
        outbox_dir=tmp_path / "outbox",
        timeout_seconds=2,
    )
    report = deliver_outbox(session, settings, NOW)
    session.expire_all()
    stored = session.get_one(OutboxMessage, failed.id)
    assert report.retried == 1
    # No connection at all costs no attempt; the message tries again a minute later.
    assert (stored.status, stored.attempts) == ("queued", 0)
    assert stored.next_attempt_at == NOW + retry_delay(1)
    assert "ConnectionRefusedError" in (stored.last_error or "")


@pytest.mark.parametrize("status", ["queued", "sending", "sent"])
def test_only_failed_messages_can_be_retried(session, outbox, status) -> None:  # type: ignore[no-untyped-def]
    message = next(m for m in outbox.values() if m.status == status)
    before = (message.status, message.attempts, message.next_attempt_at)
    with pytest.raises(ValidationError) as raised:
        retry_message(session, message.id, NOW)
    assert set(raised.value.errors) == {"status"}
    session.expire_all()
    stored = session.get_one(OutboxMessage, message.id)
    assert (stored.status, stored.attempts, stored.next_attempt_at) == before
    assert (
        session.execute(select(AuditEvent).where(AuditEvent.entity == "outbox_message")).first()
        is None
    )


def test_a_message_retried_twice_is_requeued_once(session, outbox) -> None:  # type: ignore[no-untyped-def]
    retry_message(session, outbox["failed"].id, NOW)
    with pytest.raises(ValidationError):
        retry_message(session, outbox["failed"].id, NOW + timedelta(seconds=1))
    events = session.execute(select(AuditEvent).where(AuditEvent.entity == "outbox_message")).all()
    assert len(events) == 1


def test_unknown_message(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        get_message(session, 999_999)
    with pytest.raises(NotFound):
        retry_message(session, 999_999, NOW)


def test_retry_failed_requeues_every_failed_message_and_nothing_else(session, outbox) -> None:  # type: ignore[no-untyped-def]
    second = _failed(session, "also-gone@vsat.lt", attempts=1, last_error="550 refused")
    untouched = {
        m.id: (m.status, m.attempts, m.next_attempt_at)
        for m in session.execute(select(OutboxMessage)).scalars()
        if m.status != "failed"
    }
    assert retry_failed(session, NOW) == 2
    session.expire_all()
    for message_id in (outbox["failed"].id, second.id):
        stored = session.get_one(OutboxMessage, message_id)
        assert (stored.status, stored.attempts, stored.next_attempt_at) == ("queued", 0, NOW)
    for message_id, before in untouched.items():
        stored = session.get_one(OutboxMessage, message_id)
        assert (stored.status, stored.attempts, stored.next_attempt_at) == before
    audited = session.execute(
        select(AuditEvent.entity_id, AuditEvent.changes).where(
            AuditEvent.entity == "outbox_message"
        )
    ).all()
    assert sorted((i, c["attempts"]) for i, c in audited) == sorted(
        [(outbox["failed"].id, [8, 0]), (second.id, [1, 0])]
    )
    assert count_by_status(session)["failed"] == 0
    # Nothing left to retry: nothing changes, nothing is recorded.
    assert retry_failed(session, NOW) == 0
    assert len(
        session.execute(select(AuditEvent).where(AuditEvent.entity == "outbox_message")).all()
    ) == len(audited)
