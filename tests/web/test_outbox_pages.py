"""The mail outbox pages: administrators read, filter and send failed mail again; nobody else
gets in; an email's HTML never becomes part of the page."""

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import AuditEvent, OutboxMessage
from equiplan.services.mail import queue_mail
from tests.conftest import csrf_token, sign_in
from tests.web.conftest import World

CREATED = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


def _message(session: Session, to: str, status: str, **fields: object) -> OutboxMessage:
    message = queue_mail(
        session,
        to=to,
        subject=fields.pop("subject", f"Kalibravimo terminas {to}"),  # type: ignore[arg-type]
        body_text=fields.pop("body_text", "Sveiki,\nterminas artėja."),  # type: ignore[arg-type]
        body_html=fields.pop("body_html", None),  # type: ignore[arg-type]
    )
    message.status = status
    message.created_at = fields.pop("created_at", CREATED)  # type: ignore[assignment]
    for name, value in fields.items():
        setattr(message, name, value)
    session.commit()
    return message


@pytest.fixture
def mail(session: Session) -> dict[str, OutboxMessage]:
    return {
        "sent": _message(session, "chief@vsat.lt", "sent", sent_at=CREATED, attempts=1),
        "failed": _message(
            session,
            "gone@vsat.lt",
            "failed",
            attempts=3,
            last_error="SMTPRecipientsRefused: 550 5.1.1 no such mailbox here " + "x" * 200,
            created_at=CREATED + timedelta(hours=1),
        ),
        "queued": _message(
            session, "officer@muit.lt", "queued", created_at=CREATED + timedelta(hours=2)
        ),
    }


def _post(client: FlaskClient, path: str) -> object:
    return client.post(path, data={"csrf_token": csrf_token(client)})


def test_an_administrator_reads_the_outbox_with_counts_per_status(
    client: FlaskClient, world: World, mail: dict[str, OutboxMessage]
) -> None:
    sign_in(client, world.users["admin"])
    response = client.get("/admin/outbox")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Mail outbox" in html
    for message in mail.values():
        assert f'href="/admin/outbox/{message.id}"' in html
    # Newest first.
    assert html.index("officer@muit.lt") < html.index("gone@vsat.lt") < html.index("chief@vsat.lt")
    tab = html[html.index('data-testid="tab-failed"') :]
    assert tab[: tab.index("</a>")].endswith('<span class="badge text-bg-danger">1</span>')
    # The last error is cut short in the table (the whole text is on the message's page).
    assert "x" * 200 not in html
    assert "no such mailbox" in html
    # No mail server in tests: the page says where the mail went instead.
    assert 'data-testid="no-smtp"' in html


def test_filters_by_status_and_recipient(
    client: FlaskClient, world: World, mail: dict[str, OutboxMessage]
) -> None:
    sign_in(client, world.users["admin"])
    failed = client.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert "gone@vsat.lt" in failed
    assert "chief@vsat.lt" not in failed
    assert "Matching messages: 1" in failed
    by_address = client.get("/admin/outbox?recipient=VSAT.lt").get_data(as_text=True)
    assert "gone@vsat.lt" in by_address
    assert "chief@vsat.lt" in by_address
    assert "officer@muit.lt" not in by_address
    # Tabs keep the search.
    assert 'href="/admin/outbox?status=sent&amp;recipient=VSAT.lt"' in by_address
    nothing = client.get("/admin/outbox?recipient=nobody").get_data(as_text=True)
    assert "No messages match these filters." in nothing
    bad = client.get("/admin/outbox?status=lost")
    assert bad.status_code == 400
    assert "Unknown status: lost." in bad.get_data(as_text=True)


def test_an_empty_outbox_explains_where_mail_goes(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["admin"])
    html = client.get("/admin/outbox").get_data(as_text=True)
    assert "The outbox is empty" in html
    assert "Without EQUIPLAN_SMTP_URL, mail is not sent but written to the instance outbox" in html
    assert 'data-testid="retry-failed"' not in html


def test_with_a_mail_server_the_folder_notice_is_gone(
    app: Flask, client: FlaskClient, world: World, mail: dict[str, OutboxMessage]
) -> None:
    app.config["SMTP_URL"] = "smtp://127.0.0.1:1"
    sign_in(client, world.users["admin"])
    assert 'data-testid="no-smtp"' not in client.get("/admin/outbox").get_data(as_text=True)


