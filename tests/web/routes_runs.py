"""Route × role matrix rows of the run and result pages and /api/v1/runs: planners and
administrators start and cancel runs, the NSSC roles read them, agency roles get 403."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import object_session

from equiplan.models import BudgetScenario, OptimisationRun
from tests.run_fixtures import make_finished_run, make_run, make_scenario
from tests.web.conftest import World
from tests.web.route_table import Route

RUN_WRITERS = frozenset({"admin", "planner"})
RUN_READERS = frozenset({"admin", "planner", "technician"})


def _scenario(world: World) -> BudgetScenario:
    """The matrix's scenario (made once per test, in the world's session)."""
    session = object_session(world.vsat_item)
    assert session is not None
    found = session.scalars(
        select(BudgetScenario).where(BudgetScenario.name == "Matrix scenario")
    ).one_or_none()
    return found or make_scenario(session, name="Matrix scenario")


def _queued(world: World) -> OptimisationRun:
    session = object_session(world.vsat_item)
    assert session is not None
    return make_run(session, _scenario(world))


def _queued_in_sweep(world: World) -> OptimisationRun:
    session = object_session(world.vsat_item)
    assert session is not None
    return make_run(session, _scenario(world), sweep_key="matrix-queued")


def _finished(world: World, **fields: object) -> OptimisationRun:
    session = object_session(world.vsat_item)
    assert session is not None
    return make_finished_run(session, _scenario(world), **fields)


def _compare(world: World) -> str:
    first, second = _finished(world), _finished(world, budget_factor=1.2)
    return f"/runs/compare?ids={first.id}&ids={second.id}"


ROUTES: dict[str, Route] = {
    "runs.new": Route("GET", lambda w: f"/scenarios/{_scenario(w).id}/runs/new", RUN_WRITERS),
    "runs.new_sweep": Route(
        "POST",
        lambda w: f"/scenarios/{_scenario(w).id}/sweeps/new",
        RUN_WRITERS,
        form=lambda w: {"points": "3"},
    ),
    "runs.index": Route("GET", lambda w: "/runs", RUN_READERS),
    "runs.detail": Route("GET", lambda w: f"/runs/{_queued(w).id}", RUN_READERS),
    "runs.cancel": Route(
        "POST", lambda w: f"/runs/{_queued(w).id}/cancel", RUN_WRITERS, form=lambda w: {}
    ),
    "run_results.results": Route("GET", lambda w: f"/runs/{_finished(w).id}/results", RUN_READERS),
    "run_results.rows_page": Route(
        "GET", lambda w: f"/runs/{_finished(w).id}/results/actions?year=2027", RUN_READERS
    ),
    "run_results.item": Route(
        "GET", lambda w: f"/runs/{_finished(w).id}/items/EQ-WAIT", RUN_READERS
    ),
    "run_results.export": Route("GET", lambda w: f"/runs/{_finished(w).id}/plan.xlsx", RUN_READERS),
    "run_results.compare": Route("GET", _compare, RUN_READERS),
    "run_results.sweep": Route(
        "GET",
        lambda w: f"/runs/sweeps/{_finished(w, sweep_key='matrix').sweep_key}",
        RUN_READERS,
    ),
    "run_results.cancel_sweep": Route(
        "POST",
        lambda w: f"/runs/sweeps/{_queued_in_sweep(w).sweep_key}/cancel",
        RUN_WRITERS,
        form=lambda w: {},
    ),
    "api.list_runs": Route("GET", lambda w: "/api/v1/runs", RUN_READERS),
    "api.get_run": Route("GET", lambda w: f"/api/v1/runs/{_queued(w).id}", RUN_READERS),
    "api.get_run_plan": Route("GET", lambda w: f"/api/v1/runs/{_finished(w).id}/plan", RUN_READERS),
    "api.create_run": Route(
        "POST",
        lambda w: f"/api/v1/scenarios/{_scenario(w).id}/runs",
        RUN_WRITERS,
        json=lambda w: {"time_limit_seconds": 10},
        ok_statuses=(201,),
    ),
    "api.cancel_run": Route(
        "POST", lambda w: f"/api/v1/runs/{_queued(w).id}/cancel", RUN_WRITERS, json=lambda w: {}
    ),
}
