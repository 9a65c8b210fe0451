"""The LP relaxation (GLOP): prices per budget and requirement, the proven bound they give,
reduced costs.

The relaxation lets each item take fractions of its options. Its optimal duals are prices: the
value of one more unit of money in a budget and period, and the value lost per unit of a
requirement. With any non-negative prices, choosing for each item the option that is best after
paying those prices gives a *Lagrangian* bound: an upper bound on every plan's value, proven
whatever the LP solver's tolerances were, because it is computed here from the prices alone.
The LP only has to find good prices; this module turns them into the bound and the reduced costs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.linear_solver.python import model_builder_helper as mbh
from scipy import sparse

from equiplan.domain.optimiser.problem import BoolArray, FloatArray, IntArray, Problem

# GLOP's dual simplex suits this structure: many columns, few coupling rows, an all-slack
# starting basis that is dual feasible once prices are zero.
GLOP_PARAMETERS = "use_dual_simplex: true"
# GLOP's presolve sometimes ends a solvable model as ABNORMAL (seen on a 7,477-item master LP
# of a real fleet, solved in 0.5 s without it): a solve that ends without an answer while time
# is left and no stop was asked for is tried again once, without presolve.
GLOP_RETRY_PARAMETERS = "use_dual_simplex: true, use_preprocessing: false"
_RETRIED = (mbh.SolveStatus.ABNORMAL, mbh.SolveStatus.NOT_SOLVED)
STOP_CHECK_INTERVAL = 0.2  # seconds


@dataclass(frozen=True)
class Prices:
    """Dual prices: per budget and period (value per money unit spent in that period, with
    carry-over already folded in) and per requirement and period (value per unit provided)."""

    budget: FloatArray  # (budgets, periods), ≥ 0
    requirement: FloatArray  # (requirements, periods), ≥ 0


def priced_profit(problem: Problem, prices: Prices) -> FloatArray:
    """Each option's value after paying its money at the budget prices and being credited for
    what it provides at the requirement prices; padding options get −inf."""
    item_prices = problem.membership.astype(np.float64) @ prices.budget  # (items, periods)
    profit = problem.values - np.einsum("ikt,it->ik", problem.costs, item_prices)
    if problem.provider_item.size:
        credit = np.einsum(
            "mkt,mt->mk", problem.provided, prices.requirement[problem.provider_requirement]
        )
        np.add.at(profit, problem.provider_item, credit)
    return np.asarray(np.where(problem.valid, profit, -np.inf))


def lagrangian_bound(problem: Problem, prices: Prices) -> tuple[float, FloatArray]:
    """The proven upper bound for these prices, and each option's reduced profit (its priced
    profit minus the best of its item: a plan that takes it is worth at most bound + reduced)."""
    profit = priced_profit(problem, prices)
    best = profit.max(axis=1)
    bound = (
        float(best.sum())
        + float(np.sum(prices.budget * problem.capacity))
        - float(np.sum(prices.requirement * problem.required))
    )
    return bound, np.asarray(profit - best[:, None])


def _budget_prices(problem: Problem, row_duals: FloatArray) -> FloatArray:
    if not problem.carry_over:
        return np.maximum(row_duals, 0.0)
    # With carry-over each cumulative row (money spent up to t ≤ money given up to t) has its
    # own non-negative price λ_t; money spent in period s pays Σ_{t ≥ s} λ_t. The LP's rows are
    # per period with carry variables, whose duals π_t should be non-increasing: λ_t is their
    # decrease, clipped at zero so that the bound stays proven even with tolerance noise.
    following = np.concatenate([row_duals[:, 1:], np.zeros((row_duals.shape[0], 1))], axis=1)
    steps = np.maximum(row_duals - following, 0.0)
    return np.asarray(np.cumsum(steps[:, ::-1], axis=1)[:, ::-1])


def _columns(problem: Problem) -> tuple[IntArray, IntArray]:
    items, options = np.nonzero(problem.valid)
    return items.astype(np.int64), options.astype(np.int64)


@dataclass(frozen=True)
class LinearForm:
    """The relaxation as arrays: maximise objective·x subject to lower ≤ matrix·x ≤ upper and
    0 ≤ x ≤ variable_upper. Option columns come first (`columns` of them), carry columns after."""

    objective: FloatArray
    matrix: sparse.csr_matrix
    lower: FloatArray
    upper: FloatArray
    variable_upper: FloatArray
    columns: int


def linear_form(problem: Problem) -> LinearForm:
    """The relaxation as one sparse matrix, built in bulk (no per-coefficient Python calls)."""
    count, periods = problem.item_count, problem.period_count
    budgets, requirements = problem.capacity.shape[0], problem.required.shape[0]
    items, options = _columns(problem)
    columns = items.size
    column_of = np.full(problem.valid.shape, -1, dtype=np.int64)
    column_of[items, options] = np.arange(columns)
    rows_parts = [items]
    cols_parts = [np.arange(columns)]
    data_parts = [np.ones(columns)]
    # Budget rows: one per budget and period, after the items' "choose one" rows.
    column_index, budget_index = np.nonzero(problem.membership[items])
    for period in range(periods):
        rows_parts.append(count + budget_index * periods + period)
        cols_parts.append(column_index)
        data_parts.append(problem.costs[items[column_index], options[column_index], period])
    # Requirement rows: what each provider pair gives, per option and period.
    first_requirement_row = count + budgets * periods
    if problem.provider_item.size:
        pair_index, pair_option = np.nonzero(problem.valid[problem.provider_item])
        pair_columns = column_of[problem.provider_item[pair_index], pair_option]
        for period in range(periods):
            rows_parts.append(
                first_requirement_row + problem.provider_requirement[pair_index] * periods + period
            )
            cols_parts.append(pair_columns)
            data_parts.append(problem.provided[pair_index, pair_option, period])
    row_count = first_requirement_row + requirements * periods
    lower = np.concatenate(
        [np.ones(count), np.full(budgets * periods, -np.inf), problem.required.ravel()]
    )
    upper = np.concatenate(
        [np.ones(count), problem.capacity.ravel(), np.full(requirements * periods, np.inf)]
    )
    objective = problem.values[items, options]
    variable_upper = np.ones(columns)
    total_columns = columns
    if problem.carry_over and periods > 1:
        # carry[b, t] moves unspent money of period t to t + 1: +1 in row t, −1 in row t + 1.
        carry = np.arange(budgets * (periods - 1))
        budget_of, period_of = np.divmod(carry, periods - 1)
        rows_parts += [
            count + budget_of * periods + period_of,
            count + budget_of * periods + period_of + 1,
        ]
        cols_parts += [columns + carry, columns + carry]
        data_parts += [np.ones(carry.size), -np.ones(carry.size)]
        objective = np.concatenate([objective, np.zeros(carry.size)])
        variable_upper = np.concatenate([variable_upper, np.full(carry.size, np.inf)])
        total_columns += carry.size
    data = np.concatenate(data_parts)
    rows = np.concatenate(rows_parts)
    cols = np.concatenate(cols_parts)
    keep = data != 0
    matrix = sparse.csr_matrix(
        (data[keep], (rows[keep], cols[keep])), shape=(row_count, total_columns)
    )
    return LinearForm(objective, matrix, lower, upper, variable_upper, columns)


def build_lp(problem: Problem) -> tuple[mbh.ModelBuilderHelper, int]:
    """The relaxation as a GLOP model, and the number of option columns."""
    form = linear_form(problem)
    model = mbh.ModelBuilderHelper()
    # The stubs spell numpy's array type in a way mypy cannot match; the call is checked at run
    # time by pybind11.
    fill: Any = model.fill_model_from_sparse_data
    fill(
        np.zeros(form.objective.size),
        form.variable_upper,
        form.objective,
        form.lower,
        form.upper,
        form.matrix,
    )
    model.set_maximize(True)
    return model, form.columns


@dataclass(frozen=True)
class LpSolution:
    """GLOP's answer: status ("OPTIMAL", "INFEASIBLE", "LIMIT" for time or stop, "ERROR"), and
    when optimal the prices, the fractions of each option (items × options) and the value."""

    status: str
    prices: Prices | None = None
    fractions: FloatArray | None = None
    objective: float | None = None


def solve_lp(
    problem: Problem,
    *,
    time_limit: float,
    should_stop: Callable[[], bool] | None = None,
) -> LpSolution:
    """Solve the LP relaxation of `problem` with GLOP: its prices and fractions."""
    started = time.perf_counter()
    model, columns = build_lp(problem)
    for parameters in (GLOP_PARAMETERS, GLOP_RETRY_PARAMETERS):
        solver = mbh.ModelSolverHelper("glop")
        solver.set_solver_specific_parameters(parameters)
        solver.set_time_limit_in_seconds(max(0.01, time_limit - (time.perf_counter() - started)))
        _solve_stoppable(solver, model, should_stop)
        status = solver.status()
        left = time_limit - (time.perf_counter() - started)
        if status not in _RETRIED or left <= 0 or (should_stop is not None and should_stop()):
            break
    if status == mbh.SolveStatus.INFEASIBLE:
        return LpSolution(status="INFEASIBLE")
    if status != mbh.SolveStatus.OPTIMAL:
        # GLOP ends a solve cut by the time limit or a stop as NOT_SOLVED, CANCELLED_BY_USER
        # or ABNORMAL: all mean "no answer in time" here.
        failed = status in (mbh.SolveStatus.MODEL_INVALID, mbh.SolveStatus.UNBOUNDED)
        return LpSolution(status="ERROR" if failed else "LIMIT")
    count, periods = problem.item_count, problem.period_count
    budgets = problem.capacity.shape[0]
    duals = np.asarray(solver.dual_values())
    budget_duals = duals[count : count + budgets * periods].reshape(budgets, periods)
    requirement_duals = duals[count + budgets * periods :].reshape(-1, periods)
    prices = Prices(
        budget=_budget_prices(problem, budget_duals),
        # A requirement row is "≥": raising it lowers the optimum, so its dual is ≤ 0.
        requirement=np.maximum(-requirement_duals, 0.0),
    )
    fractions = np.zeros(problem.valid.shape)
    items, options = _columns(problem)
    fractions[items, options] = np.asarray(solver.variable_values())[:columns]
    return LpSolution(
        status="OPTIMAL", prices=prices, fractions=fractions, objective=solver.objective_value()
    )


def _solve_stoppable(
    solver: mbh.ModelSolverHelper,
    model: mbh.ModelBuilderHelper,
    should_stop: Callable[[], bool] | None,
) -> None:
    """Solve, interrupting GLOP from a watcher thread when `should_stop` says so."""
    if should_stop is None:
        solver.solve(model)
        return
    finished = threading.Event()

    def watch() -> None:
        while not finished.wait(STOP_CHECK_INTERVAL):
            if should_stop():
                solver.interrupt_solve()
                return

    thread = threading.Thread(target=watch, name="equiplan-lp-stop", daemon=True)
    thread.start()
    try:
        solver.solve(model)
    finally:
        finished.set()
        thread.join()


def best_options(reduced: FloatArray, fractions: FloatArray, valid: BoolArray) -> IntArray:
    """The LP's plan rounded: each item's option with the largest fraction (ties: best reduced
    profit), which is its whole choice for every item the LP did not split."""
    score = np.where(valid, fractions + 1e-9 * np.maximum(reduced, -1e6), -np.inf)
    return np.asarray(np.argmax(score, axis=1), dtype=np.int64)
