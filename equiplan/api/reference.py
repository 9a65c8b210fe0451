"""/api/v1/sites and /api/v1/types: reference data. Everybody reads (sites within their scope,
types nationally); administrators create and change."""

from __future__ import annotations

from flask import url_for
from werkzeug.wrappers import Response

from equiplan.api.fields import CREATED_AT, ID, VERSION, Collection, Field, QueryParam, Shape
from equiplan.api.requests import checked_body, context, filter_arguments, today, update_body
from equiplan.api.serialise import created, page_response, serialise
from equiplan.api.views import bp
from equiplan.domain.roles import Role
from equiplan.models.agency import SITE_STATUSES, SITE_TYPES
from equiplan.models.schedule import ANCHORS, INTERVAL_UNITS, SCHEDULE_KINDS
from equiplan.services import reference_data
from equiplan.web.policy import roles, signed_in

SITE = Shape(
    "Site",
    "A place where an agency keeps equipment: a border crossing, a port, a laboratory…",
    (
        ID,
        Field("agency_id", "integer", "create", minimum=1, description="The owning agency."),
        Field("code", "string", max_length=24, description="Unique, in capitals."),
        Field("name_en", "string", max_length=200),
        Field("name_lt", "string", max_length=200),
        Field("site_type", "string", enum=SITE_TYPES),
        Field(
            "border_country",
            "string",
            nullable=True,
            max_length=2,
            description="ISO 3166 alpha-2 code of the neighbour across the border.",
        ),
        Field("status", "string", enum=SITE_STATUSES),
        Field(
            "status_since",
            "date",
            nullable=True,
            description="Set to today when the status changes without a date.",
        ),
        Field("criticality", "integer", minimum=1, maximum=5),
        CREATED_AT,
        VERSION,
    ),
    required_on_create=("agency_id", "code", "name_en", "name_lt", "site_type"),
)

SCHEDULE_TEMPLATE = Shape(
    "ScheduleTemplate",
    "Recurring work that every item of a type gets when it is registered.",
    (
        Field("kind", "string", enum=SCHEDULE_KINDS),
        Field("interval_value", "integer", minimum=1, maximum=1000),
        Field("interval_unit", "string", enum=INTERVAL_UNITS),
        Field(
            "anchor",
            "string",
            enum=ANCHORS,
            description="fixed: from the previous due date; completion: from the last completion.",
        ),
        Field("lead_days", "integer", minimum=0, maximum=365, description="Reminders start."),
        Field("grace_days", "integer", minimum=0, maximum=365, description="On-time window."),
    ),
    required_on_create=("kind", "interval_value", "interval_unit"),
)

EQUIPMENT_TYPE = Shape(
    "EquipmentType",
    "A kind of detector (RPM, RIID, PRD…) with its design life and reliability priors.",
    (
        ID,
        Field("code", "string", max_length=16, description="Unique, in capitals."),
        Field("name_en", "string", max_length=200),
        Field("name_lt", "string", max_length=200),
        Field("standards", "string", max_length=200),
        Field("design_life_years", "integer", minimum=1, maximum=100),
        Field("typical_unit_cost_cents", "integer", minimum=0, description="Euro cents."),
        Field("prior_mtbf_hours", "integer", minimum=1),
        Field("prior_mttr_hours", "integer", minimum=1),
        Field("logistics_delay_hours", "integer", minimum=0),
        Field("weibull_beta", "number", description="Wear-out shape β (greater than zero)."),
        Field("weibull_eta_factor", "number", description="η = factor × design life (> 0)."),
        Field("default_schedules", "array", items=SCHEDULE_TEMPLATE),
        VERSION,
    ),
    required_on_create=(
        "code",
        "name_en",
        "name_lt",
        "design_life_years",
        "prior_mtbf_hours",
        "prior_mttr_hours",
        "logistics_delay_hours",
        "weibull_beta",
        "weibull_eta_factor",
    ),
)

