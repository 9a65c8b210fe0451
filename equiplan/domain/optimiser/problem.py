"""The portfolio as dense arrays (items × options × periods), and the plan check in real units.

Every solver phase works on these arrays: numpy does per-item work in bulk, which matters at
20,000 items × 21 options × 10 periods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from equiplan.domain.optimiser.portfolio import TOTAL_BUDGET, Portfolio, PortfolioError

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]

# A plan is checked in real units with this relative tolerance: floating-point sums of exact
# decimal amounts may be off by a few units in the last place.
CHECK_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Problem:
    """The arrays of a portfolio. Options beyond an item's own count are padding (`valid`
    false, zero cost and value); provides are stored per (item, requirement) pair because most
    items provide towards one requirement or none."""

    values: FloatArray  # (items, options)
    costs: FloatArray  # (items, options, periods)
    valid: BoolArray  # (items, options)
    option_counts: IntArray  # (items,)
    budget_names: tuple[str, ...]
    capacity: FloatArray  # (budgets, periods)
    membership: BoolArray  # (items, budgets)
    requirement_names: tuple[str, ...]
    required: FloatArray  # (requirements, periods)
    provider_item: IntArray  # (pairs,)
    provider_requirement: IntArray  # (pairs,)
    provided: FloatArray  # (pairs, options, periods)
    carry_over: bool

    @property
    def item_count(self) -> int:
        return int(self.values.shape[0])

    @property
    def period_count(self) -> int:
        return int(self.costs.shape[2])


def compile_portfolio(portfolio: Portfolio) -> Problem:
    """The arrays of a portfolio; checks the shapes a hand-built Portfolio could get wrong."""
    periods = len(portfolio.periods)
    if periods == 0 or not portfolio.items:
        raise PortfolioError("a portfolio needs at least one period and one item")
    budget_names = tuple(portfolio.budgets)
    budget_index = {name: index for index, name in enumerate(budget_names)}
    requirement_names = tuple(portfolio.requirements)
    requirement_index = {name: index for index, name in enumerate(requirement_names)}
    for name, series in (*portfolio.budgets.items(), *portfolio.requirements.items()):
        if len(series) != periods:
            raise PortfolioError(f"{name!r} needs one number per period", field=name)
    width = max(len(item.options) for item in portfolio.items)
    count = len(portfolio.items)
    values = np.zeros((count, width))
    costs = np.zeros((count, width, periods))
    option_counts = np.zeros(count, dtype=np.int64)
    membership = np.zeros((count, len(budget_names)), dtype=np.bool_)
    if TOTAL_BUDGET in budget_index:
        membership[:, budget_index[TOTAL_BUDGET]] = True
    provider_item: list[int] = []
    provider_requirement: list[int] = []
    provided: list[FloatArray] = []
    for row, item in enumerate(portfolio.items):
        if not item.options:
            raise PortfolioError("needs at least one option", item=item.id, field="options")
        option_counts[row] = len(item.options)
        for budget in item.budgets:
            if budget not in budget_index:
                raise PortfolioError(
                    f"names the budget {budget!r}, which the portfolio does not define",
                    item=item.id,
                    field="budgets",
                )
            membership[row, budget_index[budget]] = True
        pairs: dict[int, FloatArray] = {}
        for column, option in enumerate(item.options):
            if len(option.cost) != periods:
                raise PortfolioError(
                    "needs one number per period", item=item.id, option=option.id, field="cost"
                )
            values[row, column] = option.value
            costs[row, column] = option.cost
            for requirement, amounts in option.provides.items():
                if requirement not in requirement_index or len(amounts) != periods:
                    raise PortfolioError(
                        f"{requirement!r} is not a requirement of the portfolio, or the "
                        "amounts are not one per period",
                        item=item.id,
                        option=option.id,
                        field="provides",
                    )
                target = requirement_index[requirement]
                if target not in pairs:
                    pairs[target] = np.zeros((width, periods))
                pairs[target][column] = amounts
        for target, matrix in pairs.items():
            provider_item.append(row)
            provider_requirement.append(target)
            provided.append(matrix)
    valid = np.arange(width)[None, :] < option_counts[:, None]
    return Problem(
        values=values,
        costs=costs,
        valid=valid,
        option_counts=option_counts,
        budget_names=budget_names,
        capacity=np.array([portfolio.budgets[name] for name in budget_names]).reshape(
            len(budget_names), periods
        ),
        membership=membership,
        requirement_names=requirement_names,
        required=np.array([portfolio.requirements[name] for name in requirement_names]).reshape(
            len(requirement_names), periods
        ),
        provider_item=np.array(provider_item, dtype=np.int64),
        provider_requirement=np.array(provider_requirement, dtype=np.int64),
        provided=(
            np.array(provided) if provided else np.zeros((0, width, periods), dtype=np.float64)
        ),
        carry_over=portfolio.carry_over,
    )


def plan_value(problem: Problem, choice: IntArray) -> float:
    """Total value of a plan (one option index per item), in real units."""
    return float(np.sum(problem.values[np.arange(problem.item_count), choice]))


def plan_spend(problem: Problem, choice: IntArray) -> FloatArray:
    """Spend per budget and period (budgets × periods), in money units."""
    chosen = problem.costs[np.arange(problem.item_count), choice]  # (items, periods)
    return np.asarray(problem.membership.T.astype(np.float64) @ chosen)


def plan_coverage(problem: Problem, choice: IntArray) -> FloatArray:
    """What the plan provides per requirement and period (requirements × periods)."""
    coverage = np.zeros_like(problem.required)
    if problem.provider_item.size:
        amounts = problem.provided[
            np.arange(problem.provider_item.size), choice[problem.provider_item]
        ]
        np.add.at(coverage, problem.provider_requirement, amounts)
    return coverage


def budget_headroom(problem: Problem, spend: FloatArray) -> FloatArray:
    """Money left per budget and period; with carry-over, the cumulative money left up to and
    including each period (what a later period may still use)."""
    if problem.carry_over:
        return np.asarray(np.cumsum(problem.capacity, axis=1) - np.cumsum(spend, axis=1))
    return np.asarray(problem.capacity - spend)


def is_feasible(problem: Problem, choice: IntArray) -> bool:
    """Whether a plan keeps every budget and meets every requirement, in real units."""
    if not bool(np.all(problem.valid[np.arange(problem.item_count), choice])):
        return False
    headroom = budget_headroom(problem, plan_spend(problem, choice))
    scale = np.maximum(1.0, np.abs(np.cumsum(problem.capacity, axis=1)))
    if np.any(headroom < -CHECK_TOLERANCE * scale):
        return False
    shortfall = problem.required - plan_coverage(problem, choice)
    return not bool(np.any(shortfall > CHECK_TOLERANCE * np.maximum(1.0, problem.required)))
