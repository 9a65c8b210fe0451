"""The LP core stage: CP-SAT on the options of best reduced profit only (a heuristic), and
the limits the whole-model search shares with it. See docs/portfolio.md, "How it solves"."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from equiplan.domain.optimiser.cpsat import SearchResult, search
from equiplan.domain.optimiser.problem import BoolArray, FloatArray, IntArray, Problem
from equiplan.domain.optimiser.scaling import ScaledProblem

# CP-SAT gets at most this many option variables: on larger models of this structure its
# presolve alone outlasts a 30-60 s limit. Beyond it the search covers the options closest to
# the LP's choice (a heuristic neighbourhood: its bound is then not used).
MAX_SEARCH_VARIABLES = 15_000
# Options beyond each item's best that a neighbourhood keeps at least (see search_size).
MIN_OTHERS = 1_000
# A search stage needs at least this many seconds left to be worth building.
MIN_SEARCH_SECONDS = 1.0
# The LP core stage (see core_search): the share of the remaining time it gets, the share of
# all options each of its searches keeps (one per worker), its deterministic time per second
# of the work limit (single-worker searches side by side at level 1 do about 0.5 units per
# second on a quiet machine here, so the work limit, not the clock, ends them at about half
# of their clock; 0.6 raced the clock on small portfolios and broke determinism), and
# CP-SAT's parameters: its LP relaxation decides these knapsack models; for the core, level 1
# (without level 2's extra cuts) finds better plans in the same work (MMKP I08-I10, I12, I13
# and the 500-item synthetic portfolio; I11 a little worse: bench/README.md), while the
# whole-model search keeps level 2, whose cuts tighten the bound it proves.
CORE_TIME_SHARE = 0.75
CORE_SHARES = (0.15, 0.2)
CORE_ROUNDS = 2
CORE_DETERMINISTIC_PER_SECOND = 0.25
CORE_PARAMETERS: dict[str, object] = {"linearization_level": 1}
EXACT_PARAMETERS: dict[str, object] = {"linearization_level": 2}


def core_search(
    problem: Problem,
    scaled: ScaledProblem,
    reduced: FloatArray,
    incumbent: tuple[IntArray | None, Callable[[IntArray | None, str], None]],
    clock: tuple[float, float, float],
    seed: int,
    workers: int,
    stop: Callable[[], bool],
    progress: Callable[[float | None, float | None], None],
) -> dict[str, Any]:
    """CP-SAT on the LP's *core*: each item keeps only its options of best reduced profit (a
    share of all options, from the LP's best one down, plus the best plan's). Good plans of
    these models take such options almost everywhere, and a search over a model this much
    smaller finds them far sooner than over the whole model. Per round, one single-worker
    search per worker on cores of different sizes and seeds, side by side; the best plan wins
    (in a fixed order, so the result is deterministic) and hints the next round. Their bounds
    hold for the core only: not used. `incumbent` is the best plan and the function offering
    a new one; `clock` is (start of the solve, its time limit, its work limit)."""
    started, time_limit, work_seconds = clock
    remaining = time_limit - (time.perf_counter() - started)
    if remaining < MIN_SEARCH_SECONDS or stop():
        return {}
    seconds = remaining * CORE_TIME_SHARE / CORE_ROUNDS
    work = CORE_DETERMINISTIC_PER_SECOND * work_seconds * CORE_TIME_SHARE / CORE_ROUNDS
    valid_count = int(problem.valid.sum())
    priced = np.where(problem.valid, reduced, -np.inf)
    offer = incumbent[1]
    best_choice = incumbent[0]
    began = time.perf_counter()
    objectives: list[float | None] = []
    variables: list[int] = []
    deterministic = 0.0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for round_index in range(CORE_ROUNDS):
            hint = incumbent[0] if round_index == 0 else best_choice
            assert hint is not None
            cores = []
            for k in range(workers):
                share = CORE_SHARES[(round_index + k) % len(CORE_SHARES)]
                cores.append(
                    closest_options(
                        priced,
                        search_size(problem.item_count, int(share * valid_count), valid_count),
                    )
                )
            jobs = [
                pool.submit(
                    search,
                    problem,
                    scaled,
                    core,
                    hint,
                    hint_feasible=True,
                    time_limit=seconds,
                    deterministic_limit=work,
                    workers=1,
                    seed=seed + round_index * workers + k,
                    progress=progress,
                    should_stop=stop,
                    parameters=CORE_PARAMETERS,
                )
                for k, core in enumerate(cores)
            ]
            results = [job.result() for job in jobs]
            for result in results:
                offer(result.choice, "cp-sat (LP core)")
            best_choice = _better(results, hint, scaled)
            objectives += [
                None if r.objective is None else r.objective * scaled.value_unit for r in results
            ]
            variables += [int(core.sum()) for core in cores]
            deterministic += sum(r.deterministic_time for r in results)
            if stop() or any(r.stopped for r in results):
                break
    return {
        "core_seconds": round(time.perf_counter() - began, 3),
        "core_variables": variables,
        "core_objectives": objectives,
        "core_deterministic_time": round(deterministic, 3),
    }


def search_size(item_count: int, wanted: int, available: int) -> int:
    """How many options a neighbourhood of `wanted` options keeps (closest_options), of the
    `available` valid ones: every item's best, and as many others as asked for while CP-SAT can
    take them (MAX_SEARCH_VARIABLES in all). An item left with one option is a constant, so a
    portfolio of nearly as many items as that, or more, keeps MIN_OTHERS others at least: else
    its neighbourhood would be each item's best alone, a model with nothing to choose.
    (Measured on the national portfolio, 19,440 items: CP-SAT improves the plan with 500-1,000
    such options and stalls with 2,000 or 7,500.)"""
    others = max(0, wanted - item_count)
    room = MAX_SEARCH_VARIABLES - item_count
    if room < MIN_OTHERS:
        others = MIN_OTHERS
    else:
        others = min(others, room)
    return item_count + max(0, min(others, available - item_count))


def closest_options(reduced: FloatArray, count: int) -> BoolArray:
    """The `count` options with the best reduced profit (each item's best among them)."""
    flat = reduced.ravel()
    if count >= flat.size:
        # Every option, padding included: callers keep only valid options (`& valid`).
        return np.ones(reduced.shape, dtype=np.bool_)
    keep = np.zeros(flat.size, dtype=np.bool_)
    keep[np.argpartition(-flat, count)[:count]] = True
    keep = keep.reshape(reduced.shape)
    keep[np.arange(reduced.shape[0]), np.argmax(reduced, axis=1)] = True
    return keep


def _better(results: list[SearchResult], hint: IntArray, scaled: ScaledProblem) -> IntArray:
    """The best plan of a round (first in order among equals), or the hint if none beat it."""
    best, value = hint, int(scaled.values[np.arange(hint.size), hint].sum())
    for result in results:
        if result.choice is not None and result.objective is not None and result.objective > value:
            best, value = result.choice, result.objective
    return best
