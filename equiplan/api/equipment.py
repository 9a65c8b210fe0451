"""/api/v1/equipment: the register. Everybody reads within their scope; administrators and
officers (their own agency's items only) register, change and decommission."""

from __future__ import annotations

from flask import request, url_for
from werkzeug.wrappers import Response

from equiplan.api.fields import (
    CREATED_AT,
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
    today,
    update_body,
)
from equiplan.api.serialise import created, page_response, serialise
from equiplan.api.views import bp
from equiplan.domain.roles import Role
from equiplan.domain.status import NotOperationalReason
from equiplan.models.equipment import CONDITIONS, EQUIPMENT_STATUSES, FUNDING_SOURCES
from equiplan.services import equipment as register
from equiplan.services import equipment_write
from equiplan.services.equipment import EquipmentDetail
from equiplan.services.equipment_query import (
    MAX_DUE_WITHIN_DAYS,
    SORT_KEYS,
    parse_equipment_query,
)
from equiplan.services.errors import ValidationError
from equiplan.web.policy import roles, signed_in

EQUIPMENT = Shape(
    "Equipment",
    "One item of the register, with its operational state (domain.md, status rules).",
    (
        ID,
        Field("inventory_no", "string", max_length=40, description="Unique nationally."),
        Field("serial_no", "string", max_length=80, description="Unique per model."),
        Field("model_id", "integer", minimum=1),
        Field("type_id", "integer", "read", minimum=1, description="The model's type."),
        Field(
            "agency_id",
            "integer",
            minimum=1,
            description="The owning agency; officers may leave it out (their own).",
        ),
        Field("site_id", "integer", nullable=True, minimum=1),
        Field(
            "status",
            "string",
            enum=EQUIPMENT_STATUSES,
            write_enum=equipment_write.EDITABLE_STATUSES,
            description="Decommissioning is its own action, with a reason.",
        ),
        Field("acquired_on", "date", nullable=True),
        Field("commissioned_on", "date", nullable=True),
        Field("decommissioned_on", "date", "read", nullable=True),
        Field("decommission_reason", "string", "read", nullable=True),
        Field("funding_source", "string", enum=FUNDING_SOURCES),
        Field("acquisition_cost_cents", "integer", minimum=0, description="Euro cents."),
        Field("warranty_end", "date", nullable=True),
        Field("condition", "string", enum=CONDITIONS),
        Field("notes", "string", max_length=4000),
        Field(
            "flagged_for_review",
            "boolean",
            "read",
            description="An as-found calibration reading was out of tolerance.",
        ),
        Field(
            "operational",
            "boolean",
            "read",
            description="In service, calibration not overdue and no open corrective downtime.",
        ),
        Field(
            "not_operational_reasons",
            "array",
            "read",
            items={"type": "string", "enum": [r.value for r in NotOperationalReason]},
        ),
        CREATED_AT,
        Field("updated_at", "date-time", "read", nullable=True),
        VERSION,
    ),
    required_on_create=("inventory_no", "serial_no", "model_id"),
)

EQUIPMENT_ROW = Shape(
    "EquipmentListItem",
    "One row of the register list: what the web list shows, with the operational state.",
    (
        ID,
        Field("inventory_no", "string", "read"),
        Field("serial_no", "string", "read"),
        Field("status", "string", "read", enum=EQUIPMENT_STATUSES),
        Field("agency_code", "string", "read"),
        Field("site_code", "string", "read", nullable=True),
        Field("site_name_en", "string", "read", nullable=True),
        Field("site_name_lt", "string", "read", nullable=True),
        Field("type_code", "string", "read"),
        Field("manufacturer", "string", "read"),
        Field("model_name", "string", "read"),
        Field("commissioned_on", "date", "read", nullable=True),
        Field("next_due", "date", "read", nullable=True, description="Earliest due work."),
        Field("operational", "boolean", "read"),
        Field("calibration_overdue", "boolean", "read"),
        Field("open_downtime", "boolean", "read"),
    ),
)

