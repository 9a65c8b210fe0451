"""Parsing and checking a budget scenario's fields, as JSON or a form brings them.

Every problem is recorded against the API field name (`budgets`, `requirements`…; a problem
with one budget or requirement names it: `budgets.agency:VSAT`, `requirements.site:MED/RPM`),
so the pages can show each message beside its input and the API can list them all at once.
Money is in integer euro cents; the pages convert the euros people type with
`input_fields.euros` before they call in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l

from equiplan.services import input_fields
from equiplan.services.work_order_input import FieldErrors

MIN_FIRST_YEAR, MAX_FIRST_YEAR = 2000, 2100
MAX_HORIZON_YEARS = 30  # the table's check constraint
MIN_INFLATION_PCT, MAX_INFLATION_PCT = Decimal("-10"), Decimal("100")
MAX_WEIGHT = 100.0
MAX_REQUIRED_UNITS = 100_000.0
TOTAL_BUDGET = "total"
AGENCY_PREFIX = "agency:"
SITE_PREFIX = "site:"
# The fields a change may set (everything but who made it and where it was copied from).
EDITABLE_FIELDS = (
    "name",
    "description",
    "first_year",
    "horizon_years",
    "inflation_pct",
    "carry_over",
    "budgets",
    "requirements",
    "agency_codes",
    "type_codes",
    "site_weights",
)


@dataclass(frozen=True)
class KnownCodes:
    """The codes a scenario may name: agencies, equipment types, sites."""

    agencies: frozenset[str]
    types: frozenset[str]
    sites: frozenset[str]


def _inflation(value: Any) -> Decimal:
    """A percentage from −10 to 100 with at most three decimals ("2,5" too)."""
    if value is None or value == "":
        return Decimal("0")
    if isinstance(value, bool):
        raise ValueError(_l("Give a percentage, e.g. 2.5."))
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(_l("Give a percentage, e.g. 2.5.")) from None
    if not amount.is_finite() or not MIN_INFLATION_PCT <= amount <= MAX_INFLATION_PCT:
        raise ValueError(
            _l(
                "Give a percentage from %(low)s to %(high)s.",
                low=MIN_INFLATION_PCT,
                high=MAX_INFLATION_PCT,
            )
        )
    if amount != amount.quantize(Decimal("0.001")):
        raise ValueError(_l("At most three decimal places."))
    return amount.quantize(Decimal("0.001"))


def _flag(value: Any) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on", "y"):
        return True
    if text in ("false", "0", "no", "off", "n"):
        return False
    raise ValueError(_l("Give true or false."))


def _number(value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(_l("Give a number."))
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise ValueError(_l("Give a number.")) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(_l("Give a number from %(low)s to %(high)s.", low=low, high=high))
    return number


def _codes(known: frozenset[str]) -> Callable[[Any], list[str]]:
    """A list of known codes, without repeats (in the order given)."""

    def parse(value: Any) -> list[str]:
        if value is None or value == "":
            return []
        if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
            raise ValueError(_l("Give a list of codes."))
        unknown = sorted({code for code in value if code not in known})
        if unknown:
            raise ValueError(_l("Unknown codes: %(codes)s.", codes=", ".join(unknown)[:200]))
        return list(dict.fromkeys(value))

    return parse


def _yearly(
    errors: FieldErrors, field: str, values: Any, horizon: int | None, parse: Callable[[Any], Any]
) -> list[Any] | None:
    """One value per year of the horizon, each parsed; problems recorded under `field`."""
    if not isinstance(values, list):
        errors.add(field, _l("Give a list with one value per year."))
        return None
    if horizon is not None and len(values) != horizon:
        errors.add(field, _l("Give one value for each of the %(n)d years.", n=horizon))
        return None
    parsed = []
    for position, value in enumerate(values, start=1):
        try:
            parsed.append(parse(value))
        except ValueError as error:
            errors.add(field, _l("Year %(n)d: %(problem)s", n=position, problem=str(error)))
            return None
    return parsed


def _cents(value: Any) -> int:
    if value is None or value == "":
        raise ValueError(_l("This field is required."))
    return input_fields.cents(value)


def parse_budgets(
    errors: FieldErrors, value: Any, horizon: int | None, known: KnownCodes
) -> dict[str, list[int]] | None:
    """{"total": [cents per year], "agency:CODE": [...]}: the total is required."""
    if not isinstance(value, Mapping):
        errors.add("budgets", _l("Give the budgets as yearly amounts in cents by budget."))
        return None
    budgets: dict[str, list[int]] = {}
    for key, amounts in value.items():
        field = f"budgets.{key}"
        if key != TOTAL_BUDGET and (
            not isinstance(key, str)
            or not key.startswith(AGENCY_PREFIX)
            or key.removeprefix(AGENCY_PREFIX) not in known.agencies
        ):
            errors.add(field, _l("Budgets are the total or an agency's (agency:CODE)."))
            continue
        parsed = _yearly(errors, field, amounts, horizon, _cents)
        if parsed is not None:
            budgets[key] = parsed
    if TOTAL_BUDGET not in value:
        errors.add("budgets.total", _l("Give the total budget of every year."))
    return budgets


def parse_requirements(
    errors: FieldErrors, value: Any, horizon: int | None, known: KnownCodes
) -> dict[str, list[float]] | None:
    """{"site:SITE/TYPE": [minimum expected working units per year]}; empty: the default."""
    if value is None or value == "":
        return {}
    if not isinstance(value, Mapping):
        errors.add("requirements", _l("Give the minimums by site:SITE/TYPE."))
        return None
    requirements: dict[str, list[float]] = {}
    for key, minimums in value.items():
        field = f"requirements.{key}"
        site, _, kind = str(key).removeprefix(SITE_PREFIX).partition("/")
        if not str(key).startswith(SITE_PREFIX) or site not in known.sites:
            errors.add(field, _l("Unknown site in %(key)s.", key=str(key)[:60]))
            continue
        if kind not in known.types:
            errors.add(field, _l("Unknown equipment type in %(key)s.", key=str(key)[:60]))
            continue
        parsed = _yearly(
            errors, field, minimums, horizon, lambda v: _number(v, 0.0, MAX_REQUIRED_UNITS)
        )
        if parsed is not None:
            requirements[str(key)] = parsed
    return requirements


def parse_site_weights(errors: FieldErrors, value: Any, known: KnownCodes) -> dict[str, float]:
    """{site code: weight from 0 to 100}."""
    if value is None or value == "":
        return {}
    if not isinstance(value, Mapping):
        errors.add("site_weights", _l("Give the weights by site code."))
        return {}
    weights: dict[str, float] = {}
    # All the unknown sites in one message: the field holds one message, and the first alone
    # would hide the others.
    unknown = sorted(str(site)[:40] for site in value if site not in known.sites)
    if unknown:
        errors.add("site_weights", _l("Unknown sites: %(codes)s.", codes=", ".join(unknown)[:200]))
    for site, weight in value.items():
        if site not in known.sites:
            continue
        try:
            weights[site] = _number(weight, 0.0, MAX_WEIGHT)
        except ValueError as error:
            errors.add("site_weights", f"{site}: {error}")
    return weights


def parse_scenario(
    given: Mapping[str, Any], known: KnownCodes
) -> tuple[dict[str, Any], FieldErrors]:
    """The stored values of a scenario's complete fields, and the problems found."""
    errors = FieldErrors()
    simple: dict[str, Callable[[Any], Any]] = {
        "name": input_fields.text(200, required=True, single_line=True),
        "description": input_fields.text(4000),
        "first_year": input_fields.whole_in_range(MIN_FIRST_YEAR, MAX_FIRST_YEAR),
        "horizon_years": input_fields.whole_in_range(1, MAX_HORIZON_YEARS),
        "inflation_pct": _inflation,
        "carry_over": _flag,
        "agency_codes": _codes(known.agencies),
        "type_codes": _codes(known.types),
    }
    values = {name: errors.parse(name, parse, given.get(name)) for name, parse in simple.items()}
    horizon = values["horizon_years"]
    values["budgets"] = parse_budgets(errors, given.get("budgets"), horizon, known)
    values["requirements"] = parse_requirements(errors, given.get("requirements"), horizon, known)
    values["site_weights"] = parse_site_weights(errors, given.get("site_weights"), known)
    return values, errors
