"""Why the plan treats an item the way it does, from a run's stored result.

The rules, as the results page and docs/planning_runs.md state them:
- An item's *best* option is the one (other than keep) with the most value gain per euro of
  extra cost over keeping. The item is *deferred* when the plan gives it less value than that
  best option (it keeps the item, or chose a cheaper or later action).
- A budget is *tight* in a year when the plan spends at least 99.9 % of what is available
  there (its budget; with carry-over, plus what earlier years left), or its LP
  shadow price is positive; it *stops* an item's best option in that year when it is tight and
  what is left of it there is less than the option's extra cost (money the plan left unspent
  did not stop it). With carry-over, what is left in a year is the money given up to it minus
  the money spent up to it, and no later year may go short either (the budget is cumulative).
- A requirement *binds* in a year when its LP price is positive or its slack is zero, and
  the best option would provide less to it than the chosen one.
- The *extra budget that would fund it* is the best option's extra cost over the chosen one
  in the years where one of the item's budgets stops it: with that much more money in those
  years, the best option fits without taking money from anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from equiplan.services.plan_results import BudgetUse, budget_rows

SLACK_TOLERANCE = 1e-6


@dataclass(frozen=True)
class TightBudget:
    """One budget in one year that stops the best option: the extra money it would need."""

    budget: str
    year: int
    extra: float


@dataclass(frozen=True)
class Explanation:
    item_id: str
    equipment_id: int
    agency_code: str
    site_code: str | None
    type_code: str
    model_name: str
    chosen_option: str
    chosen_kind: str
    best_option: str | None
    best_kind: str | None
    deferred: bool
    value_gain: float  # the best option's value over the chosen one's
    extra_cost: list[float]  # per year, best minus chosen
    tight_budgets: list[TightBudget]
    binding_requirements: list[tuple[str, int]]
    gain_over_keep: float  # the chosen option's value over keeping the item as it is
    cost_over_keep: float  # and its extra cost over the horizon

    @property
    def extra_cost_total(self) -> float:
        return sum(self.extra_cost)

    @property
    def extra_budget_total(self) -> float:
        """The money that would fund the best option, counted once per year (the total
        budget and an agency budget are both raised by it; the larger need of a year)."""
        per_year: dict[int, float] = {}
        for tight in self.tight_budgets:
            per_year[tight.year] = max(per_year.get(tight.year, 0.0), tight.extra)
        return sum(per_year.values())


def _stops(use: BudgetUse, extra: float) -> bool:
    """The budget is tight in that year and what is left of it there is less than `extra`
    (with carry-over: the least left in that year or any later one, see budget_rows)."""
    return use.tight and use.room < extra


def _binds(result: Mapping[str, Any], requirement: str, t: int) -> bool:
    plan = result["plan"]
    prices = (plan.get("requirement_prices") or {}).get(requirement)
    slack = (plan.get("slack") or {}).get(requirement)
    priced = bool(prices) and float(prices[t] or 0.0) > 1e-9
    return priced or (bool(slack) and float(slack[t]) <= SLACK_TOLERANCE)


def all_budget_rows(result: Mapping[str, Any]) -> dict[str, list[BudgetUse]]:
    """Every budget's use per year, worked out once for many explanations."""
    return {name: budget_rows(result, name) for name in result["budgets"]}


def explain(
    result: Mapping[str, Any],
    item_id: str,
    uses: Mapping[str, list[BudgetUse]] | None = None,
) -> Explanation:
    """The explanation of one item of the result (KeyError for an unknown item); `uses`:
    all_budget_rows(result), when explaining many items."""
    item = result["items"][item_id]
    chosen, best = item["chosen"], item.get("best")
    periods: list[int] = result["periods"]
    tight: list[TightBudget] = []
    binding: list[tuple[str, int]] = []
    extra = [0.0] * len(periods)
    gain = 0.0
    if best is not None:
        gain = float(best["value"]) - float(chosen["value"])
        extra = [round(b - c, 2) for b, c in zip(best["cost"], chosen["cost"], strict=True)]
        budgets = [b for b in ("total", *item["budgets"]) if b in result["budgets"]]
        uses = uses or all_budget_rows(result)
        for t, year in enumerate(periods):
            if extra[t] <= 0:
                continue
            tight.extend(
                TightBudget(b, year, extra[t]) for b in budgets if _stops(uses[b][t], extra[t])
            )
        for name, provided in best["provides"].items():
            given = chosen["provides"].get(name, [0.0] * len(periods))
            for t, year in enumerate(periods):
                if provided[t] < given[t] and _binds(result, name, t):
                    binding.append((name, year))
    return Explanation(
        item_id=item_id,
        equipment_id=item["equipment_id"],
        agency_code=item["agency_code"],
        site_code=item["site_code"],
        type_code=item["type_code"],
        model_name=item["model_name"],
        chosen_option=chosen["id"],
        chosen_kind=chosen["kind"],
        best_option=best["id"] if best else None,
        best_kind=best["kind"] if best else None,
        deferred=best is not None and gain > 0,
        value_gain=gain,
        extra_cost=extra,
        tight_budgets=tight,
        binding_requirements=binding,
        gain_over_keep=float(chosen["value"]) - float(item["keep_value"]),
        cost_over_keep=round(sum(chosen["cost"]) - sum(item["keep_cost"]), 2),
    )


def deferred_items(result: Mapping[str, Any], agency: str | None = None) -> list[Explanation]:
    """The items deferred for lack of budget (or held back by a requirement), the largest
    value gain first; of one agency's items when `agency` is given."""
    uses = all_budget_rows(result)
    found = [
        explain(result, item_id, uses)
        for item_id, item in result["items"].items()
        if "best" in item and agency in (None, item["agency_code"])
    ]
    deferred = [e for e in found if e.deferred]
    return sorted(deferred, key=lambda e: (-e.value_gain, e.item_id))
