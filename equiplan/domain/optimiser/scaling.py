"""The one place where real amounts become the integers CP-SAT needs.

Rounding goes in the safe direction: costs and what a plan must provide are rounded up,
budgets and what an option provides are rounded down. So a plan that keeps every budget and
meets every requirement in whole units does so in real units too; the solver can only be
slightly more careful than needed, never overspend. Values (the objective) are rounded to the
nearest unit, and `value_slack` says how much that can move any plan's value, so that bounds
stay proven in real units.

Units are powers of ten: the coarsest one that represents every amount exactly when there is
one (whole euros, cents), otherwise the finest one that keeps sums far inside 64-bit integers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from equiplan.domain.optimiser.problem import FloatArray, IntArray, Problem

# Largest whole-unit sum allowed in one constraint row or in the objective: far below 2**63,
# so CP-SAT's own sums cannot overflow, and fine enough that rounding costs up loses at most
# one unit per item (cents for portfolios up to 10^11 euros a row).
MONEY_LIMIT = 1e13
# The same for the objective: value rounding then moves a total by less than 1e-8 of it.
VALUE_LIMIT = 1e12
_EXPONENTS = range(-9, 19)


@dataclass(frozen=True)
class ScaledProblem:
    """Integer amounts: a whole unit is `money_unit` of money, `value_unit` of value and
    `coverage_unit` of what options provide towards requirements."""

    money_unit: float
    value_unit: float
    costs: IntArray  # (items, options, periods), rounded up
    capacity: IntArray  # (budgets, periods), rounded down; cumulative when carrying over
    values: IntArray  # (items, options), rounded to nearest
    value_slack: float  # Σ over items of the largest (real − scaled) value: bound correction
    coverage_unit: float
    provided: IntArray  # (pairs, options, periods), rounded down
    required: IntArray  # (requirements, periods), rounded up
    # Whether no money or coverage amount had to be rounded: then the whole-unit problem is
    # the real one, and what CP-SAT proves about it holds for the real problem too.
    exact: bool

    def real_value(self, scaled: float) -> float:
        """A proven bound in real units from a proven bound in whole value units."""
        return scaled * self.value_unit + self.value_slack


def _noise(quotients: FloatArray) -> FloatArray:
    # Decimal amounts divided by a power of ten land a few ulps off whole numbers.
    return np.maximum(1e-7, 8 * np.finfo(np.float64).eps * np.abs(quotients))


def _whole(quotients: FloatArray) -> FloatArray:
    """The nearest whole numbers where the quotients are that up to floating-point noise."""
    nearest = np.rint(quotients)
    return np.asarray(np.where(np.abs(quotients - nearest) <= _noise(quotients), nearest, np.nan))


def choose_unit(amounts: FloatArray, largest_sum: float, limit: float) -> float:
    """The coarsest power of ten in which every amount is whole, if its sums stay under
    `limit`; otherwise the finest power of ten whose sums do."""
    finest = None
    for exponent in _EXPONENTS:
        unit = 10.0**exponent
        if largest_sum / unit > limit:
            continue
        finest = unit if finest is None else finest
        break
    if finest is None:
        finest = 10.0 ** _EXPONENTS[-1]
    exact = None
    for exponent in _EXPONENTS:
        unit = 10.0**exponent
        if unit < finest:
            continue
        if np.all(np.isfinite(_whole(amounts / unit))):
            exact = unit
        else:
            break
    return exact if exact is not None else finest


def round_up(amounts: FloatArray, unit: float) -> IntArray:
    """Whole units, rounded up (exact amounts stay exact)."""
    quotients = amounts / unit
    whole = _whole(quotients)
    return np.where(np.isnan(whole), np.ceil(quotients), whole).astype(np.int64)


def round_down(amounts: FloatArray, unit: float) -> IntArray:
    """Whole units, rounded down (exact amounts stay exact)."""
    quotients = amounts / unit
    whole = _whole(quotients)
    return np.where(np.isnan(whole), np.floor(quotients), whole).astype(np.int64)


def scale_problem(
    problem: Problem,
    *,
    money_unit: float | None = None,
    value_unit: float | None = None,
    coverage_unit: float | None = None,
) -> ScaledProblem:
    """The integer version of a problem; units are chosen unless given (tests give them)."""
    costs = problem.costs
    if money_unit is None:
        row_sum = float(np.max(costs, axis=1).sum(axis=0).max(initial=0.0))
        largest = max(row_sum, float(np.abs(np.cumsum(problem.capacity, axis=1)).max(initial=0)))
        money_amounts = np.concatenate([costs.ravel(), problem.capacity.ravel()])
        money_unit = choose_unit(money_amounts, largest, MONEY_LIMIT)
    if coverage_unit is None:
        largest = max(
            float(np.max(problem.provided, axis=1).sum(axis=0).max(initial=0.0)),
            float(problem.required.max(initial=0.0)),
        )
        coverage_amounts = np.concatenate([problem.provided.ravel(), problem.required.ravel()])
        coverage_unit = choose_unit(coverage_amounts, largest, MONEY_LIMIT)
    if value_unit is None:
        largest_value = float(np.abs(problem.values).max(axis=1).sum())
        value_unit = choose_unit(problem.values.ravel(), largest_value, VALUE_LIMIT)
    capacity = problem.capacity
    if problem.carry_over:
        # Rounding the cumulative money down keeps the safe direction and loses less than
        # rounding each period down and adding up.
        capacity = np.cumsum(capacity, axis=1)
    scaled_values = np.rint(problem.values / value_unit).astype(np.int64)
    error = np.where(problem.valid, problem.values - scaled_values * value_unit, -np.inf)
    exact = all(
        bool(np.all(np.isfinite(_whole(amounts / unit))))
        for amounts, unit in (
            (costs, money_unit),
            (capacity, money_unit),
            (problem.provided, coverage_unit),
            (problem.required, coverage_unit),
        )
    )
    return ScaledProblem(
        exact=exact,
        money_unit=money_unit,
        value_unit=value_unit,
        costs=round_up(costs, money_unit),
        capacity=round_down(capacity, money_unit),
        values=scaled_values,
        value_slack=float(np.maximum(error.max(axis=1), 0.0).sum()),
        coverage_unit=coverage_unit,
        provided=round_down(problem.provided, coverage_unit),
        required=round_up(problem.required, coverage_unit),
    )
