"""The user's own account: profile, interface language, personal API tokens, the calendar feed
and how reminders arrive."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from equiplan.db import get_session
from equiplan.models import ApiToken, User
from equiplan.services import api_tokens
from equiplan.services.calendar_feed import issue_calendar_token, revoke_calendar_token
from equiplan.services.errors import ValidationError
from equiplan.services.reminder_preferences import reminder_delivery, set_reminder_delivery
from equiplan.services.users import set_locale
from equiplan.web.due import feed_url
from equiplan.web.forms import ApiTokenForm, LocaleForm, RevokeTokenForm
from equiplan.web.policy import public, signed_in
from equiplan.web.safety import safe_next

bp = Blueprint("account", __name__)


class CalendarFeedForm(FlaskForm):
    """Issuing or revoking the calendar URL is a POST with a CSRF token."""


class ReminderDeliveryForm(FlaskForm):
    delivery = RadioField(
        _l("Reminder emails"),
        choices=[
            SelectChoice("single", _l("One email for each reminder")),
            SelectChoice("digest", _l("One daily digest of everything due")),
        ],
        validators=[InputRequired(message=_l("Choose single reminders or the daily digest."))],
    )


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.route("/account")
@signed_in
def profile() -> str:
    return _render_profile(ApiTokenForm(formdata=None))


@bp.route("/account/tokens", methods=["POST"])
@signed_in
def create_token() -> tuple[str, int]:
    """Create an API token and show its secret in this response only.

    The secret is rendered here rather than flashed after a redirect, so it never travels in
    the session cookie nor sits in a server-side store; once this page is left it is gone.
    """
    form = ApiTokenForm()
    if form.validate_on_submit():
        try:
            token, secret = api_tokens.create_token(
                get_session(), current_user._get_current_object(), form.name.data or ""
            )
        except ValidationError as error:
            form.name.errors = [error.errors.get("name", str(error))]
        else:
            return _render_profile(ApiTokenForm(formdata=None), new_token=token, secret=secret), 200
    return _render_profile(form), 400


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@signed_in
def revoke_token(token_id: int) -> Response:
    """Revoke one of the user's own tokens (someone else's answers 404)."""
    form = RevokeTokenForm()
    if form.validate_on_submit():
        token = api_tokens.revoke_token(get_session(), current_user._get_current_object(), token_id)
        flash(_("Token “%(name)s” revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("account.profile", _anchor="api-tokens"))


def _render_profile(
    token_form: ApiTokenForm,
    new_token: ApiToken | None = None,
    secret: str | None = None,
    *,
    calendar_url: str | None = None,
    delivery_form: ReminderDeliveryForm | None = None,
    problems: list[str] | None = None,
) -> str:
    user = _me()
    return render_template(
        "account/profile.html",
        form=LocaleForm(formdata=None, locale=current_user.locale),
        token_form=token_form,
        revoke_form=RevokeTokenForm(formdata=None),
        tokens=api_tokens.list_tokens(get_session(), user),
        new_token=new_token,
        secret=secret,
        calendar_form=CalendarFeedForm(formdata=None),
        has_calendar=user.calendar_token is not None,
        calendar_url=calendar_url,
        delivery_form=delivery_form
        or ReminderDeliveryForm(formdata=None, delivery=reminder_delivery(user)),
        problems=problems or [],
    )


def _expired() -> list[str]:
    return [_("The form has expired. Please submit it again.")]


@bp.route("/account/calendar", methods=["POST"])
@signed_in
def issue_calendar() -> tuple[str, int]:
    """Issue a (new) secret calendar URL and show it in this response only, like an API token's
    secret; the previous URL stops working."""
    if not CalendarFeedForm().validate_on_submit():
        return _render_profile(ApiTokenForm(formdata=None), problems=_expired()), 400
    raw = issue_calendar_token(get_session(), _me())
    return _render_profile(ApiTokenForm(formdata=None), calendar_url=feed_url(raw)), 200


@bp.route("/account/calendar/revoke", methods=["POST"])
@signed_in
def revoke_calendar() -> Response | tuple[str, int]:
    if not CalendarFeedForm().validate_on_submit():
        return _render_profile(ApiTokenForm(formdata=None), problems=_expired()), 400
    revoke_calendar_token(get_session(), _me())
    flash(_("Calendar address revoked: calendars subscribed to it no longer update."), "success")
    return redirect(url_for("account.profile", _anchor="calendar"))


@bp.route("/account/reminders", methods=["POST"])
@signed_in
def reminders() -> Response | tuple[str, int]:
    """Choose one email per reminder or a daily digest (the user's own row only)."""
    form = ReminderDeliveryForm()
    if not form.validate_on_submit():
        problems = _expired() if form.csrf_token.errors else []
        return _render_profile(
            ApiTokenForm(formdata=None), delivery_form=form, problems=problems
        ), 400
    try:
        set_reminder_delivery(get_session(), _me(), form.delivery.data or "")
    except ValidationError as error:
        form.delivery.errors = [error.errors["delivery"]]
        return _render_profile(ApiTokenForm(formdata=None), delivery_form=form), 400
    if form.delivery.data == "digest":
        flash(_("You will get one daily digest instead of single reminder emails."), "success")
    else:
        flash(_("You will get an email for each reminder."), "success")
    return redirect(url_for("account.profile", _anchor="reminders"))


@bp.route("/locale", methods=["POST"])
@public
def change_locale() -> Response:
    """Switch the interface language: saved on the account, or in the session before sign-in."""
    form = LocaleForm()
    if form.validate_on_submit():
        locale = form.locale.data or "lt"
        if current_user.is_authenticated:
            set_locale(get_session(), current_user._get_current_object(), locale)
        session["locale"] = locale
        with force_locale(locale):
            flash(_("Language changed."), "info")
    fallback = (
        url_for("dashboard.index") if current_user.is_authenticated else url_for("auth.login")
    )
    return redirect(safe_next(form.next.data, fallback))
