"""/api/v1/runs: optimisation runs of budget scenarios. Planners and administrators queue runs
(POST /scenarios/<id>/runs) and cancel them; the NSSC roles read runs, their live progress and
the plan of a finished run (equiplan-plan/1). Agency roles get 403: plans span agencies.

A POST only queues the run; the scheduler process solves it. Poll GET /runs/<id> for progress.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import jsonify, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from equiplan.api.fields import CREATED_AT, ID, PAGE, PER_PAGE, Field, Kind, QueryParam, Shape
from equiplan.api.requests import checked_body, filter_arguments
from equiplan.api.schemas import page_schema, ref, shape_schemas
from equiplan.api.serialise import created, page_response, serialise
from equiplan.api.views import bp
from equiplan.db import get_session
from equiplan.domain.roles import CENTRE_ROLES, Role
from equiplan.models import OptimisationRun
from equiplan.models.planning import RUN_STATUSES
from equiplan.services import optimisation_runs as service
from equiplan.services import run_errors
from equiplan.services.plan_export import plan_document
from equiplan.services.result_views import result_view
from equiplan.web.policy import roles

WRITERS = (Role.ADMIN, Role.PLANNER)
_WHEN: Kind = "date-time"

RUN = Shape(
    "Run",
    "An optimisation run of a budget scenario: queued, running, done, failed or cancelled.",
    (
        ID,
        Field("scenario_id", "integer", "read", minimum=1),
        Field("status", "string", "read", enum=RUN_STATUSES),
        Field(
            "progress",
            "number",
            "read",
            minimum=0,
            maximum=1,
            description="Share of the time limit used while running (at most 0.99); 1 when done.",
        ),
        Field("requested_by_id", "integer", "read", nullable=True),
        Field(
            "time_limit_seconds",
            "integer",
            minimum=service.TIME_LIMIT_RANGE[0],
            maximum=service.TIME_LIMIT_RANGE[1],
            description=f"Default {service.DEFAULT_TIME_LIMIT}.",
        ),
        Field(
            "workers",
            "integer",
            minimum=service.WORKERS_RANGE[0],
            maximum=service.WORKERS_RANGE[1],
            description=f"Solver threads. Default {service.DEFAULT_WORKERS}.",
        ),
        Field(
            "seed",
            "integer",
            minimum=service.SEED_RANGE[0],
            maximum=service.SEED_RANGE[1],
            description="The same input, seed and workers give the same plan. Default 0.",
        ),
        CREATED_AT,
        Field("started_at", _WHEN, "read", nullable=True),
        Field("finished_at", _WHEN, "read", nullable=True),
        Field("heartbeat_at", _WHEN, "read", nullable=True, description="Last sign of life."),
        Field("objective", "number", "read", nullable=True, description="Best plan's value."),
        Field("bound", "number", "read", nullable=True, description="Proven upper bound."),
        Field("gap", "number", "read", nullable=True, description="(bound − objective) / bound."),
        Field("cancel_requested", "boolean", "read"),
        Field(
            "budget_factor",
            "number",
            "read",
            description="The scenario's budgets times this (1: as planned; a sweep varies it).",
        ),
        Field("sweep_key", "string", "read", nullable=True, description="Runs of one sweep."),
        Field(
            "error",
            "string",
            "read",
            nullable=True,
            description="Why it failed, in English (the pages say it in the reader's language).",
        ),
        Field(
            "error_code",
            "string",
            "read",
            nullable=True,
            enum=run_errors.CODES,
            description="Why it failed, as a code (see docs/planning_runs.md).",
        ),
        Field("has_result", "boolean", "read", description="true: GET /runs/{id}/plan works."),
    ),
)
RUN_SORT_CHOICES = tuple(option for key in service.RUN_SORTS for option in (key, f"-{key}"))
RUN_FILTERS = (
    QueryParam("scenario_id", "integer", "The runs of one scenario.", minimum=1),
    QueryParam("sweep_key", "string", "The runs of one budget sweep."),
    QueryParam("status", "string", "The runs in one status.", RUN_STATUSES),
    QueryParam(
        "sort",
        "string",
        "Sort key; a leading - sorts descending (default -created, newest first). Runs "
        "without an objective or gap come last.",
        RUN_SORT_CHOICES,
    ),
)
PLAN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The solver's plan (equiplan-plan/1, see docs/portfolio.md) with `periods`, "
    "the years its per-period lists stand for.",
    "required": ["format", "status", "objective", "choices", "spend", "periods"],
}


def _run(run: OptimisationRun) -> dict[str, Any]:
    # From the small summary written with the result: the result itself is never loaded here.
    return serialise(RUN, run, {"has_result": run.summary is not None})


@bp.get("/runs")
@roles(*CENTRE_ROLES)
def list_runs() -> Response:
    values, page, per_page = filter_arguments(RUN_FILTERS)
    sort = values["sort"] or f"-{service.DEFAULT_RUN_SORT}"
    found = service.list_runs(
        get_session(),
        scenario_id=values["scenario_id"],
        sweep_key=values["sweep_key"][:40] or None,
        status=values["status"],
        sort=sort.removeprefix("-"),
        descending=sort.startswith("-"),
        page=page,
        per_page=per_page,
    )
    return page_response((_run(run) for run in found.items), found.total, page, per_page)


@bp.get("/runs/<int:run_id>")
@roles(*CENTRE_ROLES)
def get_run(run_id: int) -> dict[str, Any]:
    return _run(service.get_run(get_session(), run_id))


@bp.post("/scenarios/<int:scenario_id>/runs")
@roles(*WRITERS)
def create_run(scenario_id: int) -> Response:
    body = checked_body(RUN.on_create(), known=RUN.fields)
    session = get_session()
    run = service.queue_run(session, scenario_id, requested_by_id=current_user.id, **body)
    return created(_run(run), url_for("api.get_run", run_id=run.id))


@bp.post("/runs/<int:run_id>/cancel")
@roles(*WRITERS)
def cancel_run(run_id: int) -> dict[str, Any]:
    return _run(service.request_cancel(get_session(), run_id))


@bp.get("/runs/<int:run_id>/plan")
@roles(*CENTRE_ROLES)
def get_run_plan(run_id: int) -> Response:
    session = get_session()
    return jsonify(plan_document(result_view(session, service.get_run(session, run_id))))


def _path_parameter(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }


def openapi_parts(
    responses: Callable[..., Any], parameter: Callable[[QueryParam], dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The paths and schemas of the runs for the OpenAPI document (openapi.py's helpers)."""
    run = {"schema": ref("Run")}
    readers = "Allowed roles: admin, planner, technician."
    writers = "Allowed roles: admin, planner."
    create = responses("201", run, "Queued.", "400", "401", "403", "404", "413", "415")
    create["201"]["headers"] = {
        "Location": {"schema": {"type": "string"}, "description": "The run's URL."}
    }
    paths = {
        "/runs": {
            "get": {
                "operationId": "list_runs",
                "tags": ["Runs"],
                "summary": "List optimisation runs",
                "description": "Newest first. " + readers,
                "parameters": [parameter(p) for p in (*RUN_FILTERS, PAGE, PER_PAGE)],
                "responses": responses(
                    "200", {"schema": ref("RunPage")}, "One page.", "400", "401", "403"
                ),
            }
        },
        "/runs/{run_id}": {
            "parameters": [_path_parameter("run_id")],
            "get": {
                "operationId": "get_run",
                "tags": ["Runs"],
                "summary": "Read a run: status and live progress",
                "description": readers,
                "responses": responses("200", run, "The run.", "401", "403", "404"),
            },
        },
        "/runs/{run_id}/cancel": {
            "parameters": [_path_parameter("run_id")],
            "post": {
                "operationId": "cancel_run",
                "tags": ["Runs"],
                "summary": "Cancel a run",
                "description": writers + " A queued run ends at once; a running one stops at "
                "the solver's next check and keeps its best plan. An ended run is a 409.",
                "responses": responses("200", run, "The run.", "401", "403", "404", "409"),
            },
        },
        "/runs/{run_id}/plan": {
            "parameters": [_path_parameter("run_id")],
            "get": {
                "operationId": "get_run_plan",
                "tags": ["Runs"],
                "summary": "The plan of a finished run (equiplan-plan/1)",
                "description": readers + " A run without a result (yet) is a 404.",
                "responses": responses(
                    "200", {"schema": ref("RunPlan")}, "The plan.", "401", "403", "404"
                ),
            },
        },
        "/scenarios/{scenario_id}/runs": {
            "parameters": [_path_parameter("scenario_id")],
            "post": {
                "operationId": "create_run",
                "tags": ["Runs"],
                "summary": "Queue a run of a scenario",
                "description": writers + " Every field is optional.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("RunCreate")}},
                },
                "responses": create,
            },
        },
    }
    schemas = shape_schemas(RUN, create=True)
    schemas["RunPage"] = page_schema(RUN, PER_PAGE)
    schemas["RunPlan"] = PLAN_SCHEMA
    return paths, schemas