DECOMMISSION = Shape(
    "Decommission",
    "Take an item out of the fleet for good; its schedules stop, its history stays.",
    (
        Field("version", "integer", minimum=1),
        Field("reason", "string", max_length=500),
        Field("decommissioned_on", "date", nullable=True, description="Default: today."),
    ),
    required_on_create=("version", "reason"),
)

WRITERS = (Role.ADMIN.value, Role.OFFICER.value)
EQUIPMENT_COLLECTION = Collection(
    path="/equipment",
    param="equipment_id",
    plural="equipment",
    singular="equipment",
    tag="Equipment",
    item=EQUIPMENT,
    list_item=EQUIPMENT_ROW,
    filters=(
        QueryParam("agency_id", "integer", minimum=1),
        QueryParam("site_id", "integer", minimum=1),
        QueryParam("type_id", "integer", minimum=1),
        QueryParam("model_id", "integer", minimum=1),
        QueryParam("status", "string", enum=EQUIPMENT_STATUSES),
        QueryParam("operational", "string", enum=("yes", "no")),
        QueryParam(
            "due_within_days",
            "integer",
            "Items with scheduled work due within this many days.",
            minimum=1,
            maximum=MAX_DUE_WITHIN_DAYS,
        ),
        QueryParam("search", "string", "Part of the inventory or serial number, or the notes."),
        QueryParam("sort", "string", enum=SORT_KEYS, default="inventory_no"),
        QueryParam("desc", "string", "1, true or yes: descending; anything else: ascending."),
    ),
    write_roles=WRITERS,
    actions=(Action("decommission", "Decommission an item", DECOMMISSION, WRITERS),),
    description="The same filters as the web list. Officers and viewers see their own agency.",
)


def _object(found: EquipmentDetail) -> dict[str, object]:
    return serialise(
        EQUIPMENT,
        found.item,
        {
            "type_id": found.equipment_type.id,
            "operational": found.state.operational,
            "not_operational_reasons": list(found.state.reasons),
        },
    )


def _read_back(equipment_id: int) -> dict[str, object]:
    """The item as GET answers it, operational state included (what a write returns)."""
    session, scope = context()
    return _object(register.equipment_detail(session, scope, equipment_id, today()))


@bp.get("/equipment")
@signed_in
def list_equipment() -> Response:
    errors = reject_unknown_arguments(EQUIPMENT_COLLECTION.filters)
    query, problems = parse_equipment_query(request.args)
    errors.update({name: str(message) for name, message in problems.items()})
    if errors:
        raise ValidationError(errors)
    session, scope = context()
    found = register.list_equipment(session, scope, query, today())
    return page_response(
        (serialise(EQUIPMENT_ROW, row) for row in found.items),
        found.total,
        found.page,
        found.per_page,
    )


@bp.get("/equipment/<int:equipment_id>")
@signed_in
def get_equipment(equipment_id: int) -> dict[str, object]:
    return _read_back(equipment_id)


@bp.post("/equipment")
@roles(Role.ADMIN, Role.OFFICER)
def create_equipment() -> Response:
    body = checked_body(EQUIPMENT.on_create(), known=EQUIPMENT.fields)
    session, scope = context()
    item = equipment_write.register_equipment(session, scope, body, today())
    assert item.id is not None
    return created(_read_back(item.id), url_for("api.get_equipment", equipment_id=item.id))


@bp.patch("/equipment/<int:equipment_id>")
@roles(Role.ADMIN, Role.OFFICER)
def update_equipment(equipment_id: int) -> dict[str, object]:
    version, changes = update_body(EQUIPMENT.on_update(), known=EQUIPMENT.fields)
    session, scope = context()
    equipment_write.update_equipment(session, scope, equipment_id, version=version, raw=changes)
    return _read_back(equipment_id)


@bp.post("/equipment/<int:equipment_id>/decommission")
@roles(Role.ADMIN, Role.OFFICER)
def decommission_equipment(equipment_id: int) -> dict[str, object]:
    body = checked_body(DECOMMISSION.on_create())
    session, scope = context()
    equipment_write.decommission_equipment(
        session,
        scope,
        equipment_id,
        version=body.get("version"),
        reason=body.get("reason"),
        on=body.get("decommissioned_on"),
        today=today(),
    )
    return _read_back(equipment_id)
