"""The rules the results pages state, on hand-made results (no database): timing against
design life, the best option by value per euro, when an item is deferred, which budget stops
it and the extra budget that would fund it."""

from __future__ import annotations

from typing import Any

import pytest

from equiplan.services.plan_explanations import deferred_items, explain
from equiplan.services.plan_results import best_option_id, budget_use, timing


@pytest.mark.parametrize(
    ("year", "due", "expected"),
    [(2027, 2030, "early"), (2029, 2030, "on_time"), (2031, 2030, "on_time"), (2032, 2030, "late")],
)
def test_timing_is_within_a_year_of_the_end_of_design_life(
    year: int, due: float, expected: str
) -> None:
    assert timing(year, due) == expected


def test_the_best_option_has_the_most_value_per_extra_euro() -> None:
    keep = {"id": "keep", "cost": [100, 100], "value": 0.0}
    dear = {"id": "replace@1", "cost": [100, 10_100], "value": 0.5}  # 0.5 per 10,000
    cheap = {"id": "refurbish@1", "cost": [100, 2_100], "value": 0.2}  # 0.2 per 2,000
    useless = {"id": "retire", "cost": [0, 0], "value": -1.0}
    assert best_option_id([keep, dear, cheap, useless]) == "refurbish@1"
    # A gain at no extra cost beats any ratio.
    free = {"id": "refurbish@2", "cost": [100, 90], "value": 0.01}
    assert best_option_id([keep, dear, cheap, free]) == "refurbish@2"
    assert best_option_id([keep, useless]) is None


def _option(option_id: str, cost: list[float], value: float, **extra: Any) -> dict[str, Any]:
    return {
        "id": option_id,
        "kind": option_id.split("@")[0],
        "action_years": [],
        "capex": [0.0] * len(cost),
        "cost": cost,
        "value": value,
        "availability": [0.9] * len(cost),
        "provides": extra.get("provides", {}),
    }


def _result(spend: list[float], prices: list[float], best: dict[str, Any]) -> dict[str, Any]:
    keep = _option("keep", [100.0, 100.0], 0.0)
    return {
        "periods": [2027, 2028],
        "budgets": {"total": [1000.0, 1000.0], "agency:VSAT": [600.0, 600.0]},
        "plan": {
            "spend": {"total": spend, "agency:VSAT": [100.0, 100.0]},
            "shadow_prices": {"total": prices, "agency:VSAT": [0.0, 0.0]},
            "slack": {},
            "requirement_prices": {},
        },
        "items": {
            "EQ-1": {
                "equipment_id": 1,
                "agency_code": "VSAT",
                "site_code": None,
                "type_code": "RPM",
                "model_name": "M",
                "budgets": ["agency:VSAT"],
                "keep_cost": keep["cost"],
                "keep_value": 0.0,
                "chosen": keep,
                "best": best,
            }
        },
    }


def test_a_full_budget_stops_the_best_option_and_says_what_would_fund_it() -> None:
    best = _option("replace@2027", [700.0, 100.0], 0.4)
    result = _result(spend=[1000.0, 300.0], prices=[0.0, 0.0], best=best)
    result["plan"]["spend"]["agency:VSAT"] = [600.0, 100.0]
    found = explain(result, "EQ-1")
    assert found.deferred
    assert found.value_gain == pytest.approx(0.4)
    assert found.extra_cost == [600.0, 0.0]
    # The total and the agency budget are both spent in 2027: both stop it, and the money is
    # counted once for the year.
    assert [(t.budget, t.year, t.extra) for t in found.tight_budgets] == [
        ("total", 2027, 600.0),
        ("agency:VSAT", 2027, 600.0),
    ]
    assert found.extra_budget_total == 600.0
    assert deferred_items(result) == [found]


def test_money_left_unspent_does_not_stop_an_item() -> None:
    # A positive shadow price makes 2027 tight, but 400 € are left and 300 € are needed.
    best = _option("refurbish@2027", [400.0, 100.0], 0.1)
    result = _result(spend=[600.0, 300.0], prices=[0.002, 0.0], best=best)
    assert [u.tight for u in budget_use(result)][:2] == [True, False]
    found = explain(result, "EQ-1")
    assert found.deferred
    assert found.tight_budgets == []
    assert found.extra_budget_total == 0.0


def test_a_binding_requirement_is_named_when_the_best_option_provides_less() -> None:
    best = _option("replace@2028", [100.0, 150.0], 0.2, provides={"site:MED/RPM": [0.9, 0.0]})
    result = _result(spend=[300.0, 300.0], prices=[0.0, 0.0], best=best)
    result["items"]["EQ-1"]["chosen"]["provides"] = {"site:MED/RPM": [0.9, 0.9]}
    result["plan"]["slack"] = {"site:MED/RPM": [0.4, 0.0]}
    found = explain(result, "EQ-1")
    assert found.binding_requirements == [("site:MED/RPM", 2028)]
