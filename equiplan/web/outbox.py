"""The mail outbox for administrators: every email equiplan sends (or tried to), its status and
last error, and a way to send failed ones again once the cause is fixed.

Without EQUIPLAN_SMTP_URL nothing leaves the server: mail is written to the instance outbox
folder, and this page is where it can be read.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from equiplan.db import get_session
from equiplan.domain.roles import Role
from equiplan.models import utcnow
from equiplan.models.notification import OUTBOX_STATUSES
from equiplan.services import outbox_admin
from equiplan.services.errors import ValidationError
from equiplan.web.policy import roles

bp = Blueprint("outbox", __name__)

Page = tuple[str, int]


class RetryForm(FlaskForm):
    """Sending again is a POST with a CSRF token; which message(s) is in the URL."""


def _expired() -> str:
    return _("The form has expired. Please submit it again.")


@bp.route("/admin/outbox")
@roles(Role.ADMIN)
def index() -> Page:
    query, errors = outbox_admin.parse_outbox_query(request.args)
    overview = outbox_admin.outbox_overview(get_session(), query)
    return render_template(
        "outbox/list.html",
        overview=overview,
        page=overview.page,
        query=query,
        errors=errors,
        statuses=OUTBOX_STATUSES,
        retry_form=RetryForm(formdata=None),
        smtp_configured=bool(current_app.config["SMTP_URL"]),
    ), (400 if errors else 200)


@bp.route("/admin/outbox/<int:message_id>")
@roles(Role.ADMIN)
def detail(message_id: int) -> Page:
    return _render_detail(message_id), 200


# The email's own HTML, as its recipient sees it: inline styles allowed (emails need them),
# nothing else — no scripts, no requests, its own opaque origin (sandbox), framed only by our
# own message page.
EMAIL_HTML_POLICY = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
)


@bp.route("/admin/outbox/<int:message_id>/html")
@roles(Role.ADMIN)
def html_body(message_id: int) -> Response:
    """The HTML part of one message, for the frame on its page."""
    message = outbox_admin.get_message(get_session(), message_id)
    response = current_app.response_class(
        message.body_html or "", mimetype="text/html", status=200 if message.body_html else 404
    )
    response.headers["Content-Security-Policy"] = EMAIL_HTML_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _render_detail(message_id: int, problems: list[str] | None = None) -> str:
    return render_template(
        "outbox/detail.html",
        d=outbox_admin.message_detail(get_session(), message_id),
        retry_form=RetryForm(formdata=None),
        problems=problems or [],
    )


@bp.route("/admin/outbox/<int:message_id>/retry", methods=["POST"])
@roles(Role.ADMIN)
def retry(message_id: int) -> Response | Page:
    if not RetryForm().validate_on_submit():
        return _render_detail(message_id, [_expired()]), 400
    try:
        outbox_admin.retry_message(get_session(), message_id, utcnow())
    except ValidationError as error:
        return _render_detail(message_id, list(error.errors.values())), 400
    flash(_("Message %(id)s is queued to be sent again.", id=message_id), "success")
    return redirect(url_for("outbox.detail", message_id=message_id))


@bp.route("/admin/outbox/retry-failed", methods=["POST"])
@roles(Role.ADMIN)
def retry_failed() -> Response:
    """Send every failed message again; the list asks for confirmation before posting here."""
    if not RetryForm().validate_on_submit():
        flash(_expired(), "danger")
        return redirect(url_for("outbox.index", status="failed"))
    count = outbox_admin.retry_failed(get_session(), utcnow())
    if count:
        # No plural forms: the count stands apart, which reads well in both languages.
        flash(_("Failed messages queued to be sent again: %(count)s.", count=count), "success")
    else:
        flash(_("No message had failed; nothing was changed."), "info")
    return redirect(url_for("outbox.index", status="queued"))
