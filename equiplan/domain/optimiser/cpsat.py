"""CP-SAT on the reduced model: the options reduced-cost fixing left, in whole units.

Items left with a single option are constants. The best plan known so far is the hint, so the
search starts from it. The search is deterministic for the same model, seed and worker count:
with several workers their strategies are interleaved in fixed batches (`interleave_search`)
and the search stops on CP-SAT's deterministic time, which counts work, not seconds. (Without
a feasible plan to start from, the search runs on one worker: see `search`.) The wall
clock limit is only a safety net; a search cut by it (or by a stop request) may differ from
run to run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from equiplan.domain.optimiser.problem import BoolArray, IntArray, Problem
from equiplan.domain.optimiser.scaling import ScaledProblem

PROGRESS_INTERVAL = 0.5  # seconds between progress reports and stop checks
# CP-SAT's random seed is a signed 32-bit number: seeds derived from the caller's (one per
# search) wrap around within it.
MAX_SEED = 2**31 - 1

# (incumbent, bound) in whole value units of the full plan; None until known.
ScaledProgress = Callable[[float | None, float | None], None]


@dataclass(frozen=True)
class SearchResult:
    """What the search found: its status, the best plan (all items) and the proven bound, both
    in whole value units; how long it took and how big the model was."""

    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN
    choice: IntArray | None
    objective: int | None
    bound: float | None
    seconds: float
    deterministic_time: float
    free_items: int
    variables: int
    stopped: bool


class _Watcher(cp_model.CpSolverSolutionCallback):
    def __init__(self) -> None:
        super().__init__()
        self.objective: float | None = None

    def on_solution_callback(self) -> None:
        self.objective = self.objective_value


def search(
    problem: Problem,
    scaled: ScaledProblem,
    allowed: BoolArray,
    hint: IntArray,
    *,
    hint_feasible: bool,
    time_limit: float,
    deterministic_limit: float,
    workers: int,
    seed: int,
    progress: ScaledProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
    parameters: dict[str, object] | None = None,
) -> SearchResult:
    """Maximise the scaled value over the allowed options, starting from `hint`.

    `parameters` are extra CP-SAT parameters (by name) on top of the ones set here."""
    started = time.perf_counter()
    allowed = allowed & problem.valid
    allowed[np.arange(problem.item_count), hint] = True
    counts = allowed.sum(axis=1)
    free = counts > 1
    fixed_choice = np.where(free, -1, np.argmax(allowed, axis=1))
    var_item, var_option = np.nonzero(allowed & free[:, None])
    model = cp_model.CpModel()
    variables = [model.new_bool_var("") for _ in range(var_item.size)]
    starts = np.searchsorted(var_item, np.flatnonzero(free))
    ends = np.searchsorted(var_item, np.flatnonzero(free), side="right")
    for first, last in zip(starts.tolist(), ends.tolist(), strict=True):
        model.add_exactly_one(variables[first:last])
    fixed_items = np.flatnonzero(~free)
    fixed_options = fixed_choice[fixed_items]
    costs = np.cumsum(scaled.costs, axis=2) if problem.carry_over else scaled.costs
    fixed_spend = (
        problem.membership[fixed_items].T.astype(np.int64) @ costs[fixed_items, fixed_options]
    )
    for budget in range(problem.membership.shape[1]):
        members = np.flatnonzero(problem.membership[var_item, budget])
        for period in range(problem.period_count):
            coefficients = costs[var_item[members], var_option[members], period]
            used = members[coefficients != 0]
            model.add(
                cp_model.LinearExpr.weighted_sum(
                    [variables[k] for k in used.tolist()], coefficients[coefficients != 0].tolist()
                )
                <= int(scaled.capacity[budget, period] - fixed_spend[budget, period])
            )
    _add_requirements(model, problem, scaled, variables, var_item, var_option, fixed_choice)
    fixed_value = int(scaled.values[fixed_items, fixed_options].sum())
    model.maximize(
        cp_model.LinearExpr.weighted_sum(variables, scaled.values[var_item, var_option].tolist())
        + fixed_value
    )
    for k, (item, option) in enumerate(zip(var_item.tolist(), var_option.tolist(), strict=True)):
        model.add_hint(variables[k], bool(hint[item] == option))

    solver = cp_model.CpSolver()
    # Interleaved search in CP-SAT 9.15 aborts the process when presolve proves the model
    # infeasible; with a feasible hint that cannot happen. Without one, one worker keeps the
    # search deterministic.
    solver.parameters.num_workers = workers if hint_feasible else 1
    solver.parameters.random_seed = seed % (MAX_SEED + 1)
    solver.parameters.interleave_search = workers > 1 and hint_feasible
    # Inclusion detection between the long budget rows costs seconds and finds little here.
    solver.parameters.presolve_inclusion_work_limit = 0
    solver.parameters.max_deterministic_time = max(0.01, deterministic_limit)
    solver.parameters.max_time_in_seconds = max(0.01, time_limit - (time.perf_counter() - started))
    for name, value in (parameters or {}).items():
        setattr(solver.parameters, name, value)
    watcher = _Watcher()
    bound: list[float] = []
    solver.best_bound_callback = bound.append
    stopped = threading.Event()
    finished = threading.Event()

    def watch() -> None:
        # Reports progress and checks the stop request while the solver runs.
        while not finished.wait(PROGRESS_INTERVAL):
            if progress is not None:
                progress(watcher.objective, bound[-1] if bound else None)
            if should_stop is not None and should_stop():
                stopped.set()
                solver.stop_search()

    thread = threading.Thread(target=watch, name="equiplan-cpsat-progress", daemon=True)
    thread.start()
    try:
        status = solver.solve(model, watcher)
    finally:
        finished.set()
        thread.join()
    name = solver.status_name(status)
    choice = None
    objective = None
    if name in ("OPTIMAL", "FEASIBLE"):
        values = np.asarray(solver.response_proto.solution, dtype=np.int64)[: var_item.size]
        choice = fixed_choice.copy()
        picked = values == 1
        choice[var_item[picked]] = var_option[picked]
        objective = int(round(solver.objective_value))
    proven = solver.best_objective_bound if name in ("OPTIMAL", "FEASIBLE") else None
    return SearchResult(
        status=name if name in ("OPTIMAL", "FEASIBLE", "INFEASIBLE") else "UNKNOWN",
        choice=choice,
        objective=objective,
        bound=proven,
        seconds=time.perf_counter() - started,
        deterministic_time=solver.deterministic_time,
        free_items=int(free.sum()),
        variables=int(var_item.size),
        stopped=stopped.is_set(),
    )


def _add_requirements(
    model: cp_model.CpModel,
    problem: Problem,
    scaled: ScaledProblem,
    variables: list[cp_model.IntVar],
    var_item: IntArray,
    var_option: IntArray,
    fixed_choice: IntArray,
) -> None:
    """Σ provided ≥ required per requirement and period; fixed items count as constants."""
    if not problem.required.size:
        return
    items = problem.provider_item
    free_pair = fixed_choice[items] < 0
    constant = np.zeros_like(scaled.required)
    fixed_pairs = np.flatnonzero(~free_pair)
    np.add.at(
        constant,
        problem.provider_requirement[fixed_pairs],
        scaled.provided[fixed_pairs, fixed_choice[items[fixed_pairs]]],
    )
    firsts = np.searchsorted(var_item, items)
    lasts = np.searchsorted(var_item, items, side="right")
    for target in range(problem.required.shape[0]):
        pairs = np.flatnonzero(free_pair & (problem.provider_requirement == target))
        ks = (
            np.concatenate([np.arange(firsts[p], lasts[p]) for p in pairs.tolist()])
            if pairs.size
            else np.zeros(0, dtype=np.int64)
        )
        pair_of_k = np.repeat(pairs, (lasts - firsts)[pairs])
        amounts = scaled.provided[pair_of_k, var_option[ks]]  # (terms, periods)
        for period in range(problem.period_count):
            nonzero = amounts[:, period] != 0
            model.add(
                cp_model.LinearExpr.weighted_sum(
                    [variables[k] for k in ks[nonzero].tolist()],
                    amounts[nonzero, period].tolist(),
                )
                >= int(scaled.required[target, period] - constant[target, period])
            )
