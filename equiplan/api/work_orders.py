"""/api/v1/work-orders: everything done to an item. Everybody reads within their scope;
administrators, technicians and officers (their own agency's items) open, change, start,
close and cancel."""

from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from equiplan.api.fields import (
    ID,
    VERSION,
    Action,
    Collection,
    Field,
    QueryParam,
    Shape,
)
from equiplan.api.requests import (
    checked_body,
    context,
    reject_unknown_arguments,
    update_body,
)
from equiplan.api.serialise import created, page_response, serialise
from equiplan.api.views import bp
from equiplan.domain.roles import Role
from equiplan.models.work import WORK_KINDS, WORK_RESULTS, WORK_STATUSES
from equiplan.services import work_orders
from equiplan.services.errors import ValidationError
from equiplan.services.work_order_reads import (
    DATE_FIELDS,
    PER_PAGE_CHOICES,
    SORT_KEYS,
    STATUS_FILTERS,
    WorkOrderDetail,
)
from equiplan.web.policy import roles, signed_in

_FAILURE_CODE = 'A failure code (e.g. DET-SENS) from the seeded hierarchy; null or "" clears it.'

WORK_ORDER = Shape(
    "WorkOrder",
    "Work done (or to be done) to one item: a repair, a calibration, preventive service…",
    (
        ID,
        Field("equipment_id", "integer", "create", minimum=1),
        Field("kind", "string", "create", enum=WORK_KINDS),
        Field(
            "schedule_id",
            "integer",
            "create",
            nullable=True,
            minimum=1,
            description="The schedule this work fulfils; default: the item's of this kind.",
        ),
        Field("status", "string", "read", enum=WORK_STATUSES),
        Field("due_date", "date", nullable=True),
        Field("opened_at", "date-time", "read"),
        Field("started_at", "date-time", "read", nullable=True),
        Field("completed_at", "date-time", "read", nullable=True),
        Field(
            "downtime_start",
            "date-time",
            nullable=True,
            description="When the item stopped working (a repair's open downtime makes it "
            "not operational until the end is recorded).",
        ),
        Field("downtime_end", "date-time", "read", nullable=True),
        Field(
            "target_restore_at",
            "date-time",
            "read",
            nullable=True,
            description="Repairs only: when the item should work again, from its downtime "
            "start (or the report) and the criticality of its site; kept once closed.",
        ),
        Field("failure_code", "string", nullable=True, description=_FAILURE_CODE),
        Field("symptom", "string", max_length=2000, description="Required for a repair."),
        Field("cause", "string", "read"),
        Field("remedy", "string", "read"),
        Field("result", "string", "read", nullable=True, enum=WORK_RESULTS),
        Field("labour_hours", "number", "read", minimum=0),
        Field("parts_cost_cents", "integer", "read", minimum=0, description="Euro cents."),
        Field("external_cost_cents", "integer", "read", minimum=0, description="Euro cents."),
        Field(
            "technician_id",
            "integer",
            nullable=True,
            minimum=1,
            description="A technician, or an officer of the item's agency.",
        ),
        Field("opened_by_id", "integer", "read", nullable=True),
        Field("notes", "string", max_length=4000),
        VERSION,
    ),
    required_on_create=("equipment_id", "kind"),
)

WORK_ORDER_ROW = Shape(
    "WorkOrderListItem",
    "A work order with what the list shows of its item and technician.",
    (
        *WORK_ORDER.output,
        Field("inventory_no", "string", "read"),
        Field("agency_code", "string", "read"),
        Field("type_code", "string", "read"),
        Field("site_code", "string", "read", nullable=True),
        Field("technician_name", "string", "read", nullable=True),
    ),
)

