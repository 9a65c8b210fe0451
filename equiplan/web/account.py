"""The user's own account: profile, interface language and personal API tokens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from equiplan.db import get_session
from equiplan.models import ApiToken
from equiplan.services import api_tokens
from equiplan.services.errors import ValidationError
from equiplan.services.users import set_locale
from equiplan.web.forms import ApiTokenForm, LocaleForm, RevokeTokenForm
from equiplan.web.policy import public, signed_in
from equiplan.web.safety import safe_next

bp = Blueprint("account", __name__)


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
    token_form: ApiTokenForm, new_token: ApiToken | None = None, secret: str | None = None
) -> str:
    return render_template(
        "account/profile.html",
        form=LocaleForm(formdata=None, locale=current_user.locale),
        token_form=token_form,
        revoke_form=RevokeTokenForm(formdata=None),
        tokens=api_tokens.list_tokens(get_session(), current_user._get_current_object()),
        new_token=new_token,
        secret=secret,
    )


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
