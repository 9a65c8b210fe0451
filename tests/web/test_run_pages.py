"""The run pages as users see them: a planner queues a run or a sweep (bad settings keep the
input), the run page with its live-progress hooks, cancelling, the results (actions, budgets,
availability, deferred items with the rule), one item's explanation, the exports, the compare
and sweep pages; technicians read but see no buttons."""

from __future__ import annotations

import io
import json
import re
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import BudgetScenario, OptimisationRun
from tests.conftest import csrf_token, sign_in
from tests.run_fixtures import example_result, make_finished_run, make_run, make_scenario
from tests.web.conftest import World


def _post(client: FlaskClient, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/runs")})


def _runs(session: Session) -> list[OptimisationRun]:
    session.expire_all()
    return list(session.scalars(select(OptimisationRun).order_by(OptimisationRun.id)))


_ROW = re.compile(r"<tr\b[^>]*>(.*?)</tr>", re.S)
_CELL = re.compile(r"<t([hd])\b[^>]*>(.*?)</t\1>", re.S)
_TAG = re.compile(r"<[^>]+>")


def _rows(html: str, testid: str) -> list[str]:
    """The markup of each row of the table with this test id (the header row first)."""
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    return _ROW.findall(table)


def _cells(row: str) -> list[str]:
    """The text of each cell of a row, spaces (no-break ones too) made plain."""
    return [" ".join(unescape(_TAG.sub("", cell)).split()) for _, cell in _CELL.findall(row)]


def _table(html: str, testid: str) -> list[list[str]]:
    """The text of every cell of the table with this test id, row by row."""
    return [_cells(row) for row in _rows(html, testid)]


def _result_worth(
    objective: float, gap: float, yearly_budget: float, spend: list[float], plan: list[float]
) -> dict[str, Any]:
    """The example result with its own headline figures: the plan's value and gap, the total
    budget of each year, the spend of each year (all VSAT's) and the plan's availability."""
    result = example_result()
    result["plan"].update(objective=objective, bound=objective / (1 - gap), gap=gap)
    result["plan"]["spend"] = {"total": spend}
    result["budgets"] = {"total": [yearly_budget] * len(spend)}
    result["spend_by_agency"] = {"MUIT": [0.0] * len(spend), "VSAT": spend}
    result["availability"]["plan"] = plan
    return result


def test_a_planner_queues_a_run_and_lands_on_its_live_page(
    client: FlaskClient, world: World, session: Session
) -> None:
    scenario = make_scenario(session)
    sign_in(client, world.users["planner"])
    form = client.get(f"/scenarios/{scenario.id}/runs/new").get_data(as_text=True)
    assert "Time limit (seconds)" in form
    assert 'id="run-time_limit_seconds"' in form
    assert 'id="sweep-low_percent"' in form
    assert 'value="50"' in form

    response = _post(
        client,
        f"/scenarios/{scenario.id}/runs/new",
        {"time_limit_seconds": "20", "workers": "1", "seed": "7"},
    )

    assert response.status_code == 302
    [run] = _runs(session)
    assert (run.status, run.time_limit_seconds, run.workers, run.seed) == ("queued", 20, 1, 7)
    assert run.requested_by_id == world.users["planner"].id
    assert response.headers["Location"] == f"/runs/{run.id}"
    page = client.get(f"/runs/{run.id}").get_data(as_text=True)
    # The page polls the run's JSON status with the script served from /static (CSP: no
    # inline script) and shows a progress bar, incumbent, bound and gap.
    assert f'data-run-status-url="/api/v1/runs/{run.id}"' in page
    assert 'src="/static/run_progress.js"' in page
    assert '<progress class="w-100" id="run-progress-bar" max="1" value="0.0"' in page
    for label in ("Best plan so far (value)", "Proven bound", "Gap", "Cancel this run"):
        assert label in page
    assert "<script>" not in page


def test_bad_settings_keep_the_input_and_write_nothing(
    client: FlaskClient, world: World, session: Session
) -> None:
    scenario = make_scenario(session)
    sign_in(client, world.users["admin"])
    response = _post(
        client,
        f"/scenarios/{scenario.id}/runs/new",
        {"time_limit_seconds": "99999", "workers": "two", "seed": "1"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert '<div class="invalid-feedback">Give a number from 5 to 3600.</div>' in html
    assert '<div class="invalid-feedback">Give a whole number.</div>' in html
    assert 'value="99999"' in html
    assert 'value="two"' in html
    sweep = _post(
        client,
        f"/scenarios/{scenario.id}/sweeps/new",
        {"low_percent": "150", "high_percent": "50", "points": "5"},
    )
    assert sweep.status_code == 400
    assert "Give a higher percentage than the lowest one." in sweep.get_data(as_text=True)
    assert _runs(session) == []


def test_a_sweep_queues_runs_and_shows_its_page(
    client: FlaskClient, world: World, session: Session
) -> None:
    scenario = make_scenario(session)
    sign_in(client, world.users["planner"])
    response = _post(
        client,
        f"/scenarios/{scenario.id}/sweeps/new",
        {"low_percent": "60", "high_percent": "140", "points": "5", "time_limit_seconds": "10"},
    )
    assert response.status_code == 302
    runs = _runs(session)
    assert [r.budget_factor for r in runs] == [0.6, 0.8, 1.0, 1.2, 1.4]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Some runs of this sweep are still queued or running" in page
    assert "reloads itself every 15 seconds" in page
    assert '<meta http-equiv="refresh" content="15">' in page  # no script needed
    assert page.count('data-status="queued"') == 5


def test_cancelling_a_queued_run_ends_it_and_an_ended_one_cannot_be(
    client: FlaskClient, world: World, session: Session
) -> None:
    run = make_run(session, make_scenario(session))
    sign_in(client, world.users["planner"])
    response = _post(client, f"/runs/{run.id}/cancel", {})
    assert response.status_code == 302
    assert _runs(session)[0].status == "cancelled"
    again = _post(client, f"/runs/{run.id}/cancel", {})
    assert again.status_code == 409
    assert "This run has already ended" in again.get_data(as_text=True)


def test_a_running_run_gets_a_cancel_request(
    client: FlaskClient, world: World, session: Session
) -> None:
    run = make_run(session, make_scenario(session), status="running")
    sign_in(client, world.users["admin"])
    response = _post(client, f"/runs/{run.id}/cancel", {})
    assert response.status_code == 302
    stored = _runs(session)[0]
    assert (stored.status, stored.cancel_requested) == ("running", True)
    page = client.get(f"/runs/{run.id}").get_data(as_text=True)
    assert "cancel requested" in page


def test_the_results_page_shows_actions_budgets_availability_and_deferred_items(
    client: FlaskClient, world: World, session: Session
) -> None:
    run = make_finished_run(session, make_scenario(session))
    sign_in(client, world.users["technician"])
    detail = client.get(f"/runs/{run.id}").get_data(as_text=True)
    assert f'href="/runs/{run.id}/results"' in detail
    assert "Cancel this run" not in detail
    assert "data-run-status-url" not in detail
    html = client.get(f"/runs/{run.id}/results").get_data(as_text=True)
    # Summary, the two charts with their tables, the budget table with the tight year.
    assert "95.3 %" in html
    assert "90.7 %" in html
    assert 'data-testid="chart-spend"' in html
    assert 'data-testid="chart-availability"' in html
    # The 2027 total budget is all spent: its row, and only its row, has the warning badge.
    tight = '<span class="badge text-bg-warning">tight</span>'
    budgets = {tuple(_cells(row)[:2]): row for row in _rows(html, "budget-table")[1:]}
    assert list(budgets) == [("Total budget", str(year)) for year in (2027, 2028, 2029)]
    assert _cells(budgets[("Total budget", "2027")])[2:5] == ["€9,000.00", "€9,000.00", "100.0 %"]
    assert tight in budgets[("Total budget", "2027")]
    assert tight not in budgets[("Total budget", "2028")]
    assert tight not in budgets[("Total budget", "2029")]
    # EQ-OLD's replacement in 2027, late against its design life (ended 2025), in its own row.
    assert f'href="/runs/{run.id}/items/EQ-OLD">EQ-OLD</a>' in html
    assert _table(html, "actions-2027")[1:] == [
        ["EQ-OLD", "VSAT", "MED", "RPM", "Model X", "replace", "€8,400.00", "2025", "late"]
    ]
    # EQ-WAIT is deferred: the tight 2027 total budget, and 8,600 € more would fund it.
    assert 'data-testid="deferred-table"' in html
    assert "EQ-WAIT" in html
    assert "<td>keep</td><td>replace 2027</td>" in html  # options in words, not their ids
    assert "Total budget 2027" in html
    assert "€8,600.00" in html
    assert "An item is deferred when the plan gives it less value than its best option" in html
    item = client.get(f"/runs/{run.id}/items/EQ-WAIT").get_data(as_text=True)
    assert "Extra budget that would fund it: €8,600.00." in item
    assert 'data-testid="deferred-flag">yes' in item
    assert client.get(f"/runs/{run.id}/items/NOPE").status_code == 404


def test_an_item_whose_inventory_number_holds_a_slash_has_its_explanation_page(
    client: FlaskClient, world: World, session: Session
) -> None:

    result = json.loads(json.dumps(example_result()).replace("EQ-OLD", "VSAT/2019/001"))
    run = make_finished_run(session, make_scenario(session), result=result)
    sign_in(client, world.users["planner"])
    html = client.get(f"/runs/{run.id}/results").get_data(as_text=True)
    assert f'href="/runs/{run.id}/items/VSAT/2019/001">VSAT/2019/001</a>' in html
    item = client.get(f"/runs/{run.id}/items/VSAT/2019/001")
    assert item.status_code == 200
    assert "VSAT/2019/001" in item.get_data(as_text=True)
    assert client.get(f"/runs/{run.id}/items/VSAT/2019").status_code == 404


def test_results_of_a_run_without_a_result_are_missing(
    client: FlaskClient, world: World, session: Session
) -> None:
    run = make_run(session, make_scenario(session))
    sign_in(client, world.users["planner"])
    assert client.get(f"/runs/{run.id}/results").status_code == 404
    assert client.get(f"/runs/{run.id}/plan.json").status_code == 404


def test_the_plan_downloads_as_json_and_xlsx(
    client: FlaskClient, world: World, session: Session
) -> None:
    # Stopped short of the proof: objective, bound and gap all differ, so none hides another.
    result = example_result()
    result["plan"].update(status="FEASIBLE", bound=0.32, gap=0.0625)
    # Likewise the greedy plan's availability, the plan's own otherwise.
    result["availability"]["greedy"] = [0.95, 0.92, 0.9]
    run = make_finished_run(session, make_scenario(session), result=result)
    sign_in(client, world.users["planner"])
    plan = json.loads(client.get(f"/runs/{run.id}/plan.json").data)
    assert plan["format"] == "equiplan-plan/1"
    assert plan["choices"]["EQ-OLD"] == "replace@2027"
    assert plan["periods"] == ["2027", "2028", "2029"]
    assert plan["spend"] == {"total": [9000.0, 700.0, 800.0]}
    assert plan["baselines"] == {
        "do_nothing": {"objective": 0.0, "feasible": True},
        "greedy": {"objective": 0.0, "feasible": True},
    }
    assert (plan["objective"], plan["bound"], plan["gap"]) == (0.3, 0.32, 0.0625)
    response = client.get(f"/runs/{run.id}/plan.xlsx")
    assert response.headers["Content-Disposition"].endswith(f"plan-run-{run.id}.xlsx")
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == ["Summary", "Actions", "Spend", "Availability", "Deferred"]
    figures = dict(list(book["Summary"].iter_rows(values_only=True))[1:])
    assert figures["Objective (value)"] == pytest.approx(0.3)
    assert figures["Proven bound"] == pytest.approx(0.32)
    assert figures["Gap"] == pytest.approx(0.0625)
    availability = list(book["Availability"].iter_rows(values_only=True))
    assert availability[0] == ("Year", "Plan", "Do nothing", "Greedy")
    by_year = result["availability"]
    assert availability[1:] == [
        (year, by_year["plan"][t], by_year["do_nothing"][t], by_year["greedy"][t])
        for t, year in enumerate(result["periods"])
    ]
    assert len(availability) == 1 + 3
    actions = list(book["Actions"].iter_rows(values_only=True))
    assert actions[1][:3] == (2027, "EQ-OLD", "VSAT")
    deferred = list(book["Deferred"].iter_rows(values_only=True))
    assert deferred[1][0] == "EQ-WAIT"
    assert deferred[1][2:4] == ("keep", "replace 2027")
    assert deferred[1][-1] == 8600
    assert deferred[1][6] == "Total budget 2027"
    spend = list(book["Spend"].iter_rows(values_only=True))
    assert spend[0][:5] == ("Budget", "Year", "Spend (EUR)", "Budget (EUR)", "Used")
    assert spend[1][:5] == ("Total budget", 2027, 9000, 9000, 1)


def test_the_xlsx_spend_sheet_shows_what_carry_over_makes_available(
    client: FlaskClient, world: World, session: Session
) -> None:

    result = example_result()
    result["scenario"]["carry_over"] = True
    run = make_finished_run(session, make_scenario(session), result=result)
    sign_in(client, world.users["planner"])
    book = load_workbook(io.BytesIO(client.get(f"/runs/{run.id}/plan.xlsx").data), read_only=True)
    spend = list(book["Spend"].iter_rows(values_only=True))
    assert spend[0][3:6] == ("Budget (EUR)", "Available with carry-over (EUR)", "Used")
    # 2029: its own 9,000 and the 8,300 2028 left; 800 spent is a share of 17,300, not 9,000.
    assert spend[3][:5] == ("Total budget", 2029, 800, 9000, 17300)
    assert spend[3][5] == pytest.approx(800 / 17300)
    client.post("/locale", data={"locale": "lt", "csrf_token": csrf_token(client, "/runs")})
    book = load_workbook(io.BytesIO(client.get(f"/runs/{run.id}/plan.xlsx").data), read_only=True)
    assert list(book.worksheets[2].iter_rows(values_only=True))[1][0] == "Bendras biudžetas"
    deferred = list(book.worksheets[4].iter_rows(values_only=True))
    assert deferred[1][2:4] == ("palikti", "pakeisti 2027")
    page = client.get(f"/runs/{run.id}/results").get_data(as_text=True)
    assert "<td>palikti</td><td>pakeisti 2027</td>" in page


def test_runs_are_compared_side_by_side(
    client: FlaskClient, world: World, session: Session
) -> None:
    scenario = make_scenario(session)
    # Every figure of the two runs differs: a column shown under the other run would show.
    first = make_finished_run(
        session,
        scenario,
        result=_result_worth(0.3, 0.0, 9000.0, [9000.0, 700.0, 800.0], [0.97, 0.95, 0.93]),
    )
    second = make_finished_run(
        session,
        scenario,
        budget_factor=1.5,
        result=_result_worth(0.45, 0.02, 13500.0, [13500.0, 5000.0, 800.0], [0.99, 0.98, 0.97]),
    )
    sign_in(client, world.users["planner"])
    listed = client.get("/runs").get_data(as_text=True)
    assert f'name="ids" value="{first.id}"' in listed
    figures = {
        first.id: {
            "Budget": "100%",
            "Value of the plan": "0.300",
            "Gap": "0.000 %",
            "Total spend": "€10,500.00",
            "Total budget": "€27,000.00",
            "Mean expected availability": "95.0 %",
        },
        second.id: {
            "Budget": "150%",
            "Value of the plan": "0.450",
            "Gap": "2.000 %",
            "Total spend": "€19,300.00",
            "Total budget": "€40,500.00",
            "Mean expected availability": "98.0 %",
        },
    }
    availability = {
        first.id: ["97.0 %", "95.0 %", "93.0 %"],
        second.id: ["99.0 %", "98.0 %", "97.0 %"],
    }
    # Each run's figures in its own column, the columns in the order asked for.
    for order in ((first.id, second.id), (second.id, first.id)):
        query = "&".join(f"ids={run_id}" for run_id in order)
        html = client.get(f"/runs/compare?{query}").get_data(as_text=True)
        header, *rows = _table(html, "compare-table")
        assert header == ["Figure", *(f"#{run_id}" for run_id in order)]
        shown = {row[0]: row[1:] for row in rows}
        for label in figures[first.id]:
            assert shown[label] == [figures[run_id][label] for run_id in order], label
        assert 'data-testid="chart-compare"' in html
        chart_header, *chart_rows = _table(html, "chart-compare-table")
        assert chart_header == ["Year", *(f"Run {run_id}" for run_id in order)]
        assert chart_rows == [
            [str(year), *(availability[run_id][t] for run_id in order)]
            for t, year in enumerate((2027, 2028, 2029))
        ]
    assert client.get(f"/runs/compare?ids={first.id}").status_code == 400
    assert client.get(f"/runs/compare?ids={first.id}&ids=999999").status_code == 404


def test_the_scenario_panel_lists_its_runs_and_offers_the_forms_to_planners(
    app, client: FlaskClient, world: World, session: Session
) -> None:  # type: ignore[no-untyped-def]
    scenario = make_scenario(session)
    run = make_run(session, scenario)
    sign_in(client, world.users["planner"])
    with app.test_request_context():
        from flask import render_template
        from flask_login import login_user

        login_user(world.users["planner"])
        html = render_template("planning/_scenario_runs.html", scenario=scenario)
        assert 'data-testid="run-form"' in html
        assert f'href="/runs/{run.id}"' in html
        assert "The 1 run of this scenario" in html  # not "All 1 runs"
        login_user(world.users["technician"])
        html = render_template("planning/_scenario_runs.html", scenario=scenario)
        assert 'data-testid="run-form"' not in html
        assert f'href="/runs/{run.id}"' in html


def test_a_failed_run_shows_why(client: FlaskClient, world: World, session: Session) -> None:
    run = make_run(
        session,
        make_scenario(session),
        status="failed",
        error="No equipment is in this scenario's scope: widen its agencies or types.",
    )
    sign_in(client, world.users["technician"])
    page = client.get(f"/runs/{run.id}").get_data(as_text=True)
    assert 'data-status="failed"' in page
    assert "No equipment is in this scenario&#39;s scope" in page
    assert 'data-testid="results-link"' in page  # present but hidden: there is no result
    assert "data-run-status-url" not in page


def _finished_sweep(session: Session, key: str, factors: tuple[float, ...]) -> BudgetScenario:
    """A scenario with one finished run of sweep `key` per budget factor."""
    scenario = make_scenario(session)
    for factor in factors:
        make_finished_run(session, scenario, sweep_key=key, budget_factor=factor)
    return scenario


def test_a_finished_sweep_draws_budget_against_availability(
    client: FlaskClient, world: World, session: Session
) -> None:
    scenario = make_scenario(session)
    # Stored out of order, each with its own figures: the page lists them by budget factor.
    made = {}
    for factor, objective, spend, plan in (
        (1.5, 0.45, [13500.0, 5000.0, 800.0], [0.99, 0.98, 0.97]),
        (0.5, 0.1, [4500.0, 700.0, 800.0], [0.9, 0.85, 0.8]),
        (1.0, 0.3, [9000.0, 700.0, 800.0], [0.97, 0.95, 0.93]),
    ):
        result = _result_worth(objective, 0.0, 9000.0 * factor, spend, plan)
        made[factor] = make_finished_run(
            session, scenario, sweep_key="s1", budget_factor=factor, result=result
        ).id
    failed = make_run(session, scenario, sweep_key="s1", budget_factor=0.8, status="failed")
    sign_in(client, world.users["planner"])
    html = client.get("/runs/sweeps/s1").get_data(as_text=True)
    assert 'data-testid="chart-sweep"' in html
    assert "Some runs of this sweep are still queued" not in html
    assert 'http-equiv="refresh"' not in html  # every run has ended: the page stays still
    assert _table(html, "sweep-table")[1:] == [
        [f"#{made[0.5]}", "50%", "Done", "€13,500.00", "€6,000.00", "85.0 %", "0.100"],
        [f"#{failed.id}", "80%", "Failed", "—", "—", "—", "—"],
        [f"#{made[1.0]}", "100%", "Done", "€27,000.00", "€10,500.00", "95.0 %", "0.300"],
        [f"#{made[1.5]}", "150%", "Done", "€40,500.00", "€19,300.00", "98.0 %", "0.450"],
    ]
    # The curve's table: one row per finished run, by budget factor.
    assert _table(html, "chart-sweep-table")[1:] == [
        ["50%", "€13,500.00", "€6,000.00", "85.0 %"],
        ["100%", "€27,000.00", "€10,500.00", "95.0 %"],
        ["150%", "€40,500.00", "€19,300.00", "98.0 %"],
    ]
    assert client.get("/runs/sweeps/nope").status_code == 404


def test_budget_factors_of_a_fine_sweep_keep_their_decimals(
    client: FlaskClient, world: World, session: Session
) -> None:
    _finished_sweep(session, "fine", (1.0, 1.005, 1.01))
    sign_in(client, world.users["planner"])
    html = client.get("/runs/sweeps/fine").get_data(as_text=True)
    table = html.split('data-testid="chart-sweep-table"')[1].split("</table>")[0]
    for label in ("100%", "100.5%", "101%"):
        assert f"<td>{label}</td>" in table or f">{label}<" in table, label
    runs_table = html.split('data-testid="sweep-table"')[1].split("</table>")[0]
    assert '<td class="text-end">100.5%</td>' in runs_table
    client.post("/locale", data={"locale": "lt", "csrf_token": csrf_token(client, "/runs")})
    lithuanian = client.get("/runs/sweeps/fine").get_data(as_text=True)
    assert "100,5\xa0%" in lithuanian


def test_a_baseline_that_breaks_a_budget_or_minimum_is_marked(
    client: FlaskClient, world: World, session: Session
) -> None:

    result = example_result()
    result["plan"]["baselines"]["greedy"]["feasible"] = False
    scenario = make_scenario(session)
    marked = make_finished_run(session, scenario, result=result)
    plain = make_finished_run(session, scenario)
    sign_in(client, world.users["planner"])
    html = client.get(f"/runs/{marked.id}/results").get_data(as_text=True)
    assert html.count('data-testid="baseline-infeasible"') == 1
    assert "breaks a budget or minimum" in html
    plain_html = client.get(f"/runs/{plain.id}/results").get_data(as_text=True)
    assert 'data-testid="baseline-infeasible"' not in plain_html
    # A summary stored before the baselines' feasibility was kept is brought up to date.
    old_summary = json.loads(json.dumps(marked.summary))
    for key in ("do_nothing_feasible", "greedy_feasible"):
        del old_summary["figures"][key]
    marked.summary = old_summary
    session.commit()
    compare = client.get(f"/runs/compare?ids={marked.id}&ids={plain.id}").get_data(as_text=True)
    assert compare.count('data-testid="baseline-infeasible"') == 1
    session.refresh(marked)
    assert marked.summary["figures"]["greedy_feasible"] is False
    workbook = client.get(f"/runs/{marked.id}/plan.xlsx").data
    book = load_workbook(io.BytesIO(workbook), read_only=True)
    rows = dict(list(book["Summary"].iter_rows(values_only=True))[1:])
    assert rows["The greedy plan keeps every budget and minimum"] == "no"
    assert rows["Doing nothing keeps every budget and minimum"] == "yes"


def test_the_runs_list_filters_sorts_and_comes_back_from_a_refused_comparison(
    client: FlaskClient, world: World, session: Session
) -> None:
    border = make_scenario(session, name="Border")
    customs = make_scenario(session, name="Customs")
    low = make_finished_run(session, border)
    high = make_finished_run(session, border)
    low.objective, high.objective = 1.0, 9.0
    session.commit()
    queued = make_run(session, customs)
    sign_in(client, world.users["planner"])

    def listed(query: str) -> list[int]:
        page = client.get(f"/runs{query}").get_data(as_text=True)
        table = page.split('data-testid="runs-table"', 1)[1].split("</table>", 1)[0]
        return [
            int(part.split('"', 1)[0])
            for part in table.split('href="/runs/')[1:]
            if part.split('"', 1)[0].isdigit()
        ]

    assert listed("") == [queued.id, high.id, low.id]  # newest first
    assert listed("?status=queued") == [queued.id]
    assert listed(f"?scenario_id={border.id}") == [high.id, low.id]
    assert listed("?sort=objective&desc=0") == [low.id, high.id, queued.id]  # none last
    assert listed("?sort=objective&desc=1") == [high.id, low.id, queued.id]
    filtered = client.get(f"/runs?scenario_id={border.id}").get_data(as_text=True)
    assert "Optimisation runs of Border" in filtered
    # The sorted column says so on its header, where screen readers look.
    assert '<th scope="col" aria-sort="descending"><a href="/runs?' in filtered
    assert filtered.count("aria-sort") == 1
    assert 'href="/runs">Clear filters</a>' in filtered
    # An unknown status is said, and left out.
    wrong = client.get("/runs?status=lost")
    assert wrong.status_code == 400
    statuses = "queued, running, done, failed, cancelled"
    assert f"Choose one of: {statuses}." in wrong.get_data(as_text=True)
    # Past the last page: the last page, not "no runs yet".
    assert listed("?page=40") == [queued.id, high.id, low.id]

    # One box ticked: back to the same list, the box still ticked, the reason beside it.
    refused = client.get(f"/runs/compare?back=runs&scenario_id={border.id}&ids={high.id}")
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "Choose from 2 to 21 runs to compare." in page
    assert "ids:" not in page
    assert f'value="{high.id}" id="compare-{high.id}" checked' in page
    assert f'value="{low.id}" id="compare-{low.id}">' in page
    assert "Optimisation runs of Border" in page
    # No comparison offered where fewer than two runs have results.
    only_queued = client.get(f"/runs?scenario_id={customs.id}").get_data(as_text=True)
    assert 'data-testid="compare-box"' not in only_queued


def test_results_narrow_to_an_agency_and_list_every_row_a_page_at_a_time(
    client: FlaskClient, world: World, session: Session
) -> None:
    run = make_finished_run(session, make_scenario(session))
    sign_in(client, world.users["planner"])
    mine = client.get(f"/runs/{run.id}/results?agency=VSAT").get_data(as_text=True)
    assert 'data-testid="agency-filter"' in mine
    assert f'href="/runs/{run.id}/items/EQ-OLD">' in mine  # VSAT's replacement
    assert "EQ-WAIT" not in mine  # Customs' deferred item
    theirs = client.get(f"/runs/{run.id}/results?agency=MUIT").get_data(as_text=True)
    assert "EQ-WAIT" in theirs
    assert f'href="/runs/{run.id}/items/EQ-OLD">' not in theirs
    unknown = client.get(f"/runs/{run.id}/results?agency=XX")
    assert unknown.status_code == 400
    assert "Choose one of: MUIT, VSAT." in unknown.get_data(as_text=True)

    actions = client.get(f"/runs/{run.id}/results/actions?year=2027&agency=VSAT")
    assert actions.status_code == 200
    page = actions.get_data(as_text=True)
    assert "Actions of 2027" in page
    assert 'data-testid="rows-count">1 action<' in page
    assert f'href="/runs/{run.id}/items/EQ-OLD">' in page
    deferred = client.get(f"/runs/{run.id}/results/deferred").get_data(as_text=True)
    assert 'data-testid="rows-count">1 deferred item<' in deferred
    assert "EQ-WAIT" in deferred
    # A year not in the plan, or nonsense: said, and the first year shown.
    wrong = client.get(f"/runs/{run.id}/results/actions?year=1999&page=x")
    assert wrong.status_code == 400
    text = wrong.get_data(as_text=True)
    assert "Choose one of the plan&#39;s years." in text
    assert "Actions of 2027" in text


def test_a_long_year_is_paged(
    client: FlaskClient, world: World, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from equiplan.web import run_results

    monkeypatch.setattr(run_results, "ROW_LIMIT", 1)
    result = example_result()
    twin = dict(result["items"]["EQ-OLD"])
    result["items"]["EQ-OLD-2"] = twin
    run = make_finished_run(session, make_scenario(session), result=result)
    sign_in(client, world.users["planner"])
    summary = client.get(f"/runs/{run.id}/results").get_data(as_text=True)
    assert "The first 1 of 2 actions." in summary
    assert f'href="/runs/{run.id}/results/actions?year=2027"' in summary
    first = client.get(f"/runs/{run.id}/results/actions?year=2027").get_data(as_text=True)
    second = client.get(f"/runs/{run.id}/results/actions?year=2027&page=9").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in second  # past the last page: the last one
    assert ('/items/EQ-OLD-2"' in first) != ('/items/EQ-OLD-2"' in second)
