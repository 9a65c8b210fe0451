"""Optimisation runs end to end on SQLite and PostgreSQL: a scenario's portfolio is queued,
picked up by the queued-work job, solved with a live heartbeat and stored with its results;
cancelled before or while it runs; reported when orphaned; failed with the reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from itertools import accumulate, product
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlmodel import Session

from equiplan.models import AuditEvent, OptimisationRun, utcnow
from equiplan.services import optimisation_runs as runs
from equiplan.services.background_work import ORPHANED_AFTER, pick_up_queued_work, register_runner
from equiplan.services.errors import Conflict, ValidationError
from equiplan.services.plan_explanations import deferred_items, explain
from equiplan.services.plan_generation import build_portfolio
from equiplan.services.plan_results import actions_by_year, summary
from equiplan.services.run_execution import execute_run, planning_date
from equiplan.services.run_progress import RunMonitor
from tests.factories import make_agency
from tests.run_fixtures import (
    HORIZON,
    YEARLY_BUDGET_CENTS,
    Planned,
    make_planned_fleet,
    make_run,
)

# Money is in euros to the cent; values and coverage have six decimals.
MONEY_TOLERANCE = 0.005
VALUE_TOLERANCE = 1e-6
# An agency's yearly budget below the total of 12,000 €: a refurbishment (about 8,000 €) and
# the others' upkeep fit in 11,500 €, but not in 9,000 € (2028).
AGENCY_BUDGET_CENTS = [1_150_000, 900_000, 1_150_000, 1_150_000, 1_150_000]
CARRY_OVER_BUDGET_CENTS = [1_600_000, 500_000, 1_200_000, 1_200_000, 1_200_000]


@pytest.fixture(autouse=True)
def _runner() -> None:
    # What `equiplan serve` and `equiplan scheduler` register when they import the scheduler.
    register_runner("optimisation", execute_run)


@pytest.fixture
def planned(session: Session) -> Planned:
    return make_planned_fleet(session, make_agency(session, "VSAT"))


def _stored(session: Session, run_id: int) -> OptimisationRun:
    session.expire_all()
    return session.get_one(OptimisationRun, run_id)


def _solved(session: Session, planned: Planned) -> OptimisationRun:
    """The scenario's run, queued, picked up by the queued-work job and ended "done"."""
    run = runs.queue_run(
        session, planned.scenario.id, requested_by_id=None, time_limit_seconds="5", workers=1
    )
    pick_up_queued_work(session, utcnow())
    stored = _stored(session, run.id)
    assert stored.status == "done", stored.error
    assert stored.result is not None
    return stored


def _portfolio(session: Session, planned: Planned, day: date) -> dict[str, Any]:
    """The portfolio document the run solved (built from the same records on the same day)."""
    return build_portfolio(session, planned.scenario, today=day, contexts=False).document


def _checked_against_every_plan(
    session: Session, planned: Planned, stored: OptimisationRun
) -> tuple[dict[str, Any], float]:
    """The portfolio the run solved and the best value of all its plans, tried one by one;
    asserts the stored plan keeps every budget of every year and is worth that best value."""
    assert stored.result is not None
    assert stored.started_at is not None
    # Rebuilt from the same records as of the run's planning date (the local date).
    document = _portfolio(session, planned, planning_date(stored.started_at))
    _assert_keeps_every_budget_in_every_year(stored.result, document)
    best = _best_value_by_trying_every_plan(document)
    assert best > 0  # some action fits: the budgets decide which
    assert stored.objective == pytest.approx(best, abs=VALUE_TOLERANCE)
    assert stored.bound is not None
    assert stored.bound >= best - VALUE_TOLERANCE
    return document, best


def _within(spend: Sequence[float], limits: Sequence[float], carry_over: bool) -> bool:
    """Spend keeps a budget in every year: each year's own budget, or with carry-over the
    money given up to each year (running totals)."""
    if carry_over:
        spend, limits = list(accumulate(spend)), list(accumulate(limits))
    return all(s <= limit + MONEY_TOLERANCE for s, limit in zip(spend, limits, strict=True))


