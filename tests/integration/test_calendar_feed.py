"""The personal iCalendar feed: secret tokens stored hashed, issued again to revoke the old
URL; the feed lists the due dates of the user's scope, in their language, and parses back."""

import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import User
from equiplan.services.calendar_feed import (
    calendar_feed,
    issue_calendar_token,
    revoke_calendar_token,
    user_for_calendar_token,
)
from equiplan.services.due import due_between, due_clock
from equiplan.services.due_query import DueQuery
from equiplan.services.scoping import Scope
from tests.factories import (
    make_agency,
    make_equipment,
    make_model,
    make_schedule,
    make_site,
    make_type,
    make_user,
    make_work_order,
)

TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
CLOCK = due_clock(TODAY, "Europe/Vilnius", NOW)
BASE = "https://equiplan.example.lt/"


@pytest.fixture
def context(app: Flask) -> Iterator[None]:
    # The feed is worded with Flask-Babel, which needs the application.
    with app.app_context():
        yield


@pytest.fixture
def fleet(session: Session) -> dict[str, object]:
    vsat, customs = make_agency(session, "VSAT"), make_agency(session, "MUIT", kind="customs")
    med = make_site(session, vsat, name_en="Medininkai", name_lt="Medininkų punktas")
    prd = make_model(session, make_type(session, "PRD"))
    return {
        "vsat": vsat,
        "customs": customs,
        "item": make_equipment(session, vsat, prd, med, inventory_no="VSAT-PRD-0012"),
        "customs_item": make_equipment(session, customs, prd, inventory_no="MUIT-PRD-0001"),
    }


def _stored(session: Session, user: User) -> str | None:
    return session.execute(select(User.calendar_token).where(User.id == user.id)).scalar_one()


def test_a_token_is_stored_only_as_its_hash_and_finds_its_user(session, fleet) -> None:
    user = make_user(session, "officer", fleet["vsat"])
    raw = issue_calendar_token(session, user)
    assert len(raw) >= 43
    assert _stored(session, user) == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in (_stored(session, user) or "")
    assert user_for_calendar_token(session, raw) == user
    assert user_for_calendar_token(session, raw + "x") is None
    assert user_for_calendar_token(session, "") is None
    assert user_for_calendar_token(session, _stored(session, user) or "") is None


def test_issuing_again_revokes_the_old_url_and_revoking_ends_the_feed(session, fleet) -> None:
    user = make_user(session, "viewer", fleet["vsat"])
    other = make_user(session, "viewer", fleet["vsat"])
    first = issue_calendar_token(session, user)
    others = issue_calendar_token(session, other)
    second = issue_calendar_token(session, user)
    assert first != second
    assert user_for_calendar_token(session, first) is None
    assert user_for_calendar_token(session, second) == user
    revoke_calendar_token(session, user)
    revoke_calendar_token(session, user)  # again: harmless
    assert _stored(session, user) is None
    assert user_for_calendar_token(session, second) is None
    assert user_for_calendar_token(session, others) == other


def test_a_deactivated_users_feed_stops(session, fleet) -> None:
    user = make_user(session, "officer", fleet["vsat"])
    raw = issue_calendar_token(session, user)
    user.active = False
    session.commit()
    assert user_for_calendar_token(session, raw) is None


