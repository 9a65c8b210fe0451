"""What is due: the list, the month calendar, and each person's iCalendar feed (a secret URL
that calendar programs fetch without signing in)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from equiplan.db import get_session
from equiplan.extensions import limiter
from equiplan.services import due as service
from equiplan.services.calendar_feed import calendar_feed, user_for_calendar_token
from equiplan.services.clock import local_today
from equiplan.services.due_calendar import month_calendar
from equiplan.services.due_query import (
    DUE_KINDS,
    PER_PAGE_CHOICES,
    WINDOW_CHOICES,
    parse_due_query,
    parse_month,
)
from equiplan.services.scoping import scope_for
from equiplan.web.policy import public, signed_in

bp = Blueprint("due", __name__)

# Calendar programs poll every few hours; an office behind one address may hold many people.
FEED_LIMIT = "60 per minute"


def _clock() -> service.DueClock:
    timezone = current_app.config["TIMEZONE"]
    return service.due_clock(local_today(timezone), timezone)


@bp.route("/due")
@signed_in
def index() -> tuple[str, int]:
    query, errors = parse_due_query(request.args)
    session, scope, clock = get_session(), scope_for(current_user), _clock()
    page = service.due_items(session, scope, query, clock)
    return render_template(
        "due/list.html",
        page=page,
        query=query,
        errors=errors,
        options=service.filter_choices(session, scope),
        all_agencies=scope.all_agencies,
        kinds=DUE_KINDS,
        windows=WINDOW_CHOICES,
        per_page_choices=PER_PAGE_CHOICES,
        today=clock.today,
    ), (400 if errors else 200)


@bp.route("/due/calendar")
@signed_in
def calendar() -> tuple[str, int]:
    """The month grid (?month=YYYY-MM, default this month) with the list's filters."""
    query, errors = parse_due_query(request.args)
    session, scope, clock = get_session(), scope_for(current_user), _clock()
    try:
        year, month = parse_month(request.args.get("month", ""), clock.today)
    except ValueError as error:
        errors["month"] = str(error)
        year, month = clock.today.year, clock.today.month
    found = month_calendar(session, scope, query, year, month, clock)
    return render_template(
        "due/calendar.html",
        month=found,
        query=query,
        errors=errors,
        options=service.filter_choices(session, scope),
        all_agencies=scope.all_agencies,
        kinds=DUE_KINDS,
        today=clock.today,
    ), (400 if errors else 200)


def feed_url(token: str) -> str:
    """The public address of a feed: under BASE_URL, like the links in reminder emails (a
    calendar program fetches it from wherever the user pasted it, not through this request)."""
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    return base + url_for("due.feed", token=token)[len(request.script_root) :]


@bp.route("/calendar/<token>.ics")
@public
@limiter.limit(FEED_LIMIT)
def feed(token: str) -> Response:
    """The feed of the user this secret token belongs to. Answers without a page or a session
    (calendar programs keep no cookies), and an unknown or revoked token is a plain 404."""
    session = get_session()
    user = user_for_calendar_token(session, token)
    if user is None:
        return Response(_("No such calendar.") + "\n", 404, mimetype="text/plain")
    body = calendar_feed(session, user, _clock(), current_app.config["BASE_URL"])
    g.no_store = True  # the feed is personal: no shared cache may keep it
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="equiplan.ics"'
    return response