def test_a_message_page_shows_everything_and_the_html_only_escaped(
    client: FlaskClient, world: World, session: Session
) -> None:
    hostile = '<p onclick="x()">Terminas</p><script>alert("outbox")</script>'
    message = _message(
        session,
        "gone@vsat.lt",
        "failed",
        subject="Pradelsta <b>kalibravimas</b>",
        body_text="Sveiki,\n<i>terminas</i> praėjo.",
        body_html=hostile,
        attempts=8,
        last_error="TimeoutError: " + "y" * 300,
    )
    sign_in(client, world.users["admin"])
    response = client.get(f"/admin/outbox/{message.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "gone@vsat.lt" in html
    assert "Pradelsta &lt;b&gt;kalibravimas&lt;/b&gt;" in html
    assert "Sveiki,\n&lt;i&gt;terminas&lt;/i&gt; praėjo.</pre>" in html
    assert "TimeoutError: " + "y" * 300 in html  # the whole error
    # The HTML is in a sandboxed frame of its own and in an escaped source listing, never in
    # the page itself.
    assert "<script>alert" not in html
    assert 'onclick="x()"' not in html
    assert f'sandbox src="/admin/outbox/{message.id}/html"' in html
    assert html.count("&lt;script&gt;") == 1
    assert 'data-testid="retry-form"' in html
    # The frame's document: the email as sent, under a policy that runs nothing of it and lets
    # only our own page frame it.
    framed = client.get(f"/admin/outbox/{message.id}/html")
    assert framed.status_code == 200
    assert framed.get_data(as_text=True) == hostile
    policy = framed.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox; default-src 'none'; style-src 'unsafe-inline'")
    assert "script-src" not in policy
    assert "frame-ancestors 'self'" in policy
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_retrying_one_failed_message(
    client: FlaskClient, world: World, session: Session, mail: dict[str, OutboxMessage]
) -> None:
    admin = world.users["admin"]
    sign_in(client, admin)
    failed = mail["failed"]
    response = _post(client, f"/admin/outbox/{failed.id}/retry")
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response.headers["Location"] == f"/admin/outbox/{failed.id}"  # type: ignore[attr-defined]
    session.expire_all()
    stored = session.get_one(OutboxMessage, failed.id)
    assert (stored.status, stored.attempts) == ("queued", 0)
    assert abs((stored.next_attempt_at - datetime.now(UTC)).total_seconds()) < 60
    page = client.get(f"/admin/outbox/{failed.id}").get_data(as_text=True)
    assert f"Message {failed.id} is queued to be sent again." in page
    assert 'data-testid="retries"' in page
    assert admin.name in page
    [event] = session.execute(
        select(AuditEvent).where(AuditEvent.entity == "outbox_message")
    ).scalars()
    assert (event.user_id, event.origin, event.entity_id) == (admin.id, "web", failed.id)

    # Once queued, there is nothing to retry: the page says so and nothing changes.
    again = _post(client, f"/admin/outbox/{failed.id}/retry")
    assert again.status_code == 400  # type: ignore[attr-defined]
    assert "Only a failed message can be sent again." in again.get_data(as_text=True)  # type: ignore[attr-defined]
    assert _post(client, "/admin/outbox/999999/retry").status_code == 404  # type: ignore[attr-defined]


def test_retrying_every_failed_message_after_confirming(
    client: FlaskClient, world: World, session: Session, mail: dict[str, OutboxMessage]
) -> None:
    _message(session, "also-gone@vsat.lt", "failed", attempts=8)
    sign_in(client, world.users["admin"])
    html = client.get("/admin/outbox").get_data(as_text=True)
    # The confirmation step: a disclosure that says how many and what happens.
    confirm = html[html.index('<details class="ms-auto" data-testid="retry-failed">') :]
    confirm = confirm[: confirm.index("</details>")]
    assert 'action="/admin/outbox/retry-failed"' in confirm
    assert "All 2 failed messages go back to the queue" in confirm
    assert "Yes, send 2 messages again" in confirm
    response = _post(client, "/admin/outbox/retry-failed")
    assert response.status_code == 302  # type: ignore[attr-defined]
    page = client.get(response.headers["Location"]).get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Failed messages queued to be sent again: 2." in page
    session.expire_all()
    statuses = session.execute(select(OutboxMessage.status)).scalars().all()
    assert sorted(statuses) == ["queued", "queued", "queued", "sent"]
    nothing = client.get(_post(client, "/admin/outbox/retry-failed").headers["Location"])  # type: ignore[attr-defined]
    assert "No message had failed; nothing was changed." in nothing.get_data(as_text=True)


def test_a_retry_without_a_valid_form_changes_nothing(
    client: FlaskClient, world: World, session: Session, mail: dict[str, OutboxMessage]
) -> None:
    sign_in(client, world.users["admin"])
    response = client.post(f"/admin/outbox/{mail['failed'].id}/retry", data={})
    assert response.status_code == 400
    assert client.post("/admin/outbox/retry-failed", data={}).status_code == 400
    session.expire_all()
    assert session.get_one(OutboxMessage, mail["failed"].id).status == "failed"


@pytest.mark.parametrize("role", ["planner", "technician", "officer", "viewer"])
def test_other_roles_are_refused(
    client: FlaskClient, world: World, session: Session, mail: dict[str, OutboxMessage], role: str
) -> None:
    sign_in(client, world.users[role])
    failed = mail["failed"]
    assert client.get("/admin/outbox").status_code == 403
    assert client.get(f"/admin/outbox/{failed.id}").status_code == 403
    assert _post(client, f"/admin/outbox/{failed.id}/retry").status_code == 403  # type: ignore[attr-defined]
    assert _post(client, "/admin/outbox/retry-failed").status_code == 403  # type: ignore[attr-defined]
    session.expire_all()
    assert session.get_one(OutboxMessage, failed.id).status == "failed"
