"""Review fixes of plan generation, on both backends: items in storage are not "installed
today", a unit cost of 0 is refused, a fitted wear-out law is the one taken out of the failure
counts, and the download variant (no contexts, streamed) writes the same document."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from equiplan.domain.optimiser import parse_portfolio
from equiplan.domain.planning import DEFAULT_MIN_AVAILABILITY_SHARE
from equiplan.domain.reliability import baseline_rate, wear_out_failures, years_between
from equiplan.domain.weibull import prior_weibull
from equiplan.models import BudgetScenario, Equipment
from equiplan.services.errors import ValidationError
from equiplan.services.plan_generation import build_portfolio, document_chunks
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


def _scenario(session: Session, **fields: Any) -> BudgetScenario:
    values: dict[str, Any] = {
        "name": "Fix test",
        "first_year": FIRST_YEAR,
        "horizon_years": 4,
        "inflation_pct": Decimal("2.000"),
        "budgets": {"total": [50_000_000] * 4},
        "agency_codes": ["FXB"],
        **fields,
    }
    scenario = BudgetScenario(**values)
    session.add(scenario)
    session.commit()
    return scenario


def _site_with_items(session: Session, statuses: list[str], unit_cost: int = 20_000_000) -> None:
    border = make_agency(session, "FXB")
    kind = make_type(session, "FXRPM", typical_unit_cost_cents=unit_cost, design_life_years=8)
    model = make_model(session, kind, name="Portal 9")
    site = make_site(session, border, code="FXMED", criticality=4)
    for number, status in enumerate(statuses, start=1):
        make_equipment(
            session,
            border,
            model,
            site,
            inventory_no=f"FX-{number:03d}",
            status=status,
            commissioned_on=date(2019, 1, 1),
        )


def test_items_in_storage_are_not_installed_today(session: Session) -> None:
    _site_with_items(session, ["in_service", "out_of_service", "in_storage"])
    generated = build_portfolio(session, _scenario(session), today=TODAY)
    document = generated.document
    # Two units stand at the site (one of them broken): the stored one is a spare.
    assert document["requirements"] == {
        "site:FXMED/FXRPM": [round(2 * DEFAULT_MIN_AVAILABILITY_SHARE, 4)] * 4
    }
    by_id = {item["id"]: item for item in document["items"]}
    assert set(by_id) == {"FX-001", "FX-002", "FX-003"}
    # The broken unit is installed: it provides what the model expects of it.
    assert all("provides" in option for option in by_id["FX-002"]["options"])
    # The spare provides nothing, and renewing it buys no value.
    assert all("provides" not in option for option in by_id["FX-003"]["options"])
    assert {option["value"] for option in by_id["FX-003"]["options"]} == {0}
    assert generated.items["FX-003"].weight == 0.0
    assert generated.items["FX-002"].weight == 4.0


def test_a_unit_cost_of_zero_is_refused_with_the_model_named(session: Session) -> None:
    _site_with_items(session, ["in_service"], unit_cost=0)
    for item in session.execute(select(Equipment)).scalars():
        item.acquisition_cost_cents = 0
    session.commit()
    with pytest.raises(ValidationError) as raised:
        build_portfolio(session, _scenario(session), today=TODAY)
    message = raised.value.errors["scope"]
    assert "FXRPM" in message
    assert "Portal 9" in message
    assert "typical unit cost" in message


def test_the_acquisition_cost_stands_in_for_a_missing_typical_cost(session: Session) -> None:
    _site_with_items(session, ["in_service"], unit_cost=0)
    generated = build_portfolio(session, _scenario(session), today=TODAY)
    replace = generated.items["FX-001"].options[f"replace@{FIRST_YEAR}"]
    assert replace.capex[0] == pytest.approx(1_000.0)  # the factory's 100,000 cents


def _worn_fleet(session: Session) -> tuple[Any, list[Any]]:
    """30 units commissioned when the records begin; 27 fail first at 3 to 4 years of age,
    far earlier than the type's priors say (η = 4 × 8 years): enough for a fit."""
    border = make_agency(session, "FXB")
    kind = make_type(
        session,
        "FXRPM",
        typical_unit_cost_cents=20_000_000,
        design_life_years=8,
        prior_mtbf_hours=200_000,
        weibull_beta=3.0,
        weibull_eta_factor=4.0,
    )
    model = make_model(session, kind)
    site = make_site(session, border, code="FXMED")
    since = date(2016, 1, 1)
    items = [
        make_equipment(
            session, border, model, site, inventory_no=f"FX-{n:03d}", commissioned_on=since
        )
        for n in range(30)
    ]
    start = datetime(2016, 1, 1, tzinfo=UTC)
    make_work_order(session, items[0], kind="preventive", status="done", opened_at=start)
    code = make_failure_code(session, "FXF1")
    for n, item in enumerate(items[:27]):
        broke = start + timedelta(days=round(365.25 * (3.0 + 0.03 * n)))
        make_work_order(session, item, failure_code_id=code.id, status="done", opened_at=broke)
    return kind, items


def test_a_fitted_wear_out_law_is_taken_out_of_the_failure_counts(session: Session) -> None:
    kind, _items = _worn_fleet(session)
    inputs = load_plan_inputs(
        session, agency_codes=["FXB"], type_codes=[], first_year=FIRST_YEAR, today=TODAY
    )
    [law] = inputs.models.values()
    assert law.parameters.source == "fitted"
    exposure = years_between(date(2016, 1, 1), TODAY)

    def rates(beta: float, eta: float) -> tuple[float, float]:
        """(a failed unit's λ0, a new unit's λ0) with the wear-out of (β, η) taken out."""
        each = wear_out_failures(0.0, exposure, beta, eta)
        pooled = {
            "model_failures": 27.0,
            "model_exposure_years": 30 * exposure,
            "model_expected_wear_out": 30 * each,
        }
        item = baseline_rate(kind.prior_mtbf_hours, 1.0, exposure, expected_wear_out=each, **pooled)
        return item, baseline_rate(kind.prior_mtbf_hours, 0.0, 0.0, **pooled)

    fitted = rates(law.parameters.beta, law.parameters.eta)
    row = [item.inventory_no for item in inputs.items].index("FX-000")
    assert float(inputs.fleet.lambda0[row]) == pytest.approx(fitted[0], rel=1e-9)
    assert float(inputs.fleet.new_lambda0[row]) == pytest.approx(fitted[1], rel=1e-9)
    assert law.lambda0 == pytest.approx(fitted[1], rel=1e-9)
    # What the priors' law would have given (the defect) is a different rate.
    prior = prior_weibull(3.0, 4.0, 8)
    assert rates(prior.beta, prior.eta)[0] != pytest.approx(fitted[0], rel=1e-3)


def test_the_download_is_the_same_document_without_contexts(session: Session) -> None:
    _site_with_items(session, ["in_service"] * 450)
    scenario = _scenario(session)
    full = build_portfolio(session, scenario, today=TODAY)
    bare = build_portfolio(session, scenario, today=TODAY, contexts=False)
    assert bare.items == {}
    assert len(full.items) == 450
    assert bare.document == full.document
    pieces = list(document_chunks(bare.document))
    assert len(pieces) > 3  # streamed a few hundred items at a time
    text = "".join(pieces)
    assert text.startswith('{"format":"equiplan-portfolio/1",')  # compact
    assert json.loads(text) == full.document
    parse_portfolio(json.loads(text))
