"""A scenario becomes a portfolio: the `equiplan-portfolio/1` document the optimiser solves,
built from the live records (docs/planning.md).

`build_portfolio` reads the items in the scenario's scope and their records
(`plan_inputs.load_plan_inputs`), lets `domain/planning.py` work out every option's cost and
availability per year for the whole fleet at once, and writes the document: budgets in euros
(the scenario stores cents), the coverage requirements (the scenario's, or the default: a share
of what is installed today at every open site), and per item its options with their cost,
value and what they provide. Alongside it comes the same in plain objects (`ItemContext`,
`OptionContext`) for the pages that explain a plan.
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from equiplan.domain.planning import (
    DEFAULT_MIN_AVAILABILITY_SHARE,
    Fleet,
    OptionBlock,
    option_blocks,
)
from equiplan.models import BudgetScenario
from equiplan.services.errors import ValidationError
from equiplan.services.plan_inputs import ItemFacts, PlanInputs, load_plan_inputs

PORTFOLIO_FORMAT = "equiplan-portfolio/1"
# The options of this many items are worked out at once: the arrays of a block stay small
# (a few MB) whatever the size of the fleet.
CHUNK_ITEMS = 4000
# Availabilities and values are written with this many decimals; money to the cent.
AVAILABILITY_DECIMALS = 6
VALUE_DECIMALS = 6
# An item at no site, or at a site the scenario does not weigh and that has no criticality.
DEFAULT_WEIGHT = 1.0
# A unit in storage serves no lane: renewing it buys no coverage, so no value either (it stays
# in the portfolio because it still costs its upkeep).
STORED_WEIGHT = 0.0
# The portfolio file is written this many items at a time (a few hundred kB per piece).
ITEMS_PER_CHUNK = 200


@dataclass(frozen=True)
class OptionContext:
    option_id: str  # e.g. "keep", "refurbish@2029", "replace@2031", "replace@2028+2040"
    kind: str  # "keep" | "refurbish" | "replace" | "replace-twice" | "retire"
    action_years: tuple[int, ...]
    capex: tuple[float, ...]  # euros per period (inflated), the action part of the cost
    availability: tuple[float, ...]  # expected availability per period (0..1)


@dataclass(frozen=True)
class ItemContext:
    item_id: str  # the portfolio item id = equipment inventory number
    equipment_id: int
    agency_code: str
    site_code: str | None
    type_code: str
    model_name: str
    age_at_start: float  # years at the start of the first period
    design_life_years: int
    weight: float  # criticality weight used for its value
    options: dict[str, OptionContext]


@dataclass(frozen=True)
class GeneratedPortfolio:
    document: dict[str, Any]  # the equiplan-portfolio/1 JSON document
    items: dict[str, ItemContext]
    periods: tuple[int, ...]  # the years


def requirement_key(site_code: str, type_code: str) -> str:
    """The requirement a unit of `type_code` at `site_code` counts towards."""
    return f"site:{site_code}/{type_code}"


def agency_budget_key(agency_code: str) -> str:
    """The budget an agency's items count against (besides the total)."""
    return f"agency:{agency_code}"


def _euro_budgets(scenario: BudgetScenario, horizon: int, factor: float) -> dict[str, list[float]]:
    budgets: dict[str, list[float]] = {}
    for key, cents in (scenario.budgets or {}).items():
        if not isinstance(cents, list) or len(cents) != horizon:
            raise ValidationError(
                {"budgets": _l("Budget %(key)s needs one amount per year.", key=key)}
            )
        budgets[key] = [round(int(c) * factor / 100.0, 2) for c in cents]
    if "total" not in budgets:
        raise ValidationError({"budgets": _l("Give the total budget of every year.")})
    return budgets


def default_requirements(items: list[ItemFacts], horizon: int) -> dict[str, list[float]]:
    """At every open site, for every type in scope installed there: the share
    DEFAULT_MIN_AVAILABILITY_SHARE of the units installed there today (not those in storage),
    expected working every year."""
    installed = Counter(
        requirement_key(item.site_code, item.type_code)
        for item in items
        if item.site_code is not None and item.site_open and item.installed
    )
    return {
        key: [round(count * DEFAULT_MIN_AVAILABILITY_SHARE, 4)] * horizon
        for key, count in sorted(installed.items())
    }