def _best_value_by_trying_every_plan(document: Mapping[str, Any]) -> float:
    """The most value any plan of the portfolio document can have, found by trying every
    choice of one option per item: every budget held in every year (the total budget for
    every item, the others for the items that name them; running totals with carry-over),
    every coverage requirement met in every year (docs/portfolio.md)."""
    budgets: dict[str, list[float]] = document["budgets"]
    requirements: dict[str, list[float]] = document["requirements"]
    carry_over = bool(document["carry_over"])
    items = document["items"]
    periods = len(document["periods"])
    best: float | None = None
    for options in product(*(item["options"] for item in items)):
        spend = {name: [0.0] * periods for name in budgets}
        provided = {name: [0.0] * periods for name in requirements}
        for item, option in zip(items, options, strict=True):
            for name in {"total", *item["budgets"]} & set(budgets):
                spend[name] = [s + c for s, c in zip(spend[name], option["cost"], strict=True)]
            for name, amounts in (option.get("provides") or {}).items():
                provided[name] = [p + a for p, a in zip(provided[name], amounts, strict=True)]
        if not all(_within(spend[name], budgets[name], carry_over) for name in budgets):
            continue
        if any(
            p < need - VALUE_TOLERANCE
            for name, needs in requirements.items()
            for p, need in zip(provided[name], needs, strict=True)
        ):
            continue
        value = sum(float(option["value"]) for option in options)
        best = value if best is None else max(best, value)
    assert best is not None, "no plan keeps every budget and requirement"
    return best


def _assert_keeps_every_budget_in_every_year(
    result: Mapping[str, Any], document: Mapping[str, Any]
) -> None:
    """The stored plan's spend, per budget and per year (not summed over the horizon), is
    what its chosen options cost and within the budget (running totals with carry-over)."""
    choices = result["plan"]["choices"]
    carry_over = bool(result["scenario"]["carry_over"])
    assert carry_over == document["carry_over"]
    periods = len(result["periods"])
    for name, limits in result["budgets"].items():
        assert len(limits) == periods
        members = [i for i in document["items"] if name == "total" or name in i["budgets"]]
        assert members, name
        cost = [0.0] * periods
        for item in members:
            (chosen,) = (o for o in item["options"] if o["id"] == choices[item["id"]])
            cost = [c + spent for c, spent in zip(cost, chosen["cost"], strict=True)]
        spend = result["plan"]["spend"][name]
        assert spend == pytest.approx(cost, abs=MONEY_TOLERANCE), name
        assert _within(spend, limits, carry_over), (name, spend, limits)


def test_a_queued_run_is_solved_by_the_queued_work_job(session: Session, planned: Planned) -> None:
    run = runs.queue_run(
        session, planned.scenario.id, requested_by_id=None, time_limit_seconds="5", workers=1
    )
    assert (run.status, run.progress, run.result) == ("queued", 0.0, None)

    report = pick_up_queued_work(session, utcnow())

    assert (report.started, report.waiting) == (1, 0)
    stored = _stored(session, run.id)
    assert stored.status == "done", stored.error
    assert stored.progress == 1.0
    assert stored.started_at
    assert stored.finished_at
    assert stored.heartbeat_at
    assert stored.objective is not None
    assert stored.bound is not None
    assert stored.bound >= stored.objective - 1e-6
    result = stored.result
    assert result is not None
    assert result["plan"]["format"] == "equiplan-plan/1"
    assert set(result["plan"]["choices"]) == {item.inventory_no for item in planned.items}
    assert result["periods"] == list(range(2027, 2027 + HORIZON))
    for key in ("plan", "do_nothing", "greedy"):
        assert len(result["availability"][key]) == HORIZON
    # Every action the table shows is one the plan chose, in a year of the horizon.
    chosen = {i: item["chosen"]["id"] for i, item in result["items"].items()}
    for year in actions_by_year(result):
        for action in year.actions:
            assert str(year.year) in chosen[action.item_id]
    # Every year keeps its own budget (not only the horizon's sum), and no plan of the
    # portfolio is worth more: tried one by one (about 11^4 plans).
    assert result["budgets"] == {"total": [YEARLY_BUDGET_CENTS / 100] * HORIZON}
    document, best = _checked_against_every_plan(session, planned, stored)
    assert result["plan"]["objective"] == pytest.approx(best, abs=VALUE_TOLERANCE)
    figures = summary(result)
    assert figures.availability_plan >= figures.availability_do_nothing  # type: ignore[operator]
    # The status change is audited (the progress beats and the stored result are not).
    changes = session.scalars(
        select(AuditEvent.changes).where(
            AuditEvent.entity == "optimisation_run", AuditEvent.entity_id == run.id
        )
    ).all()
    assert any(c.get("status") == ["running", "done"] for c in changes)
    assert not any("result" in c or "progress" in c for c in changes)


