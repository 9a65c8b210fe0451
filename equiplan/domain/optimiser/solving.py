"""The solve: baselines, LP relaxation and rounding, reduced-cost fixing, CP-SAT; always the best
feasible plan found, checked in real units, with a proven bound.

Phases (docs/portfolio.md, "How it solves"):
1. do nothing and greedy benefit/cost: the baselines, and the first fallback plans;
2. the LP relaxation (GLOP): the bound and prices; its plan rounded, repaired and filled;
3. reduced-cost fixing: options whose best possible plan is worth no more than the best plan
   known are dropped (proven by the Lagrangian bound);
4. CP-SAT on what is left, with the best known plan as a hint.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from equiplan.domain.optimiser.core import (
    CORE_TIME_SHARE,
    EXACT_PARAMETERS,
    MAX_SEARCH_VARIABLES,
    MIN_SEARCH_SECONDS,
    closest_options,
    core_search,
    search_size,
)
from equiplan.domain.optimiser.cpsat import MAX_SEED, SearchResult, search
from equiplan.domain.optimiser.greedy import (
    do_nothing_plan,
    greedy_plan,
    improve,
    priced_gain,
    value_gain,
)
from equiplan.domain.optimiser.infeasibility import (
    INTEGER,
    INTEGER_TEXT,
    Reason,
    combined_reason,
    single_row_reason,
)
from equiplan.domain.optimiser.lp import best_options, priced_profit
from equiplan.domain.optimiser.plan import OPTIMAL_GAP, Plan, Progress, relative_gap
from equiplan.domain.optimiser.portfolio import Portfolio, PortfolioError
from equiplan.domain.optimiser.problem import (
    IntArray,
    Problem,
    compile_portfolio,
    is_feasible,
    plan_coverage,
    plan_spend,
    plan_value,
)
from equiplan.domain.optimiser.relaxation import Relaxation, solve_relaxation
from equiplan.domain.optimiser.repair import full_repair, priced_repair, priced_value_repair
from equiplan.domain.optimiser.scaling import ScaledProblem, scale_problem

# Share of the time limit the LP may use before the solve falls back to heuristics only.
LP_TIME_SHARE = 0.8
# CP-SAT's deterministic time per second of the work limit and per worker: its search stops on
# this (the same work on every run, so the same plan); the wall clock limit stays as a safety
# net. Measured on this 2-core machine, CP-SAT does 0.15–0.4 units per second per worker on
# these models (less while it presolves large ones), so this budget usually runs out first
# (docs/portfolio.md, "Determinism").
DETERMINISTIC_TIME_PER_SECOND = 0.15
# Options are dropped only when their best possible plan is below the best known by this much
# (relative): keeps float noise of the bound from dropping an option that could tie.
FIXING_MARGIN = 1e-9
# CP-SAT runs in stages (shares of its deterministic time); each starts from the best plan so
# far and drops the options that cannot beat it.
SEARCH_STAGES = (0.3, 0.7)
# Portfolios larger than this skip the slower extras (a second LP-guided start).
LARGE_ITEMS = 5000
# The LP-guided plans stop starting new ones after this share of the time limit.
GUIDED_BY = 0.8


class _Reporter:
    """Forwards progress to the caller's callback, one call at a time (the CP-SAT watcher runs
    in its own thread), never reporting a worse incumbent or a looser bound than before."""

    def __init__(self, callback: Callable[[Progress], None] | None, started: float) -> None:
        self.callback = callback
        self.started = started
        self.incumbent: float | None = None
        self.bound: float | None = None
        self.lock = threading.Lock()

    def __call__(self, incumbent: float | None = None, bound: float | None = None) -> None:
        with self.lock:
            if incumbent is not None and (self.incumbent is None or incumbent > self.incumbent):
                self.incumbent = incumbent
            if bound is not None and (self.bound is None or bound < self.bound):
                self.bound = bound
            if self.callback is not None:
                elapsed = time.perf_counter() - self.started
                self.callback(Progress(self.incumbent, self.bound, elapsed))


class _Best:
    """The best feasible plan so far and where it came from."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.choice: IntArray | None = None
        self.value = -np.inf
        self.source = ""

    def offer(self, choice: IntArray | None, source: str) -> None:
        if choice is None or not is_feasible(self.problem, choice):
            return
        value = plan_value(self.problem, choice)
        if value > self.value + 1e-12 * abs(value):
            self.choice, self.value, self.source = choice.copy(), value, source


