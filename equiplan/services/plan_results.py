"""A finished run's results: what the runner stores, and what the results pages read from it.

`stored_result` keeps, beside the plan (equiplan-plan/1), everything the pages need: the
periods and budgets, per item its context and its chosen option (and the best option it did
not get), spend per agency, and the fleet's expected availability per year under the plan,
doing nothing and the greedy plan. The pages never rebuild the portfolio, so a result stays
what it was when the run ended, whatever happened to the fleet since.

Money is in euros (the portfolio's unit), availability is the mean expected availability of
the items in scope (0..1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, Literal

from flask_babel import lazy_gettext as _l

RESULT_FORMAT = "equiplan-run-result/1"
# A budget is tight in a period when the plan spends at least this share of it.
TIGHT_SHARE = 0.999
# An action within a year of the end of design life is on time.
ON_TIME_YEARS = 1
Timing = Literal["early", "on_time", "late"]
TIMING_LABELS = {"early": _l("early"), "on_time": _l("on time"), "late": _l("late")}
SOLVER_STATUS_LABELS = {
    "OPTIMAL": _l("optimal (proven best)"),
    "FEASIBLE": _l("feasible (best found, not proven best)"),
    "INFEASIBLE": _l("infeasible"),
    "UNKNOWN": _l("no plan found"),
}
KIND_LABELS = {
    "keep": _l("keep"),
    "refurbish": _l("refurbish"),
    "replace": _l("replace"),
    "replace-twice": _l("replace twice"),
    "retire": _l("retire"),
}


def option_label(option_id: str | None, kind: str | None) -> str:
    """An option in the reader's language: its kind, then its years ("replace 2028, 2040"
    for "replace@2028+2040"); an option of no known kind as its id."""
    if option_id is None:
        return "—"
    if kind not in KIND_LABELS:
        return option_id
    years = option_id.partition("@")[2].replace("+", ", ")
    return f"{KIND_LABELS[kind]} {years}".strip()


def solver_status_label(status: str) -> Any:
    """The solver's status (OPTIMAL, FEASIBLE...) in words, translated."""
    return SOLVER_STATUS_LABELS.get(status, status)


# --- what the runner stores -----------------------------------------------------------------


def _numbers(values: Sequence[float], digits: int) -> list[float]:
    return [round(float(v), digits) for v in values]


def _option_summary(context: Any, document_option: Mapping[str, Any]) -> dict[str, Any]:
    """One option as the pages need it: kind, action years, capex, cost, value, provides.

    Kept small (a result holds two of these per item, for fleets of 20,000 items): the
    availability per year is stored once, as the fleet's mean, not per option.
    """
    summary: dict[str, Any] = {
        "id": context.option_id,
        "kind": context.kind,
        "action_years": list(context.action_years),
        "capex": _numbers(context.capex, 2),
        "cost": _numbers(document_option["cost"], 2),
        "value": round(float(document_option.get("value", 0.0)), 6),
        "provides": {
            name: _numbers(values, 4)
            for name, values in (document_option.get("provides") or {}).items()
        },
    }
    return summary


def best_option_id(options: Sequence[Mapping[str, Any]]) -> str | None:
    """The option (other than the first, keep) with the most value gain per euro of extra
    cost over keeping; a gain at no extra cost beats any ratio. None: nothing gains value."""
    keep = options[0]
    keep_cost, keep_value = sum(keep["cost"]), float(keep.get("value", 0.0))
    best: tuple[float, float, str] | None = None
    for option in options[1:]:
        gain = float(option.get("value", 0.0)) - keep_value
        if gain <= 0:
            continue
        extra = sum(option["cost"]) - keep_cost
        ratio = float("inf") if extra <= 0 else gain / extra
        candidate = (ratio, gain, option["id"])
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best else None


def _mean_per_period(
    items: Mapping[str, Any], choice_of: Mapping[str, str], periods: int
) -> list[float]:
    totals = [0.0] * periods
    for item_id, context in items.items():
        for t, value in enumerate(context.options[choice_of[item_id]].availability):
            totals[t] += value
    count = max(1, len(items))
    return [round(total / count, 6) for total in totals]


