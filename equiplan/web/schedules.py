"""Schedule pages: add recurring work to an item, change a schedule, pause and resume it.

Each handler parses the form, calls one service function and renders. Bad input re-renders the
form with a 400 and the message next to the field; a stale `version` re-renders it with the
user's input and a 409. Pause and resume are buttons on the item page: they go back to it with
a message, or show it again with what stopped them. Nothing is written in any failing case.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from equiplan.db import get_session
from equiplan.domain.roles import Role
from equiplan.models import Equipment, Schedule
from equiplan.services import schedules as service
from equiplan.services.clock import local_today
from equiplan.services.equipment import equipment_detail
from equiplan.services.errors import Conflict, ValidationError
from equiplan.services.scoping import scope_for
from equiplan.web.policy import roles
from equiplan.web.schedule_forms import NEW_DEFAULTS, ScheduleForm, ScheduleStateForm, filled_form

bp = Blueprint("schedules", __name__)

# Who plans recurring work (officers: their own agency's items only, through the scope).
WRITERS = (Role.ADMIN, Role.TECHNICIAN, Role.OFFICER)
Page = tuple[str, int]


def _form_problems(form: ScheduleForm | ScheduleStateForm) -> list[str]:
    # Only the CSRF token can fail Flask-WTF's own validation here (the fields are text).
    if form.csrf_token.errors:
        return [_("The form has expired. Please submit it again.")]
    return []


def _conflict_message() -> str:
    return _(
        "Somebody else changed this schedule while you were editing. "
        "Reload to see their changes; your input is kept below."
    )


def _render_form(
    form: ScheduleForm,
    item: Equipment,
    schedule: Schedule | None,
    problems: list[str],
    status: int,
) -> Page:
    return render_template(
        "schedules/form.html", form=form, item=item, schedule=schedule, problems=problems
    ), status


@bp.route("/equipment/<int:equipment_id>/schedules/new", methods=["GET", "POST"])
@roles(*WRITERS)
def new(equipment_id: int) -> Response | Page:
    """Plan recurring work on an item: kind, interval, anchor, first due date, reminders."""
    session, scope = get_session(), scope_for(current_user)
    item = service.equipment_for_schedule(session, scope, equipment_id)
    form = (
        ScheduleForm() if request.method == "POST" else ScheduleForm(formdata=None, **NEW_DEFAULTS)
    )
    form.offer(new=True)
    if request.method == "GET":
        return _render_form(form, item, None, [], 200)
    if not form.validate_on_submit():
        return _render_form(form, item, None, _form_problems(form), 400)
    try:
        service.add_schedule(
            session,
            scope,
            equipment_id=item.id,
            today=local_today(current_app.config["TIMEZONE"]),
            **form.values(),
        )
    except ValidationError as error:
        session.rollback()
        return _render_form(form, item, None, form.show_errors(error.errors), 400)
    flash(_("Schedule added."), "success")
    return redirect(url_for("equipment.detail", equipment_id=item.id))


@bp.route("/schedules/<int:schedule_id>/edit", methods=["GET", "POST"])
@roles(*WRITERS)
def edit(schedule_id: int) -> Response | Page:
    """Change a schedule's interval, anchor, due date, lead or grace days."""
    session, scope = get_session(), scope_for(current_user)
    schedule, item = service.schedule_with_item(session, scope, schedule_id)
    form = ScheduleForm() if request.method == "POST" else filled_form(schedule)
    form.offer(new=False)
    if request.method == "GET":
        return _render_form(form, item, schedule, [], 200)
    if not form.validate_on_submit():
        return _render_form(form, item, schedule, _form_problems(form), 400)
    try:
        service.update_schedule(
            session, scope, schedule_id, version=form.version.data, **form.values()
        )
    except ValidationError as error:
        session.rollback()
        return _render_form(form, item, schedule, form.show_errors(error.errors), 400)
    except Conflict:
        session.rollback()
        return _render_form(form, item, schedule, [_conflict_message()], 409)
    flash(_("Schedule saved."), "success")
    return redirect(url_for("equipment.detail", equipment_id=item.id))


@bp.route("/schedules/<int:schedule_id>/pause", methods=["POST"])
@roles(*WRITERS)
def pause(schedule_id: int) -> Response | Page:
    """Pause a schedule: no reminders, not overdue, until it is resumed."""
    return _state_change(
        schedule_id,
        service.pause_schedule,
        _("Schedule paused: no reminders are sent and it does not count as overdue."),
    )


@bp.route("/schedules/<int:schedule_id>/resume", methods=["POST"])
@roles(*WRITERS)
def resume(schedule_id: int) -> Response | Page:
    """Resume a paused schedule from its stored due date."""
    return _state_change(schedule_id, service.resume_schedule, _("Schedule resumed."))


def _state_change(schedule_id: int, change: Callable[..., Schedule], done: str) -> Response | Page:
    """Pause or resume, then back to the item; or the item page with what stopped it."""
    session, scope = get_session(), scope_for(current_user)
    schedule = service.get_schedule(session, scope, schedule_id)
    equipment_id = schedule.equipment_id
    form = ScheduleStateForm()
    if not form.validate_on_submit():
        return _item_page(equipment_id, _form_problems(form), 400)
    try:
        change(session, scope, schedule_id, version=form.version.data)
    except Conflict:
        session.rollback()
        message = _(
            "Somebody else changed this schedule while you were looking at it. "
            "Nothing was changed; check it below and try again."
        )
        return _item_page(equipment_id, [message], 409)
    except ValidationError as error:
        session.rollback()
        return _item_page(equipment_id, list(error.errors.values()), 400)
    flash(done, "success")
    return redirect(url_for("equipment.detail", equipment_id=equipment_id))


def _item_page(equipment_id: int, problems: list[str], status: int) -> Page:
    """The item page as it stands now, with the problems shown above its schedules."""
    today = local_today(current_app.config["TIMEZONE"])
    found = equipment_detail(get_session(), scope_for(current_user), equipment_id, today)
    return render_template(
        "equipment/detail.html", d=found, today=today, schedule_problems=problems
    ), status
