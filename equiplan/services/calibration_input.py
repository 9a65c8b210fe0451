"""Calibration input as plain values, checked: numbers as numbers or text (a decimal comma is
fine), dates as `date` or ISO text. Every problem goes into an `errors` mapping keyed by the
field name the caller used (`laboratory`, `points[2].as_found`, …), so that all of them can be
reported at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from equiplan.domain.calibration import Point, ToleranceKind
from equiplan.services import input_fields

MAX_POINTS = 50
LENGTHS = {"laboratory": 200, "certificate_no": 80, "notes": 4000, "quantity": 40, "unit": 20}


@dataclass(frozen=True)
class PointInput:
    """One calibration point as entered: numbers as numbers or text, blanks as None or ""."""

    nominal: Any = None
    tolerance: Any = None
    tolerance_kind: str = ToleranceKind.PERCENT.value
    as_found: Any = None
    as_left: Any = None
    quantity: str = "dose_rate_cs137"
    unit: str = "µSv/h"


def parse_number(value: Any) -> float | None:
    """A finite number from a number or text ("1,5" and "1.5" alike); blank is None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float | Decimal):
        try:
            number = float(value)
        except OverflowError:
            raise ValueError from None
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        number = float(text)  # ValueError for anything else
    if not math.isfinite(number):
        raise ValueError
    return number


def parse_date(value: Any) -> date | None:
    """A date from a `date` or ISO text (YYYY-MM-DD); blank is None."""
    return input_fields.day(value)


def check_text(errors: dict[str, object], field: str, value: Any, *, required: bool) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        errors[field] = _l("This field is required.")
    elif len(text) > LENGTHS[field.rpartition(".")[2]]:
        errors[field] = _l("At most %(n)d characters.", n=LENGTHS[field.rpartition(".")[2]])
    return text


def check_dates(
    errors: dict[str, object], calibrated_on: Any, valid_until: Any, today: date
) -> tuple[date | None, date | None]:
    parsed: dict[str, date | None] = {}
    for field, value in (("calibrated_on", calibrated_on), ("valid_until", valid_until)):
        try:
            parsed[field] = parse_date(value)
        except (TypeError, ValueError):
            parsed[field] = None
            errors[field] = _l("Enter a date as YYYY-MM-DD.")
    done, until = parsed["calibrated_on"], parsed["valid_until"]
    if done is None and "calibrated_on" not in errors:
        errors["calibrated_on"] = _l("This field is required.")
    elif done is not None and done > today:
        errors["calibrated_on"] = _l("The calibration date cannot be in the future.")
    if done is not None and until is not None and until <= done:
        errors["valid_until"] = _l("The certificate must be valid after the calibration date.")
    return done, until


def check_points(errors: dict[str, object], points: Sequence[PointInput]) -> list[Point]:
    """Check every point; the field names carry the point's index as given (from 0)."""
    if not points:
        errors["points"] = _l("Enter at least one calibration point.")
        return []
    if len(points) > MAX_POINTS:
        errors["points"] = _l("At most %(n)d calibration points.", n=MAX_POINTS)
        return []
    result: list[Point] = []
    for index, given in enumerate(points):
        field = f"points[{index}]"
        numbers: dict[str, float | None] = {}
        for name in ("nominal", "tolerance", "as_found", "as_left"):
            try:
                numbers[name] = parse_number(getattr(given, name))
            except (TypeError, ValueError):
                numbers[name] = None
                errors[f"{field}.{name}"] = _l("Enter a number, e.g. 1.5.")
        for name in ("nominal", "tolerance"):
            if numbers[name] is None and f"{field}.{name}" not in errors:
                errors[f"{field}.{name}"] = _l("This field is required.")
        tolerance = numbers["tolerance"]
        if tolerance is not None and tolerance < 0:
            errors[f"{field}.tolerance"] = _l("The tolerance cannot be negative.")
        kind = str(given.tolerance_kind or "")
        if kind not in {k.value for k in ToleranceKind}:
            errors[f"{field}.tolerance_kind"] = _l("Choose an absolute or a percentage tolerance.")
        elif kind == ToleranceKind.PERCENT and numbers["nominal"] == 0:
            errors[f"{field}.tolerance_kind"] = _l(
                "A percentage of zero is zero: give an absolute tolerance for a zero nominal value."
            )
        if (
            numbers["as_found"] is None
            and numbers["as_left"] is None
            and f"{field}.as_found" not in errors
            and f"{field}.as_left" not in errors
        ):
            errors[f"{field}.as_found"] = _l(
                "Enter the as-found reading (or the as-left one), or leave out the point."
            )
        quantity = check_text(errors, f"{field}.quantity", given.quantity, required=True)
        unit = check_text(errors, f"{field}.unit", given.unit, required=True)
        if not any(key.startswith(field + ".") for key in errors):
            result.append(
                Point(
                    nominal=numbers["nominal"] or 0.0,
                    tolerance=tolerance or 0.0,
                    tolerance_kind=ToleranceKind(kind),
                    as_found=numbers["as_found"],
                    as_left=numbers["as_left"],
                    quantity=quantity,
                    unit=unit,
                )
            )
    return result
