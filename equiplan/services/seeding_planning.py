"""The demo's planning scenario: ten years from next year with budgets of the demo fleet's
order of magnitude, so that a planner can open it, export its portfolio and run it at once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import Agency, BudgetScenario

DEMO_SCENARIO_NAME = "Demo: ten-year baseline"
DEMO_HORIZON_YEARS = 10
# Euros per year (stored in cents): the demo fleet is worth some €15 million to replace; this
# buys its running costs and a steady share of the renewals, not all of them at once.
DEMO_TOTAL_BUDGET_EUROS = 1_500_000
DEMO_AGENCY_BUDGETS_EUROS = {"VSAT": 900_000}
# The busiest lanes weigh a little more than their criticality (5) says.
DEMO_SITE_WEIGHTS = {"MED": 6.0}


def ensure_demo_scenario(session: Session, today: date) -> bool:
    """Add the demo scenario unless a scenario of its name exists; True when it was added.
    Agencies missing from the reference data get no budget of their own."""
    exists = session.execute(
        select(BudgetScenario.id).where(BudgetScenario.name == DEMO_SCENARIO_NAME)
    ).first()
    if exists:
        return False
    codes = set(session.execute(select(Agency.code)).scalars())
    budgets = {"total": [DEMO_TOTAL_BUDGET_EUROS * 100] * DEMO_HORIZON_YEARS}
    for code, euros in DEMO_AGENCY_BUDGETS_EUROS.items():
        if code in codes:
            budgets[f"agency:{code}"] = [euros * 100] * DEMO_HORIZON_YEARS
    session.add(
        BudgetScenario(
            name=DEMO_SCENARIO_NAME,
            description="Every agency and type; coverage minimums by default (90 % of the "
            "units installed today at every open site).",
            first_year=today.year + 1,
            horizon_years=DEMO_HORIZON_YEARS,
            inflation_pct=Decimal("3"),
            budgets=budgets,
            site_weights=DEMO_SITE_WEIGHTS,
        )
    )
    return True
