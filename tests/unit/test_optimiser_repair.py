"""Repair at tight budgets: where the greedy baseline overspends or misses coverage, pricing
and single moves still find a plan that keeps every budget and requirement, and the solve
returns it (checked here in plain Python, not with the solver's numpy code)."""

from __future__ import annotations

import numpy as np
import pytest

from equiplan.domain.optimiser import (
    Portfolio,
    PortfolioItem,
    PortfolioOption,
    scale_budgets,
    solve,
)
from equiplan.domain.optimiser.greedy import do_nothing_plan, greedy_plan
from equiplan.domain.optimiser.portfolio import TOTAL_BUDGET
from equiplan.domain.optimiser.problem import (
    IntArray,
    Problem,
    compile_portfolio,
    is_feasible,
    plan_value,
)
from equiplan.domain.optimiser.repair import full_repair, priced_repair, repair, violation
from equiplan.domain.optimiser.synthetic import synthetic_portfolio

TOLERANCE = 1e-6


def tight_portfolio() -> Portfolio:
    # 400 items at 80 % of the budgets: running costs alone overspend, greedy stays infeasible.
    return scale_budgets(synthetic_portfolio(400, seed=1), 0.8)


def plain_check(portfolio: Portfolio, choices: dict[str, str]) -> list[str]:
    """Every budget and requirement the plan breaks, by name and period."""
    periods = len(portfolio.periods)
    spend = {name: [0.0] * periods for name in portfolio.budgets}
    provided = {name: [0.0] * periods for name in portfolio.requirements}
    for item in portfolio.items:
        picked = next(o for o in item.options if o.id == choices[item.id])
        names = ([TOTAL_BUDGET] if TOTAL_BUDGET in portfolio.budgets else []) + list(item.budgets)
        for name in names:
            for t in range(periods):
                spend[name][t] += picked.cost[t]
        for name, amounts in picked.provides.items():
            for t in range(periods):
                provided[name][t] += amounts[t]
    broken = [
        f"{name} {t}"
        for name, budget in portfolio.budgets.items()
        for t in range(periods)
        if spend[name][t] > budget[t] + TOLERANCE * max(1.0, budget[t])
    ]
    broken += [
        f"{name} {t}"
        for name, required in portfolio.requirements.items()
        for t in range(periods)
        if provided[name][t] < required[t] - TOLERANCE * max(1.0, required[t])
    ]
    return broken


def test_greedy_is_infeasible_where_priced_repair_finds_a_plan() -> None:
    problem = compile_portfolio(tight_portfolio())
    assert not is_feasible(problem, greedy_plan(problem))
    repaired = priced_repair(problem)
    assert repaired is not None
    assert is_feasible(problem, repaired)
    assert violation(problem, repaired) == 0.0


def test_repair_moves_only_lower_the_violation() -> None:
    problem = compile_portfolio(tight_portfolio())
    start = do_nothing_plan(problem)
    before = violation(problem, start)
    after = violation(problem, repair(problem, start))
    assert before > 1.0
    assert after < 0.1 * before


def test_repair_leaves_a_feasible_plan_alone() -> None:
    problem = compile_portfolio(synthetic_portfolio(100, seed=2, budget_level=1.5))
    plan = greedy_plan(problem)
    assert is_feasible(problem, plan)
    assert np.array_equal(repair(problem, plan), plan)


def test_solve_returns_a_feasible_plan_at_tight_budgets() -> None:
    portfolio = tight_portfolio()
    plan = solve(portfolio, time_limit=10, workers=2).to_json()
    assert plan["baselines"]["greedy"]["feasible"] is False
    assert plan["status"] in ("FEASIBLE", "OPTIMAL")
    assert plain_check(portfolio, plan["choices"]) == []
    assert plan["objective"] <= plan["bound"] + 1e-6


def stalled_plan() -> tuple[Problem, IntArray]:
    """Every euro is spent and a requirement is 0.05 short: the only move that makes it up
    (replace the monitor) costs 50 with 40 left, so it overspends by more than it covers and
    single moves stall. Paying for it takes a second move elsewhere (the cheaper upgrade)."""
    monitor = PortfolioItem(
        id="monitor",
        options=(
            option("keep", 0, 0, 0.95),
            option("replace", 50, 1, 1.0),
        ),
    )
    other = PortfolioItem(
        id="other",
        options=(option("keep", 0, 0), option("upgrade", 60, 5), option("lite", 40, 4)),
    )
    problem = compile_portfolio(
        Portfolio(
            name="stall",
            periods=("2027",),
            budgets={TOTAL_BUDGET: (100.0,)},
            items=(monitor, other),
            requirements={"site:RIID": (1.0,)},
        )
    )
    return problem, np.array([0, 1])  # keep the monitor, upgrade the other


def option(option_id: str, cost: float, value: float, riid: float | None = None) -> PortfolioOption:
    provides = {} if riid is None else {"site:RIID": (riid,)}
    return PortfolioOption(id=option_id, cost=(float(cost),), value=value, provides=provides)


def test_single_moves_stall_a_hair_short_of_a_requirement() -> None:
    problem, start = stalled_plan()
    assert not is_feasible(problem, start)
    assert np.array_equal(repair(problem, start), start)  # no single move lowers the violation


def test_full_repair_makes_the_shortfall_up_first_then_pays_for_it() -> None:
    problem, start = stalled_plan()
    finished = full_repair(problem, start)
    assert is_feasible(problem, finished)
    # The monitor replaced, paid for by the upgrade that loses least value (lite, not keep).
    assert finished.tolist() == [1, 2]
    assert plan_value(problem, finished) == 5.0


def test_repairing_coverage_only_ignores_the_budgets() -> None:
    problem, start = stalled_plan()
    covered = repair(problem, start, money=False, by_value=True)
    assert covered.tolist() == [1, 1]  # short no more, overspent by 10
    assert not is_feasible(problem, covered)
    assert violation(problem, covered) == pytest.approx(10 / 100)


def test_the_lp_plan_repaired_at_priced_value_keeps_more_value() -> None:
    # The LP's plan of a synthetic portfolio, rounded: short of coverage and over budget.
    # Ranked by plain value the repair makes coverage up with options that spend the money
    # other items needed; ranked by value after paying the money at the LP's prices, it
    # keeps more of the plan (measured, before filling: 7,284.4 against 7,242.4; the LP's
    # rounded plan is worth 7,310.6).
    from equiplan.domain.optimiser.lp import best_options
    from equiplan.domain.optimiser.relaxation import solve_relaxation
    from equiplan.domain.optimiser.repair import priced_value_repair

    problem = compile_portfolio(synthetic_portfolio(500))
    relaxation = solve_relaxation(problem, time_limit=30)
    assert relaxation.prices is not None
    assert relaxation.reduced is not None
    assert relaxation.fractions is not None
    rounded = best_options(relaxation.reduced, relaxation.fractions, problem.valid)
    assert not is_feasible(problem, rounded)
    plain = full_repair(problem, rounded)
    priced = priced_value_repair(problem, rounded, relaxation.prices)
    assert is_feasible(problem, plain)
    assert is_feasible(problem, priced)
    assert plan_value(problem, priced) > plan_value(problem, plain) + 30
