"""Sign-in and sign-out."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from equiplan.db import get_session
from equiplan.extensions import limiter
from equiplan.services.users import authenticate, normalise_email
from equiplan.web.forms import LoginForm, SignOutForm
from equiplan.web.policy import public, signed_in
from equiplan.web.safety import safe_next

bp = Blueprint("auth", __name__)


def _account_key() -> str:
    return "login-account:" + normalise_email(request.form.get("email", ""))


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_account_key
)
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(get_session(), form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user, remember=bool(form.remember.data))
            return redirect(safe_next(form.next.data, url_for("dashboard.index")))
        flash(_("Wrong email or password."), "danger")
    status = 400 if form.errors or request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@signed_in
def logout() -> Response:
    form = SignOutForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
