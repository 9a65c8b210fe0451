"""/api/v1/runs: queue a run of a scenario, read its status and progress, cancel it, read the
plan of a finished run; planners and administrators write, the NSSC roles read, agency roles
get 403. Every response is checked against the OpenAPI document by the client."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import OptimisationRun
from tests.api.conftest import Caller
from tests.run_fixtures import make_finished_run, make_run, make_scenario

Role = Callable[[str], Caller]


def test_a_planner_queues_a_run_and_polls_it(as_role: Role, session: Session) -> None:
    scenario = make_scenario(session)
    planner = as_role("planner")
    response = planner.post(
        f"/api/v1/scenarios/{scenario.id}/runs", {"time_limit_seconds": 15, "seed": 3}
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Location"] == f"/api/v1/runs/{body['id']}"
    assert (body["status"], body["progress"], body["time_limit_seconds"]) == ("queued", 0.0, 15)
    assert (body["workers"], body["seed"], body["has_result"]) == (2, 3, False)
    assert body["requested_by_id"] == planner.user.id
    polled = as_role("technician").get(f"/api/v1/runs/{body['id']}")
    assert polled.status_code == 200
    assert polled.json == body


def test_bad_bodies_and_missing_scenarios(as_role: Role, session: Session) -> None:
    scenario = make_scenario(session)
    admin = as_role("admin")
    bad = admin.post(
        f"/api/v1/scenarios/{scenario.id}/runs",
        {"workers": 0, "time_limit_seconds": "fast", "status": "done"},
    )
    assert bad.status_code == 400
    assert set(bad.json["errors"]) == {"time_limit_seconds", "status"}
    out_of_range = admin.post(f"/api/v1/scenarios/{scenario.id}/runs", {"workers": 99})
    assert out_of_range.status_code == 400
    assert out_of_range.json["errors"] == {"workers": "Give a number from 1 to 8."}
    assert admin.post("/api/v1/scenarios/999999/runs", {}).status_code == 404
    assert session.scalars(select(OptimisationRun)).all() == []


def test_cancel_a_queued_run_then_a_conflict(as_role: Role, session: Session) -> None:
    run = make_run(session, make_scenario(session))
    planner = as_role("planner")
    cancelled = planner.post(f"/api/v1/runs/{run.id}/cancel")
    assert cancelled.status_code == 200
    assert (cancelled.json["status"], cancelled.json["cancel_requested"]) == ("cancelled", True)
    again = planner.post(f"/api/v1/runs/{run.id}/cancel")
    assert again.status_code == 409
    assert "already ended" in again.json["detail"]


def test_list_and_the_plan_of_a_finished_run(as_role: Role, session: Session) -> None:
    scenario, other = make_scenario(session), make_scenario(session, name="Other")
    finished = make_finished_run(session, scenario)
    queued = make_run(session, other)
    reader = as_role("technician")
    listed = reader.get("/api/v1/runs")
    assert [r["id"] for r in listed.json["items"]] == [queued.id, finished.id]
    only = reader.get("/api/v1/runs", scenario_id=scenario.id).json
    assert [r["id"] for r in only["items"]] == [finished.id]
    assert only["total"] == 1
    assert reader.get("/api/v1/runs", scenario_id="x").status_code == 400
    assert reader.get("/api/v1/runs", colour="red").status_code == 400
    done = reader.get("/api/v1/runs", status="done").json
    assert [r["id"] for r in done["items"]] == [finished.id]
    by_objective = reader.get("/api/v1/runs", sort="objective").json  # none last
    assert [r["id"] for r in by_objective["items"]] == [finished.id, queued.id]
    oldest = reader.get("/api/v1/runs", sort="created").json
    assert [r["id"] for r in oldest["items"]] == [finished.id, queued.id]
    for wrong in ({"status": "lost"}, {"sort": "colour"}):
        refused = reader.get("/api/v1/runs", **wrong)
        assert refused.status_code == 400
        assert set(refused.json["errors"]) == set(wrong)
    plan = reader.get(f"/api/v1/runs/{finished.id}/plan")
    assert plan.status_code == 200
    assert plan.json["format"] == "equiplan-plan/1"
    assert plan.json["choices"] == {"EQ-OLD": "replace@2027", "EQ-WAIT": "keep", "EQ-NEW": "keep"}
    assert reader.get(f"/api/v1/runs/{queued.id}/plan").status_code == 404


def test_agency_roles_get_403_and_readers_cannot_write(as_role: Role, session: Session) -> None:
    scenario = make_scenario(session)
    run = make_run(session, scenario)
    for role in ("officer", "viewer"):
        assert as_role(role).get("/api/v1/runs").status_code == 403
        assert as_role(role).get(f"/api/v1/runs/{run.id}").status_code == 403
    technician = as_role("technician")
    assert technician.post(f"/api/v1/scenarios/{scenario.id}/runs", {}).status_code == 403
    assert technician.post(f"/api/v1/runs/{run.id}/cancel").status_code == 403