def solve(
    portfolio: Portfolio,
    *,
    time_limit: float = 30.0,
    workers: int = 2,
    seed: int = 0,
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    work_limit: float | None = None,
) -> Plan:
    """The best plan for a portfolio within `time_limit` seconds on `workers` threads.

    The same portfolio, seed, worker count and work limit give the same plan unless the wall
    clock (a busy machine) or a stop request cuts the search. `progress` is called after each
    phase and about every half second during the search; `should_stop` is checked as often,
    and a True answer ends the solve early with the best plan so far (`stopped` in the result).

    `work_limit` sizes the CP-SAT searches' deterministic work budgets, in seconds of a limit
    (default: `time_limit`). A larger `time_limit` with the same `work_limit` does the same
    work with a wider clock margin: the way to reproduce a plan on a busy machine."""
    if not (math.isfinite(time_limit) and time_limit > 0) or workers < 1:
        raise PortfolioError("the time limit must be positive and workers at least 1")
    if work_limit is not None and not (math.isfinite(work_limit) and work_limit > 0):
        raise PortfolioError("the work limit must be positive")
    if not 0 <= seed <= MAX_SEED:
        raise PortfolioError(f"the seed must be a whole number from 0 to {MAX_SEED}")
    work_seconds = time_limit if work_limit is None else work_limit
    started = time.perf_counter()
    stop = should_stop or (lambda: False)
    report = _Reporter(progress, started)
    problem = compile_portfolio(portfolio)
    stats: dict[str, Any] = {
        "workers": workers,
        "seed": seed,
        "time_limit": time_limit,
        "work_limit": work_seconds,
    }
    best = _Best(problem)
    nothing = do_nothing_plan(problem)
    greedy = greedy_plan(problem)
    baselines = {
        "do_nothing": _baseline(problem, nothing),
        # With its choices: the app shows what the planner's method would have bought.
        "greedy": {
            **_baseline(problem, greedy),
            "choices": {
                item.id: item.options[int(greedy[row])].id
                for row, item in enumerate(portfolio.items)
            },
        },
    }
    best.offer(nothing, "do-nothing")
    best.offer(greedy, "greedy")
    if best.choice is None:
        # The baselines keep or miss what they started from: at tight budgets even doing
        # nothing overspends. Pricing money and coverage, then single repair moves, finds a
        # feasible plan in about a second, which also lets the LP start small.
        repair_started = time.perf_counter()
        repaired = priced_repair(problem)
        if repaired is not None:
            best.offer(improve(problem, repaired, value_gain), "priced repair")
        stats["repair_seconds"] = round(time.perf_counter() - repair_started, 3)
    # Σ of each item's best value: a bound that holds before anything is solved.
    bound = float(np.where(problem.valid, problem.values, -np.inf).max(axis=1).sum())
    report(best.value if best.choice is not None else None, bound)

    def finish(status: str | None, reason: Reason | None = None, **extra: Any) -> Plan:
        stats.update(extra)
        return _plan(portfolio, problem, best, bound, status, reason, started, stats, baselines)

    reason = single_row_reason(problem, portfolio.periods)
    if reason is not None:
        return finish("INFEASIBLE", reason)
    relaxation = solve_relaxation(
        problem,
        time_limit=max(0.05, time_limit * LP_TIME_SHARE - (time.perf_counter() - started)),
        should_stop=stop,
        start=best.choice,
    )
    stats.update(
        lp_status=relaxation.status,
        lp_seconds=round(relaxation.seconds, 3),
        lp_rounds=relaxation.rounds,
    )
    if relaxation.status == "INFEASIBLE":
        return finish("INFEASIBLE", combined_reason(problem, portfolio.periods))
    if relaxation.prices is not None:
        stats["_prices"] = (
            {n: relaxation.prices.budget[b].tolist() for b, n in enumerate(problem.budget_names)},
            {
                n: relaxation.prices.requirement[r].tolist()
                for r, n in enumerate(problem.requirement_names)
            },
        )
    if relaxation.bound is not None:
        bound = min(bound, relaxation.bound)
        stats["lp_bound"] = relaxation.bound
        # From the greedy plan too when there is time for it (small portfolios).
        starts = [nothing, greedy] if problem.item_count <= LARGE_ITEMS else [nothing]
        guided_started = time.perf_counter()
        _lp_guided_plans(problem, relaxation, best, starts, started + time_limit * GUIDED_BY)
        stats["lp_guided_seconds"] = round(time.perf_counter() - guided_started, 3)
        stats["lp_guided_objective"] = best.value if best.choice is not None else None
    report(best.value if best.choice is not None else None, bound)
    if stop():
        return finish(None, stopped=True)
    if best.choice is not None and relative_gap(best.value, bound) <= OPTIMAL_GAP:  # type: ignore[operator]
        return finish(None)

    scaled = scale_problem(problem)
    stats.update(money_unit=scaled.money_unit, value_unit=scaled.value_unit)
    lp_bound = bound
    searches: list[SearchResult] = []
    if relaxation.reduced is not None and best.choice is not None:
        core = core_search(
            problem,
            scaled,
            relaxation.reduced,
            (best.choice, best.offer),
            (started, time_limit, work_seconds),
            seed,
            workers,
            stop,
            _scaled_progress(report, scaled, lp_bound, None),
        )
        stats.update(core)
        report(best.value, bound)
    # The whole-model search gets the time the core stage left: its deterministic work too
    # (derived from the limit alone, so that the same input does the same work).
    exact_share = 1.0 - CORE_TIME_SHARE if "core_seconds" in stats else 1.0
    for stage, share in enumerate(SEARCH_STAGES):
        # Each stage drops the options that cannot beat the best plan known at its start:
        # the better the plan, the smaller the model (the last stage's model is the smallest).
        allowed = problem.valid.copy()
        fixing_value = -np.inf
        if (
            relaxation.reduced is not None
            and relaxation.bound is not None
            and best.choice is not None
        ):
            # A plan taking option o of item i is worth at most L + reduced[i, o] (L: the
            # Lagrangian bound of the prices the reduced profits belong to).
            fixing_value = best.value
            margin = FIXING_MARGIN * max(1.0, abs(relaxation.bound))
            allowed &= relaxation.bound + relaxation.reduced >= best.value - margin
        stats["fixed_variables"] = int(problem.valid.sum() - allowed.sum())
        proven = True
        if int(allowed.sum()) > MAX_SEARCH_VARIABLES:
            if relaxation.reduced is None:
                break  # no LP prices to choose a neighbourhood by: the model is too big
            allowed &= closest_options(
                relaxation.reduced,
                search_size(problem.item_count, int(allowed.sum()), int(problem.valid.sum())),
            )
            proven = False
        remaining = time_limit - (time.perf_counter() - started)
        if remaining < MIN_SEARCH_SECONDS:
            break
        last = stage == len(SEARCH_STAGES) - 1
        search_started = time.perf_counter()
        result = search(
            problem,
            scaled,
            allowed,
            best.choice if best.choice is not None else greedy,
            hint_feasible=best.choice is not None,
            time_limit=max(0.05, remaining if last else remaining * share),
            deterministic_limit=DETERMINISTIC_TIME_PER_SECOND
            * work_seconds
            * exact_share
            * workers
            * share,
            workers=workers,
            seed=seed,
            progress=_scaled_progress(report, scaled, lp_bound, fixing_value if proven else None),
            should_stop=stop,
            parameters=EXACT_PARAMETERS,
        )
        stats[f"stage{stage + 1}_seconds"] = round(time.perf_counter() - search_started, 3)
        searches.append(result)
        best.offer(result.choice, "cp-sat")
        if result.bound is not None and scaled.exact and proven:
            bound = min(bound, max(scaled.real_value(result.bound), fixing_value))
        no_plan_at_all = (
            result.status == "INFEASIBLE" and scaled.exact and proven and fixing_value == -np.inf
        )
        if no_plan_at_all and best.choice is None:
            return finish("INFEASIBLE", Reason(INTEGER, INTEGER_TEXT))
        report(best.value if best.choice is not None else None, bound)
        gap = relative_gap(best.value if best.choice is not None else None, bound)
        if result.stopped or stop() or (gap is not None and gap <= OPTIMAL_GAP):
            break
    if not searches:
        return finish(None, stopped=stop(), cp_sat_status="SKIPPED")
    return finish(
        None,
        stopped=any(r.stopped for r in searches) or stop(),
        cp_sat_status=searches[-1].status,
        cp_sat_stages=len(searches),
        cp_sat_seconds=round(sum(r.seconds for r in searches), 3),
        cp_sat_deterministic_time=round(sum(r.deterministic_time for r in searches), 3),
        free_items=searches[-1].free_items,
        cp_sat_variables=searches[-1].variables,
        exact_scaling=scaled.exact,
    )


