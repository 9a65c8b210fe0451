"""Calibration readings against their tolerance, and drift between calibrations (domain.md).

Readings are compared in decimal arithmetic on the values as entered: a float is taken by its
shortest representation, so 1.32 against 1.1 ± 20 % is exactly on the boundary (and passes)
instead of failing by 8e-17 as binary floating point would have it. Boundaries are inclusive.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

Number = float | int | Decimal

HUNDRED = Decimal(100)


class ToleranceKind(StrEnum):
    ABSOLUTE = "abs"  # ± in the unit of the reading
    PERCENT = "pct"  # ± per cent of |nominal|


# What a calibration point measures: a measure and, usually, the reference nuclide, e.g.
# "dose_rate_cs137". The codes below are offered on the form; others may come in by the API.
MEASURES = (
    "dose_rate",
    "dose",
    "gamma_response",
    "neutron_response",
    "peak_position",
    "fwhm",
    "beta_efficiency",
)
KNOWN_QUANTITIES = (
    "dose_rate_cs137",
    "dose_cs137",
    "gamma_response_cs137",
    "gamma_response_co60",
    "neutron_response_cf252",
    "peak_position_am241",
    "peak_position_cs137",
    "peak_position_co60",
    "peak_position_k40",
    "fwhm_co60",
    "beta_efficiency_sr90",
)
_NUCLIDE = re.compile(r"^([a-z]{1,2})(\d{1,3})(m?)$")


def describe_quantity(code: str) -> tuple[str, str | None]:
    """Split a quantity code into its measure and nuclide: "dose_rate_cs137" is
    ("dose_rate", "Cs-137"). An unknown code is its own measure, without a nuclide."""
    for measure in sorted(MEASURES, key=len, reverse=True):
        if code == measure:
            return measure, None
        if code.startswith(measure + "_"):
            match = _NUCLIDE.match(code[len(measure) + 1 :])
            if match:
                element, mass, metastable = match.groups()
                return measure, f"{element.capitalize()}-{mass}{metastable}"
    return code, None


def exact(value: Number) -> Decimal:
    """`value` as a Decimal equal to what was entered (floats by their shortest repr)."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, float):
        result = Decimal(repr(value))
    else:
        result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def deviation(reading: Number, nominal: Number) -> float:
    """How far a reading is from the nominal value, in the reading's unit (signed)."""
    return float(exact(reading) - exact(nominal))


def relative_deviation(reading: Number, nominal: Number) -> float | None:
    """The deviation in per cent of |nominal| (signed); None for a zero nominal value."""
    base = abs(exact(nominal))
    if base == 0:
        return None
    return float((exact(reading) - exact(nominal)) / base * HUNDRED)


def allowed_deviation(nominal: Number, tolerance: Number, kind: ToleranceKind | str) -> Decimal:
    """The largest deviation still within tolerance (a percentage is of |nominal|)."""
    if ToleranceKind(kind) is ToleranceKind.ABSOLUTE:
        return abs(exact(tolerance))
    return abs(exact(tolerance)) * abs(exact(nominal)) / HUNDRED


def within_tolerance(
    reading: Number, nominal: Number, tolerance: Number, kind: ToleranceKind | str
) -> bool:
    """|reading − nominal| ≤ the allowed deviation, boundaries included.

    A percentage tolerance of a zero nominal value allows no deviation at all: only an exact
    zero passes (an absolute tolerance is the meaningful choice there).
    """
    return abs(exact(reading) - exact(nominal)) <= allowed_deviation(nominal, tolerance, kind)


@dataclass(frozen=True)
class Point:
    """One calibration point: the nominal (reference) value, its tolerance and the readings.

    `as_found` is the reading before any adjustment, `as_left` after it. A missing as-left
    reading means the instrument was not adjusted: it was left as found.
    """

    nominal: Number
    tolerance: Number
    tolerance_kind: ToleranceKind | str = ToleranceKind.PERCENT
    as_found: Number | None = None
    as_left: Number | None = None
    quantity: str = "dose_rate_cs137"
    unit: str = "µSv/h"

    @property
    def left_reading(self) -> Number | None:
        """The reading the instrument was left with (as found when not adjusted)."""
        return self.as_left if self.as_left is not None else self.as_found

    def matches(self, other: Point) -> bool:
        """Same quantity, unit and nominal value: the readings of the two are comparable."""
        return (
            self.quantity == other.quantity
            and self.unit == other.unit
            and exact(self.nominal) == exact(other.nominal)
        )


@dataclass(frozen=True)
class PointVerdict:
    """Per point: within tolerance as found and as left; None where there is no reading."""

    as_found_within: bool | None
    as_left_within: bool | None


@dataclass(frozen=True)
class Evaluation:
    as_found_passed: bool
    as_left_passed: bool
    points: tuple[PointVerdict, ...]

    @property
    def passed(self) -> bool:
        """The calibration's result: how the instrument was left decides it."""
        return self.as_left_passed


def judge(point: Point) -> PointVerdict:
    """Whether the point's as-found and as-left readings are within its tolerance."""

    def check(reading: Number | None) -> bool | None:
        if reading is None:
            return None
        return within_tolerance(reading, point.nominal, point.tolerance, point.tolerance_kind)

    return PointVerdict(
        as_found_within=check(point.as_found), as_left_within=check(point.left_reading)
    )


def evaluate(points: Sequence[Point]) -> Evaluation:
    """Judge every point; as found (or as left) passes when no judged point is out of tolerance.

    A point without an as-found reading is not judged as found; as left it is judged by its
    as-left reading (or, not adjusted, by its as-found one).
    """
    verdicts = tuple(judge(point) for point in points)
    return Evaluation(
        as_found_passed=all(v.as_found_within is not False for v in verdicts),
        as_left_passed=all(v.as_left_within is not False for v in verdicts),
        points=verdicts,
    )


def previous_point(point: Point, previous: Sequence[Point]) -> Point | None:
    """The point of the previous calibration at the same quantity, unit and nominal value."""
    return next((candidate for candidate in previous if point.matches(candidate)), None)


def drift(point: Point, previous: Sequence[Point] | None) -> float | None:
    """Calibration drift = as-found(this) − as-left(previous) at the same nominal value.

    None when there is no previous calibration, no matching point in it, or a reading is
    missing on either side. The previous as-left is its as-found when it was not adjusted.
    """
    if previous is None or point.as_found is None:
        return None
    earlier = previous_point(point, previous)
    if earlier is None or earlier.left_reading is None:
        return None
    return float(exact(point.as_found) - exact(earlier.left_reading))


# Points usually checked, by equipment type code (the form starts from them; the user edits).
def _dose_rates(*nominals: int, tolerance: int) -> tuple[Point, ...]:
    return tuple(Point(nominal=n, tolerance=tolerance) for n in nominals)


DEFAULT_POINTS: dict[str, tuple[Point, ...]] = {
    "PRD": _dose_rates(1, 10, 100, tolerance=20),
    "RIID": (
        *_dose_rates(1, 10, 100, tolerance=20),
        Point(661.66, 10, ToleranceKind.ABSOLUTE, quantity="peak_position_cs137", unit="keV"),
    ),
    "SURVEY": _dose_rates(1, 10, 100, 1000, tolerance=15),
    "EPD": (
        *_dose_rates(10, 1000, tolerance=15),
        Point(100, 15, quantity="dose_cs137", unit="µSv"),
    ),
}


def default_points(type_code: str) -> tuple[Point, ...]:
    """The calibration points usually checked for equipment of this type (may be none)."""
    return DEFAULT_POINTS.get(type_code.upper(), ())
