"""Regression tests of the runs review, through the pages and the API: cancelling asks first
(one run or a whole sweep), failure reasons are said in the reader's language, a run cancelled
before any plan says so, the solver's status is shown in words, lists work from the stored
summary, and the live page stops polling on 401/403/404."""

from __future__ import annotations

import io
from pathlib import Path

from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlmodel import Session

from equiplan.services import run_errors
from tests.conftest import csrf_token, sign_in
from tests.run_fixtures import make_finished_run, make_run, make_scenario
from tests.web.conftest import World

STATIC = Path(__file__).parents[2] / "equiplan" / "static"


def test_cancelling_a_run_asks_first(client: FlaskClient, world: World, session: Session) -> None:
    run = make_run(session, make_scenario(session))
    sign_in(client, world.users["planner"])
    page = client.get(f"/runs/{run.id}").get_data(as_text=True)
    confirm = page.split('data-testid="cancel-run"')[1].split("</details>")[0]
    # The button that cancels sits inside the disclosure, behind "Cancel this run…".
    assert "Cancel this run…" in confirm
    assert f'action="/runs/{run.id}/cancel"' in confirm
    assert "Yes, cancel this run" in confirm


def test_a_whole_sweep_is_cancelled_after_confirming(
    client: FlaskClient, world: World, session: Session
) -> None:
    scenario = make_scenario(session)
    finished = make_finished_run(session, scenario, sweep_key="s2")
    queued = [make_run(session, scenario, sweep_key="s2", budget_factor=f) for f in (0.5, 1.5)]
    sign_in(client, world.users["planner"])
    page = client.get("/runs/sweeps/s2").get_data(as_text=True)
    confirm = page.split('data-testid="cancel-sweep"')[1].split("</details>")[0]
    assert 'action="/runs/sweeps/s2/cancel"' in confirm
    assert "Yes, cancel the sweep" in confirm

    token = csrf_token(client, "/runs")
    assert client.post("/runs/sweeps/s2/cancel", data={}).status_code == 400  # no CSRF token
    response = client.post("/runs/sweeps/s2/cancel", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/runs/sweeps/s2"
    session.expire_all()
    assert [run.status for run in queued] == ["cancelled", "cancelled"]
    assert finished.status == "done"
    assert "2 runs cancelled." in client.get("/runs/sweeps/s2").get_data(as_text=True)
    assert client.post("/runs/sweeps/nope/cancel", data={"csrf_token": token}).status_code == 404


def test_a_failure_reason_is_shown_in_the_readers_language(
    client: FlaskClient, world: World, session: Session
) -> None:
    reason = run_errors.RunError(run_errors.NO_PLAN, {"status": "UNKNOWN"})
    run = make_run(
        session,
        make_scenario(session),
        status="failed",
        error=reason.english,
        error_code=reason.code,
        error_params=reason.params,
    )
    reader = world.users["technician"]
    sign_in(client, reader)
    english = client.get(f"/runs/{run.id}").get_data(as_text=True)
    assert "The solver found no plan in the time limit (status UNKNOWN)" in english
    reader.locale = "lt"
    session.commit()
    lithuanian = client.get(f"/runs/{run.id}").get_data(as_text=True)
    assert "Per nustatytą laiką sprendiklis nerado plano (būsena UNKNOWN)" in lithuanian
    assert "The solver found no plan" not in lithuanian


def test_a_run_cancelled_before_any_plan_says_so(
    client: FlaskClient, world: World, session: Session
) -> None:
    run = make_run(session, make_scenario(session), status="cancelled", cancel_requested=True)
    sign_in(client, world.users["technician"])
    page = client.get(f"/runs/{run.id}").get_data(as_text=True)
    assert "The run was cancelled before the solver found a plan." in page
    assert 'data-testid="run-error"' not in page


def test_the_solver_status_is_shown_in_words(
    client: FlaskClient, world: World, session: Session
) -> None:
    run = make_finished_run(session, make_scenario(session))
    sign_in(client, world.users["technician"])
    page = client.get(f"/runs/{run.id}/results").get_data(as_text=True)
    status = page.split('data-testid="summary-status">')[1].split("</dd>")[0]
    assert status == "optimal (proven best)"
    book = load_workbook(io.BytesIO(client.get(f"/runs/{run.id}/plan.xlsx").data))
    rows = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    assert rows["Solver status"] == "optimal (proven best)"


def test_lists_and_the_api_use_the_stored_summary(
    client: FlaskClient, world: World, session: Session
) -> None:
    scenario = make_scenario(session)
    finished = make_finished_run(session, scenario)
    queued = make_run(session, scenario)
    sign_in(client, world.users["technician"])
    listing = client.get("/runs").get_data(as_text=True)
    assert f'href="/runs/{finished.id}/results"' in listing
    assert f'href="/runs/{queued.id}/results"' not in listing
    assert client.get(f"/api/v1/runs/{finished.id}").json["has_result"] is True  # type: ignore[index]
    polled = client.get(f"/api/v1/runs/{queued.id}").json
    assert polled is not None
    assert (polled["has_result"], polled["error_code"]) == (False, None)
    plan = client.get(f"/api/v1/runs/{finished.id}/plan").json
    assert plan is not None
    assert set(plan["baselines"]["greedy"]) == {"objective", "feasible"}


def test_the_live_page_stops_polling_when_asking_again_cannot_help(
    client: FlaskClient, world: World, session: Session
) -> None:
    script = (STATIC / "run_progress.js").read_text()
    assert "var FINAL = [401, 403, 404];" in script
    assert 'field("poll-problem")' in script
    run = make_run(session, make_scenario(session))
    sign_in(client, world.users["technician"])
    page = client.get(f"/runs/{run.id}").get_data(as_text=True)
    assert 'data-run-field="poll-problem" hidden' in page