def _requirements(scenario: BudgetScenario, items: list[ItemFacts], horizon: int) -> Any:
    given = scenario.requirements or {}
    if not given:
        return default_requirements(items, horizon)
    requirements: dict[str, list[float]] = {}
    for key, minimums in given.items():
        if not isinstance(minimums, list) or len(minimums) != horizon:
            raise ValidationError(
                {"requirements": _l("Requirement %(key)s needs one minimum per year.", key=key)}
            )
        requirements[key] = [float(value) for value in minimums]
    return requirements


def _weight(scenario: BudgetScenario, item: ItemFacts) -> float:
    if not item.installed:
        return STORED_WEIGHT
    if item.site_code is None:
        return DEFAULT_WEIGHT
    weights = scenario.site_weights or {}
    if item.site_code in weights:
        return float(weights[item.site_code])
    return float(item.site_criticality or DEFAULT_WEIGHT)


def _option_ids(
    block: OptionBlock, rows: list[int], first_year: int
) -> list[tuple[str, tuple[int, ...]]]:
    """The option id and action years of `block` for each of `rows`."""
    if block.kind == "keep":
        return [("keep", ())] * len(rows)
    year = first_year + block.first
    if block.kind != "replace-twice":
        return [(f"{block.kind}@{year}", (year,))] * len(rows)
    seconds = (block.second[rows] + first_year).tolist()
    return [(f"replace@{year}+{second}", (year, second)) for second in seconds]


def _capex(block: OptionBlock, rows: list[int], horizon: int) -> list[tuple[float, ...]]:
    """The action cost per period of `block` for each of `rows` (zero outside its years)."""
    capex = np.zeros((len(rows), horizon))
    if block.first >= 0:
        capex[:, block.first] = block.capex_first[rows]
    twice = np.nonzero(block.second[rows] >= 0)[0]
    capex[twice, block.second[rows][twice]] = block.capex_second[rows][twice]
    return [tuple(row) for row in np.round(capex, 2).tolist()]


def _chunk(fleet: Fleet, start: int, stop: int) -> Fleet:
    return Fleet(**{name: getattr(fleet, name)[start:stop] for name in fleet.__dataclass_fields__})


@dataclass
class _Item:
    """An item's document and context as its options are added, block by block."""

    facts: ItemFacts
    weight: float
    provides_key: str | None
    document: dict[str, Any]
    options: dict[str, OptionContext]


def _add_options(
    pending: list[_Item],
    fleet: Fleet,
    horizon: int,
    inflation: float,
    first_year: int,
    contexts: bool,
) -> None:
    keep_availability: np.ndarray[Any, Any] | None = None
    weights = np.array([item.weight for item in pending])
    for block in option_blocks(fleet, horizon, inflation):
        if keep_availability is None:
            keep_availability = block.availability
        gain = (block.availability - keep_availability).sum(axis=1) * weights
        availability = np.round(block.availability, AVAILABILITY_DECIMALS).tolist()
        cost = np.round(block.cost, 2).tolist()
        value = np.round(gain, VALUE_DECIMALS).tolist()
        rows = np.nonzero(block.offered)[0].tolist()
        ids = _option_ids(block, rows, first_year)
        for row, (option_id, _years) in zip(rows, ids, strict=True):
            item = pending[row]
            option: dict[str, Any] = {"id": option_id, "cost": cost[row], "value": value[row]}
            if item.provides_key is not None:
                option["provides"] = {item.provides_key: availability[row]}
            item.document["options"].append(option)
        if not contexts:
            continue
        capex = _capex(block, rows, horizon)
        for row, (option_id, years), spend in zip(rows, ids, capex, strict=True):
            pending[row].options[option_id] = OptionContext(
                option_id, block.kind, years, spend, tuple(availability[row])
            )


def _require_unit_costs(inputs: PlanInputs) -> None:
    """Refuse items whose type has no typical unit cost and that have no acquisition cost:
    every replacement of theirs would be free and always chosen."""
    free = sorted(
        {
            (item.type_code, item.model_name)
            for item, cost in zip(inputs.items, inputs.fleet.unit_cost.tolist(), strict=True)
            if cost <= 0
        }
    )
    if free:
        named = "; ".join(f"{type_code} {model}" for type_code, model in free[:10])
        raise ValidationError(
            {
                "scope": _l(
                    "No unit cost is known for %(count)d model(s): %(models)s. Give their "
                    "equipment type a typical unit cost (or the items their acquisition cost), "
                    "or leave them out of the scenario's scope.",
                    count=len(free),
                    models=named[:400],
                )
            }
        )