SEARCH = QueryParam("search", "string", "Part of the code or of either name (any case).")
ADMIN_ONLY = (Role.ADMIN.value,)

SITES = Collection(
    path="/sites",
    param="site_id",
    plural="sites",
    singular="site",
    tag="Sites",
    item=SITE,
    filters=(
        QueryParam("agency_id", "integer", "Sites of one agency.", minimum=1),
        QueryParam("status", "string", enum=SITE_STATUSES),
        QueryParam("site_type", "string", enum=SITE_TYPES),
        SEARCH,
    ),
    write_roles=ADMIN_ONLY,
    description="Officers and viewers see the sites of their own agency only.",
)
TYPES = Collection(
    path="/types",
    param="type_id",
    plural="types",
    singular="type",
    tag="Equipment types",
    item=EQUIPMENT_TYPE,
    filters=(SEARCH,),
    write_roles=ADMIN_ONLY,
    description="National reference data: every signed-in user sees every type.",
)


# --- sites ----------------------------------------------------------------------------------


@bp.get("/sites")
@signed_in
def list_sites() -> Response:
    filters, page, per_page = filter_arguments(SITES.filters)
    session, scope = context()
    found = reference_data.list_sites(session, scope, **filters, page=page, per_page=per_page)
    return page_response(
        (serialise(SITE, site) for site in found.items), found.total, page, per_page
    )


@bp.get("/sites/<int:site_id>")
@signed_in
def get_site(site_id: int) -> dict[str, object]:
    session, scope = context()
    return serialise(SITE, reference_data.get_site(session, scope, site_id))


@bp.post("/sites")
@roles(Role.ADMIN)
def create_site() -> Response:
    body = checked_body(SITE.on_create(), known=SITE.fields)
    session, scope = context()
    site = reference_data.create_site(session, scope, body)
    return created(serialise(SITE, site), url_for("api.get_site", site_id=site.id))


@bp.patch("/sites/<int:site_id>")
@roles(Role.ADMIN)
def update_site(site_id: int) -> dict[str, object]:
    version, changes = update_body(SITE.on_update(), known=SITE.fields)
    session, scope = context()
    site = reference_data.update_site(
        session, scope, site_id, version=version, raw=changes, today=today()
    )
    return serialise(SITE, site)


# --- equipment types ------------------------------------------------------------------------


@bp.get("/types")
@signed_in
def list_types() -> Response:
    filters, page, per_page = filter_arguments(TYPES.filters)
    session, _scope = context()
    found = reference_data.list_equipment_types(session, **filters, page=page, per_page=per_page)
    return page_response(
        (serialise(EQUIPMENT_TYPE, t) for t in found.items), found.total, page, per_page
    )


@bp.get("/types/<int:type_id>")
@signed_in
def get_type(type_id: int) -> dict[str, object]:
    session, _scope = context()
    return serialise(EQUIPMENT_TYPE, reference_data.get_equipment_type(session, type_id))


@bp.post("/types")
@roles(Role.ADMIN)
def create_type() -> Response:
    body = checked_body(EQUIPMENT_TYPE.on_create(), known=EQUIPMENT_TYPE.fields)
    session, _scope = context()
    equipment_type = reference_data.create_equipment_type(session, body)
    return created(
        serialise(EQUIPMENT_TYPE, equipment_type),
        url_for("api.get_type", type_id=equipment_type.id),
    )


@bp.patch("/types/<int:type_id>")
@roles(Role.ADMIN)
def update_type(type_id: int) -> dict[str, object]:
    version, changes = update_body(EQUIPMENT_TYPE.on_update(), known=EQUIPMENT_TYPE.fields)
    session, _scope = context()
    equipment_type = reference_data.update_equipment_type(
        session, type_id, version=version, raw=changes
    )
    return serialise(EQUIPMENT_TYPE, equipment_type)
