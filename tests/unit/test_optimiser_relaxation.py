"""The LP relaxation: the bound from the prices is proven and tight, whether the LP is solved at
once or by column generation; the MMKP text format is read as a portfolio."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from equiplan.domain.optimiser import PortfolioError, lp
from equiplan.domain.optimiser.lp import Prices, lagrangian_bound, solve_lp
from equiplan.domain.optimiser.mmkp import parse_mmkp
from equiplan.domain.optimiser.problem import compile_portfolio, is_feasible, plan_value
from equiplan.domain.optimiser.relaxation import solve_relaxation
from equiplan.domain.optimiser.synthetic import synthetic_portfolio

MMKP = """3 2
10 8
3
5 4 1
7 6 3
9 8 6
2
1 0 0
6 5 5
2
4 1 1
8 4 4
"""


@pytest.fixture(scope="module")
def problem():  # type: ignore[no-untyped-def]
    return compile_portfolio(synthetic_portfolio(400, seed=0, carry_over=True))


def test_column_generation_reaches_the_bound_of_the_whole_lp(problem) -> None:  # type: ignore[no-untyped-def]
    whole = solve_relaxation(problem, time_limit=60)
    by_columns = solve_relaxation(problem, time_limit=60, direct_items=50)
    assert whole.status == by_columns.status == "OPTIMAL"
    assert by_columns.rounds > 1
    assert whole.bound is not None
    assert by_columns.bound is not None
    # Proven either way, so never below the LP optimum; and converged to within 2e-6.
    assert by_columns.bound >= whole.bound - 1e-9 * whole.bound
    assert by_columns.bound <= whole.bound * (1 + 2e-6)


def test_the_bound_from_prices_matches_the_lp_value(problem) -> None:  # type: ignore[no-untyped-def]
    solution = solve_lp(problem, time_limit=60)
    assert solution.prices is not None
    assert solution.objective is not None
    bound, reduced = lagrangian_bound(problem, solution.prices)
    assert bound == pytest.approx(solution.objective, rel=1e-7)
    assert np.all(reduced[problem.valid] <= 1e-12)


def test_any_prices_give_an_upper_bound_on_every_plan() -> None:
    portfolio = parse_mmkp(MMKP)
    problem = compile_portfolio(portfolio)
    best = max(
        plan_value(problem, np.array(choice))
        for choice in itertools.product(range(3), range(2), range(2))
        if is_feasible(problem, np.array(choice))
    )
    rng = np.random.default_rng(0)
    for _ in range(20):
        prices = Prices(budget=rng.uniform(0, 3, (1, 2)), requirement=np.zeros((0, 2)))
        assert lagrangian_bound(problem, prices)[0] >= best - 1e-9


def test_an_mmkp_instance_becomes_a_portfolio() -> None:
    portfolio = parse_mmkp(MMKP, name="tiny")
    assert portfolio.name == "tiny"
    assert portfolio.periods == ("resource-1", "resource-2")
    assert portfolio.budgets == {"total": (10.0, 8.0)}
    assert [len(item.options) for item in portfolio.items] == [3, 2, 2]
    assert portfolio.items[0].options[1].cost == (6.0, 3.0)
    assert portfolio.items[0].options[1].value == 7.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "ends before the number of classes"), ("2 1\n5\n1\n3 x", "'x' is not a number")],
)
def test_a_broken_mmkp_file_is_a_portfolio_error(text: str, expected: str) -> None:
    with pytest.raises(PortfolioError, match=expected):
        parse_mmkp(text)


def test_a_solve_ended_without_an_answer_is_tried_again_without_presolve(
    problem, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    whole = solve_lp(problem, time_limit=60)
    # The first attempt stops after one iteration (as a presolve failure stops it, with no
    # answer); the second, with the retry parameters, solves it.
    monkeypatch.setattr(
        lp, "GLOP_PARAMETERS", "use_dual_simplex: true, max_number_of_iterations: 1"
    )
    retried = solve_lp(problem, time_limit=60)
    assert (whole.status, retried.status) == ("OPTIMAL", "OPTIMAL")
    assert retried.objective == pytest.approx(whole.objective, rel=1e-7)
    # Retrying fails the same way: no answer, and no third attempt.
    monkeypatch.setattr(lp, "GLOP_RETRY_PARAMETERS", "max_number_of_iterations: 1")
    assert solve_lp(problem, time_limit=60).status == "LIMIT"