@pytest.mark.parametrize(
    "budgets",
    [
        # Little money in 2028 (about the upkeep), more in 2027: only carried over does
        # 2027's money pay for an action in 2028.
        pytest.param(
            {"carry_over": True, "budgets": {"total": CARRY_OVER_BUDGET_CENTS}}, id="carry-over"
        ),
        # VSAT's own budget is below the total in every year, in 2028 too low for any
        # refurbishment beside the upkeep of the others: the agency's budget binds.
        pytest.param(
            {
                "budgets": {
                    "total": [YEARLY_BUDGET_CENTS] * HORIZON,
                    "agency:VSAT": AGENCY_BUDGET_CENTS,
                }
            },
            id="agency-budget",
        ),
    ],
)
def test_the_stored_plan_is_the_best_that_keeps_every_budget_of_every_year(
    session: Session, budgets: dict[str, Any]
) -> None:
    planned = make_planned_fleet(session, make_agency(session, "VSAT"), **budgets)
    stored = _solved(session, planned)
    result = stored.result
    assert result is not None
    document, best = _checked_against_every_plan(session, planned, stored)
    if budgets.get("carry_over"):
        assert result["budgets"]["total"] == [cents / 100 for cents in CARRY_OVER_BUDGET_CENTS]
        # And it mattered: without carry-over the best plan is worth less.
        year_by_year = {**document, "carry_over": False}
        assert _best_value_by_trying_every_plan(year_by_year) < best - VALUE_TOLERANCE
    if "agency:VSAT" in budgets["budgets"]:
        # The agency's spend as the results pages show it, year by year, within its budget.
        agency = result["budgets"]["agency:VSAT"]
        assert agency == [cents / 100 for cents in AGENCY_BUDGET_CENTS]
        spent = result["spend_by_agency"]["VSAT"]
        assert all(s <= a + MONEY_TOLERANCE for s, a in zip(spent, agency, strict=True)), spent
        assert spent == pytest.approx(result["plan"]["spend"]["agency:VSAT"], abs=MONEY_TOLERANCE)
        # And it mattered: with the total budget alone, a better plan would exist.
        total_only = {**document, "budgets": {"total": document["budgets"]["total"]}}
        assert _best_value_by_trying_every_plan(total_only) > best + VALUE_TOLERANCE


def test_budget_too_small_defers_items_and_explains_why(session: Session, planned: Planned) -> None:
    run = runs.queue_run(session, planned.scenario.id, requested_by_id=None, workers=1)
    pick_up_queued_work(session, utcnow())
    result = _stored(session, run.id).result
    assert result is not None
    deferred = deferred_items(result)
    assert deferred, "with about one replacement's money, some items must wait"
    for found in deferred:
        assert found.value_gain > 0
        assert found.best_option != found.chosen_option
        # Money was the reason where a budget is tight; that money would fund it.
        if found.tight_budgets:
            assert found.extra_budget_total > 0
            assert all(t.budget == "total" for t in found.tight_budgets)
    assert explain(result, deferred[0].item_id) == deferred[0]


def test_a_queued_run_cancelled_before_it_starts_ends_at_once(
    session: Session, planned: Planned
) -> None:
    run = runs.queue_run(session, planned.scenario.id, requested_by_id=None)
    cancelled = runs.request_cancel(session, run.id)  # type: ignore[arg-type]
    assert (cancelled.status, cancelled.cancel_requested) == ("cancelled", True)
    assert cancelled.finished_at is not None
    assert pick_up_queued_work(session, utcnow()).started == 0
    with pytest.raises(Conflict):
        runs.request_cancel(session, run.id)  # type: ignore[arg-type]


