"""/api/v1/due: what is due and overdue in the caller's scope (scheduled work and open repairs),
with the due list's filters. Read-only, so not a `Collection`: openapi.py documents it from the
declarations here."""

from __future__ import annotations

from flask import current_app, request
from werkzeug.wrappers import Response

from equiplan.api.fields import Field, QueryParam, Shape
from equiplan.api.requests import context, reject_unknown_arguments, today
from equiplan.api.serialise import page_response, serialise
from equiplan.api.views import bp
from equiplan.services.due import due_clock, due_items
from equiplan.services.due_query import (
    DEFAULT_PER_PAGE,
    DEFAULT_WINDOW,
    DUE_KINDS,
    DUE_STATES,
    PER_PAGE_CHOICES,
    STATE_FILTERS,
    WINDOW_CHOICES,
    parse_due_query,
)
from equiplan.services.errors import ValidationError
from equiplan.web.policy import signed_in

DUE_ITEM = Shape(
    "DueItem",
    "Something that falls due: the next occurrence of a schedule, or an open repair's target "
    "restore time (its due date is the local date of the target).",
    (
        Field("source", "string", "read", enum=("schedule", "repair")),
        Field("schedule_id", "integer", "read", nullable=True, minimum=1),
        Field("work_order_id", "integer", "read", nullable=True, minimum=1),
        Field("equipment_id", "integer", "read", minimum=1),
        Field("inventory_no", "string", "read"),
        Field("type_code", "string", "read"),
        Field("site_code", "string", "read", nullable=True),
        Field("site_name_en", "string", "read", nullable=True),
        Field("site_name_lt", "string", "read", nullable=True),
        Field("agency_code", "string", "read"),
        Field("kind", "string", "read", enum=DUE_KINDS),
        Field("due_date", "date", "read"),
        Field(
            "target_restore_at",
            "date-time",
            "read",
            nullable=True,
            description="Repairs: when service should be restored.",
        ),
        Field(
            "grace_ends_on",
            "date",
            "read",
            nullable=True,
            description="Scheduled work: the last day that still counts as on time.",
        ),
        Field(
            "state",
            "string",
            "read",
            enum=DUE_STATES,
            description="overdue: past the grace window (a repair: past its target); due: from "
            "the due date to the end of the grace window; upcoming: later.",
        ),
    ),
)
DUE_FILTERS = (
    QueryParam(
        "agency_id", "integer", "Centre roles; officers and viewers see their own.", minimum=1
    ),
    QueryParam("site_id", "integer", minimum=1),
    QueryParam("kind", "string", "A schedule kind, or repair.", enum=DUE_KINDS),
    QueryParam(
        "window",
        "integer",
        "Days ahead of today; everything overdue is always included.",
        enum=WINDOW_CHOICES,
        default=DEFAULT_WINDOW,
    ),
    QueryParam(
        "state", "string", "overdue: only what is overdue.", enum=STATE_FILTERS, default="all"
    ),
    QueryParam("day", "string", "YYYY-MM-DD: only what falls due that day (replaces window)."),
)
DUE_PER_PAGE = QueryParam(
    "per_page", "integer", "Items per page.", enum=PER_PAGE_CHOICES, default=DEFAULT_PER_PAGE
)
DUE_DESCRIPTION = (
    "What is due in your scope, earliest first (repairs before scheduled work on the same day, "
    "then by id): scheduled work of items in the fleet (active schedules only) and open repairs "
    "with a target restore time. The same filters as the web page /due."
)


@bp.get("/due")
@signed_in
def list_due() -> Response:
    errors = reject_unknown_arguments((*DUE_FILTERS, DUE_PER_PAGE))
    query, problems = parse_due_query(request.args)
    errors.update({name: str(message) for name, message in problems.items()})
    if errors:
        raise ValidationError(errors)
    session, scope = context()
    found = due_items(session, scope, query, due_clock(today(), current_app.config["TIMEZONE"]))
    items = (serialise(DUE_ITEM, row, {"target_restore_at": row.target_at}) for row in found.items)
    return page_response(items, found.total, found.page, found.per_page)
