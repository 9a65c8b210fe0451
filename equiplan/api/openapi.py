"""The OpenAPI 3.1 document of /api/v1, written from the same declarations the views use.

Each collection's `Collection` (its shapes, filters, write roles and actions) becomes its paths
and schemas here; the tests hold the document to the URL map and every response the API tests
receive to the schema of its path, method and status.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import jsonify
from werkzeug.wrappers import Response

from equiplan.api.fields import PAGE, Collection, QueryParam
from equiplan.api.schemas import (
    DASHBOARD_SCHEMA,
    GROUP_COUNT_SCHEMA,
    HEALTH_SCHEMA,
    JSON_TYPES,
    PROBLEM_SCHEMA,
    object_schema,
    page_schema,
    ref,
    shape_schemas,
)
from equiplan.api.views import bp
from equiplan.domain.roles import ALL_ROLES
from equiplan.web.policy import public

JSON = "application/json"
PROBLEM = "application/problem+json"


# --- operations -----------------------------------------------------------------------------

_PROBLEMS = {
    "400": ("BadRequest", "Invalid input: `errors` names each bad field or parameter."),
    "401": ("Unauthorized", "No credentials, or an invalid or revoked API token."),
    "403": ("Forbidden", "Your role may not do this."),
    "404": ("NotFound", "No such object (or it belongs to another agency: the same answer)."),
    "409": ("Conflict", "Somebody changed the object since you read it (stale version)."),
    "413": ("ContentTooLarge", "The body is larger than the server accepts."),
    "415": ("UnsupportedMediaType", "The body must be JSON (Content-Type: application/json)."),
    "503": ("Busy", "The server is busy preparing another such file: try again after Retry-After."),
}
# What can go wrong with a request that sends a body.
_WRITE_ERRORS = ("400", "401", "403", "413", "415")


def _problem_responses() -> dict[str, Any]:
    responses: dict[str, Any] = {
        name: {"description": text, "content": {PROBLEM: {"schema": ref("Problem")}}}
        for name, text in _PROBLEMS.values()
    }
    responses["Unauthorized"]["headers"] = {
        "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}
    }
    responses["Busy"]["headers"] = {
        "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}
    }
    responses["Error"] = {
        "description": "Any other error (e.g. 429 too many requests, 500).",
        "content": {PROBLEM: {"schema": ref("Problem")}},
    }
    return responses


def _responses(success: str, body: dict[str, Any], description: str, *errors: str) -> Any:
    responses: dict[str, Any] = {success: {"description": description, "content": {JSON: body}}}
    for status in errors:
        responses[status] = ref(_PROBLEMS[status][0], "responses")
    responses["default"] = ref("Error", "responses")
    return responses


def _query_parameter(param: QueryParam) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": JSON_TYPES[param.kind]}
    for key, value in (
        ("enum", list(param.enum) if param.enum else None),
        ("minimum", param.minimum),
        ("maximum", param.maximum),
        ("default", param.default),
    ):
        if value is not None:
            schema[key] = value
    parameter: dict[str, Any] = {"name": param.name, "in": "query", "schema": schema}
    if param.description:
        parameter["description"] = param.description
    return parameter


def _who(write_roles: tuple[str, ...]) -> str:
    return "Allowed roles: " + ", ".join(write_roles) + "."


def _body(shape_name: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": ref(shape_name)}}}


def _collection_paths(c: Collection) -> dict[str, Any]:
    item = {"schema": ref(c.item.name)}
    path_parameter = {
        "name": c.param,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
    location = {"Location": {"schema": {"type": "string"}, "description": "The new object's URL."}}
    create_responses = _responses("201", item, "Created.", *_WRITE_ERRORS)
    create_responses["201"]["headers"] = location
    paths: dict[str, Any] = {
        c.path: {
            "get": {
                "operationId": f"list_{c.plural}",
                "tags": [c.tag],
                "summary": f"List {c.tag.lower()}",
                "description": c.description,
                "parameters": [_query_parameter(p) for p in (*c.filters, PAGE, c.per_page)],
                "responses": _responses(
                    "200", {"schema": ref(f"{c.listed.name}Page")}, "One page.", "400", "401"
                ),
            },
            "post": {
                "operationId": f"create_{c.singular}",
                "tags": [c.tag],
                "summary": f"Create a {c.item.name}",
                "description": _who(c.write_roles),
                "requestBody": _body(f"{c.item.name}Create"),
                "responses": create_responses,
            },
        },
        f"{c.path}/{{{c.param}}}": {
            "parameters": [path_parameter],
            "get": {
                "operationId": f"get_{c.singular}",
                "tags": [c.tag],
                "summary": f"Read one {c.item.name}",
                "responses": _responses("200", item, "The object.", "401", "404"),
            },
            "patch": {
                "operationId": f"update_{c.singular}",
                "tags": [c.tag],
                "summary": f"Change a {c.item.name}",
                "description": _who(c.write_roles)
                + " Send the version you read; a stale one is a 409 and changes nothing.",
                "requestBody": _body(f"{c.item.name}Update"),
                "responses": _responses(
                    "200", item, "The changed object.", *_WRITE_ERRORS, "404", "409"
                ),
            },
        },
    }
    for action in c.actions:
        paths[f"{c.path}/{{{c.param}}}/{action.name}"] = {
            "parameters": [path_parameter],
            "post": {
                "operationId": f"{action.name}_{c.singular}",
                "tags": [c.tag],
                "summary": action.summary,
                "description": _who(action.roles),
                "requestBody": _body(action.body.name),
                "responses": _responses(
                    "200", item, "The changed object.", *_WRITE_ERRORS, "404", "409"
                ),
            },
        }
    return paths


def _collection_schemas(c: Collection) -> dict[str, Any]:
    schemas = shape_schemas(c.item, create=True, update=True)
    if c.list_item is not None:
        schemas.update(shape_schemas(c.list_item))
    schemas[f"{c.listed.name}Page"] = page_schema(c.listed, c.per_page)
    for action in c.actions:
        body = action.body
        schemas[body.name] = object_schema(
            list(body.fields), list(body.required_on_create), body.description, writing=True
        )
    return schemas


def _collections() -> tuple[Collection, ...]:
    # Imported here: each module registers its views on the blueprint this module uses too.
    from equiplan.api.calibrations import CALIBRATIONS
    from equiplan.api.equipment import EQUIPMENT_COLLECTION
    from equiplan.api.reference import SITES, TYPES
    from equiplan.api.scenarios import SCENARIOS
    from equiplan.api.schedules import SCHEDULES
    from equiplan.api.work_orders import WORK_ORDERS

    return (EQUIPMENT_COLLECTION, SITES, TYPES, WORK_ORDERS, CALIBRATIONS, SCHEDULES, SCENARIOS)


DESCRIPTION = """\
The JSON API of equiplan. Authenticate with a personal API token (create one on your profile
page or with `equiplan token create --email E`) sent as `Authorization: Bearer <token>`.
A token acts as its user: the same role, the same agency scope (officers and viewers see their
own agency only; another agency's object is a 404, like a missing one).

Lists answer `{"items": [...], "total": N, "page": P, "per_page": K}`. Changes send the
`version` they read; a stale version is a 409 and changes nothing. Errors are problem
documents (`application/problem+json`); invalid input names each bad field in `errors`.
Dates are ISO 8601, money is integer euro cents (`*_cents`), codes are given as stored.
"""


@cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API (static: it depends on no data)."""
    collections = _collections()
    schemas: dict[str, Any] = {
        "Problem": PROBLEM_SCHEMA,
        "GroupCount": GROUP_COUNT_SCHEMA,
        "Dashboard": DASHBOARD_SCHEMA,
        "Health": HEALTH_SCHEMA,
    }
    paths: dict[str, Any] = {
        "/health": {
            "get": {
                "operationId": "health",
                "tags": ["Service"],
                "summary": "Liveness (no sign-in needed)",
                "security": [],
                "responses": _responses(
                    "200", {"schema": ref("Health")}, "The service is up.", "401"
                ),
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "tags": ["Service"],
                "summary": "This document (no sign-in needed)",
                "security": [],
                "responses": _responses(
                    "200", {"schema": {"type": "object"}}, "OpenAPI 3.1.", "401"
                ),
            }
        },
        "/dashboard": {
            "get": {
                "operationId": "dashboard",
                "tags": ["Service"],
                "summary": "Fleet counts in your scope",
                "responses": _responses(
                    "200", {"schema": ref("Dashboard")}, "Counts as of today.", "401"
                ),
            }
        },
    }
    for collection in collections:
        paths.update(_collection_paths(collection))
        schemas.update(_collection_schemas(collection))
    # The due list: read-only, so not a Collection (api/due.py declares its filters and rows).
    from equiplan.api.due import DUE_DESCRIPTION, DUE_FILTERS, DUE_ITEM, DUE_PER_PAGE

    paths["/due"] = {
        "get": {
            "operationId": "list_due",
            "tags": ["Due"],
            "summary": "List what is due and overdue",
            "description": DUE_DESCRIPTION,
            "parameters": [_query_parameter(p) for p in (*DUE_FILTERS, PAGE, DUE_PER_PAGE)],
            "responses": _responses(
                "200", {"schema": ref("DueItemPage")}, "One page.", "400", "401"
            ),
        }
    }
    schemas.update(shape_schemas(DUE_ITEM))
    schemas["DueItemPage"] = page_schema(DUE_ITEM, DUE_PER_PAGE)
    # The KPIs: read-only, one report (api/kpis.py declares its parameters and schemas).
    from equiplan.api.kpis import KPI_DESCRIPTION, KPI_PARAMETERS, KPI_SCHEMAS

    paths["/kpis"] = {
        "get": {
            "operationId": "get_kpis",
            "tags": ["KPIs"],
            "summary": "Reliability and maintenance KPIs of a level of your scope",
            "description": KPI_DESCRIPTION,
            "parameters": [_query_parameter(p) for p in KPI_PARAMETERS],
            "responses": _responses(
                "200", {"schema": ref("KpiReport")}, "The report.", "400", "401", "404"
            ),
        }
    }
    schemas.update(KPI_SCHEMAS)
    # Optimisation runs (api/runs.py declares their paths and schemas).
    from equiplan.api.runs import openapi_parts as run_openapi_parts

    run_paths, run_schemas = run_openapi_parts(_responses, _query_parameter)
    paths.update(run_paths)
    schemas.update(run_schemas)
    # Scenarios: copy, delete and the portfolio beside their Collection (api/scenarios.py).
    from equiplan.api.scenarios import COPY_BODY, PORTFOLIO_SCHEMA, add_scenario_paths

    add_scenario_paths(paths, _responses, ref)
    schemas[COPY_BODY.name] = object_schema(
        list(COPY_BODY.fields), [], COPY_BODY.description, writing=True
    )
    schemas["Portfolio"] = PORTFOLIO_SCHEMA
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "equiplan API",
            "version": "1",
            "description": DESCRIPTION,
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": "Service"}, *({"name": c.tag} for c in collections)],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token (eqp_…). Roles: "
                    + ", ".join(sorted(str(r) for r in ALL_ROLES))
                    + ".",
                }
            },
            "schemas": schemas,
            "responses": _problem_responses(),
        },
    }


@bp.get("/openapi.json")
@public
def openapi() -> Response:
    """The OpenAPI document (public: it describes the API and holds no data)."""
    return jsonify(openapi_document())
