"""The LP relaxation of a whole portfolio: solved at once for small ones, by column generation
for large ones.

At the optimal prices most items have one clearly best option; only items whose best options
are close in priced profit are really decided by the LP. So for a large portfolio:
1. prices from the LP of an evenly spaced sample of items (budgets and requirements scaled to
   the sample's share), and a feasible plan moved towards them (its options stay candidates,
   so the master below always has a solution);
2. a *master* LP over the items whose best options at the current prices are close (the others
   stay at their best option, as constants), with only those close options;
3. its prices re-price every option of every item (numpy); options that came close join the
   master; repeat until the Lagrangian bound meets the master's value.
Every round's prices give a proven bound (lp.lagrangian_bound), so even a round cut short by
the time limit leaves a valid bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from equiplan.domain.optimiser.greedy import do_nothing_plan, improve, priced_gain
from equiplan.domain.optimiser.lp import (
    LpSolution,
    Prices,
    lagrangian_bound,
    priced_profit,
    solve_lp,
)
from equiplan.domain.optimiser.problem import (
    BoolArray,
    FloatArray,
    IntArray,
    Problem,
    is_feasible,
)

# Up to this many items the whole LP is solved at once (GLOP: about 1 s per 1,000 items here).
DIRECT_ITEMS = 2500
SAMPLE_ITEMS = 400
SAMPLE_SLACK = (1.0, 1.1, 1.3)
# Items in the first master LP: those whose two best options are closest at the sample prices.
MASTER_ITEMS = 2500
MAX_ROUNDS = 12
# The column generation stops when the bound is this close (relative) to the master's value.
CONVERGED = 2e-6


@dataclass(frozen=True)
class Relaxation:
    """What the LP relaxation gives: status, prices, the proven bound, each option's reduced
    profit (≤ 0; 0 for the item's best option at these prices) and the LP's fractions."""

    status: str  # "OPTIMAL", "INFEASIBLE", "LIMIT" (time or stop), "ERROR"
    seconds: float
    prices: Prices | None = None
    bound: float | None = None
    reduced: FloatArray | None = None  # (items, options); -inf for padding
    fractions: FloatArray | None = None  # (items, options)
    rounds: int = 1


def solve_relaxation(
    problem: Problem,
    *,
    time_limit: float,
    should_stop: Callable[[], bool] | None = None,
    direct_items: int = DIRECT_ITEMS,
    start: IntArray | None = None,
) -> Relaxation:
    """The relaxation's prices, proven bound, reduced profits and fractions; by column
    generation above `direct_items` items, where a feasible plan `start` (if any) keeps every
    master LP feasible."""
    started = time.perf_counter()
    if problem.item_count <= direct_items:
        solution = solve_lp(problem, time_limit=time_limit, should_stop=should_stop)
        return _relaxation(problem, solution, started, rounds=1)
    return _by_columns(problem, started, time_limit, should_stop, start)


def _relaxation(
    problem: Problem, solution: LpSolution, started: float, *, rounds: int
) -> Relaxation:
    if solution.prices is None:
        return Relaxation(status=solution.status, seconds=time.perf_counter() - started)
    bound, reduced = lagrangian_bound(problem, solution.prices)
    return Relaxation(
        status=solution.status,
        seconds=time.perf_counter() - started,
        prices=solution.prices,
        bound=bound,
        reduced=reduced,
        fractions=solution.fractions,
        rounds=rounds,
    )


def subproblem(
    problem: Problem, items: IntArray, allowed: BoolArray, fixed_choice: IntArray
) -> Problem:
    """The problem over `items` with only their `allowed` options; every other item keeps its
    `fixed_choice`, its spend and coverage taken off the budgets and requirements."""
    fixed = np.ones(problem.item_count, dtype=np.bool_)
    fixed[items] = False
    fixed_items = np.flatnonzero(fixed)
    chosen_costs = problem.costs[fixed_items, fixed_choice[fixed_items]]
    fixed_spend = problem.membership[fixed_items].T.astype(np.float64) @ chosen_costs
    coverage = np.zeros_like(problem.required)
    fixed_pairs = np.flatnonzero(fixed[problem.provider_item])
    if fixed_pairs.size:
        pair_items = problem.provider_item[fixed_pairs]
        np.add.at(
            coverage,
            problem.provider_requirement[fixed_pairs],
            problem.provided[fixed_pairs, fixed_choice[pair_items]],
        )
    new_index = np.full(problem.item_count, -1, dtype=np.int64)
    new_index[items] = np.arange(items.size)
    kept_pairs = np.flatnonzero(~fixed[problem.provider_item])
    return replace(
        problem,
        values=problem.values[items],
        costs=problem.costs[items],
        valid=allowed[items] & problem.valid[items],
        option_counts=problem.option_counts[items],
        membership=problem.membership[items],
        capacity=problem.capacity - fixed_spend,
        required=problem.required - coverage,
        provider_item=new_index[problem.provider_item[kept_pairs]],
        provider_requirement=problem.provider_requirement[kept_pairs],
        provided=problem.provided[kept_pairs],
    )


def _sample_prices(
    problem: Problem, time_limit: float, should_stop: Callable[[], bool] | None
) -> Prices | None:
    """Prices from the LP of an evenly spaced sample, budgets and requirements scaled to it."""
    # A quarter of the items at most: a sample as large as the portfolio would be the LP itself.
    step = max(1, problem.item_count // min(SAMPLE_ITEMS, max(1, problem.item_count // 4)))
    sample = np.arange(0, problem.item_count, step)
    in_sample = np.zeros(problem.item_count, dtype=np.bool_)
    in_sample[sample] = True
    members = problem.membership.sum(axis=0)
    budget_share = problem.membership[sample].sum(axis=0) / np.maximum(members, 1)
    providers = np.bincount(problem.provider_requirement, minlength=problem.required.shape[0])
    sampled = np.bincount(
        problem.provider_requirement[in_sample[problem.provider_item]],
        minlength=problem.required.shape[0],
    )
    requirement_share = sampled / np.maximum(providers, 1)
    part = subproblem(problem, sample, problem.valid, np.zeros(problem.item_count, np.int64))
    for slack in SAMPLE_SLACK:
        # A sample can be infeasible where the whole is not (a small agency's few monitors):
        # then its budgets are loosened and requirements eased a little; the prices are only a
        # start, the master rounds correct them.
        scaled = replace(
            part,
            capacity=problem.capacity * budget_share[:, None] * slack,
            required=problem.required * requirement_share[:, None] / slack,
        )
        solution = solve_lp(scaled, time_limit=time_limit, should_stop=should_stop)
        if solution.status != "INFEASIBLE":
            return solution.prices
    return None


def _extreme_options(problem: Problem) -> BoolArray:
    """Each item's cheapest option over the horizon and the one that provides most."""
    rows = np.arange(problem.item_count)
    extremes = np.zeros(problem.valid.shape, dtype=np.bool_)
    total_cost = np.where(problem.valid, problem.costs.sum(axis=2), np.inf)
    extremes[rows, np.argmin(total_cost, axis=1)] = True
    if problem.provider_item.size:
        items = problem.provider_item
        provided = np.where(problem.valid[items], problem.provided.sum(axis=2), -np.inf)
        extremes[items, np.argmax(provided, axis=1)] = True
    return extremes


def _closeness_threshold(reduced: FloatArray, wanted: int) -> float:
    """The gap in priced profit within which `wanted` items have a second option."""
    if reduced.shape[1] < 2:
        return 0.0
    second = np.partition(-reduced, 1, axis=1)[:, 1]
    gaps = np.sort(second[np.isfinite(second)])
    if gaps.size == 0:
        return 0.0
    return float(gaps[min(wanted, gaps.size) - 1])


def _by_columns(
    problem: Problem,
    started: float,
    time_limit: float,
    should_stop: Callable[[], bool] | None,
    start: IntArray | None,
) -> Relaxation:
    def left() -> float:
        return time_limit - (time.perf_counter() - started)

    prices = _sample_prices(problem, left() * 0.5, should_stop)
    if prices is None:
        # The sample says nothing useful (infeasible when scaled down): solve it whole.
        solution = solve_lp(problem, time_limit=left(), should_stop=should_stop)
        return _relaxation(problem, solution, started, rounds=1)
    # A feasible plan at the sample prices: its options stay candidates, so every master LP
    # has a feasible point (the items left out keep their option in that plan).
    origin = start if start is not None else do_nothing_plan(problem)
    plan = improve(problem, origin, priced_gain(priced_profit(problem, prices)))
    candidates = np.zeros(problem.valid.shape, dtype=np.bool_)
    if is_feasible(problem, plan):
        candidates[np.arange(problem.item_count), plan] = True
    best: tuple[float, Prices, FloatArray] | None = None
    fractions: FloatArray | None = None
    first_master = min(MASTER_ITEMS, max(1, problem.item_count // 4))
    extremes_added = False
    wanted = first_master
    rounds = 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        bound, reduced = lagrangian_bound(problem, prices)
        if best is None or bound < best[0]:
            best = (bound, prices, reduced)
        if rounds == 1 or wanted > first_master:
            # The first master (or one that was infeasible): the items whose two best options
            # are closest at these prices.
            threshold = _closeness_threshold(reduced, wanted)
            candidates |= problem.valid & (reduced >= -max(threshold, 1e-12 * abs(bound)))
            candidates[np.arange(problem.item_count), np.argmax(reduced, axis=1)] = True
        else:
            # Column generation proper: options worth more at the master's prices than what
            # their item gets in the master join it (at most the best one per item).
            profit = priced_profit(problem, prices)
            current = np.where(candidates, profit, -np.inf).max(axis=1)
            better = np.argmax(profit, axis=1)
            rows = np.arange(problem.item_count)
            gains = (
                profit[rows, better] - current > 1e-9 * max(1.0, abs(bound)) / problem.item_count
            )
            candidates[rows[gains], better[gains]] = True
        free = np.flatnonzero(candidates.sum(axis=1) > 1)
        fixed_choice = np.argmax(candidates, axis=1)  # the only candidate of a fixed item
        master = subproblem(problem, free, candidates, fixed_choice)
        solution = solve_lp(master, time_limit=max(0.05, left()), should_stop=should_stop)
        if solution.status == "INFEASIBLE":
            if np.array_equal(candidates, problem.valid):
                # The master was the whole LP.
                return Relaxation(status="INFEASIBLE", seconds=time.perf_counter() - started)
            # Too few items or options free to meet every budget and requirement: give every
            # item its cheapest option and the one providing most, then free more, in the end
            # everything.
            if not extremes_added:
                candidates |= _extreme_options(problem)
                extremes_added = True
            else:
                wanted *= 4
                if wanted >= problem.item_count:
                    candidates = problem.valid.copy()
            continue
        if solution.prices is None or solution.fractions is None:
            break
        fractions = np.zeros(problem.valid.shape)
        rows = np.arange(problem.item_count)
        fractions[rows, fixed_choice] = 1.0
        fractions[free] = solution.fractions
        primal = float(solution.objective or 0.0) + float(
            np.delete(problem.values[rows, fixed_choice], free).sum()
        )
        prices = solution.prices
        bound, reduced = lagrangian_bound(problem, prices)
        if bound < best[0]:
            best = (bound, prices, reduced)
        if best[0] - primal <= CONVERGED * max(1.0, abs(best[0])) or left() <= 0:
            break
    if best is None or fractions is None:
        return Relaxation(status="LIMIT", seconds=time.perf_counter() - started)
    bound, prices, reduced = best
    return Relaxation(
        status="OPTIMAL" if left() > 0 else "LIMIT",
        seconds=time.perf_counter() - started,
        prices=prices,
        bound=bound,
        reduced=reduced,
        fractions=fractions,
        rounds=rounds,
    )