def _events(feed: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(feed)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_lists_the_scope_from_a_month_back_to_a_year_ahead(
    session, fleet, context
) -> None:
    item = fleet["item"]
    calibration = make_schedule(session, item, TODAY + timedelta(days=20))
    overdue = make_schedule(session, item, TODAY - timedelta(days=30), kind="preventive")
    make_schedule(session, item, TODAY - timedelta(days=31), kind="inspection")  # too old
    make_schedule(session, item, TODAY + timedelta(days=366), kind="source_check")  # too far
    make_schedule(session, item, TODAY, kind="performance_test", active=False)  # paused
    target = datetime(2026, 3, 11, 7, 30, tzinfo=UTC)
    repair = make_work_order(session, item, target_restore_at=target)
    make_schedule(session, fleet["customs_item"], TODAY)  # another agency's
    officer = make_user(session, "officer", fleet["vsat"], locale="en")

    feed = calendar_feed(session, officer, CLOCK, BASE)
    calendar = Calendar.from_ical(feed)
    assert str(calendar["PRODID"]) == "-//NSSC//equiplan//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == "equiplan: due dates"
    events = _events(feed)
    due_on = (TODAY + timedelta(days=20)).isoformat()
    assert set(events) == {
        f"schedule-{calibration.id}-{due_on}@equiplan",
        f"schedule-{overdue.id}-{(TODAY - timedelta(days=30)).isoformat()}@equiplan",
        f"repair-{repair.id}@equiplan",
    }
    event = events[f"schedule-{calibration.id}-{due_on}@equiplan"]
    assert str(event["SUMMARY"]) == "Calibration due: VSAT-PRD-0012 (PRD)"
    # All day: a date, not a moment.
    assert event.decoded("DTSTART") == TODAY + timedelta(days=20)
    assert not isinstance(event.decoded("DTSTART"), datetime)
    assert str(event["URL"]) == f"https://equiplan.example.lt/equipment/{item.id}"
    assert f"https://equiplan.example.lt/equipment/{item.id}" in str(event["DESCRIPTION"])
    assert "Medininkai" in str(event["DESCRIPTION"])
    assert event.decoded("DTSTAMP") == NOW
    late = events[f"schedule-{overdue.id}-{(TODAY - timedelta(days=30)).isoformat()}@equiplan"]
    assert str(late["SUMMARY"]) == "Preventive maintenance due: VSAT-PRD-0012 (PRD)"
    assert "Overdue." in str(late["DESCRIPTION"])
    fix = events[f"repair-{repair.id}@equiplan"]
    assert fix.decoded("DTSTART") == target
    assert str(fix["SUMMARY"]) == "Repair to be finished: VSAT-PRD-0012 (PRD)"
    assert f"/work-orders/{repair.id}" in str(fix["DESCRIPTION"])


def test_the_centre_sees_every_agency_and_lithuanians_read_lithuanian(
    session, fleet, context
) -> None:
    make_schedule(session, fleet["item"], TODAY + timedelta(days=3))
    make_schedule(session, fleet["customs_item"], TODAY + timedelta(days=4), kind="source_check")
    technician = make_user(session, "technician", locale="lt")
    events = _events(calendar_feed(session, technician, CLOCK, BASE))
    summaries = sorted(str(event["SUMMARY"]) for event in events.values())
    assert summaries == [
        "Kalibravimo terminas: VSAT-PRD-0012 (PRD)",
        "Patikros kontroliniu šaltiniu terminas: MUIT-PRD-0001 (PRD)",
    ]
    calendar = Calendar.from_ical(calendar_feed(session, technician, CLOCK, BASE))
    assert str(calendar["X-WR-CALNAME"]) == "equiplan: terminai"


def test_an_empty_feed_is_still_a_calendar(session, fleet, context) -> None:
    viewer = make_user(session, "viewer", fleet["customs"])
    calendar = Calendar.from_ical(calendar_feed(session, viewer, CLOCK, BASE))
    assert calendar.walk("VEVENT") == []
    assert str(calendar["VERSION"]) == "2.0"


def test_a_range_is_cut_at_its_limit_keeping_the_earliest(session, fleet) -> None:
    schedules = [
        make_schedule(session, fleet["item"], TODAY + timedelta(days=n), kind="inspection")
        for n in (5, 1, 3)
    ]
    rows = due_between(
        session, Scope.everything(), DueQuery(), CLOCK, TODAY, TODAY + timedelta(days=10), 2
    )
    assert [row.schedule_id for row in rows] == [schedules[1].id, schedules[2].id]
