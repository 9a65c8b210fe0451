"""Planning in Chromium against a live `equiplan serve` with the demo data: a planner creates a
budget scenario, runs the optimiser on it, watches the run page update itself while the
server's own scheduler solves it, and opens the results (charts drawn, plan downloadable); and
cancels a long run while it runs.

The planner's interface is Lithuanian; the steps find elements by id and test id, so they hold
whatever the catalogue says.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.pages import new_page, query_one, sign_in

pytestmark = pytest.mark.browser

PLANNER = "planner@demo.lt"
RUN_WAIT_MS = 90_000  # queued → picked up (every second) → solved (5 s limit) → page reloaded


def _create_scenario(page: Any, live_server: str, name: str) -> None:
    """A five-year scenario of VSAT's equipment with a yearly total budget, through the form."""
    page.goto(f"{live_server}/scenarios/new")
    form = page.locator("[data-testid=scenario-form]")
    page.locator("#name").fill(name)
    page.locator("#first_year").fill("2027")
    page.locator("#horizon_years").fill("5")
    page.locator("#budget-total").fill("2 000 000")
    page.locator("#agency_codes").select_option("VSAT")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/scenarios/\d+$"))


def _start_run(page: Any, time_limit: int) -> int:
    """Queue a run from the scenario page's run form; the run page opens. Its id."""
    run_form = page.locator("[data-testid=scenario-runs] [data-testid=run-form]")
    run_form.locator("#run-time_limit_seconds").fill(str(time_limit))
    run_form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_a_planner_creates_a_scenario_runs_it_and_opens_the_results(
    browser: Any, live_server: str, e2e_database: Path
) -> None:
    problems: list[str] = []
    page = new_page(browser, problems)
    sign_in(page, live_server, PLANNER)

    _create_scenario(page, live_server, "E2E planas")
    run_id = _start_run(page, time_limit=5)

    # The page polls the run's status and reloads itself as the run starts and ends.
    progress = page.locator("[data-testid=run-progress]")
    assert progress.locator("progress#run-progress-bar").count() == 1
    page.locator("[data-testid=results-link]").wait_for(state="visible", timeout=RUN_WAIT_MS)
    assert progress.locator("[data-status=done]").count() == 1
    assert page.locator("#run-progress-bar").get_attribute("value") == "1.0"
    status, objective = query_one(
        e2e_database, "SELECT status, objective FROM optimisation_run WHERE id = ?", run_id
    )
    assert status == "done"
    assert objective is not None

    page.locator("[data-testid=results-link]").click()
    page.wait_for_url(f"{live_server}/runs/{run_id}/results")
    assert page.locator("[data-testid=run-summary]").is_visible()
    # Both charts are drawn by Plotly (no inline script: the CSP would report it).
    for chart in ("chart-spend", "chart-availability"):
        page.locator(f"[data-testid={chart}] .main-svg").first.wait_for(state="attached")
    assert page.locator("[data-testid=deferral-rule]").is_visible()
    with page.expect_download() as download:
        page.locator("[data-testid=export-xlsx]").click()
    assert download.value.suggested_filename == f"plan-run-{run_id}.xlsx"
    assert problems == []


def test_a_planner_cancels_a_running_run(
    browser: Any, live_server: str, e2e_database: Path
) -> None:
    problems: list[str] = []
    page = new_page(browser, problems)
    sign_in(page, live_server, PLANNER)
    _create_scenario(page, live_server, "E2E atšaukimas")
    run_id = _start_run(page, time_limit=600)

    # Queued, then running: the page reloads itself when the scheduler starts it.
    page.locator("[data-testid=run-progress] [data-status=running]").wait_for(timeout=RUN_WAIT_MS)
    # While it runs the page shows the solver's progress as it polls: the proven bound and
    # the gap as figures (not the dash shown before any), and the bar moving off zero.
    for name in ("bound", "gap"):
        page.wait_for_function(
            "name => /\\d/.test(document.querySelector(`[data-run-field=${name}]`)?.textContent)",
            arg=name,
            timeout=RUN_WAIT_MS,
        )
    page.wait_for_function(
        "() => document.querySelector('#run-progress-bar')?.value > 0", timeout=RUN_WAIT_MS
    )
    assert page.locator("[data-testid=run-progress] [data-status=running]").count() == 1
    # Cancelling asks first: open the disclosure, then confirm.
    page.locator("[data-testid=cancel-run] summary").click()
    page.locator("[data-testid=cancel-form] button[type=submit]").click()
    page.wait_for_url(f"{live_server}/runs/{run_id}")
    # The solver stops at its next check, long before its ten minutes are up.
    page.locator("[data-testid=run-progress] [data-status=cancelled]").wait_for(timeout=RUN_WAIT_MS)
    status, finished = query_one(
        e2e_database, "SELECT status, finished_at FROM optimisation_run WHERE id = ?", run_id
    )
    assert status == "cancelled"
    assert finished is not None
    assert page.locator("[data-testid=cancel-form]").count() == 0
    # The engine always has a feasible plan when it stops: the best one found before the
    # stop is kept, marked as stopped early, and stays readable.
    (kept,) = query_one(e2e_database, "SELECT result FROM optimisation_run WHERE id = ?", run_id)
    assert kept is not None
    assert json.loads(kept)["plan"]["stopped"] is True
    assert page.locator("[data-testid=results-link]").is_visible()
    assert problems == []


def test_the_run_page_stops_polling_when_it_is_refused(
    browser: Any, live_server: str, e2e_database: Path
) -> None:
    problems: list[str] = []
    page = new_page(browser, problems)
    sign_in(page, live_server, PLANNER)
    _create_scenario(page, live_server, "E2E atmestas tikrinimas")
    run_id = _start_run(page, time_limit=600)
    status_url = f"{live_server}/api/v1/runs/{run_id}"
    asked: list[str] = []

    def refuse(route: Any) -> None:
        asked.append(route.request.url)
        route.fulfill(status=403, content_type="application/json", body='{"error": "forbidden"}')

    # As if the planner had been signed out or lost the role: the status URL answers 403.
    page.route(status_url, refuse)
    page.reload()
    # The page says so (it used to retry quietly for ever) after its one refused request.
    page.locator("[data-run-field=poll-problem]").wait_for(state="visible", timeout=10_000)
    assert asked == [status_url]
    page.unroute(status_url)

    # Tidy up: the ten-minute run is cancelled (after the confirmation step).
    page.locator("[data-testid=cancel-run] summary").click()
    page.locator("[data-testid=cancel-form] button[type=submit]").click()
    page.locator("[data-testid=run-progress] [data-status=cancelled]").wait_for(timeout=RUN_WAIT_MS)
    (status,) = query_one(e2e_database, "SELECT status FROM optimisation_run WHERE id = ?", run_id)
    assert status == "cancelled"
