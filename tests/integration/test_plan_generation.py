"""Scenario -> portfolio on both backends: the scope, the options and their years, costs with
inflation, availability from the reliability model fed by the records, values weighted by site,
the default coverage requirements, and the document the optimiser reads."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session

from equiplan.domain.optimiser import parse_portfolio, solve
from equiplan.domain.planning import (
    DEFAULT_MIN_AVAILABILITY_SHARE,
    OM_COST_FRACTION,
    REFURBISH_COST_FRACTION,
)
from equiplan.domain.reliability import ItemReliability, availability_by_year
from equiplan.models import BudgetScenario
from equiplan.services.errors import ValidationError
from equiplan.services.plan_generation import build_portfolio
from equiplan.services.plan_inputs import load_plan_inputs
from tests.factories import (
    make_agency,
    make_equipment,
    make_failure_code,
    make_model,
    make_site,
    make_type,
    make_work_order,
)

TODAY = date(2026, 6, 1)
FIRST_YEAR = 2027
UNIT_COST_EUROS = 200_000


def _fleet(session: Session) -> dict[str, Any]:
    border = make_agency(session, "PLB")
    customs = make_agency(session, "PLC", kind="customs")
    rpm = make_type(
        session,
        "PLRPM",
        design_life_years=6,
        typical_unit_cost_cents=UNIT_COST_EUROS * 100,
        prior_mtbf_hours=6000,
        prior_mttr_hours=4,
        logistics_delay_hours=48,
        weibull_beta=3.0,
        weibull_eta_factor=1.3,
    )
    prd = make_type(session, "PLPRD", typical_unit_cost_cents=150_000)
    model = make_model(session, rpm, end_of_support=date(2028, 1, 1))
    hand = make_model(session, prd)
    busy = make_site(session, border, code="PLMED", criticality=5)
    quiet = make_site(session, border, code="PLKEN", criticality=2)
    closed = make_site(session, border, code="PLOLD", status="closed")
    old = date(2018, 1, 1)
    items = {
        "failing": make_equipment(
            session, border, model, busy, inventory_no="PL-001", commissioned_on=old
        ),
        "sound": make_equipment(
            session, border, model, busy, inventory_no="PL-002", commissioned_on=old
        ),
        "young": make_equipment(
            session, border, model, quiet, inventory_no="PL-003", commissioned_on=date(2025, 3, 1)
        ),
        "closed": make_equipment(session, border, model, closed, inventory_no="PL-004"),
        "nowhere": make_equipment(session, border, model, None, inventory_no="PL-005"),
        "gone": make_equipment(
            session, border, model, busy, inventory_no="PL-006", status="decommissioned"
        ),
        "customs": make_equipment(session, customs, model, None, inventory_no="PL-007"),
        "hand": make_equipment(session, border, hand, busy, inventory_no="PL-008"),
    }
    code = make_failure_code(session, "PLF1")
    start = datetime(2021, 1, 1, tzinfo=UTC)
    # A long history of preventive work makes the records begin in 2021 for everybody.
    make_work_order(session, items["sound"], kind="preventive", status="done", opened_at=start)
    for month in range(8):
        broke = start + timedelta(days=180 * month + 30)
        make_work_order(
            session,
            items["failing"],
            failure_code_id=code.id,
            status="done",
            opened_at=broke,
            downtime_start=broke,
            downtime_end=broke + timedelta(hours=30),
            parts_cost_cents=300_000,
        )
    return {"items": items, "model": model, "busy": busy, "quiet": quiet}


def _scenario(session: Session, **fields: Any) -> BudgetScenario:
    horizon = fields.pop("horizon_years", 10)
    values: dict[str, Any] = {
        "name": "Plan test",
        "first_year": FIRST_YEAR,
        "horizon_years": horizon,
        "inflation_pct": Decimal("3.000"),
        "budgets": {"total": [50_000_000] * horizon, "agency:PLB": [40_000_000] * horizon},
        "agency_codes": ["PLB"],
        "type_codes": ["PLRPM"],
        **fields,
    }
    scenario = BudgetScenario(**values)
    session.add(scenario)
    session.commit()
    return scenario


def test_scope_budgets_and_default_requirements(session: Session) -> None:
    _fleet(session)
    generated = build_portfolio(session, _scenario(session), budget_factor=0.5, today=TODAY)
    document = generated.document
    assert document["format"] == "equiplan-portfolio/1"
    assert document["periods"] == [str(y) for y in range(2027, 2037)]
    assert generated.periods == tuple(range(2027, 2037))
    # Cents become euros, scaled by the budget factor.
    assert document["budgets"] == {"total": [250_000.0] * 10, "agency:PLB": [200_000.0] * 10}
    # Only the border guard's RPMs still in the register: not the decommissioned, the customs'
    # or the hand-held one.
    assert [item["id"] for item in document["items"]] == [
        "PL-001",
        "PL-002",
        "PL-003",
        "PL-004",
        "PL-005",
    ]
    assert all(item["budgets"] == ["agency:PLB"] for item in document["items"])
    # Default coverage: 90 % of what is installed today at the open sites; not the closed one.
    assert document["requirements"] == {
        "site:PLKEN/PLRPM": [round(1 * DEFAULT_MIN_AVAILABILITY_SHARE, 4)] * 10,
        "site:PLMED/PLRPM": [round(2 * DEFAULT_MIN_AVAILABILITY_SHARE, 4)] * 10,
    }
    by_id = {item["id"]: item for item in document["items"]}
    assert set(by_id["PL-001"]["options"][0]["provides"]) == {"site:PLMED/PLRPM"}
    assert "provides" not in by_id["PL-004"]["options"][0]  # a closed site needs nothing
    assert "provides" not in by_id["PL-005"]["options"][0]
    assert generated.items["PL-003"].site_code == "PLKEN"


def test_options_costs_and_values(session: Session) -> None:
    fleet = _fleet(session)
    scenario = _scenario(session, site_weights={"PLKEN": 4.5})
    generated = build_portfolio(session, scenario, today=TODAY)
    item = generated.items["PL-002"]
    document = next(i for i in generated.document["items"] if i["id"] == "PL-002")
    ids = [option["id"] for option in document["options"]]
    assert ids[0] == "keep"
    assert document["options"][0]["value"] == 0
    assert [i for i in ids if i.startswith("replace@") and "+" not in i] == [
        f"replace@{y}" for y in range(2027, 2037)
    ]
    # Design life 6 on a 10-year horizon: the second replacement 6 years after the first.
    assert [i for i in ids if "+" in i] == [f"replace@{y}+{y + 6}" for y in range(2027, 2031)]
    # Nine years old in 2027: old enough to refurbish in every year.
    assert [i for i in ids if i.startswith("refurbish")] == [
        f"refurbish@{y}" for y in range(2027, 2037)
    ]
    assert len(ids) == len(item.options) == 25
    # A young item is refurbished only from 40 % of its design life on (age 2.4): 1.8 years
    # old on 1 January 2027, 2.8 a year later.
    young = [o for o in generated.items["PL-003"].options if o.startswith("refurbish")]
    assert young == [f"refurbish@{y}" for y in range(2028, 2037)]

    replace = item.options["replace@2030"]
    assert replace.kind == "replace"
    assert replace.action_years == (2030,)
    inflated = UNIT_COST_EUROS * 1.03**3
    assert replace.capex[3] == pytest.approx(inflated, abs=0.01)
    assert sum(replace.capex) == pytest.approx(inflated, abs=0.01)
    cost = next(o for o in document["options"] if o["id"] == "replace@2030")["cost"]
    # The year's cost is the capex plus O&M plus the expected repairs, all inflated.
    assert cost[3] > inflated + UNIT_COST_EUROS * OM_COST_FRACTION * 1.03**3
    refurbish = item.options["refurbish@2029"]
    assert refurbish.capex[2] == pytest.approx(
        UNIT_COST_EUROS * REFURBISH_COST_FRACTION * 1.03**2, abs=0.01
    )
    twice = item.options["replace@2027+2033"]
    assert twice.kind == "replace-twice"
    assert twice.action_years == (2027, 2033)
    assert twice.capex[0] > 0
    assert twice.capex[6] > 0

    keep = item.options["keep"].availability
    # Old and past end of support: keeping gets worse every year; a new unit is better.
    assert all(later < earlier for earlier, later in zip(keep, keep[1:], strict=False))
    assert replace.availability[3] > keep[3]
    assert replace.availability[:3] == keep[:3]
    # Value = weight × Σ (A_option − A_keep); the busy site weighs its criticality 5.
    value = next(o for o in document["options"] if o["id"] == "replace@2030")["value"]
    gain = sum(a - k for a, k in zip(replace.availability, keep, strict=True))
    assert item.weight == 5.0
    assert value == pytest.approx(5.0 * gain, abs=1e-4)
    assert generated.items["PL-003"].weight == 4.5  # the scenario's weight for PLKEN
    assert generated.items["PL-005"].weight == 1.0  # no site
    assert fleet["items"]["sound"].id == item.equipment_id


def test_records_move_the_failure_rate(session: Session) -> None:
    _fleet(session)
    generated = build_portfolio(session, _scenario(session), today=TODAY)
    failing = generated.items["PL-001"].options["keep"].availability
    sound = generated.items["PL-002"].options["keep"].availability
    # Same model and age; eight failures in the records make one of them worse every year.
    assert all(f < s for f, s in zip(failing, sound, strict=True))
    # A new unit runs at the model's rate: the same whichever item it replaces.
    assert (
        generated.items["PL-001"].options["replace@2027"].availability[0]
        == generated.items["PL-002"].options["replace@2027"].availability[0]
    )


def test_keep_matches_the_reliability_model(session: Session) -> None:
    fleet = _fleet(session)
    inputs = load_plan_inputs(
        session, agency_codes=["PLB"], type_codes=["PLRPM"], first_year=FIRST_YEAR, today=TODAY
    )
    row = [i.inventory_no for i in inputs.items].index("PL-002")
    model = inputs.models[fleet["model"].id]
    assert inputs.records_start == date(2021, 1, 1)
    # The model's repairs took 30 h each (8 of them): measured MTTR replaces the priors.
    assert model.observed_mttr_hours == pytest.approx(30.0)
    reliability = ItemReliability(
        commissioned_on=date(2018, 1, 1),
        lambda0=float(inputs.fleet.lambda0[row]),
        beta=model.parameters.beta,
        eta=model.parameters.eta,
        prior_mttr_hours=4,
        logistics_delay_hours=48,
        observed_mttr_hours=model.observed_mttr_hours,
        end_of_support=date(2028, 1, 1),
    )
    expected = availability_by_year(reliability, range(2027, 2037))
    generated = build_portfolio(session, _scenario(session), today=TODAY)
    keep = generated.items["PL-002"].options["keep"].availability
    assert keep == pytest.approx(expected, abs=1e-5)


def test_given_requirements_and_short_horizon(session: Session) -> None:
    _fleet(session)
    scenario = _scenario(
        session,
        horizon_years=3,
        carry_over=True,
        requirements={"site:PLMED/PLRPM": [1.5, 1.5, 1.8]},
        agency_codes=[],
        type_codes=[],
    )
    generated = build_portfolio(session, scenario, today=TODAY)
    document = generated.document
    assert document["carry_over"] is True
    assert document["requirements"] == {"site:PLMED/PLRPM": [1.5, 1.5, 1.8]}
    ids = {item["id"] for item in document["items"]}
    assert ids == {"PL-001", "PL-002", "PL-003", "PL-004", "PL-005", "PL-007", "PL-008"}
    options = generated.items["PL-001"].options
    assert not any(o.kind == "replace-twice" for o in options.values())  # a short horizon
    # The hand-held unit at the same site counts towards no requirement of its type.
    hand = next(i for i in document["items"] if i["id"] == "PL-008")
    assert "provides" not in hand["options"][0]


def test_nothing_in_scope_is_a_clear_error(session: Session) -> None:
    _fleet(session)
    scenario = _scenario(session, agency_codes=["PLC"], type_codes=["PLPRD"])
    with pytest.raises(ValidationError) as raised:
        build_portfolio(session, scenario, today=TODAY)
    assert "scope" in raised.value.errors


def test_budget_lists_must_match_the_horizon(session: Session) -> None:
    _fleet(session)
    scenario = _scenario(session, budgets={"total": [1, 2]})
    with pytest.raises(ValidationError) as raised:
        build_portfolio(session, scenario, today=TODAY)
    assert "budgets" in raised.value.errors


def test_the_optimiser_reads_and_solves_the_document(session: Session) -> None:
    _fleet(session)
    document = build_portfolio(session, _scenario(session), today=TODAY).document
    _check_shape(document)
    portfolio = parse_portfolio(json.loads(json.dumps(document)))
    assert [item.id for item in portfolio.items] == [item["id"] for item in document["items"]]
    plan = solve(portfolio, time_limit=10.0, workers=1).to_json()
    assert plan["status"] == "OPTIMAL"
    # The default minimums hold, and the money is spent where it buys availability: the old,
    # failing lanes at the busy site are renewed.
    assert all(slack >= -1e-6 for slacks in plan["slack"].values() for slack in slacks)
    assert plan["choices"]["PL-001"] != "keep"
    assert plan["objective"] > 0


def _check_shape(document: dict[str, Any]) -> None:
    """The shape rules of equiplan-portfolio/1 (optimiser.md), checked independently."""
    periods = len(document["periods"])
    for key, amounts in {**document["budgets"], **document["requirements"]}.items():
        assert len(amounts) == periods, key
    for item in document["items"]:
        assert item["options"][0]["id"] == "keep"
        assert all(budget in document["budgets"] for budget in item["budgets"])
        seen = set()
        for option in item["options"]:
            assert option["id"] not in seen
            seen.add(option["id"])
            assert len(option["cost"]) == periods
            assert all(c >= 0 for c in option["cost"])
            assert isinstance(option["value"], float | int)
            for key, provided in option.get("provides", {}).items():
                assert key in document["requirements"]
                assert len(provided) == periods
                assert all(0 <= a <= 1 for a in provided)


def test_scenarios_are_created_copied_and_deleted_with_their_runs(session: Session) -> None:
    from equiplan.models import OptimisationRun
    from equiplan.services import scenarios
    from equiplan.services.errors import Conflict

    _fleet(session)
    created = scenarios.create_scenario(
        session,
        name="Round trip",
        first_year=FIRST_YEAR,
        horizon_years=2,
        inflation_pct="2,5",
        budgets={"total": [100, 200], "agency:PLB": [50, 50]},
        requirements={"site:PLMED/PLRPM": [1, 1.5]},
        site_weights={"PLMED": 4},
        agency_codes=["PLB"],
    )
    assert created.inflation_pct == Decimal("2.500")
    changed = scenarios.update_scenario(session, created.id, version=1, carry_over=True)
    assert changed.version == 2
    with pytest.raises(Conflict):
        scenarios.update_scenario(session, created.id, version=1, carry_over=False)
    copy = scenarios.copy_scenario(session, created.id)
    assert copy.name == "Round trip (copy)"
    assert copy.copied_from_id == created.id
    document = scenarios.scenario_portfolio(session, copy.id, today=TODAY).document
    assert document["budgets"] == {"total": [1.0, 2.0], "agency:PLB": [0.5, 0.5]}
    session.add(OptimisationRun(scenario_id=created.id, status="done"))
    session.add(OptimisationRun(scenario_id=created.id, status="failed"))
    session.commit()
    scenarios.delete_scenario(session, created.id, version=2)
    session.expire_all()
    assert session.get(BudgetScenario, created.id) is None
    assert session.get_one(BudgetScenario, copy.id).copied_from_id is None
    assert scenarios.run_counts(session, created.id) == {}
