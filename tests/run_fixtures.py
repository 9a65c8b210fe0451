"""A small fleet and a budget scenario to run the optimiser on (integration, web, API tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from equiplan.models import Agency, BudgetScenario, Equipment, OptimisationRun
from tests.factories import make_equipment, make_model, make_site, make_type

FIRST_YEAR = 2027
HORIZON = 5
# Ages at the start differ so that the items compete for the money: the oldest gain most.
COMMISSIONED = (date(2012, 3, 1), date(2015, 6, 1), date(2018, 1, 1), date(2024, 5, 1))
# Per year, in cents: enough to keep everything and replace about one item over the horizon.
YEARLY_BUDGET_CENTS = 1_200_000


@dataclass
class Planned:
    scenario: BudgetScenario
    items: list[Equipment]


def make_scenario(session: Session, **fields: Any) -> BudgetScenario:
    """A scenario over FIRST_YEAR..FIRST_YEAR+HORIZON-1 with a yearly total budget."""
    defaults: dict[str, Any] = {
        "name": f"Runs test {FIRST_YEAR}",
        "first_year": FIRST_YEAR,
        "horizon_years": HORIZON,
        "budgets": {"total": [YEARLY_BUDGET_CENTS] * HORIZON},
        "requirements": {},
        "agency_codes": [],
        "type_codes": [],
        "site_weights": {},
    }
    scenario = BudgetScenario(**{**defaults, **fields})
    session.add(scenario)
    session.commit()
    return scenario


def make_planned_fleet(session: Session, agency: Agency, **scenario_fields: Any) -> Planned:
    """Four RPMs of one model at one site of `agency`, and a scenario covering them."""
    site = make_site(session, agency, criticality=4)
    rpm = make_type(session, design_life_years=10, typical_unit_cost_cents=2_000_000)
    model = make_model(session, rpm)
    items = [
        make_equipment(
            session,
            agency,
            model,
            site,
            commissioned_on=day,
            acquisition_cost_cents=2_000_000,
        )
        for day in COMMISSIONED
    ]
    fields = {"agency_codes": [agency.code], "type_codes": [rpm.code], **scenario_fields}
    return Planned(make_scenario(session, **fields), items)


def make_run(session: Session, scenario: BudgetScenario, **fields: Any) -> OptimisationRun:
    """A run row as stored (queued unless `status` says otherwise)."""
    run = OptimisationRun(scenario_id=scenario.id, time_limit_seconds=5, **fields)  # type: ignore[arg-type]
    session.add(run)
    session.commit()
    return run


# --- a finished run's stored result, made by the result builder from a small known portfolio
# (for page and API tests that need results without solving; the integration tests solve).

EXAMPLE_YEARS = (2027, 2028, 2029)


def _option(
    option_id: str,
    kind: str,
    years: tuple[int, ...],
    cost: list[float],
    value: float,
    availability: list[float],
    capex: list[float],
) -> tuple[dict[str, Any], Any]:
    from equiplan.services.plan_generation import OptionContext

    document = {"id": option_id, "cost": cost, "value": value}
    context = OptionContext(option_id, kind, years, tuple(capex), tuple(availability))
    return document, context


def example_result() -> dict[str, Any]:
    """Three items, three years, a total budget of 9,000 € a year, all spent in 2027: EQ-OLD
    is replaced in 2027; EQ-WAIT's 2027 replacement would gain more but does not fit beside it
    (deferred: 8,600 € more in 2027 would fund it); EQ-NEW has nothing worth doing."""
    from equiplan.services.plan_generation import GeneratedPortfolio, ItemContext
    from equiplan.services.plan_results import stored_result

    items = {
        "EQ-OLD": (
            "VSAT",
            2.0,
            12.0,
            [
                _option("keep", "keep", (), [500, 600, 700], 0.0, [0.90, 0.85, 0.80], [0, 0, 0]),
                _option(
                    "replace@2027",
                    "replace",
                    (2027,),
                    [8500, 100, 100],
                    0.3,
                    [0.99, 0.99, 0.99],
                    [8400, 0, 0],
                ),
            ],
        ),
        "EQ-WAIT": (
            "MUIT",
            3.0,
            11.0,
            [
                _option("keep", "keep", (), [400, 500, 600], 0.0, [0.92, 0.88, 0.84], [0, 0, 0]),
                _option(
                    "replace@2027",
                    "replace",
                    (2027,),
                    [9000, 100, 100],
                    0.5,
                    [0.99, 0.99, 0.99],
                    [8900, 0, 0],
                ),
            ],
        ),
        "EQ-NEW": (
            "VSAT",
            1.0,
            2.0,
            [
                _option("keep", "keep", (), [100, 100, 100], 0.0, [0.99, 0.99, 0.99], [0, 0, 0]),
                _option(
                    "refurbish@2027",
                    "refurbish",
                    (2027,),
                    [900, 100, 100],
                    0.0,
                    [0.99, 0.99, 0.99],
                    [800, 0, 0],
                ),
            ],
        ),
    }
    documents, contexts = [], {}
    for number, (item_id, (agency, weight, age, options)) in enumerate(items.items(), 1):
        documents.append({"id": item_id, "budgets": [], "options": [d for d, _ in options]})
        contexts[item_id] = ItemContext(
            item_id=item_id,
            equipment_id=number,
            agency_code=agency,
            site_code="MED",
            type_code="RPM",
            model_name="Model X",
            age_at_start=age,
            design_life_years=10,
            weight=weight,
            options={c.option_id: c for _, c in options},
        )
    generated = GeneratedPortfolio(
        document={
            "format": "equiplan-portfolio/1",
            "periods": [str(y) for y in EXAMPLE_YEARS],
            "budgets": {"total": [9_000.0, 9_000.0, 9_000.0]},
            "requirements": {},
            "items": documents,
        },
        items=contexts,
        periods=EXAMPLE_YEARS,
    )
    plan = {
        "format": "equiplan-plan/1",
        "status": "OPTIMAL",
        "objective": 0.3,
        "bound": 0.3,
        "gap": 0.0,
        "wall_seconds": 0.01,
        "choices": {"EQ-OLD": "replace@2027", "EQ-WAIT": "keep", "EQ-NEW": "keep"},
        "spend": {"total": [9000.0, 700.0, 800.0]},
        "slack": {},
        "baselines": {
            "do_nothing": {"objective": 0.0, "feasible": True},
            "greedy": {"objective": 0.0, "feasible": True},
        },
        "stopped": False,
        "shadow_prices": {"total": [0.00004, 0.0, 0.0]},
        "requirement_prices": {},
        "solver": {},
    }
    scenario = {"id": 1, "name": "Example", "first_year": 2027, "horizon_years": 3}
    return stored_result(generated, plan, scenario, 1.0, greedy_choices=plan["choices"])


def make_finished_run(session: Session, scenario: BudgetScenario, **fields: Any) -> OptimisationRun:
    """A run that ended "done" with the example result, or `result`, and its summary stored."""
    from equiplan.services.plan_summary import result_summary

    result = fields.pop("result", None) or example_result()
    fields.setdefault("summary", result_summary(result))
    return make_run(
        session,
        scenario,
        status="done",
        progress=1.0,
        objective=result["plan"]["objective"],
        bound=result["plan"]["bound"],
        gap=0.0,
        result=result,
        **fields,
    )