_VERSION = Field("version", "integer", minimum=1, description="The version you read.")
START = Shape(
    "WorkOrderStart",
    "Start the work (whoever starts unassigned work takes it).",
    (_VERSION,),
    ("version",),
)
CLOSE = Shape(
    "WorkOrderClose",
    "Close the work as done, with what was found, done and spent.",
    (
        _VERSION,
        Field("completed_at", "date-time", description="Not in the future."),
        Field("result", "string", enum=WORK_RESULTS),
        Field("cause", "string", max_length=2000),
        Field("remedy", "string", max_length=2000),
        Field(
            "downtime_end",
            "date-time",
            nullable=True,
            description="Required when downtime started: when the item worked again.",
        ),
        Field("labour_hours", "number", minimum=0, description="At most two decimals."),
        Field("parts_cost_cents", "integer", minimum=0, description="Euro cents."),
        Field("external_cost_cents", "integer", minimum=0, description="Euro cents."),
        Field(
            "failure_code",
            "string",
            nullable=True,
            description='Left out: keep the order\'s; null or "": none. A repair needs one.',
        ),
        Field("notes", "string", max_length=4000, description="Left out: keep the notes."),
    ),
    ("version", "completed_at", "result"),
)
CANCEL = Shape(
    "WorkOrderCancel",
    "Cancel the work (reported by mistake, a duplicate, no longer needed).",
    (_VERSION, Field("reason", "string", max_length=1000, description="Added to the notes.")),
    ("version",),
)

WRITERS = (Role.ADMIN.value, Role.TECHNICIAN.value, Role.OFFICER.value)
WORK_ORDERS = Collection(
    path="/work-orders",
    param="work_order_id",
    plural="work_orders",
    singular="work_order",
    tag="Work orders",
    item=WORK_ORDER,
    list_item=WORK_ORDER_ROW,
    filters=(
        QueryParam(
            "status",
            "string",
            "active: open or in progress; counted: every status but cancelled; all: every status.",
            enum=STATUS_FILTERS,
            default="active",
        ),
        QueryParam("kind", "string", enum=WORK_KINDS),
        QueryParam("agency_id", "integer", minimum=1),
        QueryParam("site_id", "integer", "The item's site.", minimum=1),
        QueryParam("type_id", "integer", "The item's equipment type.", minimum=1),
        QueryParam("model_id", "integer", "The item's model.", minimum=1),
        QueryParam("equipment_id", "integer", minimum=1),
        QueryParam("search", "string", "Part of the inventory or serial number, or the symptom."),
        QueryParam(
            "date",
            "string",
            "Which date `from` and `to` bound: opened, due, completed, failed (the start of "
            "the downtime, else when reported) or calibrated; opened when only a range is given.",
            enum=DATE_FIELDS,
        ),
        QueryParam("from", "string", "First local day of the range, YYYY-MM-DD (included)."),
        QueryParam("to", "string", "Last local day of the range, YYYY-MM-DD (included)."),
        QueryParam("failure", "string", "1: only work with a failure code."),
        QueryParam("cost", "string", "1: only work with parts or external costs."),
        QueryParam("scheduled", "string", "1: only work raised from a schedule."),
        QueryParam(
            "backlog_on",
            "string",
            "YYYY-MM-DD: work open at the end of that local day (now, if it is today) and past "
            "its due date on it (a repair: its target restore date); the KPI backlog.",
        ),
        QueryParam("sort", "string", enum=SORT_KEYS, default="opened_at"),
        QueryParam("desc", "string", "0, false or no: ascending; newest first by default."),
    ),
    per_page=QueryParam(
        "per_page", "integer", "Items per page.", enum=PER_PAGE_CHOICES, default=50
    ),
    write_roles=WRITERS,
    actions=(
        Action("start", "Start the work", START, WRITERS),
        Action("close", "Close the work as done", CLOSE, WRITERS),
        Action("cancel", "Cancel the work", CANCEL, WRITERS),
    ),
    description="The same filters as the web list. Officers and viewers see their own agency.",
)


def _object(found: WorkOrderDetail) -> dict[str, object]:
    code = found.failure_path[-1].code if found.failure_path else None
    return serialise(WORK_ORDER, found.order, {"failure_code": code})


