"""Heuristic plans: the baselines (do nothing; greedy benefit/cost, as planners do by hand),
and the LP-guided moves and fill that give the solve its first good plan.

All of them move one item at a time from its current option to another, in passes: each pass
scores every item's best move in bulk (numpy), then takes moves in score order, checking each
exactly against the money and coverage left, since earlier moves of the pass used some.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from equiplan.domain.optimiser.problem import (
    CHECK_TOLERANCE,
    FloatArray,
    IntArray,
    Problem,
    budget_headroom,
    plan_coverage,
    plan_spend,
)

# Bulk score of every (item, option) move from the current plan, given the value gained and the
# extra money over the horizon per move, and the current choice; moves scoring ≤ 0 are not made.
Scorer = Callable[[FloatArray, FloatArray, IntArray], FloatArray]
# Passes of moves: the LP-guided fill needs many small ones; the greedy baseline, a planner's
# few rounds through the spreadsheet, fewer (it is a yardstick, and slow at 20,000 items).
MAX_PASSES = 60
BASELINE_PASSES = 25


class _State:
    """A plan with its money left and coverage, kept up to date move by move."""

    def __init__(self, problem: Problem, choice: IntArray) -> None:
        self.problem = problem
        self.choice = choice.copy()
        self.headroom = budget_headroom(problem, plan_spend(problem, choice))
        self.coverage = plan_coverage(problem, choice)
        scale = np.maximum(1.0, np.abs(np.cumsum(problem.capacity, axis=1)))
        self.money_tolerance = CHECK_TOLERANCE * scale
        self.cover_tolerance = CHECK_TOLERANCE * np.maximum(1.0, problem.required)
        self.budgets_of = [np.flatnonzero(row) for row in problem.membership]
        self.pairs_of: list[list[int]] = [[] for _ in range(problem.item_count)]
        for pair, item in enumerate(problem.provider_item.tolist()):
            self.pairs_of[item].append(pair)

    def money_delta(self, item: int, option: int) -> FloatArray:
        costs = self.problem.costs[item]
        delta = costs[option] - costs[self.choice[item]]
        return np.cumsum(delta) if self.problem.carry_over else delta

    def allows(self, item: int, option: int) -> bool:
        """Whether the move keeps every budget and makes no requirement worse off."""
        budgets = self.budgets_of[item]
        if budgets.size:
            delta = self.money_delta(item, option)
            if np.any(delta > self.headroom[budgets] + self.money_tolerance[budgets]):
                return False
        for pair in self.pairs_of[item]:
            target = self.problem.provider_requirement[pair]
            amounts = self.problem.provided[pair]
            before = self.coverage[target] - self.problem.required[target]
            after = before + amounts[option] - amounts[self.choice[item]]
            if np.any(np.minimum(after, 0) < np.minimum(before, 0) - self.cover_tolerance[target]):
                return False
        return True

    def move(self, item: int, option: int) -> None:
        budgets = self.budgets_of[item]
        if budgets.size:
            self.headroom[budgets] -= self.money_delta(item, option)
        for pair in self.pairs_of[item]:
            amounts = self.problem.provided[pair]
            target = self.problem.provider_requirement[pair]
            self.coverage[target] += amounts[option] - amounts[self.choice[item]]
        self.choice[item] = option


def _deltas(problem: Problem, choice: IntArray) -> tuple[FloatArray, FloatArray]:
    rows = np.arange(problem.item_count)
    gain = problem.values - problem.values[rows, choice][:, None]
    extra = problem.costs.sum(axis=2) - problem.costs[rows, choice].sum(axis=1)[:, None]
    return gain, extra


def _bulk_allowed(state: _State) -> np.ndarray:
    """Moves each item could make alone against the money and coverage left now."""
    problem = state.problem
    rows = np.arange(problem.item_count)
    delta = problem.costs - problem.costs[rows, state.choice][:, None, :]
    if problem.carry_over:
        delta = np.cumsum(delta, axis=2)
    allowed = problem.valid.copy()
    room = state.headroom + state.money_tolerance
    for budget in range(problem.membership.shape[1]):
        members = problem.membership[:, budget]
        allowed[members] &= np.all(delta[members] <= room[budget], axis=2)
    if problem.provider_item.size:
        items = problem.provider_item
        targets = problem.provider_requirement
        before = state.coverage[targets] - problem.required[targets]  # (pairs, periods)
        current = problem.provided[np.arange(items.size), state.choice[items]]
        after = before[:, None, :] + problem.provided - current[:, None, :]
        worse = np.any(
            np.minimum(after, 0)
            < np.minimum(before, 0)[:, None, :] - state.cover_tolerance[targets][:, None, :],
            axis=2,
        )
        np.logical_and.at(allowed, items, ~worse)
    return allowed


def improve(
    problem: Problem, choice: IntArray, scorer: Scorer, *, passes: int = MAX_PASSES
) -> IntArray:
    """Take moves with a positive score while they fit, best score first, pass after pass
    until none fits. The plan's feasibility is kept (or not made worse)."""
    state = _State(problem, choice)
    for _ in range(passes):
        gain, extra = _deltas(problem, state.choice)
        score = scorer(gain, extra, state.choice)
        score = np.where(_bulk_allowed(state) & (score > 1e-12), score, -np.inf)
        best = np.argmax(score, axis=1)
        best_score = score[np.arange(problem.item_count), best]
        order = np.argsort(-best_score, kind="stable")
        moved = 0
        for item in order[np.isfinite(best_score[order])].tolist():
            option = int(best[item])
            if state.allows(item, option):
                state.move(item, option)
                moved += 1
        if not moved:
            break
    return state.choice


