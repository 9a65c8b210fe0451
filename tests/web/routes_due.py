"""Route × role matrix rows of the due list, the month calendar, the calendar feed, the account's
reminder settings and /api/v1/due."""

from __future__ import annotations

from sqlalchemy.orm import object_session

from equiplan.services.calendar_feed import issue_calendar_token
from equiplan.web.policy import PUBLIC
from tests.web.conftest import World
from tests.web.route_table import EVERYONE, Route


def _feed_path(world: World) -> str:
    """The feed URL of a new calendar token of the world's viewer (made in its session)."""
    session = object_session(world.vsat_item)
    assert session is not None
    return f"/calendar/{issue_calendar_token(session, world.users['viewer'])}.ics"  # type: ignore[arg-type]


ROUTES: dict[str, Route] = {
    "due.index": Route("GET", lambda w: "/due?window=90", EVERYONE),
    "due.calendar": Route("GET", lambda w: "/due/calendar?month=2026-03", EVERYONE),
    # Public: the secret token in the URL is the credential (calendar programs cannot sign in).
    "due.feed": Route("GET", _feed_path, PUBLIC),
    "account.issue_calendar": Route(
        "POST", lambda w: "/account/calendar", EVERYONE, form=lambda w: {}
    ),
    "account.revoke_calendar": Route(
        "POST", lambda w: "/account/calendar/revoke", EVERYONE, form=lambda w: {}
    ),
    "account.reminders": Route(
        "POST", lambda w: "/account/reminders", EVERYONE, form=lambda w: {"delivery": "digest"}
    ),
    "api.list_due": Route("GET", lambda w: "/api/v1/due?state=overdue", EVERYONE),
}
