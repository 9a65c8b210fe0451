"""Regression tests of the runs review (no database): carry-over in the budget explanations,
one gap definition, no second copy of the greedy plan's choices, the summary stored beside a
result and how a solved run ends."""

from __future__ import annotations

import json
from typing import Any

import pytest

from equiplan.services.plan_explanations import explain
from equiplan.services.plan_export import plan_document
from equiplan.services.plan_results import budget_use
from equiplan.services.plan_summary import read_summary, result_summary
from equiplan.services.run_execution import run_ending
from equiplan.services.run_progress import relative_gap
from tests.run_fixtures import example_result


def _option(option_id: str, cost: list[float], value: float) -> dict[str, Any]:
    return {
        "id": option_id,
        "kind": option_id.split("@")[0],
        "action_years": [],
        "capex": [0.0] * len(cost),
        "cost": cost,
        "value": value,
        "provides": {},
    }


def _carry_over_result(spend: list[float], best: dict[str, Any]) -> dict[str, Any]:
    keep = _option("keep", [100.0, 100.0, 100.0], 0.0)
    return {
        "scenario": {"carry_over": True},
        "periods": [2027, 2028, 2029],
        "budgets": {"total": [1000.0, 1000.0, 1000.0]},
        "plan": {"spend": {"total": spend}, "shadow_prices": {}, "slack": {}},
        "items": {
            "EQ-1": {
                "equipment_id": 1,
                "agency_code": "VSAT",
                "site_code": None,
                "type_code": "RPM",
                "model_name": "M",
                "budgets": [],
                "keep_cost": keep["cost"],
                "keep_value": 0.0,
                "chosen": keep,
                "best": best,
            }
        },
    }


def test_with_carry_over_a_year_may_spend_more_than_its_own_budget() -> None:
    # 2027 leaves 600 € unspent; 2028 spends 1,500 € of its 1,000 € plus those 600 €.
    result = _carry_over_result(
        [400.0, 1500.0, 200.0], _option("replace@2028", [100.0, 150.0, 100.0], 0.3)
    )
    rows = budget_use(result)
    assert [row.available for row in rows] == [1000.0, 1600.0, 1100.0]
    assert [row.room for row in rows] == [100.0, 100.0, 900.0]
    assert [row.tight for row in rows] == [False, False, False]
    assert rows[1].share == pytest.approx(1500 / 1600)
    # 50 € more in 2028 fits in the 100 € still left: the budget did not stop the item.
    found = explain(result, "EQ-1")
    assert found.deferred
    assert found.tight_budgets == []
    # Without carry-over the same spend in 2028 is over its own budget and stops it.
    result["scenario"]["carry_over"] = False
    assert [t.year for t in explain(result, "EQ-1").tight_budgets] == [2028]


def test_with_carry_over_an_extra_cost_needs_room_in_every_later_year() -> None:
    # 2027 has 900 € left on its own, but everything given up to 2028 is spent by then.
    result = _carry_over_result(
        [100.0, 1900.0, 1000.0], _option("replace@2027", [400.0, 100.0, 100.0], 0.3)
    )
    rows = budget_use(result)
    assert [row.room for row in rows] == [0.0, 0.0, 0.0]
    assert [row.tight for row in rows] == [True, True, True]
    found = explain(result, "EQ-1")
    assert [(t.year, t.extra) for t in found.tight_budgets] == [(2027, 300.0)]


@pytest.mark.parametrize(
    ("incumbent", "bound", "expected"),
    [
        (8.0, 10.0, 0.2),  # (10 - 8) / 10, as the engine's plan gap
        (-12.0, -10.0, 0.2),  # a negative bound: divided by its size, 2 / 10
        (3.0, 3.0, 0.0),
        (11.0, 10.0, 0.0),  # never negative
        (-5.0, 0.0, 5e12),  # a zero bound: divided by 1e-12, large but finite
        (None, 1.0, None),  # no plan yet
        (1.0, None, None),  # no bound yet
        (1.0, float("inf"), None),  # an infinite bound: no figure to show
    ],
)
def test_the_live_gap(incumbent: float | None, bound: float | None, expected: float | None) -> None:
    gap = relative_gap(incumbent, bound)
    if expected is None:
        assert gap is None
    else:
        assert gap == pytest.approx(expected)


def test_the_greedy_plan_is_kept_as_figures_and_availability_only() -> None:
    result = example_result()
    greedy = result["plan"]["baselines"]["greedy"]
    assert set(greedy) == {"objective", "feasible"}
    assert result["availability"]["greedy"] is not None

    class _Run:
        id = 1
        result: dict[str, Any] = {}

    # A result stored before the fix still had the choices: the JSON export drops them.
    run = _Run()
    run.result = example_result()
    run.result["plan"]["baselines"]["greedy"]["choices"] = {"EQ-OLD": "keep"}
    assert "choices" not in plan_document(run)["baselines"]["greedy"]


def test_the_summary_holds_what_lists_compare_and_sweeps_show() -> None:
    result = example_result()
    stored = result_summary(result)
    found = read_summary(stored)
    assert found is not None
    assert found.deferred == 1
    assert found.periods == [2027, 2028, 2029]
    assert found.availability_per_year == result["availability"]["plan"]
    assert found.figures.total_spend == pytest.approx(10_500.0)
    assert found.figures.items_with_action == 1
    # Small: a few hundred bytes whatever the fleet's size.
    assert len(json.dumps(stored)) < 1500
    assert read_summary(None) is None


@pytest.mark.parametrize(
    ("plan", "cancelled", "interrupted", "expected"),
    [
        ({"status": "FEASIBLE"}, False, False, ("done", None)),
        ({"status": "FEASIBLE", "stopped": True}, True, False, ("cancelled", None)),
        # Cancelled before any plan was found: cancelled, with no "no plan" failure text.
        ({"status": "UNKNOWN", "stopped": True}, True, False, ("cancelled", None)),
        ({"status": "FEASIBLE", "stopped": True}, False, True, ("failed", "interrupted")),
        ({"status": "INFEASIBLE", "reason": "x"}, False, False, ("failed", "infeasible")),
        ({"status": "UNKNOWN"}, False, False, ("failed", "no_plan")),
    ],
)
def test_how_a_solved_run_ends(
    plan: dict[str, Any], cancelled: bool, interrupted: bool, expected: tuple[str, str | None]
) -> None:
    status, error = run_ending(plan, cancelled=cancelled, interrupted=interrupted)
    assert (status, error.code if error else None) == expected
