"""Tolerance, pass/fail and drift of calibration readings (domain.md), without a database."""

from decimal import Decimal

import pytest

from equiplan.domain.calibration import (
    Point,
    ToleranceKind,
    default_points,
    describe_quantity,
    deviation,
    drift,
    evaluate,
    relative_deviation,
    within_tolerance,
)

ABS, PCT = ToleranceKind.ABSOLUTE, ToleranceKind.PERCENT


@pytest.mark.parametrize(
    ("reading", "expected"),
    [(10.5, True), (9.5, True), (10.0, True), (10.500001, False), (9.499999, False)],
)
def test_absolute_tolerance_includes_its_boundaries(reading: float, expected: bool) -> None:
    assert within_tolerance(reading, 10, 0.5, ABS) is expected


@pytest.mark.parametrize(
    ("reading", "expected"),
    [(0.84, True), (0.56, True), (0.8400001, False), (0.5599999, False)],
)
def test_percentage_boundary_is_not_lost_to_float_rounding(reading: float, expected: bool) -> None:
    # In binary floating point |0.84 - 0.7| > 20 / 100 * 0.7: a naive check fails the boundary.
    assert abs(0.84 - 0.7) > 20 / 100 * 0.7
    assert within_tolerance(reading, 0.7, 20, PCT) is expected


def test_absolute_boundary_with_awkward_decimals() -> None:
    # 0.3 - 0.1 is 0.19999999999999998 in floats, 0.1 + 0.2 is 0.30000000000000004.
    assert within_tolerance(0.3, 0.1, 0.2, ABS)
    assert within_tolerance(0.1 + 0.2, 0.1, 0.2, "abs") is False  # it really is above 0.3


def test_percentage_of_a_negative_nominal_uses_its_magnitude() -> None:
    assert within_tolerance(-11, -10, 10, PCT)
    assert within_tolerance(-9, -10, 10, PCT)
    assert not within_tolerance(-11.01, -10, 10, PCT)
    assert not within_tolerance(-8.99, -10, 10, PCT)
    assert relative_deviation(-11, -10) == pytest.approx(-10.0)


def test_percentage_of_a_zero_nominal_allows_no_deviation() -> None:
    assert within_tolerance(0, 0, 20, PCT)
    assert not within_tolerance(0.0001, 0, 20, PCT)
    assert not within_tolerance(-0.0001, 0, 20, PCT)
    # An absolute tolerance is what works around zero.
    assert within_tolerance(0.05, 0, 0.05, ABS)
    assert relative_deviation(0.5, 0) is None


def test_deviation_is_signed_and_exact() -> None:
    assert deviation(1.32, 1.1) == 0.22
    assert deviation(9.5, 10) == -0.5
    assert relative_deviation(12, 10) == pytest.approx(20.0)
    assert relative_deviation(Decimal("9"), 10) == pytest.approx(-10.0)


def test_non_finite_readings_are_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        within_tolerance(float("nan"), 10, 1, ABS)
    with pytest.raises(ValueError, match="finite"):
        deviation(float("inf"), 10)


def test_evaluation_as_found_and_as_left() -> None:
    points = [
        # Found out of tolerance, adjusted back in.
        Point(nominal=10, tolerance=20, as_found=13, as_left=10.2),
        # Found in tolerance, not adjusted: left as found.
        Point(nominal=100, tolerance=20, as_found=110),
    ]
    result = evaluate(points)
    assert result.as_found_passed is False
    assert result.as_left_passed is True
    assert result.passed is True
    assert [(v.as_found_within, v.as_left_within) for v in result.points] == [
        (False, True),
        (True, True),
    ]


def test_not_adjusted_means_left_as_found_so_a_bad_reading_fails_both() -> None:
    result = evaluate([Point(nominal=10, tolerance=1, tolerance_kind=ABS, as_found=12)])
    assert (result.as_found_passed, result.as_left_passed) == (False, False)


def test_point_without_as_found_is_not_judged_as_found() -> None:
    result = evaluate(
        [
            Point(nominal=10, tolerance=20, as_left=10.1),
            Point(nominal=100, tolerance=20, as_found=101),
        ]
    )
    assert result.points[0].as_found_within is None
    assert result.points[0].as_left_within is True
    assert result.as_found_passed is True


def test_as_left_out_of_tolerance_fails_the_calibration() -> None:
    result = evaluate([Point(nominal=10, tolerance=5, as_found=10, as_left=11)])
    assert result.as_found_passed is True
    assert result.passed is False


def test_drift_against_the_previous_as_left_at_the_same_nominal() -> None:
    previous = [
        Point(nominal=1, tolerance=20, as_found=1.3, as_left=1.02),
        Point(nominal=10, tolerance=20, as_found=9.8),  # not adjusted: left at 9.8
    ]
    # The points come in another order this time: they are matched by nominal, not by row.
    assert drift(Point(nominal=10, tolerance=20, as_found=10.3), previous) == pytest.approx(0.5)
    assert drift(Point(nominal=1, tolerance=20, as_found=1.1), previous) == pytest.approx(0.08)


def test_drift_is_exact_in_decimal() -> None:
    previous = [Point(nominal=1, tolerance=20, as_found=1.3, as_left=1.02)]
    assert 1.1 - 1.02 != 0.08  # floats would show 0.08000000000000007
    assert drift(Point(nominal=1, tolerance=20, as_found=1.1), previous) == 0.08


def test_no_drift_without_a_previous_calibration_or_comparable_point() -> None:
    point = Point(nominal=10, tolerance=20, as_found=10.3)
    assert drift(point, None) is None
    assert drift(point, []) is None
    assert drift(point, [Point(nominal=100, tolerance=20, as_found=99)]) is None
    # Same nominal, different quantity or unit: not comparable.
    assert drift(point, [Point(nominal=10, tolerance=20, as_found=10, unit="cps")]) is None
    assert drift(point, [Point(nominal=10, tolerance=20, as_found=10, quantity="dose")]) is None
    # No reading now, or none before.
    assert drift(Point(nominal=10, tolerance=20), [Point(10, 20, as_found=10)]) is None
    assert drift(point, [Point(nominal=10, tolerance=20)]) is None


def test_default_points_for_dose_rate_instruments() -> None:
    prd = default_points("PRD")
    assert [(p.nominal, p.tolerance, p.tolerance_kind, p.unit) for p in prd] == [
        (1, 20, PCT, "µSv/h"),
        (10, 20, PCT, "µSv/h"),
        (100, 20, PCT, "µSv/h"),
    ]
    assert default_points("riid")[-1].quantity == "peak_position_cs137"
    assert default_points("RPM") == ()


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("dose_rate_cs137", ("dose_rate", "Cs-137")),
        ("dose_cs137", ("dose", "Cs-137")),
        ("peak_position_am241", ("peak_position", "Am-241")),
        ("neutron_response_cf252", ("neutron_response", "Cf-252")),
        ("fwhm_co60", ("fwhm", "Co-60")),
        ("dose_rate", ("dose_rate", None)),
        ("temperature", ("temperature", None)),
        ("dose_rate_whatever", ("dose_rate_whatever", None)),
    ],
)
def test_quantity_codes_are_described(code: str, expected: tuple[str, str | None]) -> None:
    assert describe_quantity(code) == expected
