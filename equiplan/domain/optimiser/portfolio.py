"""The portfolio: what the optimiser chooses from (`equiplan-portfolio/1`, docs/portfolio.md).

Reading a document checks every field and names the item, option and field of the first
mistake; unknown fields are ignored so that newer writers stay readable.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PORTFOLIO_FORMAT = "equiplan-portfolio/1"
# Budgets named "total" apply to every item; items name the other budgets they count against.
TOTAL_BUDGET = "total"
# No number of a portfolio may be larger than this in size: a thousand trillion euros or value
# units is far beyond any real plan, and beyond it the solver's exact integer scaling (64-bit)
# no longer holds for sums over tens of thousands of items.
MAX_MAGNITUDE = 1e15


class PortfolioError(ValueError):
    """A portfolio that cannot be solved as given; the message names the item, option and field."""

    def __init__(
        self,
        message: str,
        *,
        item: str | None = None,
        option: str | None = None,
        field: str | None = None,
    ) -> None:
        where = []
        if item is not None:
            where.append(f"item {item!r}")
        if option is not None:
            where.append(f"option {option!r}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
        self.item = item
        self.option = option
        self.field = field


@dataclass(frozen=True)
class PortfolioOption:
    """One candidate plan for an item: its cost per period, its value, and what it provides
    towards each coverage requirement per period."""

    id: str
    cost: tuple[float, ...]
    value: float
    provides: Mapping[str, tuple[float, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class PortfolioItem:
    """An equipment item: exactly one of its options is chosen. Its costs count against the
    `total` budget (if any) and against each budget named in `budgets`."""

    id: str
    options: tuple[PortfolioOption, ...]
    budgets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Portfolio:
    """The whole problem: periods, budgets per period, requirements per period and items."""

    name: str
    periods: tuple[str, ...]
    budgets: Mapping[str, tuple[float, ...]]
    items: tuple[PortfolioItem, ...]
    carry_over: bool = False
    requirements: Mapping[str, tuple[float, ...]] = field(default_factory=dict)


def _is_number(value: object) -> bool:
    # JSON true/false decode to bool, which Python counts as int: not a number here.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number_problem(value: object) -> str | None:
    """Why a value is not a number a portfolio may hold (None when it is): JSON integers have
    no size limit, and one of hundreds of digits overflows a float (OverflowError)."""
    if not _is_number(value):
        return f"{_shown(value)} is not a finite number"
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        return f"{_shown(value)} is not a finite number"
    if abs(number) > MAX_MAGNITUDE:
        return f"{_shown(value)} is too large (at most 1e15 in size)"
    return None


def _shown(value: object) -> str:
    """The value as it appears in a message: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _numbers(
    raw: object,
    periods: int,
    *,
    negative_allowed: bool = False,
    item: str | None = None,
    option: str | None = None,
    field: str,
) -> tuple[float, ...]:
    """A list of one finite number per period."""
    if not isinstance(raw, list):
        raise PortfolioError(
            f"must be a list of {periods} numbers (one per period)",
            item=item,
            option=option,
            field=field,
        )
    if len(raw) != periods:
        raise PortfolioError(
            f"must have one number per period ({periods}), not {len(raw)}",
            item=item,
            option=option,
            field=field,
        )
    for position, value in enumerate(raw):
        problem = _number_problem(value)
        if problem is not None:
            raise PortfolioError(
                f"period {position + 1}: {problem}",
                item=item,
                option=option,
                field=field,
            )
        if value < 0 and not negative_allowed:
            raise PortfolioError(
                f"period {position + 1}: {value!r} is negative",
                item=item,
                option=option,
                field=field,
            )
    return tuple(float(value) for value in raw)


