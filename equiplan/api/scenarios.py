"""/api/v1/scenarios: budget scenarios for the optimiser, and the portfolio each one makes.

The centre's roles read them (plans span agencies: officers and viewers get 403); planners and
administrators create, change, copy and delete them. Money is in integer euro cents here; the
portfolio document, the optimiser's input, is in euros (docs/planning.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from equiplan.api.fields import CREATED_AT, ID, VERSION, Collection, Field, QueryParam, Shape
from equiplan.api.requests import (
    checked_body,
    filter_arguments,
    today,
    update_body,
)
from equiplan.api.serialise import created, page_response, serialise
from equiplan.api.views import bp
from equiplan.db import get_session
from equiplan.domain.roles import CENTRE_ROLES, Role
from equiplan.services import scenarios
from equiplan.services.errors import ValidationError
from equiplan.services.scenario_input import (
    MAX_FIRST_YEAR,
    MAX_HORIZON_YEARS,
    MIN_FIRST_YEAR,
)
from equiplan.web.policy import roles
from equiplan.web.portfolio_files import portfolio_download

READERS = tuple(sorted(CENTRE_ROLES))
WRITERS = (Role.PLANNER, Role.ADMIN)
SORT_CHOICES = tuple(
    option for key in scenarios.SORTS for option in (key, f"-{key}")
)  # "-name": by name, descending

SCENARIO = Shape(
    "Scenario",
    "A budget scenario: the horizon, yearly budgets, inflation, scope and coverage minimums the "
    "optimiser plans with.",
    (
        ID,
        Field("name", "string", max_length=200, description="Unique."),
        Field("description", "string", max_length=4000),
        Field("first_year", "integer", minimum=MIN_FIRST_YEAR, maximum=MAX_FIRST_YEAR),
        Field("horizon_years", "integer", minimum=1, maximum=MAX_HORIZON_YEARS),
        Field(
            "inflation_pct",
            "number",
            minimum=-10,
            maximum=100,
            description="Yearly inflation of all costs, in percent (at most 3 decimals).",
        ),
        Field("carry_over", "boolean", description="Unspent money moves to the next year."),
        Field(
            "budgets",
            "object",
            description='Integer euro cents per year, one per year of the horizon: {"total": '
            '[...], "agency:VSAT": [...]}. The total is required; an agency budget limits the '
            "items of that agency.",
        ),
        Field(
            "requirements",
            "object",
            description='Minimum expected working units per year: {"site:MED/RPM": [3.8, ...]}. '
            "Empty: 90 % of the units installed today at every open site, per type.",
        ),
        Field(
            "agency_codes",
            "array",
            items={"type": "string"},
            description="The agencies in scope; empty: all.",
        ),
        Field(
            "type_codes",
            "array",
            items={"type": "string"},
            description="The equipment types in scope; empty: all.",
        ),
        Field(
            "site_weights",
            "object",
            description='Criticality weight per site code, 0–100: {"MED": 5}. A site not '
            "listed weighs its criticality (1–5); an item at no site weighs 1.",
        ),
        Field("copied_from_id", "integer", "read", nullable=True),
        Field("created_by_id", "integer", "read", nullable=True),
        CREATED_AT,
        VERSION,
    ),
    required_on_create=("name", "first_year", "horizon_years", "budgets"),
)

SCENARIOS = Collection(
    path="/scenarios",
    param="scenario_id",
    plural="scenarios",
    singular="scenario",
    tag="Scenarios",
    item=SCENARIO,
    filters=(
        QueryParam("search", "string", "Part of the name."),
        QueryParam("sort", "string", "Sort key; a leading - sorts descending.", SORT_CHOICES),
    ),
    write_roles=tuple(role.value for role in WRITERS),
    description="Readable by the centre's roles (admin, planner, technician).",
)
COPY_BODY = Shape(
    "ScenarioCopy",
    "The copy's name; left out: the original's name with \"(copy)\".",
    (Field("name", "string", max_length=200),),
)


@bp.get("/scenarios")
@roles(*READERS)
def list_scenarios() -> Response:
    values, page, per_page = filter_arguments(SCENARIOS.filters)
    sort = values["sort"] or scenarios.DEFAULT_SORT
    found = scenarios.list_scenarios(
        get_session(),
        search=values["search"],
        sort=sort.removeprefix("-"),
        descending=sort.startswith("-"),
        page=page,
        per_page=per_page,
    )
    return page_response((serialise(SCENARIO, s) for s in found.items), found.total, page, per_page)


@bp.get("/scenarios/<int:scenario_id>")
@roles(*READERS)
def get_scenario(scenario_id: int) -> dict[str, object]:
    return serialise(SCENARIO, scenarios.get_scenario(get_session(), scenario_id))


def _created(scenario: Any) -> Response:
    return created(
        serialise(SCENARIO, scenario), url_for("api.get_scenario", scenario_id=scenario.id)
    )


def _user_id() -> int | None:
    return int(current_user.id) if current_user.is_authenticated else None


@bp.post("/scenarios")
@roles(*WRITERS)
def create_scenario() -> Response:
    body = checked_body(SCENARIO.on_create(), known=SCENARIO.fields)
    required = dict.fromkeys(SCENARIO.required_on_create)
    scenario = scenarios.create_scenario(
        get_session(), created_by_id=_user_id(), **{**required, **body}
    )
    return _created(scenario)


@bp.patch("/scenarios/<int:scenario_id>")
@roles(*WRITERS)
def update_scenario(scenario_id: int) -> dict[str, object]:
    version, changes = update_body(SCENARIO.on_update(), known=SCENARIO.fields)
    scenario = scenarios.update_scenario(get_session(), scenario_id, version=version, **changes)
    return serialise(SCENARIO, scenario)


@bp.post("/scenarios/<int:scenario_id>/copy")
@roles(*WRITERS)
def copy_scenario(scenario_id: int) -> Response:
    body = checked_body(COPY_BODY.on_create())
    copy = scenarios.copy_scenario(
        get_session(), scenario_id, name=body.get("name"), created_by_id=_user_id()
    )
    return _created(copy)


@bp.delete("/scenarios/<int:scenario_id>")
@roles(*WRITERS)
def delete_scenario(scenario_id: int) -> Response:
    raw = request.args.get("version", "")
    if not raw.strip():
        raise ValidationError({"version": _("The version you loaded is required.")})
    scenarios.delete_scenario(get_session(), scenario_id, version=raw)
    return jsonify(id=scenario_id, deleted=True)


def _budget_factor() -> float:
    raw = request.args.get("budget_factor", "").strip()
    if not raw:
        return 1.0
    try:
        factor = float(raw)
    except ValueError:
        factor = -1.0
    if not 0.0 < factor <= 10.0:
        raise ValidationError({"budget_factor": _("Give a number above 0 and at most 10.")})
    return factor


@bp.get("/scenarios/<int:scenario_id>/portfolio")
@roles(*READERS)
def get_scenario_portfolio(scenario_id: int) -> Response:
    unknown = {n: _("Unknown parameter.") for n in request.args if n != "budget_factor"}
    if unknown:
        raise ValidationError(unknown)
    budget_factor = _budget_factor()
    return portfolio_download(
        lambda: scenarios.scenario_portfolio(
            get_session(),
            scenario_id,
            today=today(),
            budget_factor=budget_factor,
            contexts=False,
        ),
        f"portfolio-{scenario_id}.json",
    )


# --- the OpenAPI document's part beyond the Collection --------------------------------------

_YEARLY = {"type": "array", "items": {"type": "number"}}
PORTFOLIO_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An equiplan-portfolio/1 document (docs/planning.md; money in euros).",
    "required": ["format", "name", "periods", "budgets", "carry_over", "requirements", "items"],
    "additionalProperties": False,
    "properties": {
        "format": {"const": "equiplan-portfolio/1"},
        "name": {"type": "string"},
        "periods": {"type": "array", "items": {"type": "string"}},
        "budgets": {"type": "object", "additionalProperties": _YEARLY},
        "carry_over": {"type": "boolean"},
        "requirements": {"type": "object", "additionalProperties": _YEARLY},
        "scenario_id": {"type": "integer", "description": "Where it came from (not read)."},
        "generated_on": {"type": "string", "format": "date"},
        "budget_factor": {"type": "number"},
        "inflation_pct": {"type": "number"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "budgets", "options"],
                "properties": {
                    "id": {"type": "string"},
                    "budgets": {"type": "array", "items": {"type": "string"}},
                    "options": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["id", "cost", "value"],
                            "properties": {
                                "id": {"type": "string"},
                                "cost": _YEARLY,
                                "value": {"type": "number"},
                                "provides": {
                                    "type": "object",
                                    "additionalProperties": _YEARLY,
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def add_scenario_paths(
    paths: dict[str, Any], responses: Callable[..., Any], ref: Callable[..., Any]
) -> None:
    """Copy, delete and the portfolio into openapi.py's `paths` (`responses`/`ref` are its
    helpers), and the 403 that agency roles get on the Collection's reads."""
    for path in ("/scenarios", "/scenarios/{scenario_id}"):
        paths[path]["get"]["responses"]["403"] = ref("Forbidden", "responses")
    path_parameter = {
        "name": "scenario_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
    copied = responses(
        "201", {"schema": ref("Scenario")}, "The copy.", "400", "401", "403", "413", "415"
    )
    copied["201"]["headers"] = {
        "Location": {"schema": {"type": "string"}, "description": "The copy's URL."}
    }
    copied["404"] = ref("NotFound", "responses")
    gone = {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "deleted": {"const": True}},
        "required": ["id", "deleted"],
        "additionalProperties": False,
    }
    deleted = responses("200", {"schema": gone}, "Deleted.", "400", "401", "403", "404", "409")
    writers = "Allowed roles: " + ", ".join(SCENARIOS.write_roles) + "."
    paths["/scenarios/{scenario_id}"]["delete"] = {
        "operationId": "delete_scenario",
        "tags": ["Scenarios"],
        "summary": "Delete a Scenario",
        "description": writers + " Its finished runs go with it; refused (400) while "
        "a run is queued or running. Send the version you read.",
        "parameters": [
            {
                "name": "version",
                "in": "query",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        ],
        "responses": deleted,
    }
    paths.update(
        {
            "/scenarios/{scenario_id}/copy": {
                "parameters": [path_parameter],
                "post": {
                    "operationId": "copy_scenario",
                    "tags": ["Scenarios"],
                    "summary": "Copy a Scenario to vary it",
                    "description": writers,
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": ref("ScenarioCopy")}},
                    },
                    "responses": copied,
                },
            },
            "/scenarios/{scenario_id}/portfolio": {
                "parameters": [path_parameter],
                "get": {
                    "operationId": "get_scenario_portfolio",
                    "tags": ["Scenarios"],
                    "summary": "The scenario's portfolio document from today's records",
                    "description": "The optimiser's input (equiplan-portfolio/1). 400 when nothing "
                    "is in the scenario's scope; 503 while the server prepares another portfolio "
                    "(one at a time: a whole fleet's takes seconds and over a gigabyte).",
                    "parameters": [
                        {
                            "name": "budget_factor",
                            "in": "query",
                            "schema": {"type": "number", "exclusiveMinimum": 0, "maximum": 10},
                            "description": "Scale every budget (default 1).",
                        }
                    ],
                    "responses": responses(
                        "200",
                        {"schema": ref("Portfolio")},
                        "The portfolio.",
                        "400",
                        "401",
                        "403",
                        "404",
                        "503",
                    ),
                },
            },
        }
    )