def benefit_per_cost(gain: FloatArray, extra: FloatArray, _choice: IntArray) -> FloatArray:
    """The spreadsheet rule: value gained per extra money over the horizon; moves that save
    money and gain value come first; moves that lose value are not made."""
    ratio = np.where(extra > 0, gain / np.maximum(extra, 1e-12), 1e12 + gain)
    return np.asarray(np.where(gain > 1e-12, ratio, -np.inf))


def value_gain(gain: FloatArray, _extra: FloatArray, _choice: IntArray) -> FloatArray:
    """Plain value gained: to spend what money is left on the best upgrades."""
    return gain


def priced_gain(profit: FloatArray) -> Scorer:
    """Gain in value after paying for money and coverage at the LP's prices: moves towards the
    LP's plan, which may give up value where the money does more elsewhere."""

    def score(_gain: FloatArray, _extra: FloatArray, choice: IntArray) -> FloatArray:
        current = profit[np.arange(profit.shape[0]), choice]
        return np.asarray(profit - current[:, None])

    return score


def coverage_per_cost(problem: Problem) -> Scorer:
    """For plans short of a requirement: shortfall made up per extra money over the horizon
    (each requirement's shortfall as a share of the requirement)."""

    def score(_gain: FloatArray, extra: FloatArray, choice: IntArray) -> FloatArray:
        relief = np.zeros(problem.valid.shape)
        short = np.maximum(problem.required - plan_coverage(problem, choice), 0.0)
        if problem.provider_item.size and short.any():
            items, targets = problem.provider_item, problem.provider_requirement
            current = problem.provided[np.arange(items.size), choice[items]]
            added = np.minimum(
                np.maximum(problem.provided - current[:, None, :], 0.0), short[targets][:, None]
            )
            scale = np.maximum(problem.required[targets].max(axis=1), 1e-12)[:, None]
            np.add.at(relief, items, added.sum(axis=2) / scale)
        ratio = relief / np.maximum(extra, 1e-9 * max(1.0, float(np.abs(extra).max())))
        return np.asarray(np.where(relief > 1e-12, np.where(extra > 0, ratio, 1e12), -np.inf))

    return score


def do_nothing_plan(problem: Problem) -> IntArray:
    """The first option of every item (by convention: keep as is)."""
    return np.zeros(problem.item_count, dtype=np.int64)


def greedy_plan(problem: Problem) -> IntArray:
    """The planner's spreadsheet method: from doing nothing, first make up coverage where a
    requirement is missed (most coverage per money first), then upgrade items by value gained
    per extra money while the money lasts."""
    covered = improve(
        problem, do_nothing_plan(problem), coverage_per_cost(problem), passes=BASELINE_PASSES
    )
    return improve(problem, covered, benefit_per_cost, passes=BASELINE_PASSES)
