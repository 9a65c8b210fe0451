"""Route × role matrix rows of the mail outbox pages (administrators only)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import object_session

from equiplan.services.mail import queue_mail
from tests.web.conftest import World
from tests.web.route_table import Route

ADMINS = frozenset({"admin"})


def _failed_message(world: World) -> int:
    """The id of a new failed outbox message (made in the world's session)."""
    session = object_session(world.vsat_item)
    assert session is not None
    message = queue_mail(
        session,  # type: ignore[arg-type]
        to="gone@vsat.lt",
        subject="Matrix",
        body_text="Matrix",
        body_html="<p>Matrix</p>",
    )
    message.status, message.attempts = "failed", 8
    message.next_attempt_at = datetime(2026, 1, 1, tzinfo=UTC)
    session.commit()
    assert message.id is not None
    return message.id


ROUTES: dict[str, Route] = {
    "outbox.index": Route("GET", lambda w: "/admin/outbox", ADMINS),
    "outbox.detail": Route("GET", lambda w: f"/admin/outbox/{_failed_message(w)}", ADMINS),
    "outbox.html_body": Route("GET", lambda w: f"/admin/outbox/{_failed_message(w)}/html", ADMINS),
    "outbox.retry": Route(
        "POST", lambda w: f"/admin/outbox/{_failed_message(w)}/retry", ADMINS, form=lambda w: {}
    ),
    "outbox.retry_failed": Route(
        "POST", lambda w: "/admin/outbox/retry-failed", ADMINS, form=lambda w: {}
    ),
}