def _read_back(work_order_id: int) -> dict[str, object]:
    """The order as GET answers it (what every change returns)."""
    session, scope = context()
    return _object(work_orders.work_order_detail(session, scope, work_order_id))


def _clearing(values: dict[str, Any]) -> dict[str, Any]:
    # JSON says "none" with null; the service says it with "" (None there means "not given").
    if "failure_code" in values and values["failure_code"] is None:
        values["failure_code"] = ""
    return values


def _timezone() -> str:
    return str(current_app.config["TIMEZONE"])


@bp.get("/work-orders")
@signed_in
def list_work_orders() -> Response:
    errors = reject_unknown_arguments((*WORK_ORDERS.filters, WORK_ORDERS.per_page))
    query, problems = work_orders.parse_work_order_query(request.args)
    errors.update({name: str(message) for name, message in problems.items()})
    if errors:
        raise ValidationError(errors)
    session, scope = context()
    found = work_orders.list_work_orders(session, scope, **vars(query), timezone=_timezone())
    items = (
        serialise(
            WORK_ORDER_ROW,
            row.order,
            {
                "failure_code": row.failure_code,
                "inventory_no": row.inventory_no,
                "agency_code": row.agency_code,
                "type_code": row.type_code,
                "site_code": row.site_code,
                "technician_name": row.technician_name,
            },
        )
        for row in found.items
    )
    return page_response(items, found.total, found.page, found.per_page)


@bp.get("/work-orders/<int:work_order_id>")
@signed_in
def get_work_order(work_order_id: int) -> dict[str, object]:
    return _read_back(work_order_id)


@bp.post("/work-orders")
@roles(Role.ADMIN, Role.TECHNICIAN, Role.OFFICER)
def create_work_order() -> Response:
    body = checked_body(WORK_ORDER.on_create(), known=WORK_ORDER.fields)
    session, scope = context()
    order = work_orders.open_work_order(
        session, scope, opened_by_id=current_user.id, **_clearing(body)
    )
    assert order.id is not None
    return created(_read_back(order.id), url_for("api.get_work_order", work_order_id=order.id))


@bp.patch("/work-orders/<int:work_order_id>")
@roles(Role.ADMIN, Role.TECHNICIAN, Role.OFFICER)
def update_work_order(work_order_id: int) -> dict[str, object]:
    version, changes = update_body(WORK_ORDER.on_update(), known=WORK_ORDER.fields)
    session, scope = context()
    work_orders.update_work_order(
        session, scope, work_order_id, version=version, **_clearing(changes)
    )
    return _read_back(work_order_id)


@bp.post("/work-orders/<int:work_order_id>/start")
@roles(Role.ADMIN, Role.TECHNICIAN, Role.OFFICER)
def start_work_order(work_order_id: int) -> dict[str, object]:
    body = checked_body(START.on_create())
    session, scope = context()
    work_orders.start_work_order(
        session, scope, work_order_id, version=body.get("version"), started_by_id=current_user.id
    )
    return _read_back(work_order_id)


@bp.post("/work-orders/<int:work_order_id>/close")
@roles(Role.ADMIN, Role.TECHNICIAN, Role.OFFICER)
def close_work_order(work_order_id: int) -> dict[str, object]:
    body = _clearing(checked_body(CLOSE.on_create()))
    session, scope = context()
    work_orders.close_work_order(
        session,
        scope,
        work_order_id,
        version=body.pop("version", None),
        completed_at=body.pop("completed_at", None),
        result=body.pop("result", None),
        timezone=_timezone(),
        **body,
    )
    return _read_back(work_order_id)


@bp.post("/work-orders/<int:work_order_id>/cancel")
@roles(Role.ADMIN, Role.TECHNICIAN, Role.OFFICER)
def cancel_work_order(work_order_id: int) -> dict[str, object]:
    body = checked_body(CANCEL.on_create())
    session, scope = context()
    work_orders.cancel_work_order(
        session, scope, work_order_id, version=body.get("version"), reason=body.get("reason", "")
    )
    return _read_back(work_order_id)
