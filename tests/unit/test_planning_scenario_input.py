"""Checking a scenario's fields (services/scenario_input.py) without a database: every problem
named by its field, one value per year, known codes only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from equiplan.services.scenario_input import KnownCodes, parse_scenario

KNOWN = KnownCodes(
    agencies=frozenset({"VSAT", "MUIT"}),
    types=frozenset({"RPM", "PRD"}),
    sites=frozenset({"MED", "KEN"}),
)


def _given(**fields: Any) -> dict[str, Any]:
    return {
        "name": "  Baseline  ",
        "first_year": "2027",
        "horizon_years": 2,
        "inflation_pct": "2,5",
        "carry_over": "true",
        "budgets": {"total": [100, "200"], "agency:VSAT": [50, 50]},
        "requirements": {"site:MED/RPM": [1, "1.5"]},
        "agency_codes": ["VSAT", "VSAT"],
        "type_codes": [],
        "site_weights": {"MED": "6"},
        **fields,
    }


def test_good_fields_become_stored_values() -> None:
    values, errors = parse_scenario(_given(), KNOWN)
    assert errors.errors == {}
    assert values == {
        "name": "Baseline",
        "description": "",
        "first_year": 2027,
        "horizon_years": 2,
        "inflation_pct": Decimal("2.500"),
        "carry_over": True,
        "agency_codes": ["VSAT"],
        "type_codes": [],
        "budgets": {"total": [100, 200], "agency:VSAT": [50, 50]},
        "requirements": {"site:MED/RPM": [1.0, 1.5]},
        "site_weights": {"MED": 6.0},
    }


def test_every_problem_is_named_by_its_field() -> None:
    _values, errors = parse_scenario(
        _given(
            name="",
            first_year=1999,
            inflation_pct="2.5555",
            carry_over="maybe",
            budgets={"agency:VSAT": [1, -5], "agency:XX": [1, 1], "other": [1, 1]},
            requirements={"site:NOPE/RPM": [1, 1], "site:MED/XYZ": [1, 1], "site:KEN/PRD": [1]},
            type_codes=["RPM", "NOPE"],
            site_weights={"MED": 101, "NOPE": 1},
        ),
        KNOWN,
    )
    assert set(errors.errors) == {
        "name",
        "first_year",
        "inflation_pct",
        "carry_over",
        "budgets.total",
        "budgets.agency:VSAT",
        "budgets.agency:XX",
        "budgets.other",
        "requirements.site:NOPE/RPM",
        "requirements.site:MED/XYZ",
        "requirements.site:KEN/PRD",
        "type_codes",
        "site_weights",
    }
    assert errors.errors["budgets.agency:VSAT"] == "Year 2: Enter zero or more."
    assert errors.errors["requirements.site:KEN/PRD"] == "Give one value for each of the 2 years."
    assert errors.errors["type_codes"] == "Unknown codes: NOPE."
    assert errors.errors["inflation_pct"] == "At most three decimal places."


def test_lists_must_match_the_horizon_and_hold_numbers() -> None:
    _values, errors = parse_scenario(
        _given(horizon_years=3, budgets={"total": [1, 2, True]}, requirements="x"), KNOWN
    )
    assert errors.errors["budgets.total"] == "Year 3: Give a whole number of cents."
    assert errors.errors["requirements"] == "Give the minimums by site:SITE/TYPE."
    _values, errors = parse_scenario(_given(horizon_years=31, budgets=[1]), KNOWN)
    assert errors.errors["horizon_years"] == "Give a number from 1 to 30."
    assert errors.errors["budgets"] == "Give the budgets as yearly amounts in cents by budget."


def test_every_unknown_site_of_the_weights_is_named() -> None:
    values, errors = parse_scenario(
        _given(site_weights={"ZZZ": 1, "MED": 2, "AAA": 3, "KEN": "x"}), KNOWN
    )
    assert errors.errors["site_weights"] == "Unknown sites: AAA, ZZZ."
    assert values["site_weights"] == {"MED": 2.0}


def test_control_characters_are_refused_but_tabs_and_line_breaks_kept() -> None:
    from equiplan.services import input_fields

    parse = input_fields.text(100)
    assert parse("a\tb\r\nc") == "a\tb\nc"  # a browser's CR LF is stored as LF
    assert parse("a\rb") == "a\nb"
    for control in ("\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f"):
        with pytest.raises(ValueError, match="Remove the invisible control characters"):
            parse(f"a{control}b")
    _values, errors = parse_scenario(_given(description="x\x00y", name="a\x00"), KNOWN)
    assert set(errors.errors) >= {"description", "name"}