def test_a_cancel_seen_by_the_solver_ends_the_run_cancelled(
    session: Session, planned: Planned
) -> None:
    run = make_run(session, planned.scenario, workers=1)
    # The planner's request lands as the scheduler claims the run: the first beat sees it.
    run.cancel_requested = True
    session.commit()
    pick_up_queued_work(session, utcnow())
    stored = _stored(session, run.id)  # type: ignore[arg-type]
    assert stored.status == "cancelled", stored.error
    assert stored.finished_at is not None
    # The engine always has a feasible plan when it stops (doing nothing fits this budget):
    # the best plan found before the stop is kept, marked as stopped early.
    assert stored.result is not None
    assert stored.result["plan"]["stopped"] is True
    assert stored.result["plan"]["status"] == "FEASIBLE"
    assert set(stored.result["plan"]["choices"]) == {item.inventory_no for item in planned.items}
    assert stored.summary is not None


def test_an_orphaned_run_is_reported_as_failed(session: Session, planned: Planned) -> None:
    long_ago = utcnow() - ORPHANED_AFTER - timedelta(minutes=1)
    run = make_run(
        session, planned.scenario, status="running", started_at=long_ago, heartbeat_at=long_ago
    )
    report = pick_up_queued_work(session, utcnow())
    assert report.orphaned == 1
    stored = _stored(session, run.id)  # type: ignore[arg-type]
    assert stored.status == "failed"
    assert "stopped" in (stored.error or "")


def test_a_scenario_with_nothing_in_scope_fails_with_the_reason(
    session: Session, planned: Planned
) -> None:
    planned.scenario.type_codes = ["NO-SUCH-TYPE"]
    session.commit()
    run = runs.queue_run(session, planned.scenario.id, requested_by_id=None)
    pick_up_queued_work(session, utcnow())
    stored = _stored(session, run.id)
    assert stored.status == "failed"
    assert "scope" in (stored.error or "")
    assert stored.result is None


def test_the_monitor_writes_progress_and_sees_a_cancel(session: Session, planned: Planned) -> None:
    run = make_run(session, planned.scenario, status="running", started_at=utcnow())
    bind = session.get_bind()

    def open_session() -> Session:
        return Session(bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint")

    # A beat interval longer than the test: only the explicit beats below write.
    with RunMonitor(open_session, run.id, time_limit=10, beat_every=3600) as monitor:  # type: ignore[arg-type]
        assert monitor.should_stop() is False
        monitor.report(incumbent=8.0, bound=10.0, elapsed=4.0)
        monitor.beat()
        stored = _stored(session, run.id)  # type: ignore[arg-type]
        assert (stored.progress, stored.objective, stored.bound) == (0.4, 8.0, 10.0)
        assert stored.gap == pytest.approx(0.2)
        assert stored.heartbeat_at is not None
        session.execute(
            update(OptimisationRun)
            .where(OptimisationRun.id == run.id)  # type: ignore[arg-type]
            .values(cancel_requested=True)
        )
        session.commit()
        monitor.report(incumbent=9.0, bound=10.0, elapsed=30.0)
        monitor.beat()
        assert monitor.should_stop() is True
    # Past the time limit the bar still stops short of the end until the run is recorded.
    assert _stored(session, run.id).progress == 0.99  # type: ignore[arg-type]


def test_a_budget_sweep_queues_one_run_per_level(session: Session, planned: Planned) -> None:
    queued = runs.queue_sweep(session, planned.scenario.id, requested_by_id=None)
    assert [r.budget_factor for r in queued] == [
        0.5,
        0.6,
        0.7,
        0.8,
        0.9,
        1.0,
        1.1,
        1.2,
        1.3,
        1.4,
        1.5,
    ]
    assert len({r.sweep_key for r in queued}) == 1
    assert [r.id for r in runs.sweep_runs(session, queued[0].sweep_key)] == [r.id for r in queued]  # type: ignore[arg-type]


def test_bad_settings_are_refused_with_a_message_per_field(
    session: Session, planned: Planned
) -> None:
    with pytest.raises(ValidationError) as caught:
        runs.queue_run(
            session, planned.scenario.id, requested_by_id=None, time_limit_seconds="0", workers="x"
        )
    assert set(caught.value.errors) == {"time_limit_seconds", "workers"}
    with pytest.raises(ValidationError) as sweep:
        runs.queue_sweep(
            session, planned.scenario.id, requested_by_id=None, low_percent=120, high_percent=80
        )
    assert set(sweep.value.errors) == {"high_percent"}
    assert session.scalars(select(OptimisationRun)).all() == []