def _scaled_progress(
    report: _Reporter, scaled: ScaledProblem, lp_bound: float, fixing_value: float | None
) -> Callable[[float | None, float | None], None]:
    """CP-SAT's progress (whole units, reduced model) as real values and a proven bound
    (none when the model was cut to a neighbourhood: `fixing_value` None)."""

    def forward(incumbent: float | None, scaled_bound: float | None) -> None:
        real_bound = None
        if scaled_bound is not None and scaled.exact and fixing_value is not None:
            real_bound = min(lp_bound, max(scaled.real_value(scaled_bound), fixing_value))
        real_incumbent = None if incumbent is None else incumbent * scaled.value_unit
        report(real_incumbent, real_bound)

    return forward


def _lp_guided_plans(
    problem: Problem,
    relaxation: Relaxation,
    best: _Best,
    starts: list[IntArray],
    deadline: float,
) -> None:
    """Plans guided by the LP: its plan rounded (when that keeps every constraint), and from
    each starting plan, items moved towards their best option at the LP prices while the
    money lasts; each then filled with whatever money is left. Offered as candidates."""
    assert relaxation.prices is not None
    assert relaxation.reduced is not None
    assert relaxation.fractions is not None
    rounded = best_options(relaxation.reduced, relaxation.fractions, problem.valid)
    if is_feasible(problem, rounded):
        best.offer(improve(problem, rounded, value_gain), "lp-rounding")
    priced = priced_gain(priced_profit(problem, relaxation.prices))
    # The LP plan rounded down: an item the LP splits takes the cheapest of its options in the
    # split, which usually leaves room in every budget (rounding up would overspend).
    used = relaxation.fractions > 1e-9
    cost = np.where(used, problem.costs.sum(axis=2), np.inf)
    split = used.sum(axis=1) > 1
    rounded_down = np.where(split, np.argmin(cost, axis=1), rounded)
    if not is_feasible(problem, rounded):
        # The LP's plan rounded misses a little somewhere (the items it splits): single moves
        # restore every budget and requirement, then the money left is used. With coverage
        # requirements the moves are ranked by the value they lose after paying their money
        # at the LP's prices: by plain value, making up coverage spends the money other items
        # needed (the national fleet: 1.1 % from the bound instead of 3.1 %). Without, and
        # when that finds no plan, by plain value (on budgets alone the priced plan is seldom
        # better, and a different start sends the search elsewhere: MMKP I11 73,751 instead
        # of 73,767; bench/README.md).
        repaired = rounded
        if problem.required.size:
            repaired = priced_value_repair(problem, rounded, relaxation.prices)
        if not is_feasible(problem, repaired):
            repaired = full_repair(problem, rounded)
        if is_feasible(problem, repaired):
            filled = improve(problem, improve(problem, repaired, priced), value_gain)
            best.offer(filled, "lp-rounding repaired")
    for start in [rounded_down, *starts]:
        if time.perf_counter() > deadline:
            return  # each start takes seconds at 5,000 items: keep to the time limit
        best.offer(improve(problem, improve(problem, start, priced), value_gain), "lp-prices")


