"""The portfolio format (equiplan-portfolio/1): reading, checking, writing, budget sweeps."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from equiplan.domain.optimiser import (
    Portfolio,
    PortfolioError,
    load_portfolio,
    parse_portfolio,
    portfolio_to_json,
    scale_budgets,
)


def document() -> dict[str, Any]:
    """The example of docs/portfolio.md."""
    return {
        "format": "equiplan-portfolio/1",
        "name": "2027-2029 example",
        "periods": ["2027", "2028", "2029"],
        "budgets": {"total": [300000, 300000, 300000], "agency:VSAT": [280000, 280000, 280000]},
        "carry_over": False,
        "requirements": {"site:MED/RPM": [0.9, 0.9, 0.9]},
        "items": [
            {
                "id": "EQ-00017",
                "budgets": ["agency:VSAT"],
                "options": [
                    {
                        "id": "keep",
                        "cost": [1200, 1300, 1400],
                        "value": 2.91,
                        "provides": {"site:MED/RPM": [0.97, 0.96, 0.94]},
                    },
                    {
                        "id": "replace@2028",
                        "cost": [1200, 262000, 900],
                        "value": 2.97,
                        "provides": {"site:MED/RPM": [0.97, 0.99, 0.99]},
                    },
                ],
            },
            {
                "id": "EQ-00101",
                "options": [{"id": "keep", "cost": [300, 320, 340], "value": 0.8}],
                "a field from a newer writer": True,
            },
        ],
    }


def test_a_document_is_read_with_every_field() -> None:
    portfolio = parse_portfolio(document())
    assert portfolio.name == "2027-2029 example"
    assert portfolio.periods == ("2027", "2028", "2029")
    assert portfolio.budgets["agency:VSAT"] == (280000.0, 280000.0, 280000.0)
    assert portfolio.requirements == {"site:MED/RPM": (0.9, 0.9, 0.9)}
    assert portfolio.carry_over is False
    first, second = portfolio.items
    assert first.budgets == ("agency:VSAT",)
    assert [option.id for option in first.options] == ["keep", "replace@2028"]
    assert first.options[1].cost == (1200.0, 262000.0, 900.0)
    assert first.options[0].provides == {"site:MED/RPM": (0.97, 0.96, 0.94)}
    assert second.budgets == ()
    assert second.options[0].provides == {}


def test_writing_and_reading_back_gives_the_same_portfolio() -> None:
    portfolio = parse_portfolio(document())
    written = portfolio_to_json(portfolio)
    assert json.loads(json.dumps(written)) == written
    assert parse_portfolio(written) == portfolio


def test_naming_total_among_an_items_budgets_changes_nothing() -> None:
    data = document()
    data["items"][0]["budgets"] = ["total", "agency:VSAT", "agency:VSAT"]
    assert parse_portfolio(data).items[0].budgets == ("agency:VSAT",)


def _broken(change: str) -> dict[str, Any]:
    data = copy.deepcopy(document())
    item = data["items"][0]
    option = item["options"][1]
    if change == "format":
        data["format"] = "equiplan-portfolio/2"
    elif change == "periods":
        data["periods"] = []
    elif change == "duplicate periods":
        data["periods"] = ["2027", "2027", "2029"]
    elif change == "budget length":
        data["budgets"]["total"] = [1, 2]
    elif change == "budget negative":
        data["budgets"]["total"] = [1, -2, 3]
    elif change == "carry_over":
        data["carry_over"] = "yes"
    elif change == "no items":
        data["items"] = []
    elif change == "item id":
        item["id"] = ""
    elif change == "duplicate item":
        data["items"][1]["id"] = "EQ-00017"
    elif change == "unknown budget":
        item["budgets"] = ["agency:PD"]
    elif change == "no options":
        item["options"] = []
    elif change == "duplicate option":
        option["id"] = "keep"
    elif change == "cost length":
        option["cost"] = [1, 2]
    elif change == "cost text":
        option["cost"] = [1, "2", 3]
    elif change == "cost boolean":
        option["cost"] = [1, True, 3]
    elif change == "cost negative":
        option["cost"] = [1, -5, 3]
    elif change == "value missing":
        del option["value"]
    elif change == "value infinite":
        option["value"] = float("inf")
    elif change == "value huge":
        option["value"] = 10**400  # a JSON integer of 401 digits: no float holds it
    elif change == "cost huge":
        option["cost"] = [1, -(10**400), 3]
    elif change == "unknown requirement":
        option["provides"] = {"site:VLN/RPM": [1, 1, 1]}
    elif change == "provides length":
        option["provides"] = {"site:MED/RPM": [1]}
    return data


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("format", "field 'format': must be 'equiplan-portfolio/1'"),
        ("periods", "field 'periods'"),
        ("duplicate periods", "period names must be unique"),
        ("budget length", "field 'budgets.total': must have one number per period (3), not 2"),
        ("budget negative", "field 'budgets.total': period 2: -2 is negative"),
        ("carry_over", "field 'carry_over': must be true or false"),
        ("no items", "field 'items'"),
        ("item id", "item number 1 needs a non-empty text id"),
        ("duplicate item", "item 'EQ-00017', field 'id': the same id is used by another item"),
        ("unknown budget", "item 'EQ-00017', field 'budgets': names the budget 'agency:PD'"),
        ("no options", "item 'EQ-00017', field 'options': must be a non-empty list"),
        ("duplicate option", "item 'EQ-00017', option 'keep', field 'id': the same id"),
        ("cost length", "item 'EQ-00017', option 'replace@2028', field 'cost': must have one"),
        ("cost text", "option 'replace@2028', field 'cost': period 2: '2' is not a finite number"),
        ("cost boolean", "option 'replace@2028', field 'cost': period 2: True is not a finite"),
        ("cost negative", "option 'replace@2028', field 'cost': period 2: -5 is negative"),
        ("value missing", "option 'replace@2028', field 'value': None is not a finite number"),
        ("value infinite", "option 'replace@2028', field 'value': inf is not a finite number"),
        ("value huge", "field 'value': 1000000000000000000000000000000000000... is not a finite"),
        ("cost huge", "field 'cost': period 2: -100000000000000000000000000000000000... is not"),
        ("unknown requirement", "field 'provides': names the requirement 'site:VLN/RPM'"),
        ("provides length", "field 'provides.site:MED/RPM': must have one number per period"),
    ],
)
def test_a_wrong_document_is_refused_naming_item_option_and_field(
    change: str, expected: str
) -> None:
    with pytest.raises(PortfolioError) as raised:
        parse_portfolio(_broken(change))
    assert expected in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_the_error_carries_item_option_and_field_for_the_app() -> None:
    with pytest.raises(PortfolioError) as raised:
        parse_portfolio(_broken("cost negative"))
    assert (raised.value.item, raised.value.option, raised.value.field) == (
        "EQ-00017",
        "replace@2028",
        "cost",
    )


@pytest.mark.parametrize("data", [None, [], "text", 3])
def test_a_document_that_is_not_an_object_is_refused(data: object) -> None:
    with pytest.raises(PortfolioError, match="must be a JSON object"):
        parse_portfolio(data)


def test_loading_a_file(tmp_path: Path) -> None:
    path = tmp_path / "portfolio.json"
    path.write_text(json.dumps(document()), encoding="utf-8")
    assert load_portfolio(path) == parse_portfolio(document())


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "is not valid JSON: Expecting property name"),
        ('{"format": NaN}', "NaN is not a number in JSON"),
        (b"\xff\xfe\x00", "cannot read"),
    ],
)
def test_unreadable_files_are_portfolio_errors(
    tmp_path: Path, content: str | bytes, expected: str
) -> None:
    path = tmp_path / "portfolio.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(PortfolioError, match=expected):
        load_portfolio(path)


def test_a_missing_file_is_a_portfolio_error(tmp_path: Path) -> None:
    with pytest.raises(PortfolioError, match="cannot read"):
        load_portfolio(tmp_path / "missing.json")


def test_scaling_budgets_scales_every_budget_and_nothing_else() -> None:
    portfolio = parse_portfolio(document())
    scaled = scale_budgets(portfolio, 0.5)
    assert scaled.budgets == {
        "total": (150000.0, 150000.0, 150000.0),
        "agency:VSAT": (140000.0, 140000.0, 140000.0),
    }
    assert scaled.items == portfolio.items
    assert scaled.requirements == portfolio.requirements
    assert isinstance(scaled, Portfolio)


@pytest.mark.parametrize("factor", [-1.0, float("nan"), float("inf")])
def test_a_budget_factor_must_be_finite_and_not_negative(factor: float) -> None:
    with pytest.raises(PortfolioError, match="budget factor"):
        scale_budgets(parse_portfolio(document()), factor)
