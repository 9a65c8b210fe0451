"""The user's own account: profile and interface language."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from equiplan.db import get_session
from equiplan.services.users import set_locale
from equiplan.web.forms import LocaleForm
from equiplan.web.policy import public, signed_in
from equiplan.web.safety import safe_next

bp = Blueprint("account", __name__)


@bp.route("/account")
@signed_in
def profile() -> str:
    form = LocaleForm(locale=current_user.locale)
    return render_template("account/profile.html", form=form)


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
