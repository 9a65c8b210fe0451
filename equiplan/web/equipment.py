"""The equipment register pages: the list and one item."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from equiplan.db import get_session
from equiplan.domain.roles import Role
from equiplan.models import Equipment
from equiplan.models.equipment import EQUIPMENT_STATUSES
from equiplan.services import equipment_write
from equiplan.services.clock import local_today
from equiplan.services.equipment import equipment_detail, filter_options, list_equipment
from equiplan.services.equipment_query import PER_PAGE_CHOICES, SORT_KEYS, parse_equipment_query
from equiplan.services.errors import Conflict, ValidationError
from equiplan.services.scoping import Scope, get_scoped, scope_for
from equiplan.web.equipment_forms import BLANK, DecommissionForm, EquipmentForm, MoveForm
from equiplan.web.naming import local_name
from equiplan.web.policy import roles, signed_in

# Who may change the register (product.md): the administrator and the agencies' officers.
EDITORS = (Role.ADMIN, Role.OFFICER)

bp = Blueprint("equipment", __name__)


@bp.route("/equipment")
@signed_in
def index() -> tuple[str, int]:
    query, errors = parse_equipment_query(request.args)
    session, scope = get_session(), scope_for(current_user)
    today = local_today(current_app.config["TIMEZONE"])
    page = list_equipment(session, scope, query, today)
    return render_template(
        "equipment/list.html",
        page=page,
        query=query,
        errors=errors,
        options=filter_options(session, scope),
        sort_keys=SORT_KEYS,
        per_page_choices=PER_PAGE_CHOICES,
        statuses=EQUIPMENT_STATUSES,
        all_agencies=scope.all_agencies,
    ), (400 if errors else 200)


@bp.route("/equipment/<int:equipment_id>")
@signed_in
def detail(equipment_id: int) -> str:
    today = local_today(current_app.config["TIMEZONE"])
    found = equipment_detail(get_session(), scope_for(current_user), equipment_id, today)
    return render_template("equipment/detail.html", d=found, today=today)


def _today() -> date:
    return local_today(current_app.config["TIMEZONE"])


def _scope() -> Scope:
    return scope_for(current_user)


def _equipment_form(obj: Equipment | None = None) -> EquipmentForm:
    if request.method == "POST":
        form = EquipmentForm()
    elif obj is None:
        form = EquipmentForm(formdata=None)
    else:
        form = EquipmentForm(
            formdata=None,
            obj=obj,
            acquisition_cost_eur=f"{obj.acquisition_cost_cents / 100:.2f}",
            **{name: getattr(obj, name) for name in ("model_id", "agency_id", "site_id")},
        )
    scope = _scope()
    form.offer(filter_options(get_session(), scope), own_agency_only=not scope.all_agencies)
    return form


def _render_form(
    form: EquipmentForm, item: Equipment | None, status: int = 200, problems: Any = ()
) -> tuple[str, int]:
    return render_template(
        "equipment/form.html", form=form, item=item, problems=list(problems)
    ), status


@bp.route("/equipment/new", methods=["GET", "POST"])
@roles(*EDITORS)
def register() -> Response | tuple[str, int]:
    """Register one item; its type's default schedules come with it."""
    form = _equipment_form()
    if not form.validate_on_submit():
        return _render_form(form, None, 400 if form.is_submitted() else 200)
    try:
        item = equipment_write.register_equipment(get_session(), _scope(), form.values(), _today())
    except ValidationError as error:
        get_session().rollback()
        return _render_form(form, None, 400, form.show_errors(error.errors))
    flash(_("Item %(no)s registered.", no=item.inventory_no), "success")
    return redirect(url_for("equipment.detail", equipment_id=item.id))


@bp.route("/equipment/<int:equipment_id>/edit", methods=["GET", "POST"])
@roles(*EDITORS)
def edit(equipment_id: int) -> Response | tuple[str, int]:
    """Edit an item; a save based on an outdated version is refused and the input kept."""
    item = get_scoped(get_session(), Equipment, equipment_id, _scope())
    form = _equipment_form(item)
    if request.method == "GET":
        form.version.data = str(item.version)
    if not form.validate_on_submit():
        return _render_form(form, item, 400 if form.is_submitted() else 200)
    try:
        equipment_write.update_equipment(
            get_session(), _scope(), equipment_id, version=form.version.data, raw=form.values()
        )
    except ValidationError as error:
        get_session().rollback()
        return _render_form(form, item, 400, form.show_errors(error.errors))
    except Conflict as conflict:
        get_session().rollback()
        return _render_form(form, item, 409, [_conflict_message(conflict)])
    flash(_("Changes to %(no)s saved.", no=item.inventory_no), "success")
    return redirect(url_for("equipment.detail", equipment_id=equipment_id))


def _conflict_message(conflict: Conflict) -> str:
    return " ".join(
        (str(conflict), _("Your input is kept below; compare and save again if it still applies."))
    )


@bp.route("/equipment/<int:equipment_id>/move", methods=["GET", "POST"])
@roles(*EDITORS)
def move(equipment_id: int) -> Response | tuple[str, int]:
    """Move an item to another site."""
    session, scope = get_session(), _scope()
    item = get_scoped(session, Equipment, equipment_id, scope)
    form = MoveForm() if request.method == "POST" else MoveForm(formdata=None)
    form.site_id.choices = [BLANK] + [
        (str(s.id), f"{s.code} — {local_name(s)}")
        for s in filter_options(session, scope).sites
        if s.id != item.site_id and s.agency_id == item.agency_id
    ]
    if request.method == "GET":
        form.version.data = str(item.version)
    return _submit(
        form,
        item,
        "equipment/move.html",
        lambda: equipment_write.move_equipment(
            session, scope, equipment_id, version=form.version.data, site_id=form.site_id.data
        ),
        _("Item %(no)s moved.", no=item.inventory_no),
    )


@bp.route("/equipment/<int:equipment_id>/decommission", methods=["GET", "POST"])
@roles(*EDITORS)
def decommission(equipment_id: int) -> Response | tuple[str, int]:
    """Decommission an item (never deleted): asks for the reason and a confirmation."""
    session, scope = get_session(), _scope()
    item = get_scoped(session, Equipment, equipment_id, scope)
    form = DecommissionForm() if request.method == "POST" else DecommissionForm(formdata=None)
    if request.method == "GET":
        form.version.data = str(item.version)
        form.decommissioned_on.data = _today().isoformat()
    return _submit(
        form,
        item,
        "equipment/decommission.html",
        lambda: equipment_write.decommission_equipment(
            session,
            scope,
            equipment_id,
            version=form.version.data,
            reason=form.reason.data,
            on=form.decommissioned_on.data,
            today=_today(),
        ),
        _("Item %(no)s decommissioned.", no=item.inventory_no),
    )


def _submit(
    form: MoveForm | DecommissionForm,
    item: Equipment,
    template: str,
    change: Any,
    done: str,
) -> Response | tuple[str, int]:
    """Run `change` for a valid submission; otherwise show the form with what is wrong."""
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        try:
            change()
        except ValidationError as error:
            get_session().rollback()
            for name, message in error.errors.items():
                field = form._fields.get(name)
                if field is None or name == "version":
                    problems.append(message)
                else:
                    field.errors = [*field.errors, message]  # type: ignore[list-item]
            status = 400
        except Conflict as conflict:
            get_session().rollback()
            problems.append(_conflict_message(conflict))
            status = 409
        else:
            flash(done, "success")
            return redirect(url_for("equipment.detail", equipment_id=item.id))
    elif form.is_submitted():
        status = 400
    return render_template(template, form=form, item=item, problems=problems), status
