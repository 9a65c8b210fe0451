"""Whole units for CP-SAT: rounding in the safe direction, units that keep amounts exact, and a
plan that would overspend after naive rounding never chosen."""

from __future__ import annotations

import numpy as np
import pytest

from equiplan.domain.optimiser import Portfolio, PortfolioItem, PortfolioOption, solve
from equiplan.domain.optimiser.cpsat import search
from equiplan.domain.optimiser.problem import compile_portfolio, is_feasible
from equiplan.domain.optimiser.scaling import choose_unit, round_down, round_up, scale_problem


def _three_buyers(cost: float, budget: float) -> Portfolio:
    items = tuple(
        PortfolioItem(
            id=f"item{n}",
            options=(
                PortfolioOption(id="keep", cost=(0.0,), value=0.0),
                PortfolioOption(id="buy", cost=(cost,), value=1.0, provides={"cover": (0.335,)}),
            ),
        )
        for n in range(3)
    )
    return Portfolio(
        name="rounding",
        periods=("2027",),
        budgets={"total": (budget,)},
        items=items,
        requirements={"cover": (0.66,)},
    )


def test_costs_round_up_and_budgets_round_down() -> None:
    assert round_up(np.array([0.334, 0.33, 0.0]), 0.01).tolist() == [34, 33, 0]
    assert round_down(np.array([0.999, 1.0, 1.001]), 0.01).tolist() == [99, 100, 100]


def test_decimal_amounts_stay_exact_despite_binary_noise() -> None:
    # 0.29 / 0.01 is 28.999999999999996 in binary floating point.
    assert round_up(np.array([0.29, 1.15, 0.57]), 0.01).tolist() == [29, 115, 57]
    assert round_down(np.array([0.29, 1.15, 0.57]), 0.01).tolist() == [29, 115, 57]


@pytest.mark.parametrize(
    ("amounts", "largest", "expected"),
    [
        ([3.0, 120000.0, 5.0], 1e6, 1.0),  # whole euros: exact in euros
        ([1200.5, 0.25], 1e6, 0.01),  # cents
        ([1e4, 2e4, 3e4], 1e6, 1e4),  # the coarsest exact unit
        ([1 / 3, 2 / 3], 1.0, 1e-9),  # never exact: the finest unit within the limit
        ([1 / 3, 2 / 3], 1e9, 1e-4),  # ... which gets coarser as the sums grow
    ],
)
def test_the_unit_is_exact_when_possible_and_fine_otherwise(
    amounts: list[float], largest: float, expected: float
) -> None:
    assert choose_unit(np.array(amounts), largest, 1e13) == pytest.approx(expected)


def test_a_plan_that_overspends_only_after_naive_rounding_is_not_chosen() -> None:
    # Three purchases of 0.334 against a budget of 1.00: any two fit, all three cost 1.002.
    # In whole cents rounded to nearest they would cost 33 + 33 + 33 = 99 ≤ 100.
    problem = compile_portfolio(_three_buyers(0.334, 1.0))
    scaled = scale_problem(problem, money_unit=0.01, coverage_unit=0.01)
    assert np.rint(problem.costs[:, 1, 0] / 0.01).sum() <= 100
    assert scaled.costs[:, 1, 0].tolist() == [34, 34, 34]
    assert scaled.capacity.tolist() == [[100]]
    # Coverage rounds the other way: each provides 0.335, rounded down to 0.33.
    assert scaled.provided[:, 1, 0].tolist() == [33, 33, 33]
    assert scaled.required.tolist() == [[66]]
    assert not scaled.exact
    result = search(
        problem,
        scaled,
        problem.valid.copy(),
        np.zeros(3, dtype=np.int64),
        hint_feasible=False,
        time_limit=10,
        deterministic_limit=5,
        workers=1,
        seed=0,
    )
    assert result.choice is not None
    assert sorted(result.choice.tolist()) == [0, 1, 1]
    assert is_feasible(problem, result.choice)


def test_the_solve_keeps_the_budget_when_purchases_do_not_all_fit() -> None:
    plan = solve(_three_buyers(0.334, 1.0), time_limit=5)
    assert plan.status == "OPTIMAL"
    assert sorted(plan.choices.values()) == ["buy", "buy", "keep"]
    assert plan.spend["total"] == [pytest.approx(0.668)]


def test_value_rounding_is_covered_by_the_bound_correction() -> None:
    problem = compile_portfolio(_three_buyers(0.334, 1.0))
    scaled = scale_problem(problem, value_unit=0.3)
    # Each "buy" of value 1.0 becomes 3 units of 0.3 = 0.9: a plan's real value may be up to
    # 0.1 per item above its scaled value, and the bound correction says so.
    assert scaled.values[:, 1].tolist() == [3, 3, 3]
    assert scaled.value_slack == pytest.approx(0.3)
    assert scaled.real_value(6) == pytest.approx(6 * 0.3 + 0.3)
