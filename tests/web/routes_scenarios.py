"""Route × role matrix rows of the scenario pages and /api/v1/scenarios: the centre's roles
read, planners and administrators write, officers and viewers are refused (plans span
agencies)."""

from __future__ import annotations

from itertools import count

from sqlalchemy.orm import object_session

from equiplan.models import BudgetScenario
from tests.web.conftest import World
from tests.web.route_table import Route

READERS = frozenset({"admin", "planner", "technician"})
WRITERS = frozenset({"admin", "planner"})
_names = count(1)


def _scenario_id(world: World) -> int:
    """A new one-year scenario with the world's VSAT item in scope (made in its session)."""
    session = object_session(world.vsat_item)
    assert session is not None
    scenario = BudgetScenario(
        name=f"Matrix scenario {next(_names)}",
        first_year=2027,
        horizon_years=1,
        budgets={"total": [100_000_00]},
    )
    session.add(scenario)
    session.commit()
    return scenario.id  # type: ignore[return-value]


def _form(world: World) -> dict[str, str]:
    return {
        "name": f"Matrix form {next(_names)}",
        "first_year": "2027",
        "horizon_years": "1",
        "inflation_pct": "2",
        "budget-total": "100000",
        "version": "1",
    }


ROUTES: dict[str, Route] = {
    "scenarios.index": Route("GET", lambda w: "/scenarios", READERS),
    "scenarios.detail": Route("GET", lambda w: f"/scenarios/{_scenario_id(w)}", READERS),
    "scenarios.new": Route("GET", lambda w: "/scenarios/new", WRITERS),
    "scenarios.edit": Route("GET", lambda w: f"/scenarios/{_scenario_id(w)}/edit", WRITERS),
    "scenarios.copy": Route(
        "POST", lambda w: f"/scenarios/{_scenario_id(w)}/copy", WRITERS, form=lambda w: {}
    ),
    "scenarios.delete": Route("GET", lambda w: f"/scenarios/{_scenario_id(w)}/delete", WRITERS),
    "scenarios.portfolio": Route(
        "GET", lambda w: f"/scenarios/{_scenario_id(w)}/portfolio.json", READERS
    ),
    "api.list_scenarios": Route("GET", lambda w: "/api/v1/scenarios", READERS),
    "api.get_scenario": Route("GET", lambda w: f"/api/v1/scenarios/{_scenario_id(w)}", READERS),
    "api.create_scenario": Route(
        "POST",
        lambda w: "/api/v1/scenarios",
        WRITERS,
        json=lambda w: {
            "name": f"Matrix API {next(_names)}",
            "first_year": 2027,
            "horizon_years": 1,
            "budgets": {"total": [1]},
        },
        ok_statuses=(201,),
    ),
    "api.update_scenario": Route(
        "PATCH",
        lambda w: f"/api/v1/scenarios/{_scenario_id(w)}",
        WRITERS,
        json=lambda w: {"version": 1, "carry_over": True},
    ),
    "api.copy_scenario": Route(
        "POST",
        lambda w: f"/api/v1/scenarios/{_scenario_id(w)}/copy",
        WRITERS,
        json=lambda w: {},
        ok_statuses=(201,),
    ),
    "api.delete_scenario": Route(
        "DELETE",
        lambda w: f"/api/v1/scenarios/{_scenario_id(w)}?version=1",
        WRITERS,
        json=lambda w: {},
    ),
    "api.get_scenario_portfolio": Route(
        "GET", lambda w: f"/api/v1/scenarios/{_scenario_id(w)}/portfolio", READERS
    ),
}