def stored_result(
    generated: Any,
    plan: Mapping[str, Any],
    scenario: Mapping[str, Any],
    budget_factor: float,
    greedy_choices: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The run's result as stored in `run.result` (JSON), from the generated portfolio
    (plan_generation.GeneratedPortfolio) and the solver's plan document.

    The greedy baseline's choices (the plan's `baselines.greedy.choices`, or `greedy_choices`)
    give its availability per year; the stored plan keeps only its objective and feasibility,
    not a second choice per item."""
    document = generated.document
    periods = list(generated.periods)
    by_item = {item["id"]: item for item in document["items"]}
    choices: dict[str, str] = dict(plan.get("choices") or {})
    keep_of = {item_id: item["options"][0]["id"] for item_id, item in by_item.items()}
    chosen = {item_id: choices.get(item_id, keep_of[item_id]) for item_id in by_item}
    items: dict[str, Any] = {}
    spend_by_agency: dict[str, list[float]] = {}
    for item_id, context in generated.items.items():
        options = by_item[item_id]["options"]
        option_docs = {option["id"]: option for option in options}
        chosen_id = chosen[item_id]
        best_id = best_option_id(options)
        entry: dict[str, Any] = {
            "equipment_id": context.equipment_id,
            "agency_code": context.agency_code,
            "site_code": context.site_code,
            "type_code": context.type_code,
            "model_name": context.model_name,
            "age_at_start": round(float(context.age_at_start), 2),
            "design_life_years": context.design_life_years,
            "weight": float(context.weight),
            "budgets": list(by_item[item_id].get("budgets") or []),
            "keep_cost": _numbers(options[0]["cost"], 2),
            "keep_value": round(float(options[0].get("value", 0.0)), 6),
            "chosen": _option_summary(context.options[chosen_id], option_docs[chosen_id]),
        }
        if best_id is not None and best_id != chosen_id:
            best = _option_summary(context.options[best_id], option_docs[best_id])
            del best["capex"]  # not an action of the plan: only its cost and value are shown
            entry["best"] = best
        items[item_id] = entry
        agency = spend_by_agency.setdefault(context.agency_code, [0.0] * len(periods))
        for t, cost in enumerate(option_docs[chosen_id]["cost"]):
            agency[t] += float(cost)
    availability: dict[str, list[float] | None] = {
        "plan": _mean_per_period(generated.items, chosen, len(periods)),
        "do_nothing": _mean_per_period(generated.items, keep_of, len(periods)),
        "greedy": None,
    }
    baselines = plan.get("baselines") or {}
    greedy_choices = greedy_choices or (baselines.get("greedy") or {}).get("choices")
    if greedy_choices:
        greedy = {item_id: greedy_choices.get(item_id, keep_of[item_id]) for item_id in by_item}
        availability["greedy"] = _mean_per_period(generated.items, greedy, len(periods))
    return {
        "format": RESULT_FORMAT,
        "scenario": {**scenario, "budget_factor": budget_factor},
        "periods": periods,
        "budgets": {name: _numbers(values, 2) for name, values in document["budgets"].items()},
        "requirements": document.get("requirements") or {},
        "plan": {
            **plan,
            "baselines": {
                name: {key: value for key, value in figures.items() if key != "choices"}
                for name, figures in baselines.items()
            },
        },
        "items": items,
        "spend_by_agency": {code: _numbers(v, 2) for code, v in sorted(spend_by_agency.items())},
        "availability": availability,
    }


# --- what the pages read --------------------------------------------------------------------


def timing(action_year: int, due_year: float) -> Timing:
    """Early / on time / late: the action year against the end of design life (± 1 year)."""
    difference = action_year - due_year
    if difference < -ON_TIME_YEARS:
        return "early"
    if difference > ON_TIME_YEARS:
        return "late"
    return "on_time"


@dataclass(frozen=True)
class Action:
    """One action of the plan in one year."""

    year: int
    item_id: str
    equipment_id: int
    agency_code: str
    site_code: str | None
    type_code: str
    model_name: str
    kind: str
    capex: float
    due_year: int
    timing: Timing


@dataclass(frozen=True)
class YearActions:
    year: int
    actions: list[Action]
    capex: float


def plan_agencies(result: Mapping[str, Any]) -> list[str]:
    """The codes of the agencies whose items the plan holds, sorted."""
    return sorted({str(item["agency_code"]) for item in result["items"].values()})


def actions_by_year(result: Mapping[str, Any], agency: str | None = None) -> list[YearActions]:
    """The plan's actions grouped by year (of one agency's items when `agency` is given),
    with their capex and timing against design life.

    Design life ends at commissioning + design life (commissioning = first year − age at the
    start); a second replacement is due a design life after the first.
    """
    periods: list[int] = result["periods"]
    first_year = periods[0]
    by_year: dict[int, list[Action]] = {year: [] for year in periods}
    for item_id, item in result["items"].items():
        if agency is not None and item["agency_code"] != agency:
            continue
        option = item["chosen"]
        due = first_year - item["age_at_start"] + item["design_life_years"]
        for year in option["action_years"]:
            index = periods.index(year) if year in periods else None
            capex = option["capex"][index] if index is not None else 0.0
            by_year.setdefault(year, []).append(
                Action(
                    year=year,
                    item_id=item_id,
                    equipment_id=item["equipment_id"],
                    agency_code=item["agency_code"],
                    site_code=item["site_code"],
                    type_code=item["type_code"],
                    model_name=item["model_name"],
                    kind=option["kind"],
                    capex=capex,
                    due_year=round(due),
                    timing=timing(year, due),
                )
            )
            # Replaced: the next design life counts from this replacement.
            if option["kind"] in ("replace", "replace-twice"):
                due = year + item["design_life_years"]
    return [
        YearActions(
            year,
            sorted(found, key=lambda a: (a.agency_code, a.item_id)),
            sum(a.capex for a in found),
        )
        for year, found in sorted(by_year.items())
    ]


@dataclass(frozen=True)
class BudgetUse:
    """Spend against one budget in one year. `available` is the year's budget plus, with
    carry-over, what earlier years left unspent; `room` what the plan could still add in that
    year without any year (with carry-over: this one or a later one) going short."""

    budget: str
    year: int
    spend: float
    limit: float
    shadow_price: float
    tight: bool
    available: float
    room: float

    @property
    def share(self) -> float | None:
        return self.spend / self.available if self.available > 0 else None


def budget_title(name: str) -> str:
    """A budget's name for people, in their language: "total" and "agency:CODE" are the
    portfolio's keys for the total and an agency's budget."""
    if name == "total":
        return str(_l("Total budget"))
    if name.startswith("agency:"):
        return str(_l("Budget of %(agency)s", agency=name.removeprefix("agency:")))
    return name


def carries_over(result: Mapping[str, Any]) -> bool:
    """Unspent money moves on to the next year (the scenario's carry-over)."""
    return bool((result.get("scenario") or {}).get("carry_over"))


def budget_rows(result: Mapping[str, Any], name: str) -> list[BudgetUse]:
    """One budget in every year. Without carry-over a year has its own budget; with it, the
    money given up to a year minus the money spent up to it is what is left, and an extra
    cost in a year also uses up the room of every later year (the constraint is cumulative).
    Tight: spend ≥ 99.9 % of what is available, or a positive LP shadow price."""
    plan = result["plan"]
    limits = [float(v) for v in result["budgets"][name]]
    spent = [float(v) for v in ((plan.get("spend") or {}).get(name) or [0.0] * len(limits))]
    prices = (plan.get("shadow_prices") or {}).get(name) or [0.0] * len(limits)
    periods = result["periods"]
    if carries_over(result):
        given = list(accumulate(limits))
        left = [g - used for g, used in zip(given, accumulate(spent), strict=True)]
        available = [limit + (left[t - 1] if t else 0.0) for t, limit in enumerate(limits)]
        # The room in year t is the least left over in t and every later year.
        room = list(reversed(list(accumulate(reversed(left), min))))
    else:
        available = limits
        room = [limit - used for limit, used in zip(limits, spent, strict=True)]
    rows = []
    for t, year in enumerate(periods):
        shadow = float(prices[t] or 0.0)
        short = available[t] > 0 and room[t] <= (1 - TIGHT_SHARE) * available[t]
        tight = shadow > 1e-9 or short
        rows.append(
            BudgetUse(name, year, spent[t], limits[t], shadow, tight, available[t], room[t])
        )
    return rows


def budget_use(result: Mapping[str, Any]) -> list[BudgetUse]:
    """Every budget in every year: spend, the budget (and what is available with carry-over),
    its LP shadow price and whether it is tight (see budget_rows)."""
    return [row for name in result["budgets"] for row in budget_rows(result, name)]


def mean(values: Sequence[float] | None) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class Summary:
    """The headline figures of a finished run."""

    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    wall_seconds: float | None
    stopped: bool
    do_nothing_objective: float | None
    greedy_objective: float | None
    total_spend: float
    total_budget: float | None
    availability_plan: float | None
    availability_do_nothing: float | None
    availability_greedy: float | None
    items: int
    items_with_action: int
    budget_factor: float
    # Whether each baseline keeps every budget and coverage minimum (at tight budgets even
    # doing nothing may not); None in summaries stored before these were kept.
    do_nothing_feasible: bool | None = None
    greedy_feasible: bool | None = None


def _feasible(baseline: Mapping[str, Any] | None) -> bool | None:
    if not baseline or "feasible" not in baseline:
        return None
    return bool(baseline["feasible"])


def summary(result: Mapping[str, Any]) -> Summary:
    """Headline figures: solver status and gap, baselines, spend, mean availability."""
    plan = result["plan"]
    baselines = plan.get("baselines") or {}
    spend = plan.get("spend") or {}
    total_spend = sum(sum(v) for v in result["spend_by_agency"].values())
    total_budget = sum(result["budgets"]["total"]) if "total" in result["budgets"] else None
    availability = result["availability"]
    return Summary(
        status=plan.get("status", ""),
        objective=plan.get("objective"),
        bound=plan.get("bound"),
        gap=plan.get("gap"),
        wall_seconds=plan.get("wall_seconds"),
        stopped=bool(plan.get("stopped")),
        do_nothing_objective=(baselines.get("do_nothing") or {}).get("objective"),
        greedy_objective=(baselines.get("greedy") or {}).get("objective"),
        total_spend=total_spend if result["spend_by_agency"] else sum(spend.get("total", [])),
        total_budget=total_budget,
        availability_plan=mean(availability.get("plan")),
        availability_do_nothing=mean(availability.get("do_nothing")),
        availability_greedy=mean(availability.get("greedy")),
        items=len(result["items"]),
        items_with_action=sum(1 for i in result["items"].values() if i["chosen"]["kind"] != "keep"),
        budget_factor=float(result["scenario"].get("budget_factor", 1.0)),
        do_nothing_feasible=_feasible(baselines.get("do_nothing")),
        greedy_feasible=_feasible(baselines.get("greedy")),
    )
