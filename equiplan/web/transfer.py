"""Import and export of the equipment register: upload → preview → commit, template files, and
the list view as CSV or XLSX.

Between the preview and the commit the uploaded file waits under `<instance>/imports/`, named
after its uploader and a random token; the commit form carries only the token, so nobody else
can commit it, and the commit reads and checks the file again before writing anything.
"""

from __future__ import annotations

import io
import re
import secrets
import time
from pathlib import Path

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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from equiplan.db import get_session
from equiplan.services.agencies import list_agencies
from equiplan.services.clock import local_today
from equiplan.services.equipment_export import export_equipment
from equiplan.services.equipment_import import (
    MAX_ROWS,
    ImportPreview,
    ImportRejected,
    commit_import,
    preview_import,
)
from equiplan.services.equipment_query import parse_equipment_query
from equiplan.services.errors import ValidationError
from equiplan.services.import_format import import_template
from equiplan.services.scoping import scope_for
from equiplan.services.spreadsheet import FORMATS
from equiplan.web.policy import roles, signed_in

bp = Blueprint("transfer", __name__)

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_TOKEN = re.compile(r"[0-9a-f]{32}")
UPLOAD_LIFETIME_SECONDS = 24 * 3600  # previews left without a commit are removed after this
SHOWN_ROWS = 200  # rows of a clean preview listed on the page
SHOWN_PROBLEMS = 2000  # problems listed on the page (the count always says how many)


class ImportForm(FlaskForm):
    file = FileField(
        _l("Inventory file (CSV or XLSX)"),
        validators=[
            FileRequired(message=_l("Choose a file to import.")),
            FileAllowed(list(FORMATS), message=_l("Upload a .csv or .xlsx file.")),
        ],
    )
    agency = SelectField(_l("Agency for rows that leave it blank"), choices=[], default="")


class CommitImportForm(FlaskForm):
    upload = HiddenField()
    agency = HiddenField()


def _download(content: bytes, file_format: str, name: str) -> Response:
    response = send_file(
        io.BytesIO(content),
        mimetype=MIMETYPES[file_format],
        as_attachment=True,
        download_name=f"{name}.{file_format}",
    )
    response.headers["Cache-Control"] = "no-store"  # the register is not for shared caches
    return response


@bp.route("/equipment/export.<any(csv, xlsx):file_format>")
@signed_in
def export(file_format: str) -> Response:
    """The list view (the same filters and order as /equipment) as a file, every page of it."""
    query, errors = parse_equipment_query(request.args)
    if errors:
        raise ValidationError(errors)
    today = local_today(current_app.config["TIMEZONE"])
    content = export_equipment(get_session(), scope_for(current_user), query, today, file_format)
    return _download(content, file_format, f"equipment-{today.isoformat()}")


@bp.route("/equipment/import/template.<any(csv, xlsx):file_format>")
@signed_in
def template(file_format: str) -> Response:
    content = import_template(get_session(), scope_for(current_user), file_format)
    return _download(content, file_format, "equipment-import-template")


def _import_form() -> ImportForm:
    form = ImportForm()
    scope = scope_for(current_user)
    choices = [SelectChoice("", _("As given in the file"))]
    if scope.all_agencies:
        choices += [SelectChoice(a.code, a.code) for a in list_agencies(get_session(), scope)]
    form.agency.choices = choices
    return form


def _render_form(form: ImportForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "transfer/import.html",
        form=form,
        choose_agency=scope_for(current_user).all_agencies,
        max_rows=MAX_ROWS,
    ), status


def _render_preview(
    preview: ImportPreview, filename: str, agency: str, upload: str | None = None
) -> tuple[str, int]:
    commit_form = CommitImportForm(formdata=None, upload=upload or "", agency=agency)
    return render_template(
        "transfer/preview.html",
        preview=preview,
        filename=filename,
        commit_form=commit_form if upload else None,
        shown_rows=SHOWN_ROWS,
        shown_problems=SHOWN_PROBLEMS,
    ), (200 if preview.ok else 400)


@bp.route("/equipment/import", methods=["GET", "POST"])
@roles("admin", "officer")
def upload() -> tuple[str, int]:
    """The upload form; a posted file is checked and previewed, nothing is written yet."""
    form = _import_form()
    if request.method == "GET":
        return _render_form(form)
    if not form.validate_on_submit():
        return _render_form(form, 400)
    storage = form.file.data
    content = storage.read()
    filename = storage.filename or ""
    agency = form.agency.data or ""
    try:
        preview = preview_import(
            get_session(),
            scope_for(current_user),
            content=content,
            filename=filename,
            agency_code=agency,
        )
    except ValidationError as error:
        form.file.errors = list(form.file.errors) + list(error.errors.values())
        return _render_form(form, 400)
    token = _keep_upload(content, filename) if preview.ok else None
    return _render_preview(preview, filename, agency, token)


@bp.route("/equipment/import/commit", methods=["POST"])
@roles("admin", "officer")
def commit() -> Response | tuple[str, int]:
    """Import the previewed file: every row, or (when something changed meanwhile) nothing."""
    form = CommitImportForm()
    path = _find_upload(form.upload.data) if form.validate_on_submit() else None
    claimed = _claim(path) if path is not None else None
    if path is None or claimed is None:
        raise ValidationError(
            {"upload": _l("This upload is no longer available; upload the file again.")}
        )
    try:
        items = commit_import(
            get_session(),
            scope_for(current_user),
            content=claimed.read_bytes(),
            filename=path.name,
            agency_code=form.agency.data,
            today=local_today(current_app.config["TIMEZONE"]),
        )
    except ImportRejected as rejected:
        return _render_preview(ImportPreview(problems=rejected.problems), "", "")
    finally:
        claimed.unlink(missing_ok=True)  # one commit per preview, whatever happened
    flash(_("Imported %(count)s items.", count=len(items)), "success")
    return redirect(url_for("equipment.index"))


def _imports_dir() -> Path:
    return Path(current_app.instance_path) / "imports"


def _keep_upload(content: bytes, filename: str) -> str:
    """Store an upload for its commit; the name binds it to the uploader. Returns its token."""
    folder = _imports_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _forget_old_uploads(folder)
    token = secrets.token_hex(16)
    extension = filename.rsplit(".", 1)[-1].lower()
    (folder / f"{current_user.id}-{token}.{extension}").write_bytes(content)
    return token


def _find_upload(token: str | None) -> Path | None:
    """The current user's stored upload with this token, if there is one."""
    if not token or not _TOKEN.fullmatch(token):
        return None
    for extension in FORMATS:
        path = _imports_dir() / f"{current_user.id}-{token}.{extension}"
        if path.is_file():
            return path
    return None


def _claim(path: Path) -> Path | None:
    """Take the upload for this request alone (a double-clicked commit runs once), or None."""
    claimed = path.with_name(path.name + ".committing")
    try:
        path.rename(claimed)  # atomic: of two requests, one wins
    except FileNotFoundError:
        return None
    return claimed


def _forget_old_uploads(folder: Path) -> None:
    cutoff = time.time() - UPLOAD_LIFETIME_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # another worker removed it first
            continue
