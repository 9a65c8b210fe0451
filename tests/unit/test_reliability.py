"""The reliability model of domain.md / docs/formulas.md §5, on hand-computed cases."""

from datetime import date

import pytest

from equiplan.domain.reliability import (
    ItemReliability,
    availability_by_age,
    availability_by_year,
    baseline_rate,
    cumulative_hazard,
    expected_availability,
    failure_rate,
    logistics_factor,
    mean_down_time,
    prior_rate,
    wear_out_failures,
    wear_out_rate,
    years_between,
    years_past_end_of_support,
)

# --- wear-out -------------------------------------------------------------------------------


def test_cumulative_hazard_is_age_over_eta_to_the_beta() -> None:
    assert cumulative_hazard(5, beta=2, eta=10) == pytest.approx(0.25)
    assert cumulative_hazard(20, beta=2.5, eta=10) == pytest.approx(2**2.5)  # 5.657
    assert cumulative_hazard(0, beta=3, eta=16.9) == 0


def test_wear_out_rate_is_the_hazard_gained_over_the_year_of_age() -> None:
    # H(10) − H(9) = 1 − 0.81
    assert wear_out_rate(9, beta=2, eta=10) == pytest.approx(0.19)
    # A new device: H(1) − H(0) = (1/2)^3
    assert wear_out_rate(0, beta=3, eta=2) == pytest.approx(0.125)
    assert wear_out_failures(4, 8, beta=2, eta=10) == pytest.approx(0.64 - 0.16)


@pytest.mark.parametrize(
    ("age", "beta", "eta"), [(-0.5, 2, 10), (1, 0, 10), (1, 2, 0), (1, float("nan"), 10)]
)
def test_nonsense_wear_out_parameters_are_refused(age: float, beta: float, eta: float) -> None:
    with pytest.raises(ValueError, match="must"):
        cumulative_hazard(age, beta, eta)


# --- λ0 by Gamma–Poisson update -------------------------------------------------------------


def test_prior_rate_is_hours_per_year_over_mtbf() -> None:
    assert prior_rate(8760) == 1.0
    assert prior_rate(30_000) == pytest.approx(0.292, abs=5e-4)


def test_without_history_the_catalogue_rate_stands() -> None:
    assert baseline_rate(4380, failures=0, exposure_years=0) == pytest.approx(2.0)


def test_years_without_failures_pull_the_rate_down() -> None:
    # λ_prior = 1, α = 2: 2 / (2/1 + 3) = 0.4
    assert baseline_rate(8760, failures=0, exposure_years=3) == pytest.approx(0.4)


def test_failures_update_the_prior() -> None:
    # λ_prior = 2, α/λ_prior = 1: (2 + 4) / (1 + 4) = 1.2
    assert baseline_rate(4380, failures=4, exposure_years=4) == pytest.approx(1.2)
    # The PRD example of docs/formulas.md: 5 / (2 / 0.292 + 4) = 0.46
    assert baseline_rate(30_000, failures=3, exposure_years=4) == pytest.approx(
        5 / (60_000 / 8760 + 4)
    )
    assert baseline_rate(30_000, 3, 4) == pytest.approx(0.46, abs=0.005)


def test_the_prior_weight_counts_like_observed_failures() -> None:
    # λ_prior = 2, α = 1: (1 + 4) / (0.5 + 4)
    assert baseline_rate(4380, 4, 4, prior_weight=1.0) == pytest.approx(5 / 4.5)


def test_the_models_records_move_the_prior_then_the_item_its_own_way() -> None:
    # Model: λ_model = (2 + 10) / (1 + 9) = 1.2; item without failures in a year:
    # (2 + 0) / (2 / 1.2 + 1) = 0.75
    rate = baseline_rate(4380, 0, 1, model_failures=10, model_exposure_years=9)
    assert rate == pytest.approx(0.75)
    # Without model records it is the single-step update: 2 / (1 + 1) = 1.0
    assert baseline_rate(4380, failures=0, exposure_years=1) == pytest.approx(1.0)


def test_expected_wear_out_failures_are_taken_out_of_the_counts() -> None:
    # 5 failures of which 1 expected from wear-out: as 4 random failures → 1.2
    assert baseline_rate(4380, 5, 4, expected_wear_out=1.0) == pytest.approx(1.2)
    # Never below zero failures: 2 / (1 + 4) = 0.4
    assert baseline_rate(4380, 4, 4, expected_wear_out=10.0) == pytest.approx(0.4)
    # The same for the model's pool: (2 + 12 − 2) / (1 + 9) = 1.2 → 0.75 as above
    rate = baseline_rate(
        4380, 0, 1, model_failures=12, model_exposure_years=9, model_expected_wear_out=2
    )
    assert rate == pytest.approx(0.75)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"failures": -1, "exposure_years": 1},
        {"failures": 1, "exposure_years": -1},
        {"failures": 1, "exposure_years": 1, "prior_weight": 0},
        {"failures": 1, "exposure_years": 1, "model_failures": -2},
    ],
)
def test_nonsense_history_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        baseline_rate(8760, **kwargs)
    with pytest.raises(ValueError, match="prior MTBF"):
        baseline_rate(0, 0, 0)


