"""Work-order pages: the list, report a fault / new work on an item, one order with its
actions (start, close, cancel, edit).

Each handler parses the form, calls one service function and renders; a stale `version`
re-renders the form with the user's input and a 409, bad input a 400 with the message next to
the field, nothing written in either case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from equiplan.db import get_session
from equiplan.domain.roles import Role
from equiplan.domain.work_orders import is_closed
from equiplan.models import Equipment, WorkOrder
from equiplan.models.work import WORK_KINDS
from equiplan.services import work_orders as service
from equiplan.services.errors import Conflict, ValidationError
from equiplan.services.scoping import scope_for
from equiplan.services.work_order_filters import (
    DATE_FIELDS,
    PER_PAGE_CHOICES,
    SORT_KEYS,
    STATUS_FILTERS,
)
from equiplan.web.policy import roles, signed_in
from equiplan.web.work_order_forms import (
    CancelWorkOrderForm,
    CloseWorkOrderForm,
    EditWorkOrderForm,
    OpenWorkOrderForm,
    StartWorkOrderForm,
    local_input_value,
    now_input_value,
)
from equiplan.web.work_order_list import narrow_filter_lines, narrow_filters

bp = Blueprint("work_orders", __name__)

# Who opens, edits, starts, closes and cancels work (officers: their agency's items only).
WRITERS = (Role.ADMIN, Role.TECHNICIAN, Role.OFFICER)
Page = tuple[str, int]


def _conflict_message() -> str:
    return _(
        "Somebody else changed this work order while you were editing. "
        "Reload to see their changes; your input is kept below."
    )


@bp.route("/work-orders")
@signed_in
def index() -> Page:
    query, errors = service.parse_work_order_query(request.args)
    session, scope = get_session(), scope_for(current_user)
    page = service.list_work_orders(
        session, scope, **vars(query), timezone=current_app.config["TIMEZONE"]
    )
    return render_template(
        "work_orders/list.html",
        page=page,
        query=query,
        errors=errors,
        agencies=service.list_agencies(session, scope) if scope.all_agencies else [],
        all_agencies=scope.all_agencies,
        kinds=WORK_KINDS,
        statuses=STATUS_FILTERS,
        date_fields=DATE_FIELDS,
        narrow=narrow_filters(query),
        narrow_lines=narrow_filter_lines(query),
        sort_keys=SORT_KEYS,
        per_page_choices=PER_PAGE_CHOICES,
    ), (400 if errors else 200)


@bp.route("/equipment/<int:equipment_id>/work-orders/new", methods=["GET", "POST"])
@roles(*WRITERS)
def new(equipment_id: int) -> Response | Page:
    """Report a fault (?kind=corrective) or open other work on an item."""
    session, scope = get_session(), scope_for(current_user)
    item = service.equipment_for_work_order(session, scope, equipment_id)
    fault = request.args.get("kind") == "corrective"
    form = OpenWorkOrderForm()
    form.offer(fault, service.technician_options(session, item))
    problems: list[str] = []
    if request.method == "GET":
        if fault:
            form.downtime_start.data = now_input_value()
        elif request.args.get("kind") in WORK_KINDS:
            form.kind.data = request.args["kind"]
    elif form.validate_on_submit():
        values, own_errors = form.values()
        if fault:
            values["kind"] = "corrective"
        try:
            order = service.open_work_order(
                session, scope, equipment_id=item.id, opened_by_id=current_user.id, **values
            )
        except ValidationError as error:
            problems = form.show_errors(error.errors, own_errors)
        else:
            flash(_("Work order %(id)s opened.", id=order.id), "success")
            return redirect(url_for("work_orders.detail", work_order_id=order.id))
    else:
        problems = _form_problems(form)
    return _render_open(form, item, fault, problems), (200 if request.method == "GET" else 400)


def _render_open(form: OpenWorkOrderForm, item: Equipment, fault: bool, problems: list[str]) -> str:
    return render_template(
        "work_orders/new.html",
        form=form,
        item=item,
        fault=fault,
        problems=problems,
        failure_groups=service.failure_code_options(get_session()) if fault else [],
        timezone=current_app.config["TIMEZONE"],
    )


def _form_problems(form: Any) -> list[str]:
    # Only the CSRF token can fail Flask-WTF's own validation here (the fields are text).
    if form.csrf_token.errors:
        return [_("The form has expired. Please submit it again.")]
    return []


@bp.route("/work-orders/<int:work_order_id>")
@signed_in
def detail(work_order_id: int) -> Page:
    return _render_detail(work_order_id), 200


def _render_detail(work_order_id: int, problems: list[str] | None = None) -> str:
    found = service.work_order_detail(get_session(), scope_for(current_user), work_order_id)
    version = found.order.version
    return render_template(
        "work_orders/detail.html",
        d=found,
        start_form=StartWorkOrderForm(formdata=None, version=version),
        cancel_form=CancelWorkOrderForm(formdata=None, version=version),
        problems=problems or [],
    )


@bp.route("/work-orders/<int:work_order_id>/edit", methods=["GET", "POST"])
@roles(*WRITERS)
def edit(work_order_id: int) -> Response | Page:
    session, scope = get_session(), scope_for(current_user)
    order = service.get_work_order(session, scope, work_order_id)
    if request.method == "GET" and is_closed(order.status):
        return _already_closed(order)
    item = session.get_one(Equipment, order.equipment_id)
    form = EditWorkOrderForm() if request.method == "POST" else _filled_edit_form(order)
    form.offer_for(order.kind, service.technician_options(session, item))
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            values, own_errors = form.values()
            try:
                service.update_work_order(
                    session, scope, order.id, version=form.version.data, **values
                )
            except Conflict:
                problems, status = [_conflict_message()], 409
            except ValidationError as error:
                problems = form.show_errors(error.errors, own_errors)
            else:
                flash(_("Work order saved."), "success")
                return redirect(url_for("work_orders.detail", work_order_id=order.id))
        else:
            problems = _form_problems(form)
    return render_template(
        "work_orders/edit.html",
        form=form,
        order=order,
        item=item,
        problems=problems,
        failure_groups=service.failure_code_options(session) if order.kind == "corrective" else [],
        timezone=current_app.config["TIMEZONE"],
    ), status


def _already_closed(order: WorkOrder) -> Response:
    flash(_("This work order is already closed."), "info")
    return redirect(url_for("work_orders.detail", work_order_id=order.id))


def _filled_edit_form(order: WorkOrder) -> EditWorkOrderForm:
    return EditWorkOrderForm(
        formdata=None,
        symptom=order.symptom,
        failure_code=service.failure_code_of(get_session(), order),
        downtime_start=local_input_value(order.downtime_start),
        due_date=order.due_date.isoformat() if order.due_date else "",
        technician_id=str(order.technician_id or ""),
        notes=order.notes,
        version=order.version,
    )


@bp.route("/work-orders/<int:work_order_id>/close", methods=["GET", "POST"])
@roles(*WRITERS)
def close(work_order_id: int) -> Response | Page:
    session, scope = get_session(), scope_for(current_user)
    order = service.get_work_order(session, scope, work_order_id)
    if request.method == "GET" and is_closed(order.status):
        return _already_closed(order)
    if request.method == "POST":
        form = CloseWorkOrderForm()
    else:
        form = CloseWorkOrderForm(
            formdata=None,
            completed_at=now_input_value(),
            downtime_end=now_input_value(),
            failure_code=service.failure_code_of(get_session(), order),
            notes=order.notes,
            labour_hours="",
            version=order.version,
        )
    form.offer(has_downtime=order.downtime_start is not None)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            values, own_errors = form.values()
            try:
                service.close_work_order(
                    session,
                    scope,
                    order.id,
                    version=form.version.data,
                    timezone=current_app.config["TIMEZONE"],
                    **values,
                )
            except Conflict:
                problems, status = [_conflict_message()], 409
            except ValidationError as error:
                problems = form.show_errors(error.errors, own_errors)
            else:
                flash(_("Work order %(id)s closed.", id=order.id), "success")
                return redirect(url_for("work_orders.detail", work_order_id=order.id))
        else:
            problems = _form_problems(form)
    return render_template(
        "work_orders/close.html",
        form=form,
        order=order,
        item=session.get_one(Equipment, order.equipment_id),
        problems=problems,
        failure_groups=service.failure_code_options(session),
        timezone=current_app.config["TIMEZONE"],
    ), status


@bp.route("/work-orders/<int:work_order_id>/start", methods=["POST"])
@roles(*WRITERS)
def start(work_order_id: int) -> Response | Page:
    form = StartWorkOrderForm()
    return _detail_action(
        work_order_id,
        form,
        lambda: service.start_work_order(
            get_session(),
            scope_for(current_user),
            work_order_id,
            version=form.version.data,
            started_by_id=current_user.id,
        ),
        _("Work started."),
    )


def _stale_action_message() -> str:
    return _(
        "Somebody else changed this work order while you were looking at it. "
        "Nothing was changed; check it below and try again."
    )


@bp.route("/work-orders/<int:work_order_id>/cancel", methods=["POST"])
@roles(*WRITERS)
def cancel(work_order_id: int) -> Response | Page:
    """Cancel an order; the page asks for confirmation (and a reason) before posting here."""
    form = CancelWorkOrderForm()
    return _detail_action(
        work_order_id,
        form,
        lambda: service.cancel_work_order(
            get_session(),
            scope_for(current_user),
            work_order_id,
            version=form.version.data,
            reason=form.reason.data,
        ),
        _("Work order %(id)s cancelled.", id=work_order_id),
    )


def _detail_action(
    work_order_id: int, form: FlaskForm, change: Callable[[], object], done: str
) -> Response | Page:
    """A one-button action of the detail page: do it, or show the page with what stopped it."""
    if not form.validate_on_submit():
        return _render_detail(work_order_id, _form_problems(form)), 400
    try:
        change()
    except Conflict:
        return _render_detail(work_order_id, [_stale_action_message()]), 409
    except ValidationError as error:
        return _render_detail(work_order_id, list(error.errors.values())), 400
    flash(done, "success")
    return redirect(url_for("work_orders.detail", work_order_id=work_order_id))