def document_chunks(document: dict[str, Any]) -> Iterator[str]:
    """The portfolio document as compact JSON, a few hundred items per piece: for a download
    that starts at once and never holds the whole text (100 MB for the full fleet)."""
    head = {name: value for name, value in document.items() if name != "items"}
    # The head is never empty (it has the format), so it ends in "}" to reopen.
    yield _compact(head)[:-1] + ',"items":['
    items = document["items"]
    for start in range(0, len(items), ITEMS_PER_CHUNK):
        piece = ",".join(_compact(item) for item in items[start : start + ITEMS_PER_CHUNK])
        yield ("," if start else "") + piece
    yield "]}"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def build_portfolio(
    session: Session,
    scenario: BudgetScenario,
    *,
    budget_factor: float = 1.0,
    today: date | None = None,
    contexts: bool = True,
) -> GeneratedPortfolio:
    """The portfolio of `scenario` from today's records, budgets scaled by `budget_factor`;
    with `contexts` False only the document (its `items` is then empty: for a download).

    Raises ValidationError when nothing is in scope, when items in scope have no unit cost
    (replacing them would be free), or when the scenario's budgets or requirements do not have
    one number per year (the scenario pages prevent that).
    """
    today = today or date.today()
    horizon, first_year = scenario.horizon_years, scenario.first_year
    periods = tuple(range(first_year, first_year + horizon))
    budgets = _euro_budgets(scenario, horizon, budget_factor)
    inputs: PlanInputs = load_plan_inputs(
        session,
        agency_codes=list(scenario.agency_codes or []),
        type_codes=list(scenario.type_codes or []),
        first_year=first_year,
        today=today,
    )
    if not inputs.items:
        raise ValidationError(
            {"scope": _l("No equipment is in this scenario's scope: widen its agencies or types.")}
        )
    _require_unit_costs(inputs)
    requirements = _requirements(scenario, inputs.items, horizon)
    inflation = float(scenario.inflation_pct or 0) / 100.0
    pending = []
    for facts in inputs.items:
        key = None
        if facts.site_code is not None and facts.installed:
            candidate = requirement_key(facts.site_code, facts.type_code)
            key = candidate if candidate in requirements else None
        agency_budget = agency_budget_key(facts.agency_code)
        entry: dict[str, Any] = {
            "id": facts.inventory_no,
            "budgets": [agency_budget] if agency_budget in budgets else [],
            "options": [],
        }
        pending.append(_Item(facts, _weight(scenario, facts), key, entry, {}))
    # Hundreds of thousands of small lists and dicts: the cyclic garbage collector would scan
    # them again and again while they are made (they hold no cycles), doubling the time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for start in range(0, len(pending), CHUNK_ITEMS):
            stop = min(start + CHUNK_ITEMS, len(pending))
            chunk = _chunk(inputs.fleet, start, stop)
            _add_options(pending[start:stop], chunk, horizon, inflation, first_year, contexts)
    finally:
        if collecting:
            gc.enable()
    document: dict[str, Any] = {
        "format": PORTFOLIO_FORMAT,
        "name": scenario.name,
        "periods": [str(year) for year in periods],
        "budgets": budgets,
        "carry_over": bool(scenario.carry_over),
        "requirements": requirements,
        "items": [item.document for item in pending],
        # Not read by the optimiser; they say where the file came from.
        "scenario_id": scenario.id,
        "generated_on": today.isoformat(),
        "budget_factor": budget_factor,
        "inflation_pct": float(scenario.inflation_pct or 0),
    }
    contexts = {
        item.facts.inventory_no: ItemContext(
            item_id=item.facts.inventory_no,
            equipment_id=item.facts.equipment_id,
            agency_code=item.facts.agency_code,
            site_code=item.facts.site_code,
            type_code=item.facts.type_code,
            model_name=item.facts.model_name,
            age_at_start=item.facts.age_at_start,
            design_life_years=item.facts.design_life_years,
            weight=item.weight,
            options=item.options,
        )
        for item in pending
        if contexts
    }
    return GeneratedPortfolio(document=document, items=contexts, periods=periods)