def test_failure_rate_adds_wear_out_to_the_random_rate() -> None:
    assert failure_rate(9, lambda0=0.5, beta=2, eta=10) == pytest.approx(0.69)
    assert failure_rate(0, lambda0=0.5, beta=2, eta=10) == pytest.approx(0.51)


# --- mean down time --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("years_past", "factor"), [(-3, 1.0), (0, 1.0), (0.5, 1.25), (1, 1.5), (4, 3.0), (10, 3.0)]
)
def test_logistics_delay_grows_after_end_of_support_up_to_three_times(
    years_past: float, factor: float
) -> None:
    assert logistics_factor(years_past) == pytest.approx(factor)


def test_mean_down_time_from_the_catalogue() -> None:
    # RPM: MTTR 4 h + logistics 48 h
    assert mean_down_time(None, 4, 48, 0) == pytest.approx(52)
    assert mean_down_time(None, 4, 48, -2) == pytest.approx(52)  # still supported
    assert mean_down_time(None, 4, 48, 1) == pytest.approx(4 + 72)
    assert mean_down_time(None, 4, 48, 2) == pytest.approx(4 + 96)
    assert mean_down_time(None, 4, 48, 10) == pytest.approx(4 + 144)  # capped at × 3


def test_observed_down_time_already_holds_the_wait_for_parts() -> None:
    assert mean_down_time(100, 4, 48, 0) == pytest.approx(100)
    # Two years unsupported: the delay has doubled; the extra 48 h comes on top of the records.
    assert mean_down_time(100, 4, 48, 2) == pytest.approx(148)
    assert mean_down_time(0, 4, 48) == 0


def test_negative_down_times_are_refused() -> None:
    with pytest.raises(ValueError, match="observed MTTR"):
        mean_down_time(-1, 4, 48)
    with pytest.raises(ValueError, match="logistics delay"):
        mean_down_time(None, 4, -48)


# --- availability -----------------------------------------------------------------------------


def test_expected_availability() -> None:
    # λ(9) = 0.69 failures/year, 876 h each: 1 − 0.69 × 876 / 8760 = 0.931
    assert expected_availability(9, 0.5, 2, 10, mdt_hours=876) == pytest.approx(0.931)


def test_availability_is_clamped_to_zero_and_one() -> None:
    # 10 failures of a year's down time each: the formula says −9, the device is never up.
    assert expected_availability(0, 10, 2, 10, mdt_hours=8760) == 0.0
    assert expected_availability(0, 0, 2, 10, mdt_hours=0) == 1.0
    # Far beyond η the hazard overflows: still a number, and zero.
    assert expected_availability(1e6, 0.1, 60, 1, mdt_hours=10) == 0.0


def test_availability_by_age_for_the_planner() -> None:
    # λ(0) = 0.51 → 0.949; λ(9) = 0.69 → 0.931
    assert availability_by_age([0, 9], 0.5, 2, 10, 876) == pytest.approx([0.949, 0.931])
    # One down time per age (the later one unsupported)
    assert availability_by_age([0, 9], 0.5, 2, 10, [0, 876]) == pytest.approx([1.0, 0.931])
    with pytest.raises(ValueError, match="2 ages but 1 down times"):
        availability_by_age([0, 9], 0.5, 2, 10, [876])


def test_years_and_support_from_dates() -> None:
    assert years_between(date(2020, 1, 1), date(2024, 1, 1)) == 4.0  # 1461 days
    assert years_past_end_of_support(None, date(2030, 1, 1)) == 0.0
    assert years_past_end_of_support(date(2026, 1, 1), date(2025, 1, 1)) == 0.0
    assert years_past_end_of_support(date(2020, 1, 1), date(2022, 1, 1)) == pytest.approx(
        731 / 365.25
    )


def test_availability_by_calendar_year() -> None:
    item = ItemReliability(
        commissioned_on=date(2020, 1, 1),
        lambda0=0.5,
        beta=2,
        eta=10,
        prior_mttr_hours=4,
        logistics_delay_hours=48,
        end_of_support=date(2024, 1, 1),
    )
    # 2024: age 4, λ = 0.5 + 0.25 − 0.16 = 0.59, just at end of support, MDT 52 h
    # 2028: age 8, λ = 0.5 + 0.81 − 0.64 = 0.67, 4 years unsupported, MDT 4 + 3 × 48 = 148 h
    assert availability_by_year(item, [2024, 2028]) == pytest.approx(
        [1 - 0.59 * 52 / 8760, 1 - 0.67 * 148 / 8760]
    )


def test_the_year_of_commissioning_counts_as_age_zero() -> None:
    item = ItemReliability(
        commissioned_on=date(2020, 6, 1),
        lambda0=0.0,
        beta=1,
        eta=1,
        prior_mttr_hours=876,
        logistics_delay_hours=0,
    )
    # λ(0) = H(1) − H(0) = 1 failure of 876 h → 0.9
    assert availability_by_year(item, [2020]) == pytest.approx([0.9])
