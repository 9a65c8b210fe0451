"""The account page's reminder settings: single reminders or a daily digest, and the calendar
feed (a secret URL shown once, issued again to replace it, revoked to end it)."""

import hashlib
import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import User
from equiplan.services.calendar_feed import issue_calendar_token
from equiplan.services.clock import local_today
from tests.conftest import csrf_token, sign_in
from tests.factories import make_schedule
from tests.web.conftest import World

_URL = re.compile(r'id="calendar-url-value" type="text" value="(https?://[^"]+/calendar/[^"]+)"')


def _post(client: FlaskClient, path: str, data: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, "/account")})


def _stored(session: Session, user: User) -> tuple[bool, str | None]:
    row = session.execute(
        select(User.digest_opt_in, User.calendar_token).where(User.id == user.id)
    ).one()
    return row[0], row[1]


def _checked(html: str) -> str:
    found = re.search(r'<input checked [^>]*name="delivery"[^>]*value="(\w+)">', html)
    assert found, "no delivery chosen on the page"
    return found.group(1)


def test_a_user_chooses_the_daily_digest_and_back(
    client: FlaskClient, world: World, session: Session
) -> None:
    user = world.users["officer"]
    sign_in(client, user)
    page = client.get("/account").get_data(as_text=True)
    assert "Reminder emails" in page
    assert _checked(page) == "single"

    response = _post(client, "/account/reminders", {"delivery": "digest"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/account#reminders"
    assert _stored(session, user)[0] is True
    page = client.get("/account").get_data(as_text=True)
    assert "You will get one daily digest instead of single reminder emails." in page
    assert _checked(page) == "digest"

    assert _post(client, "/account/reminders", {"delivery": "single"}).status_code == 302
    assert _stored(session, user)[0] is False


def test_a_bad_choice_or_a_missing_csrf_token_changes_nothing(
    client: FlaskClient, world: World, session: Session
) -> None:
    user = world.users["viewer"]
    sign_in(client, user)
    response = _post(client, "/account/reminders", {"delivery": "weekly"})
    assert response.status_code == 400
    assert _stored(session, user)[0] is False
    response = client.post("/account/reminders", data={"delivery": "digest"})
    assert response.status_code == 400
    assert _stored(session, user)[0] is False


def test_the_calendar_url_is_shown_once_and_works_without_signing_in(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    user = world.users["officer"]
    make_schedule(session, world.vsat_item, local_today("Europe/Vilnius") + timedelta(days=5))
    make_schedule(session, world.customs_item, local_today("Europe/Vilnius"))
    sign_in(client, user)
    assert "You have no calendar address." in client.get("/account").get_data(as_text=True)

    response = _post(client, "/account/calendar")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    url = _URL.search(html)
    assert url, html[:3000]
    token = url.group(1).rsplit("/", 1)[1].removesuffix(".ics")
    assert _stored(session, user)[1] == hashlib.sha256(token.encode()).hexdigest()
    assert "Thunderbird" in html
    # Under the configured public address, like the links in emails.
    assert url.group(1).startswith(app.config["BASE_URL"].rstrip("/") + "/calendar/")
    webcal = "webcal://" + url.group(1).split("://", 1)[1]
    assert f'href="{webcal}"' in html
    # Shown once: the page afterwards only says that there is one.
    later = client.get("/account").get_data(as_text=True)
    assert token not in later
    assert "You have a calendar address." in later

    # Calendar programs fetch it without a session, and get none.
    anonymous = app.test_client()
    feed = anonymous.get(f"/calendar/{token}.ics")
    assert feed.status_code == 200
    assert feed.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Set-Cookie" not in feed.headers
    events = Calendar.from_ical(feed.data).walk("VEVENT")
    assert [str(event["SUMMARY"]) for event in events] == [
        f"Calibration due: {world.vsat_item.inventory_no} ({_type_code(session, world)})"
    ]


def _type_code(session: Session, world: World) -> str:
    from equiplan.models import EquipmentModel, EquipmentType

    model = session.get_one(EquipmentModel, world.vsat_item.model_id)
    return session.get_one(EquipmentType, model.type_id).code


def test_issuing_again_or_revoking_ends_the_old_url(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    user = world.users["technician"]
    sign_in(client, user)
    first = _URL.search(_post(client, "/account/calendar").get_data(as_text=True))
    second = _URL.search(_post(client, "/account/calendar").get_data(as_text=True))
    assert first
    assert second
    assert first.group(1) != second.group(1)
    anonymous = app.test_client()
    path = "/" + second.group(1).split("/", 3)[3]
    old = anonymous.get("/" + first.group(1).split("/", 3)[3])
    assert old.status_code == 404
    assert old.mimetype == "text/plain"
    assert "Set-Cookie" not in old.headers
    assert anonymous.get(path).status_code == 200

    response = _post(client, "/account/calendar/revoke")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account#calendar"
    assert _stored(session, user)[1] is None
    assert anonymous.get(path).status_code == 404
    assert "You have no calendar address." in client.get("/account").get_data(as_text=True)


def test_calendar_forms_need_the_csrf_token(
    client: FlaskClient, world: World, session: Session
) -> None:
    user = world.users["admin"]
    sign_in(client, user)
    assert client.post("/account/calendar").status_code == 400
    assert _stored(session, user)[1] is None
    _post(client, "/account/calendar")
    assert client.post("/account/calendar/revoke").status_code == 400
    assert _stored(session, user)[1] is not None


def test_unknown_tokens_are_a_plain_404(client: FlaskClient, world: World) -> None:
    for token in ("nope", "x" * 43, "x" * 500):
        response = client.get(f"/calendar/{token}.ics")
        assert response.status_code == 404
        assert "Set-Cookie" not in response.headers


def test_the_feed_is_rate_limited_per_address(app: Flask, world: World, session: Session) -> None:
    path = f"/calendar/{issue_calendar_token(session, world.users['viewer'])}.ics"
    anonymous = app.test_client()
    statuses = [anonymous.get(path).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429
