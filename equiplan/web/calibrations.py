"""Calibration pages: record a calibration of an item, see one, correct its certificate data,
and download its certificate file (only within the user's scope)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from equiplan.db import get_session
from equiplan.domain.roles import Role
from equiplan.services import calibrations
from equiplan.services.certificates import store_from_config
from equiplan.services.clock import local_today
from equiplan.services.errors import Conflict, ValidationError
from equiplan.services.scoping import scope_for
from equiplan.web.calibration_forms import CalibrationForm, CorrectionForm, quantity_label
from equiplan.web.policy import roles, signed_in

bp = Blueprint("calibrations", __name__)

RECORDERS = (Role.ADMIN, Role.TECHNICIAN)


def _today() -> date:
    return local_today(current_app.config["TIMEZONE"])


def reading(value: float | None) -> str:
    """A reading or deviation in the interface language's notation, up to six decimals."""
    return "—" if value is None else format_decimal(value, format="#,##0.######")


def signed(value: float | None, suffix: str = "") -> str:
    """A deviation or drift with its sign: +0.5, −0.25."""
    if value is None:
        return "—"
    if value == 0:
        return "0" + suffix
    return format_decimal(value, format="+#,##0.######;-#,##0.######") + suffix


def signed_percent(value: float | None) -> str:
    """A relative deviation with its sign, to two decimals: +25 %, −0.1 %."""
    if value is None:
        return "—"
    if value == 0:
        return "0 %"
    return format_decimal(value, format="+#,##0.##;-#,##0.##") + " %"


_HELPERS = {
    "quantity_label": quantity_label,
    "reading": reading,
    "signed": signed,
    "signed_percent": signed_percent,
}


@bp.route("/equipment/<int:equipment_id>/calibrations/new", methods=["GET", "POST"])
@roles(*RECORDERS)
def new(equipment_id: int) -> Response | tuple[str, int]:
    """Record a calibration: certificate data and file, readings per point; optional
    `?work_order=<id>` preselects the open calibration work order it closes."""
    session, scope = get_session(), scope_for(current_user)
    start = calibrations.new_calibration(session, scope, equipment_id)
    if request.method == "POST":
        form = CalibrationForm()
    else:
        form = CalibrationForm(formdata=None)
        form.prefill(start, _today(), request.args.get("work_order", ""))
    form.offer(start)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        store = store_from_config(current_app.config)
        arguments, rows = form.service_arguments(store.max_bytes)
        try:
            result = calibrations.record_calibration(
                session,
                scope,
                equipment_id=equipment_id,
                recorded_by_id=current_user.id,
                certificate_store=store,
                today=_today(),
                timezone=current_app.config["TIMEZONE"],
                **arguments,
            )
        except ValidationError as error:
            problems, status = form.show_errors(error.errors, rows), 400
            problems = problems or [_("Nothing was saved: correct the fields marked below.")]
            if arguments["certificate"] is not None and "certificate" not in error.errors:
                # Browsers never refill a file input: say so rather than lose the file quietly.
                form.certificate.errors = [_("Choose the certificate file again.")]
        except Conflict as conflict:
            problems = [str(conflict), _("Nothing was saved; submit the form again.")]
            status = 409
        else:
            flash(_("Calibration %(no)s recorded.", no=result.certificate_no), "success")
            return redirect(url_for("calibrations.detail", calibration_id=result.id))
    elif form.is_submitted():
        problems, status = [str(m) for m in form.csrf_token.errors], 400
    return render_template(
        "calibrations/new.html",
        form=form,
        item=start.equipment,
        problems=problems,
        upload_max_mb=current_app.config["UPLOAD_MAX_MB"],
        **_HELPERS,
    ), status


@bp.route("/calibrations/<int:calibration_id>")
@signed_in
def detail(calibration_id: int) -> str:
    """A calibration with every point judged, and drift against the previous calibration."""
    found = calibrations.get_calibration(get_session(), scope_for(current_user), calibration_id)
    return render_template("calibrations/detail.html", c=found, **_HELPERS)


@bp.route("/calibrations/<int:calibration_id>/edit", methods=["GET", "POST"])
@roles(*RECORDERS)
def edit(calibration_id: int) -> Response | tuple[str, int]:
    """Correct the laboratory, certificate number or validity of a recorded calibration."""
    session, scope = get_session(), scope_for(current_user)
    found = calibrations.get_calibration(session, scope, calibration_id)
    result = found.result
    if request.method == "POST":
        form = CorrectionForm()
    else:
        form = CorrectionForm(formdata=None, obj=result)
        form.valid_until.data = result.valid_until.isoformat() if result.valid_until else ""
        form.version.data = str(result.version)
    problems: list[str] = []
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            calibrations.update_calibration(
                session,
                scope,
                calibration_id,
                version=form.version.data,
                laboratory=form.laboratory.data,
                certificate_no=form.certificate_no.data,
                valid_until=form.valid_until.data or None,
            )
        except ValidationError as error:
            for name, message in error.errors.items():
                field: Any = form._fields.get(name)
                if field is None or name == "version":
                    problems.append(message)
                else:
                    field.errors = [*field.errors, message]
        except Conflict as conflict:
            problems.append(
                " ".join(
                    (
                        str(conflict),
                        _("Your input is kept below; compare and save again if it still applies."),
                    )
                )
            )
            status = 409
        else:
            flash(_("Calibration %(no)s corrected.", no=result.certificate_no), "success")
            return redirect(url_for("calibrations.detail", calibration_id=calibration_id))
    elif form.is_submitted():
        problems = [str(m) for m in form.csrf_token.errors]
    return render_template("calibrations/edit.html", form=form, c=found, problems=problems), status


@bp.route("/calibrations/<int:calibration_id>/certificate")
@signed_in
def certificate(calibration_id: int) -> Response:
    """The certificate file, as an attachment under its original name (404 outside the scope)."""
    try:
        path, name, mimetype = calibrations.certificate_for_download(
            get_session(),
            scope_for(current_user),
            calibration_id,
            store_from_config(current_app.config),
        )
    except calibrations.NoCertificateFile:
        flash(_("No certificate file was uploaded for this calibration."), "warning")
        return redirect(url_for("calibrations.detail", calibration_id=calibration_id))
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=name)
    # The browser must take the file for what we checked it is, never sniff it into HTML.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
