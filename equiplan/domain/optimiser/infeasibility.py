"""Why a portfolio has no plan at all, in plain words: which budget or requirement, which period.

First each budget and requirement alone (the cheapest option of every item still overspends; the
most providing option of every item still falls short). When each is possible alone but not all
together, an LP with a slack on every budget and requirement row finds the smallest total
shortfall (each row in its own units, as a share of its size) and names the rows that need it.

Each reason is a code with parameters (what the app translates) and the same in English words
(what the plan file and the command line show).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.linear_solver.python import model_builder_helper as mbh

from equiplan.domain.optimiser.lp import build_lp
from equiplan.domain.optimiser.problem import CHECK_TOLERANCE, Problem

# Codes of Reason, with their parameters.
BUDGET_PERIOD = "budget_period"  # budget, period, least, limit
BUDGET_UP_TO = "budget_up_to"  # the same, with carry-over: the periods up to `period`
REQUIREMENT_PERIOD = "requirement_period"  # requirement, period, most, needed
COMBINED = "combined"  # rows: [{name, period, kind: money|coverage, amount}], more: rows left out
FRACTIONAL = "fractional"  # cannot all be met even fractionally; no rows to name
INTEGER = "integer"  # possible fractionally, but no whole choice of options meets them all
SHOWN_ROWS = 6


@dataclass(frozen=True)
class Reason:
    """Why there is no plan: a code and its parameters, and the English sentence."""

    code: str
    text: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": self.params}


def _amount(value: float) -> str:
    return f"{value:,.2f}"


def single_row_reason(problem: Problem, periods: tuple[str, ...]) -> Reason | None:
    """A budget or requirement that no plan can meet on its own, or None."""
    costs = problem.costs
    if problem.carry_over:
        costs = np.cumsum(costs, axis=2)
    cheapest = np.where(problem.valid[:, :, None], costs, np.inf).min(axis=1)  # (items, T)
    capacity = np.cumsum(problem.capacity, axis=1) if problem.carry_over else problem.capacity
    least = problem.membership.T.astype(np.float64) @ cheapest
    for budget, name in enumerate(problem.budget_names):
        for period, label in enumerate(periods):
            limit = capacity[budget, period]
            if least[budget, period] > limit + CHECK_TOLERANCE * max(1.0, abs(limit)):
                span = f"the periods up to {label}" if problem.carry_over else f"period {label}"
                amounts = {"least": float(least[budget, period]), "limit": float(limit)}
                return Reason(
                    BUDGET_UP_TO if problem.carry_over else BUDGET_PERIOD,
                    f"budget {name!r} cannot cover {span}: even the cheapest option of every "
                    f"item spends {_amount(amounts['least'])}, and the budget is "
                    f"{_amount(amounts['limit'])}",
                    {"budget": name, "period": label, **amounts},
                )
    most = np.zeros_like(problem.required)
    if problem.provider_item.size:
        best = np.where(problem.valid[problem.provider_item][:, :, None], problem.provided, 0)
        np.add.at(most, problem.provider_requirement, best.max(axis=1))
    for target, name in enumerate(problem.requirement_names):
        for period, label in enumerate(periods):
            needed = problem.required[target, period]
            if most[target, period] < needed - CHECK_TOLERANCE * max(1.0, needed):
                amounts = {"most": float(most[target, period]), "needed": float(needed)}
                return Reason(
                    REQUIREMENT_PERIOD,
                    f"requirement {name!r} cannot be met in period {label}: even the option "
                    f"that provides most for every item gives {_amount(amounts['most'])}, "
                    f"and {_amount(amounts['needed'])} is required",
                    {"requirement": name, "period": label, **amounts},
                )
    return None


FRACTIONAL_TEXT = "the budgets and requirements cannot all be met, even with fractional choices"
INTEGER_TEXT = "no choice of options meets every budget and requirement"


def combined_reason(problem: Problem, periods: tuple[str, ...]) -> Reason:
    """The budgets and requirements that cannot all be met together (elastic LP)."""
    model, _columns = build_lp(problem)
    count, steps = problem.item_count, problem.period_count
    budgets = problem.capacity.shape[0]
    model.clear_objective()
    model.set_maximize(True)
    slacks: list[tuple[int, str, str, float]] = []
    for budget, name in enumerate(problem.budget_names):
        size = max(1.0, float(np.abs(problem.capacity[budget]).mean()))
        for period in range(steps):
            slacks.append((count + budget * steps + period, name, periods[period], -size))
    for target, name in enumerate(problem.requirement_names):
        size = max(1.0, float(np.abs(problem.required[target]).mean()))
        row0 = count + budgets * steps
        for period in range(steps):
            slacks.append((row0 + target * steps + period, name, periods[period], size))
    variables = []
    for row, _name, _label, signed_size in slacks:
        variable = model.add_var()
        model.set_var_lower_bound(variable, 0.0)
        model.set_var_upper_bound(variable, np.inf)
        model.set_var_objective_coefficient(variable, -1.0 / abs(signed_size))
        # Budget rows are "spend ≤ budget": the slack adds money (−1 on the spend side);
        # requirement rows are "provided ≥ required": the slack adds coverage.
        model.add_term_to_constraint(row, variable, 1.0 if signed_size > 0 else -1.0)
        variables.append(variable)
    solver = mbh.ModelSolverHelper("glop")
    solver.solve(model)
    if solver.status() != mbh.SolveStatus.OPTIMAL:
        return Reason(FRACTIONAL, FRACTIONAL_TEXT)
    values = np.asarray(solver.variable_values())
    rows: list[dict[str, Any]] = []
    for variable, (_row, name, label, signed_size) in zip(variables, slacks, strict=True):
        amount = float(values[variable])
        if amount > 1e-7 * abs(signed_size):
            kind = "money" if signed_size < 0 else "coverage"
            rows.append({"name": name, "period": label, "kind": kind, "amount": amount})
    if not rows:
        return Reason(FRACTIONAL, FRACTIONAL_TEXT)
    shown = rows[:SHOWN_ROWS]
    words = [
        f"{row['name']!r} in {row['period']} ({row['kind']} short by about "
        f"{_amount(row['amount'])})"
        for row in shown
    ]
    return Reason(
        COMBINED,
        "the budgets and requirements cannot all be met together, even with fractional "
        "choices: " + "; ".join(words) + ("; …" if len(rows) > SHOWN_ROWS else ""),
        {"rows": shown, "more": len(rows) - len(shown)},
    )


def infeasibility_reason(problem: Problem, periods: tuple[str, ...]) -> Reason:
    """Why no plan meets every budget and requirement."""
    return single_row_reason(problem, periods) or combined_reason(problem, periods)
