"""Each person's iCalendar feed: a secret URL that calendar programs (Outlook, Thunderbird,
phones) subscribe to, listing the due dates in that person's scope.

The URL carries a random token. Only its SHA-256 is stored (`User.calendar_token`), like API
tokens: the URL is shown once, when issued, and cannot be recovered. Issuing a new one replaces
the old (which stops working at once); revoking leaves the user without a feed.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import User
from equiplan.services.due import DueClock, DueRow, due_between
from equiplan.services.due_query import DueQuery
from equiplan.services.scoping import scope_for

PRODID = "-//NSSC//equiplan//EN"
DAYS_BACK = 30
DAYS_AHEAD = 365
# Enough for any agency; an all-agency feed is cut (at the latest dates) rather than stall a
# calendar program that polls it every few hours.
MAX_EVENTS = 5000


def _hash(raw: str) -> str:
    # 256 random bits: a fast hash is safe, and the lookup stays one indexed equality.
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_calendar_token(session: Session, user: User) -> str:
    """Give `user` a new secret feed token and return it (it is not stored, only its hash).
    The previous token, if any, stops working."""
    raw = secrets.token_urlsafe(32)
    user.calendar_token = _hash(raw)
    session.commit()
    return raw


def revoke_calendar_token(session: Session, user: User) -> None:
    """Switch the user's feed off (again is harmless)."""
    if user.calendar_token is not None:
        user.calendar_token = None
        session.commit()


def user_for_calendar_token(session: Session, raw: str) -> User | None:
    """The active user whose feed token this is, or None."""
    # token_urlsafe(32) gives 43 characters; anything much longer is not ours (and not hashed).
    if not raw or len(raw) > 100:
        return None
    return session.execute(
        select(User).where(
            User.calendar_token == _hash(raw),  # type: ignore[arg-type]
            User.active.is_(True),  # type: ignore[attr-defined]
        )
    ).scalar_one_or_none()


def _wording() -> dict[str, str]:
    """The feed's texts in the current language, translated once per feed (not per event).
    Each is a whole sentence per kind, so that each language can word it its own way."""
    return {
        "calibration": _("Calibration due: %(item)s (%(type)s)"),
        "source_check": _("Source check due: %(item)s (%(type)s)"),
        "performance_test": _("Performance test due: %(item)s (%(type)s)"),
        "preventive": _("Preventive maintenance due: %(item)s (%(type)s)"),
        "inspection": _("Inspection due: %(item)s (%(type)s)"),
        "repair": _("Repair to be finished: %(item)s (%(type)s)"),
        "agency": _("Agency: %(code)s"),
        "site": _("Site: %(name)s"),
        "overdue": _("Overdue."),
    }


def _event(
    row: DueRow, base_url: str, locale: str, stamp: datetime, words: dict[str, str]
) -> Event:
    link = f"{base_url}/equipment/{row.equipment_id}"
    lines = [words["agency"] % {"code": row.agency_code}]
    site = row.site_name_lt if locale == "lt" else row.site_name_en
    if site:
        lines.append(words["site"] % {"name": site})
    if row.state == "overdue":
        lines.append(words["overdue"])
    event = Event()
    if row.source == "repair":
        assert row.target_at is not None  # repairs are listed by their target
        uid = f"repair-{row.work_order_id}@equiplan"
        event.add("dtstart", row.target_at)  # a moment: no end (RFC 5545 3.6.1)
        lines.append(f"{base_url}/work-orders/{row.work_order_id}")
    else:
        # The due date is part of the UID: when the work is done and the next occurrence
        # appears, calendars show a new event instead of moving the old one.
        uid = f"schedule-{row.schedule_id}-{row.due_date.isoformat()}@equiplan"
        event.add("dtstart", row.due_date)
        event.add("dtend", row.due_date + timedelta(days=1))
        event.add("transp", "TRANSPARENT")  # a deadline, not a meeting: the day stays free
    lines.append(link)
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", words[row.kind] % {"item": row.inventory_no, "type": row.type_code})
    event.add("description", "\n".join(lines))
    event.add("url", link)
    return event


def calendar_feed(session: Session, user: User, clock: DueClock, base_url: str) -> bytes:
    """The user's feed as iCalendar bytes: everything due in their scope from DAYS_BACK days ago
    to DAYS_AHEAD days ahead (at most MAX_EVENTS), worded in their language."""
    first: date = clock.today - timedelta(days=DAYS_BACK)
    rows = due_between(
        session,
        scope_for(user),
        DueQuery(),
        clock,
        first,
        clock.today + timedelta(days=DAYS_AHEAD),
        MAX_EVENTS,
    )
    base_url = base_url.rstrip("/")
    stamp = clock.now.replace(microsecond=0)
    with force_locale(user.locale):
        words = _wording()
        feed = Calendar()
        feed.add("prodid", PRODID)
        feed.add("version", "2.0")
        feed.add("calscale", "GREGORIAN")
        feed.add("method", "PUBLISH")
        name = _("equiplan: due dates")
        feed.add("x-wr-calname", name)
        feed.add("name", name)
        # Calendar programs poll at the interval they are told.
        feed.add("refresh-interval", timedelta(hours=4), parameters={"VALUE": "DURATION"})
        feed.add("x-published-ttl", "PT4H")
        for row in rows:
            feed.add_component(_event(row, base_url, user.locale, stamp, words))
    return feed.to_ical()