def _baseline(problem: Problem, choice: IntArray) -> dict[str, Any]:
    return {"objective": plan_value(problem, choice), "feasible": is_feasible(problem, choice)}


def _plan(
    portfolio: Portfolio,
    problem: Problem,
    best: _Best,
    bound: float,
    status: str | None,
    reason: Reason | None,
    started: float,
    stats: dict[str, Any],
    baselines: dict[str, dict[str, Any]],
) -> Plan:
    stopped = bool(stats.pop("stopped", False))
    objective = best.value if best.choice is not None else None
    if status is None:
        if objective is None:
            status = "UNKNOWN"
        elif not stopped and (relative_gap(objective, bound) or 0.0) <= OPTIMAL_GAP:
            status = "OPTIMAL"
        else:
            status = "FEASIBLE"
    stats["plan_source"] = best.source or None
    plan_fields: dict[str, Any] = {}
    if best.choice is not None and status != "INFEASIBLE":
        choice = best.choice
        spend = plan_spend(problem, choice)
        slack = plan_coverage(problem, choice) - problem.required
        plan_fields = {
            "choices": {
                item.id: item.options[int(choice[row])].id
                for row, item in enumerate(portfolio.items)
            },
            "spend": {n: spend[b].tolist() for b, n in enumerate(problem.budget_names)},
            "slack": {n: slack[r].tolist() for r, n in enumerate(problem.requirement_names)},
        }
    prices = stats.pop("_prices", None)
    if prices is not None:
        plan_fields["shadow_prices"] = prices[0]
        plan_fields["requirement_prices"] = prices[1]
    return Plan(
        name=portfolio.name,
        periods=portfolio.periods,
        status=status,
        objective=objective if status != "INFEASIBLE" else None,
        bound=bound if status != "INFEASIBLE" else None,
        wall_seconds=time.perf_counter() - started,
        baselines=baselines,
        reason=None if reason is None else reason.text,
        reason_detail=None if reason is None else reason.to_json(),
        stopped=stopped,
        solver=stats,
        **plan_fields,
    )