def _name(raw: object, *, item: str | None = None, option: str | None = None, field: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise PortfolioError("must be a non-empty text", item=item, option=option, field=field)
    return raw


def _named_series(raw: object, periods: int, field_name: str) -> dict[str, tuple[float, ...]]:
    if not isinstance(raw, dict):
        raise PortfolioError("must be an object of name: [numbers per period]", field=field_name)
    series = {}
    for name, values in raw.items():
        if not name.strip():
            raise PortfolioError("names must not be empty", field=field_name)
        series[name] = _numbers(values, periods, field=f"{field_name}.{name}")
    return series


def parse_portfolio(data: object) -> Portfolio:
    """The portfolio in a decoded `equiplan-portfolio/1` JSON document, checked field by field.

    Raises PortfolioError naming the item, option and field of the first problem."""
    if not isinstance(data, dict):
        raise PortfolioError("the document must be a JSON object")
    if data.get("format") != PORTFOLIO_FORMAT:
        raise PortfolioError(
            f"must be {PORTFOLIO_FORMAT!r}, not {data.get('format')!r}", field="format"
        )
    name = data.get("name", "")
    if not isinstance(name, str):
        raise PortfolioError("must be a text", field="name")
    raw_periods = data.get("periods")
    if (
        not isinstance(raw_periods, list)
        or not raw_periods
        or not all(isinstance(p, str) and p.strip() for p in raw_periods)
    ):
        raise PortfolioError("must be a non-empty list of period names", field="periods")
    if len(set(raw_periods)) != len(raw_periods):
        raise PortfolioError("period names must be unique", field="periods")
    periods = len(raw_periods)
    budgets = _named_series(data.get("budgets", {}), periods, "budgets")
    requirements = _named_series(data.get("requirements", {}), periods, "requirements")
    carry_over = data.get("carry_over", False)
    if not isinstance(carry_over, bool):
        raise PortfolioError("must be true or false", field="carry_over")
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise PortfolioError("must be a non-empty list of items", field="items")
    items = []
    seen: set[str] = set()
    for position, raw_item in enumerate(raw_items):
        item = _parse_item(raw_item, position, periods, budgets, requirements)
        if item.id in seen:
            raise PortfolioError("the same id is used by another item", item=item.id, field="id")
        seen.add(item.id)
        items.append(item)
    return Portfolio(
        name=name,
        periods=tuple(raw_periods),
        budgets=budgets,
        items=tuple(items),
        carry_over=carry_over,
        requirements=requirements,
    )


def _parse_item(
    raw: object,
    position: int,
    periods: int,
    budgets: Mapping[str, object],
    requirements: Mapping[str, object],
) -> PortfolioItem:
    if not isinstance(raw, dict):
        raise PortfolioError(f"item number {position + 1} must be an object", field="items")
    if not isinstance(raw.get("id"), str) or not raw["id"].strip():
        raise PortfolioError(f"item number {position + 1} needs a non-empty text id", field="id")
    item_id: str = raw["id"]
    raw_budgets = raw.get("budgets", [])
    if not isinstance(raw_budgets, list) or not all(isinstance(b, str) for b in raw_budgets):
        raise PortfolioError("must be a list of budget names", item=item_id, field="budgets")
    for budget in raw_budgets:
        if budget not in budgets:
            raise PortfolioError(
                f"names the budget {budget!r}, which the portfolio does not define",
                item=item_id,
                field="budgets",
            )
    # `total` applies anyway; naming it again (or twice) changes nothing.
    item_budgets = tuple(dict.fromkeys(b for b in raw_budgets if b != TOTAL_BUDGET))
    raw_options = raw.get("options")
    if not isinstance(raw_options, list) or not raw_options:
        raise PortfolioError("must be a non-empty list of options", item=item_id, field="options")
    options = []
    seen: set[str] = set()
    for number, raw_option in enumerate(raw_options):
        if not isinstance(raw_option, dict):
            raise PortfolioError(
                f"option number {number + 1} must be an object", item=item_id, field="options"
            )
        option_id = _name(raw_option.get("id"), item=item_id, field=f"options[{number}].id")
        if option_id in seen:
            raise PortfolioError(
                "the same id is used by another option of this item",
                item=item_id,
                option=option_id,
                field="id",
            )
        seen.add(option_id)
        options.append(_parse_option(raw_option, item_id, option_id, periods, requirements))
    return PortfolioItem(id=item_id, options=tuple(options), budgets=item_budgets)


def _parse_option(
    raw: dict[str, Any],
    item_id: str,
    option_id: str,
    periods: int,
    requirements: Mapping[str, object],
) -> PortfolioOption:
    cost = _numbers(raw.get("cost"), periods, item=item_id, option=option_id, field="cost")
    value: Any = raw.get("value")
    problem = _number_problem(value)
    if problem is not None:
        raise PortfolioError(
            problem,
            item=item_id,
            option=option_id,
            field="value",
        )
    raw_provides = raw.get("provides", {})
    if not isinstance(raw_provides, dict):
        raise PortfolioError(
            "must be an object of requirement: [numbers per period]",
            item=item_id,
            option=option_id,
            field="provides",
        )
    provides = {}
    for requirement, amounts in raw_provides.items():
        if requirement not in requirements:
            raise PortfolioError(
                f"names the requirement {requirement!r}, which the portfolio does not define",
                item=item_id,
                option=option_id,
                field="provides",
            )
        provides[requirement] = _numbers(
            amounts, periods, item=item_id, option=option_id, field=f"provides.{requirement}"
        )
    return PortfolioOption(id=option_id, cost=cost, value=float(value), provides=provides)


def load_portfolio(path: str | Path) -> Portfolio:
    """The portfolio in a JSON file; unreadable files and bad JSON are PortfolioErrors too."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PortfolioError(f"cannot read {str(path)!r}: {error}") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise PortfolioError(
            f"{str(path)!r} is not valid JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno}"
        ) from None
    except PortfolioError:
        raise
    except RecursionError:
        raise PortfolioError(f"{str(path)!r} nests lists or objects too deeply") from None
    except ValueError:
        # Python refuses integers of more than 4,300 digits (int_max_str_digits).
        raise PortfolioError(f"{str(path)!r} holds a number with too many digits") from None
    return parse_portfolio(data)


def _reject_constant(name: str) -> float:
    # NaN and Infinity are not JSON; Python would accept them by default.
    raise json.JSONDecodeError(f"{name} is not a number in JSON", name, 0)


def portfolio_to_json(portfolio: Portfolio) -> dict[str, Any]:
    """The `equiplan-portfolio/1` document of a portfolio (parse_portfolio reads it back)."""
    return {
        "format": PORTFOLIO_FORMAT,
        "name": portfolio.name,
        "periods": list(portfolio.periods),
        "budgets": {name: list(values) for name, values in portfolio.budgets.items()},
        "carry_over": portfolio.carry_over,
        "requirements": {name: list(values) for name, values in portfolio.requirements.items()},
        "items": [
            {
                "id": item.id,
                "budgets": list(item.budgets),
                "options": [
                    {
                        "id": option.id,
                        "cost": list(option.cost),
                        "value": option.value,
                        "provides": {r: list(v) for r, v in option.provides.items()},
                    }
                    for option in item.options
                ],
            }
            for item in portfolio.items
        ],
    }


def scale_budgets(portfolio: Portfolio, factor: float) -> Portfolio:
    """The same portfolio with every budget multiplied by `factor` (for budget sweeps)."""
    if not math.isfinite(factor) or factor < 0:
        raise PortfolioError(
            f"must be a finite number of zero or more, not {factor!r}", field="budget factor"
        )
    return replace(
        portfolio,
        budgets={
            name: tuple(amount * factor for amount in values)
            for name, values in portfolio.budgets.items()
        },
    )
