"""/api/v1/schedules: the recurring work planned on each item. Everybody reads within their
scope; administrators, technicians and officers (their own agency's items) add schedules,
change them, and pause or resume them (`active`)."""

from __future__ import annotations

from flask import request, url_for
from werkzeug.wrappers import Response

from equiplan.api.fields import CREATED_AT, ID, VERSION, Collection, Field, QueryParam, Shape
from equiplan.api.requests import (
    checked_body,
    context,
    page_arguments,
    reject_unknown_arguments,
    today,
    update_body,
)
from equiplan.api.serialise import created, page_response, serialise
from equiplan.api.views import bp
from equiplan.domain.roles import Role
from equiplan.models.schedule import ANCHORS, INTERVAL_UNITS, SCHEDULE_KINDS
from equiplan.services import schedules
from equiplan.services.errors import ValidationError
from equiplan.services.schedules import MAX_INTERVAL, MAX_NOTICE_DAYS
from equiplan.web.policy import roles, signed_in

_INTERVAL = ", ".join(f"{unit}: at most {most}" for unit, most in MAX_INTERVAL.items())

SCHEDULE = Shape(
    "Schedule",
    "Recurring work planned on one item: calibration, source check, performance test, "
    "preventive service or inspection.",
    (
        ID,
        Field("equipment_id", "integer", "create", minimum=1),
        Field(
            "kind",
            "string",
            "create",
            enum=SCHEDULE_KINDS,
            description="Fixed once the schedule exists; other work is a new schedule.",
        ),
        Field(
            "interval_value",
            "integer",
            minimum=1,
            maximum=max(MAX_INTERVAL.values()),
            description=f"How often the work is due ({_INTERVAL}).",
        ),
        Field("interval_unit", "string", enum=INTERVAL_UNITS),
        Field(
            "anchor",
            "string",
            enum=ANCHORS,
            description="fixed: the next due date counts from the previous due date; "
            "completion: from the last completion. Default fixed.",
        ),
        Field(
            "lead_days",
            "integer",
            minimum=0,
            maximum=MAX_NOTICE_DAYS,
            description="Reminders start this many days before the due date. Default 30.",
        ),
        Field(
            "grace_days",
            "integer",
            minimum=0,
            maximum=MAX_NOTICE_DAYS,
            description="The work counts as on time this many days after the due date. Default 0.",
        ),
        Field(
            "next_due",
            "date",
            description="When the next occurrence is due. On creation, default: one interval "
            "from today.",
        ),
        Field(
            "active",
            "boolean",
            description="false: paused (no reminders, never overdue). Default true.",
        ),
        Field("remind_from", "date", "read", description="next_due − lead_days."),
        Field("grace_ends_on", "date", "read", description="next_due + grace_days."),
        Field("last_completed", "date", "read", nullable=True),
        CREATED_AT,
        VERSION,
    ),
    required_on_create=("equipment_id", "kind", "interval_value", "interval_unit"),
)

WRITERS = (Role.ADMIN.value, Role.TECHNICIAN.value, Role.OFFICER.value)
SCHEDULES = Collection(
    path="/schedules",
    param="schedule_id",
    plural="schedules",
    singular="schedule",
    tag="Schedules",
    item=SCHEDULE,
    filters=(
        QueryParam("equipment_id", "integer", "The schedules of one item.", minimum=1),
        QueryParam("kind", "string", enum=SCHEDULE_KINDS),
        QueryParam("active", "boolean", "true: running; false: paused."),
        QueryParam("due_before", "date", "Due on or before this date (YYYY-MM-DD)."),
    ),
    write_roles=WRITERS,
    description="The one due first first. Officers and viewers see their own agency.",
)


@bp.get("/schedules")
@signed_in
def list_schedules() -> Response:
    errors = reject_unknown_arguments(SCHEDULES.filters)
    page, per_page = page_arguments(errors)
    # The service reads the filters' text (numbers, true/false, dates); every problem at once.
    filters, problems = schedules.parse_schedule_filters(request.args)
    errors.update(problems)
    if errors:
        raise ValidationError(errors)
    session, scope = context()
    found = schedules.list_schedules(session, scope, **filters, page=page, per_page=per_page)
    return page_response((serialise(SCHEDULE, s) for s in found.items), found.total, page, per_page)


@bp.get("/schedules/<int:schedule_id>")
@signed_in
def get_schedule(schedule_id: int) -> dict[str, object]:
    session, scope = context()
    return serialise(SCHEDULE, schedules.get_schedule(session, scope, schedule_id))


@bp.post("/schedules")
@roles(Role.ADMIN, Role.TECHNICIAN, Role.OFFICER)
def create_schedule() -> Response:
    body = checked_body(SCHEDULE.on_create(), known=SCHEDULE.fields)
    # A required field left out is the service's to report, with its message.
    required = dict.fromkeys(SCHEDULE.required_on_create)
    session, scope = context()
    schedule = schedules.add_schedule(session, scope, today=today(), **{**required, **body})
    return created(
        serialise(SCHEDULE, schedule), url_for("api.get_schedule", schedule_id=schedule.id)
    )


@bp.patch("/schedules/<int:schedule_id>")
@roles(Role.ADMIN, Role.TECHNICIAN, Role.OFFICER)
def update_schedule(schedule_id: int) -> dict[str, object]:
    version, changes = update_body(SCHEDULE.on_update(), known=SCHEDULE.fields)
    session, scope = context()
    schedule = schedules.update_schedule(session, scope, schedule_id, version=version, **changes)
    return serialise(SCHEDULE, schedule)
