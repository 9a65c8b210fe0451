"""/api/v1/calibrations: calibration results with their readings. Everybody reads within their
scope; administrators and technicians record them and correct their certificate data.

The certificate file itself is uploaded and downloaded on the item's pages, not here.
"""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from equiplan.api.fields import (
    CREATED_AT,
    ID,
    VERSION,
    Collection,
    Field,
    QueryParam,
    Shape,
)
from equiplan.api.requests import (
    checked_body,
    context,
    filter_arguments,
    today,
    update_body,
)
from equiplan.api.serialise import created, page_response, serialise
from equiplan.api.views import bp
from equiplan.domain.roles import Role
from equiplan.models.calibration import TOLERANCE_KINDS
from equiplan.services import calibrations
from equiplan.services.calibrations import CalibrationDetail, PointInput
from equiplan.services.errors import NotFound, ValidationError
from equiplan.web.policy import roles, signed_in

POINT_INPUT = Shape(
    "CalibrationPointInput",
    "One calibration point as measured: a nominal value, its tolerance and the readings.",
    (
        Field("quantity", "string", max_length=40, description="E.g. dose_rate_cs137."),
        Field("unit", "string", max_length=20, description="E.g. µSv/h."),
        Field("nominal", "number"),
        Field("tolerance", "number", minimum=0),
        Field("tolerance_kind", "string", enum=TOLERANCE_KINDS, description="± abs or ± %."),
        Field("as_found", "number", nullable=True),
        Field("as_left", "number", nullable=True, description="Leave out when left as found."),
    ),
    required_on_create=("nominal", "tolerance"),
)

_POINT_FIELDS = (
    Field("position", "integer", "read", minimum=1),
    *(Field(f.name, f.kind, "read", f.nullable, enum=f.enum) for f in POINT_INPUT.fields),
    Field("allowed_deviation", "number", "read", description="± in the reading's unit."),
    Field("as_found_within", "boolean", "read", nullable=True),
    Field("as_left_within", "boolean", "read", nullable=True),
    Field("previous_as_left", "number", "read", nullable=True),
    Field(
        "drift",
        "number",
        "read",
        nullable=True,
        description="As found now − as left at the previous calibration.",
    ),
)
POINT = Shape(
    "CalibrationPoint",
    "One calibration point with its verdicts and the drift since the previous calibration.",
    _POINT_FIELDS,
    # Nested in responses: every key is always there.
    required_on_create=tuple(f.name for f in _POINT_FIELDS),
)

CALIBRATION = Shape(
    "Calibration",
    "A calibration of one item by a laboratory, with its certificate data and readings.",
    (
        ID,
        Field("equipment_id", "integer", "create", minimum=1),
        Field(
            "work_order_id",
            "integer",
            "create",
            nullable=True,
            minimum=1,
            description="The item's open calibration work order to close; left out, one is "
            "opened and closed at once.",
        ),
        Field("laboratory", "string", max_length=200),
        Field("certificate_no", "string", max_length=80),
        Field("calibrated_on", "date", "create", description="Not in the future."),
        Field("valid_until", "date", nullable=True, description="After the calibration date."),
        Field("as_found_passed", "boolean", "read"),
        Field(
            "as_left_passed",
            "boolean",
            "read",
            description="False: the item was left out of tolerance (and out of service).",
        ),
        Field("certificate_filename", "string", "read", nullable=True),
        Field(
            "points",
            "array",
            "create",
            items=POINT,
            write_items=POINT_INPUT,
            description="In order; at least one.",
        ),
        Field("notes", "string", "input", max_length=4000, description="For the work order."),
        CREATED_AT,
        VERSION,
    ),
    required_on_create=(
        "equipment_id",
        "laboratory",
        "certificate_no",
        "calibrated_on",
        "points",
    ),
)

CALIBRATION_ROW = Shape(
    "CalibrationListItem",
    "A calibration without its readings, with the item's inventory number.",
    (
        *(f for f in CALIBRATION.output if f.name != "points"),
        Field("inventory_no", "string", "read"),
    ),
)

WRITERS = (Role.ADMIN.value, Role.TECHNICIAN.value)
CALIBRATIONS = Collection(
    path="/calibrations",
    param="calibration_id",
    plural="calibrations",
    singular="calibration",
    tag="Calibrations",
    item=CALIBRATION,
    list_item=CALIBRATION_ROW,
    filters=(QueryParam("equipment_id", "integer", "Calibrations of one item.", minimum=1),),
    write_roles=WRITERS,
    description="Newest first. Officers and viewers see their own agency's.",
)


def _object(found: CalibrationDetail) -> dict[str, object]:
    points = [serialise(POINT, detail.point, vars(detail)) for detail in found.points]
    return serialise(CALIBRATION, found.result, {"points": points})


def _read_back(calibration_id: int) -> dict[str, object]:
    """The calibration as GET answers it (what every change returns)."""
    session, scope = context()
    return _object(calibrations.get_calibration(session, scope, calibration_id))


@bp.get("/calibrations")
@signed_in
def list_calibrations() -> Response:
    filters, page, per_page = filter_arguments(CALIBRATIONS.filters)
    session, scope = context()
    try:
        found = calibrations.list_calibrations(
            session, scope, equipment_id=filters["equipment_id"], page=page, per_page=per_page
        )
    except NotFound:
        # A filter naming an item the caller cannot see is a bad argument, like any other.
        raise ValidationError({"equipment_id": _("Unknown item.")}) from None
    items = (
        serialise(CALIBRATION_ROW, row.result, {"inventory_no": row.inventory_no})
        for row in found.items
    )
    return page_response(items, found.total, page, per_page)


@bp.get("/calibrations/<int:calibration_id>")
@signed_in
def get_calibration(calibration_id: int) -> dict[str, object]:
    return _read_back(calibration_id)


@bp.post("/calibrations")
@roles(Role.ADMIN, Role.TECHNICIAN)
def create_calibration() -> Response:
    body = checked_body(
        CALIBRATION.on_create(), known=CALIBRATION.fields, require=("equipment_id", "points")
    )
    session, scope = context()
    try:
        result = calibrations.record_calibration(
            session,
            scope,
            equipment_id=body.pop("equipment_id"),
            recorded_by_id=current_user.id,
            laboratory=body.pop("laboratory", ""),
            certificate_no=body.pop("certificate_no", ""),
            calibrated_on=body.pop("calibrated_on", None),
            valid_until=body.pop("valid_until", None),
            points=[PointInput(**point) for point in body.pop("points")],
            today=today(),
            timezone=current_app.config["TIMEZONE"],
            **body,
        )
    except NotFound:
        raise ValidationError({"equipment_id": _("Unknown item.")}) from None
    assert result.id is not None
    return created(_read_back(result.id), url_for("api.get_calibration", calibration_id=result.id))


@bp.patch("/calibrations/<int:calibration_id>")
@roles(Role.ADMIN, Role.TECHNICIAN)
def update_calibration(calibration_id: int) -> dict[str, object]:
    version, changes = update_body(CALIBRATION.on_update(), known=CALIBRATION.fields)
    session, scope = context()
    calibrations.update_calibration(session, scope, calibration_id, version=version, **changes)
    return _read_back(calibration_id)
