"""Repair: from a plan that overspends or misses coverage, moves that shrink the violation
until the plan keeps every budget and requirement (or no move helps any more).

Why: at tight budgets even doing nothing overspends (running costs alone exceed a budget cut
by a third), so the greedy baselines, which only take moves that fit, stay infeasible; without a
feasible plan the LP's column generation cannot start small and the search has no hint. The
violation is each budget's overspend and each requirement's shortfall, per period, as a share of
the budget or requirement, summed; every move is scored in bulk (numpy), then taken best first
while it still lowers the violation of the plan as it now stands.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from equiplan.domain.optimiser.lp import Prices, priced_profit
from equiplan.domain.optimiser.problem import (
    FloatArray,
    IntArray,
    Problem,
    is_feasible,
    plan_coverage,
    plan_spend,
)

# Pricing rounds at most, and the least factor a violated row's price rises by per round.
MAX_ROUNDS = 100
PRICE_GROWTH = 1.15
# Rounds after which the closest plan so far is finished by single moves.
REPAIR_AT = (40,)
REPAIR_PASSES = 25
# Repair passes at most, and moves tried per pass (best scored first).
MAX_PASSES = 60
PASS_MOVES = 400
# Rounds of "coverage first, then money" when repair alone stalls (see full_repair).
FINISH_ROUNDS = 3


def _over(problem: Problem, choice: IntArray) -> FloatArray:
    """Overspend per budget and period (cumulative with carry-over); negative: money left."""
    spend = plan_spend(problem, choice)
    if problem.carry_over:
        return np.asarray(np.cumsum(spend, axis=1) - np.cumsum(problem.capacity, axis=1))
    return np.asarray(spend - problem.capacity)


def _scales(problem: Problem) -> tuple[FloatArray, FloatArray]:
    money = np.maximum(np.abs(problem.capacity).mean(axis=1), 1e-9)
    cover = np.maximum(np.abs(problem.required).max(axis=1, initial=0.0), 1e-9)
    return money, cover


def violation(problem: Problem, choice: IntArray) -> float:
    """Overspend and shortfall, each as a share of its budget or requirement, summed."""
    money, cover = _scales(problem)
    over = np.maximum(_over(problem, choice), 0.0).sum(axis=1) / money
    short = np.maximum(problem.required - plan_coverage(problem, choice), 0.0).sum(axis=1)
    return float(over.sum() + (short / cover).sum())


def priced_repair(problem: Problem, *, rounds: int = MAX_ROUNDS) -> IntArray | None:
    """A feasible plan found by pricing (None if none was found): every item takes its best
    option at the current prices of money and coverage; prices of the budgets the plan
    overspends and of the requirements it misses rise (by the relative violation, and at least
    by a fixed factor) until the plan keeps every one. Prices alone tend to flip a few items
    back and forth around the feasible region (the LP splits those), so the closest plan seen
    so far is finished by single moves (`repair`) at a few checkpoints. Vectorised: a round is
    one pass over all options."""
    money, cover = _scales(problem)
    value_span = float(np.abs(problem.values[problem.valid]).mean()) or 1.0
    spend_span = float(np.abs(problem.costs).sum(axis=2)[problem.valid].mean()) or 1.0
    cover_span = (
        float(np.abs(problem.provided).sum(axis=2).mean()) if problem.provided.size else 1.0
    )
    money_price = value_span / spend_span  # value per money: the scale prices start from
    cover_price = value_span / max(cover_span, 1e-12)
    rows = np.zeros(problem.capacity.shape)  # per budget row (cumulative with carry-over)
    needs = np.zeros(problem.required.shape)
    closest: tuple[float, IntArray] | None = None
    for round_number in range(1, rounds + 1):
        budget_prices = np.cumsum(rows[:, ::-1], axis=1)[:, ::-1] if problem.carry_over else rows
        profit = priced_profit(problem, Prices(budget=budget_prices, requirement=needs))
        choice = np.asarray(np.argmax(profit, axis=1), dtype=np.int64)
        over = np.maximum(_over(problem, choice), 0.0) / money[:, None]
        short = np.maximum(problem.required - plan_coverage(problem, choice), 0.0)
        short = short / cover[:, None]
        if is_feasible(problem, choice):
            return choice
        total = float(over.sum() + short.sum())
        if closest is None or total < closest[0]:
            closest = (total, choice)
        if round_number in REPAIR_AT or round_number == rounds:
            # Which rounds' plan single moves can finish varies: try at a few checkpoints.
            finished = repair(problem, closest[1], passes=REPAIR_PASSES)
            if is_feasible(problem, finished):
                return finished
        rows = np.where(over > 0, np.maximum(rows * PRICE_GROWTH, rows + money_price * over), rows)
        needs = np.where(
            short > 0, np.maximum(needs * PRICE_GROWTH, needs + cover_price * short), needs
        )
    return None


def _move_scores(
    problem: Problem, choice: IntArray, over: FloatArray, short: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """How much every single move (item, option) changes the violation (negative: better): the
    budgets' part and the requirements' part (inf for padding options)."""
    money, cover = _scales(problem)
    rows = np.arange(problem.item_count)
    spent = np.zeros(problem.valid.shape)
    missed = np.zeros(problem.valid.shape)
    delta = problem.costs - problem.costs[rows, choice][:, None, :]
    if problem.carry_over:
        delta = np.cumsum(delta, axis=2)
    for budget in range(problem.capacity.shape[0]):
        members = np.flatnonzero(problem.membership[:, budget])
        now = np.maximum(over[budget], 0.0).sum()
        after = np.maximum(over[budget] + delta[members], 0.0).sum(axis=2)
        spent[members] += (after - now) / money[budget]
    if problem.provider_item.size:
        items, targets = problem.provider_item, problem.provider_requirement
        current = problem.provided[np.arange(items.size), choice[items]]
        gained = problem.provided - current[:, None, :]
        now = np.maximum(short[targets], 0.0).sum(axis=1)
        after = np.maximum(short[targets][:, None, :] - gained, 0.0).sum(axis=2)
        np.add.at(missed, items, (after - now[:, None]) / cover[targets][:, None])
    padding = ~problem.valid
    spent[padding] = np.inf
    missed[padding] = np.inf
    return spent, missed


def repair(
    problem: Problem,
    choice: IntArray,
    *,
    passes: int = MAX_PASSES,
    money: bool = True,
    by_value: bool = False,
) -> IntArray:
    """A plan with less violation (none when the moves reach a feasible plan): in each pass
    the best moves, scored in bulk, are taken one by one while each still lowers the violation
    of the plan as it then stands (checked on the item's own rows). Moves are ranked by how
    much violation they remove (among equals, the one losing least value first), or with
    `by_value` by the value they lose per unit of violation removed.

    `money` False repairs coverage only, budgets ignored: for a shortfall that no single move
    can make up without overspending (see `full_repair`)."""
    choice = choice.copy()
    money_scale, cover = _scales(problem)
    over = _over(problem, choice) if money else np.full(problem.capacity.shape, -np.inf)
    short = problem.required - plan_coverage(problem, choice)
    rows = np.arange(problem.item_count)
    budgets_of = [np.flatnonzero(row) for row in problem.membership]
    pairs_of: list[list[int]] = [[] for _ in range(problem.item_count)]
    for pair, item in enumerate(problem.provider_item.tolist()):
        pairs_of[item].append(pair)
    span = max(1.0, float(np.abs(problem.values).max()))
    for _ in range(passes):
        if not (over > 0).any() and not (short > 0).any():
            break
        spent, missed = _move_scores(problem, choice, over, short)
        score = spent + missed
        lost = problem.values[rows, choice][:, None] - problem.values
        if by_value:
            # Only moves that make neither part worse: otherwise a move would trade one kind
            # of violation for another for the sake of value, and the repair need not end.
            keeps = (spent <= 1e-12) & (missed <= 1e-12) & (score < -1e-12)
            rank = np.where(keeps, lost / np.maximum(-score, 1e-300), np.inf)
        else:
            rank = score + 1e-9 * lost / span
        best = np.argmin(rank, axis=1)
        best_rank = rank[rows, best]
        order = np.argsort(best_rank, kind="stable")[:PASS_MOVES]
        moved = 0
        for item in order[best_rank[order] < (np.inf if by_value else -1e-12)].tolist():
            option = int(best[item])
            budgets = budgets_of[item]
            delta = problem.costs[item, option] - problem.costs[item, choice[item]]
            if problem.carry_over:
                delta = np.cumsum(delta)
            new_over = over[budgets] + delta
            before = np.maximum(over[budgets], 0.0).sum(axis=1)
            money_change = float(
                ((np.maximum(new_over, 0.0).sum(axis=1) - before) / money_scale[budgets]).sum()
            )
            cover_change = 0.0
            new_short: dict[int, FloatArray] = {}
            for pair in pairs_of[item]:
                target = int(problem.provider_requirement[pair])
                amounts = problem.provided[pair]
                now = new_short.get(target, short[target])
                new_short[target] = now - (amounts[option] - amounts[choice[item]])
            for target, after in new_short.items():
                worse = np.maximum(after, 0.0).sum() - np.maximum(short[target], 0.0).sum()
                cover_change += float(worse / cover[target])
            change = money_change + cover_change
            if by_value and (money_change > 1e-12 or cover_change > 1e-12):
                continue
            if change < -1e-12:
                over[budgets] = new_over
                for target, after in new_short.items():
                    short[target] = after
                choice[item] = option
                moved += 1
        if not moved:
            break
    return choice


def priced_value_repair(problem: Problem, choice: IntArray, prices: Prices) -> IntArray:
    """A plan close to `choice` (the LP's plan rounded) that keeps every budget and
    requirement, if single moves find one (check it with is_feasible): the shortfall made up
    first, then the overspend, each by the moves losing least *priced* value per unit of
    violation removed, value after paying the move's money at the LP's budget prices.

    Ranking by plain value (`full_repair`) makes up coverage with the dearest options (a
    replacement gains value and coverage but spends the money other items needed), then
    loses much more value taking money back: on the national fleet's LP plan (62 coverage
    rows short by 3.6 units in all) it lost 908 of 25,822; priced, 290 (bench/README.md)."""
    money_priced = priced_profit(
        problem, Prices(budget=prices.budget, requirement=np.zeros_like(prices.requirement))
    )
    priced = replace(problem, values=np.where(problem.valid, money_priced, 0.0))
    covered = repair(priced, choice, money=False, by_value=True)
    return full_repair(priced, repair(priced, covered, by_value=True))


def full_repair(problem: Problem, choice: IntArray, *, rounds: int = FINISH_ROUNDS) -> IntArray:
    """A plan close to `choice` that keeps every budget and requirement, if single moves find
    one (check it with is_feasible). `repair` alone can stall a hair short of a requirement
    when every budget is used to the last euro: each move that would make the shortfall up
    costs more than is left, so none lowers the violation. Then the shortfall is made up first,
    budgets ignored, by the moves losing least value per unit, and the overspend that leaves
    is repaired by single moves again (which may give a little coverage back: hence a few
    rounds of the two)."""
    repaired = repair(problem, choice)
    for _ in range(rounds):
        if is_feasible(problem, repaired):
            break
        covered = repair(problem, repaired, money=False, by_value=True)
        repaired = repair(problem, covered)
    return repaired
