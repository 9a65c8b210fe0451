"""The reliability model behind the planner (domain.md, "Reliability model"; docs/formulas.md §5).

Failure rate of an item at age a (years), in failures per year over the year [a, a + 1]:

    λ(a) = λ0 + H(a + 1) − H(a),   H(a) = (a / η)^β

λ0 is the random (age-independent) rate, learnt from the records by a Gamma–Poisson update of the
type's catalogue MTBF; H is the Weibull wear-out cumulative hazard (β, η fitted per model in
`weibull.py`, or the type's priors). With the mean down time per failure MDT (hours), the expected
availability in that year is A(a) = 1 − λ(a) · MDT / 8760.

Everything here takes and returns plain numbers and dates, so the planner can call it for every
item and year without a database. Invalid parameters raise ValueError (they are data errors the
caller must not silently plan with).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

HOURS_PER_YEAR = 8760.0
# Ages and support periods are counted in Julian years, as the synthetic history generator does.
DAYS_PER_YEAR = 365.25

# The catalogue MTBF counts like this many observed failures (domain.md: "α, e.g. 2").
DEFAULT_PRIOR_WEIGHT = 2.0

# After the model's end of support spares get scarce: the logistics delay grows by half of itself
# per year past the end of support, up to three times the supported delay (reached after 4 years).
SUPPORT_DELAY_GROWTH_PER_YEAR = 0.5
SUPPORT_DELAY_MAX_FACTOR = 3.0


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _check_shape(beta: float, eta: float) -> None:
    _require(math.isfinite(beta) and beta > 0, f"Weibull shape β must be positive, got {beta!r}")
    _require(math.isfinite(eta) and eta > 0, f"Weibull scale η must be positive, got {eta!r}")


def cumulative_hazard(age_years: float, beta: float, eta: float) -> float:
    """Weibull wear-out cumulative hazard H(a) = (a / η)^β: the expected number of wear-out
    failures from commissioning up to age a. Ages are in years and must not be negative."""
    _check_shape(beta, eta)
    _require(age_years >= 0, f"age must not be negative, got {age_years!r}")
    try:
        return float((age_years / eta) ** beta)
    except OverflowError:
        # Absurdly old against η: the device is certain to be failing; let A(a) clamp to 0.
        return math.inf


def wear_out_failures(from_age: float, to_age: float, beta: float, eta: float) -> float:
    """Expected wear-out failures between two ages: H(to) − H(from). Used to take the wear-out
    share out of observed failure counts before learning λ0 (see `baseline_rate`)."""
    _require(to_age >= from_age, f"age range is reversed: {from_age!r} > {to_age!r}")
    upper = cumulative_hazard(to_age, beta, eta)
    if math.isinf(upper):
        return math.inf
    return upper - cumulative_hazard(from_age, beta, eta)


def wear_out_rate(age_years: float, beta: float, eta: float) -> float:
    """Wear-out failures expected in the year of age [a, a + 1]: H(a + 1) − H(a)."""
    return wear_out_failures(age_years, age_years + 1.0, beta, eta)


def prior_rate(prior_mtbf_hours: float) -> float:
    """The catalogue failure rate λ_prior = 8760 / MTBF, in failures per year."""
    _require(
        math.isfinite(prior_mtbf_hours) and prior_mtbf_hours > 0,
        f"prior MTBF must be positive, got {prior_mtbf_hours!r}",
    )
    return HOURS_PER_YEAR / prior_mtbf_hours


def _posterior_mean(prior_mean: float, weight: float, failures: float, exposure: float) -> float:
    # Gamma(shape α, rate α/λ_prior) prior, Poisson counts: posterior mean (α + n) / (α/λ + T).
    return (weight + failures) / (weight / prior_mean + exposure)


def baseline_rate(
    prior_mtbf_hours: float,
    failures: float,
    exposure_years: float,
    prior_weight: float = DEFAULT_PRIOR_WEIGHT,
    *,
    expected_wear_out: float = 0.0,
    model_failures: float = 0.0,
    model_exposure_years: float = 0.0,
    model_expected_wear_out: float = 0.0,
) -> float:
    """The item's random failure rate λ0 (failures/year): the posterior mean of a Gamma–Poisson
    update, (α + n) / (α / λ_prior + T), with λ_prior = 8760 / MTBF_prior and α = `prior_weight`.

    Pooling with the model, in two steps: first the model's pooled counts (`model_failures` over
    `model_exposure_years`, all its items) update the type's prior to a model rate λ_model; then
    λ_model, still with weight α, is the prior for the item's own `failures` over
    `exposure_years`. The model's records thus move the prior's mean but not its weight, so an
    item that fails more (or less) than its siblings is still told apart by its own history.
    Without model data λ_model = λ_prior and this is the single-step formula of domain.md.

    Failures counted in the records include wear-out failures, which the model adds separately
    through H. Pass the expected wear-out failures over the same exposure (`wear_out_failures`
    for each item's ages, summed for the model) to take them out of the counts (never below 0);
    otherwise old fleets would count their wear-out twice.
    """
    _require(prior_weight > 0, f"prior weight must be positive, got {prior_weight!r}")
    for name, value in (
        ("failures", failures),
        ("exposure", exposure_years),
        ("expected wear-out", expected_wear_out),
        ("model failures", model_failures),
        ("model exposure", model_exposure_years),
        ("model expected wear-out", model_expected_wear_out),
    ):
        _require(math.isfinite(value) and value >= 0, f"{name} must not be negative, got {value!r}")
    model_rate = _posterior_mean(
        prior_rate(prior_mtbf_hours),
        prior_weight,
        max(model_failures - model_expected_wear_out, 0.0),
        model_exposure_years,
    )
    return _posterior_mean(
        model_rate, prior_weight, max(failures - expected_wear_out, 0.0), exposure_years
    )


def failure_rate(age_years: float, lambda0: float, beta: float, eta: float) -> float:
    """Expected failures in the year of age [a, a + 1]: λ(a) = λ0 + H(a + 1) − H(a)."""
    _require(lambda0 >= 0, f"λ0 must not be negative, got {lambda0!r}")
    return lambda0 + wear_out_rate(age_years, beta, eta)


def logistics_factor(years_past_end_of_support: float) -> float:
    """How much the logistics delay has grown: 1 while the model is supported, then
    1 + 0.5 per year past its end of support, at most 3."""
    past = max(years_past_end_of_support, 0.0)
    return min(1.0 + SUPPORT_DELAY_GROWTH_PER_YEAR * past, SUPPORT_DELAY_MAX_FACTOR)


def mean_down_time(
    observed_mttr_hours: float | None,
    prior_mttr_hours: float,
    logistics_delay_hours: float,
    years_past_end_of_support: float = 0.0,
) -> float:
    """Mean down time per failure, in hours: MDT = MTTR + logistics delay.

    Without records: the type's MTTR + its logistics delay × `logistics_factor`.
    With records, `observed_mttr_hours` is the MTTR of the KPI pages, measured from downtime, so
    it already contains the waiting for parts the item met; it replaces both terms and only the
    growth after the end of support, logistics delay × (factor − 1), is added on top (the records
    are taken to describe the supported period).
    """
    _require(prior_mttr_hours >= 0, f"prior MTTR must not be negative, got {prior_mttr_hours!r}")
    _require(
        logistics_delay_hours >= 0,
        f"logistics delay must not be negative, got {logistics_delay_hours!r}",
    )
    factor = logistics_factor(years_past_end_of_support)
    if observed_mttr_hours is None:
        return prior_mttr_hours + logistics_delay_hours * factor
    _require(
        observed_mttr_hours >= 0,
        f"observed MTTR must not be negative, got {observed_mttr_hours!r}",
    )
    return observed_mttr_hours + logistics_delay_hours * (factor - 1.0)


def availability(rate_per_year: float, mdt_hours: float) -> float:
    """Expected share of a year the item is up: 1 − λ · MDT / 8760, clamped to [0, 1]."""
    _require(mdt_hours >= 0, f"mean down time must not be negative, got {mdt_hours!r}")
    if mdt_hours == 0:
        return 1.0  # also for an infinite rate: failures that cost no time cost no availability
    return min(max(1.0 - rate_per_year * mdt_hours / HOURS_PER_YEAR, 0.0), 1.0)


def expected_availability(
    age_years: float, lambda0: float, beta: float, eta: float, mdt_hours: float
) -> float:
    """Expected availability in the year of age [a, a + 1]: A(a) = 1 − λ(a) · MDT / 8760,
    clamped to [0, 1] (a rate so high that the formula goes negative means "always down")."""
    return availability(failure_rate(age_years, lambda0, beta, eta), mdt_hours)


def availability_by_age(
    ages: Sequence[float],
    lambda0: float,
    beta: float,
    eta: float,
    mdt_hours: float | Sequence[float],
) -> list[float]:
    """A(a) for each age in `ages`. `mdt_hours` is one value for all ages, or one per age (the
    down time grows once the model is past its end of support)."""
    if isinstance(mdt_hours, int | float):
        mdts: Sequence[float] = [float(mdt_hours)] * len(ages)
    else:
        mdts = mdt_hours
        _require(len(mdts) == len(ages), f"{len(ages)} ages but {len(mdts)} down times")
    return [
        expected_availability(age, lambda0, beta, eta, mdt)
        for age, mdt in zip(ages, mdts, strict=True)
    ]


def years_between(start: date, end: date) -> float:
    """Years from `start` to `end` (negative if `end` is earlier), in Julian years."""
    return (end - start).days / DAYS_PER_YEAR


def years_past_end_of_support(end_of_support: date | None, on: date) -> float:
    """Years the model has been unsupported on `on` (0 while supported or with no end date)."""
    if end_of_support is None:
        return 0.0
    return max(years_between(end_of_support, on), 0.0)


@dataclass(frozen=True)
class ItemReliability:
    """Everything the planner needs to forecast one item, as plain values."""

    commissioned_on: date
    lambda0: float  # random failures per year (`baseline_rate`)
    beta: float  # wear-out shape (fitted or prior, `weibull.WeibullParameters`)
    eta: float  # wear-out scale, years
    prior_mttr_hours: float
    logistics_delay_hours: float
    observed_mttr_hours: float | None = None
    end_of_support: date | None = None


def availability_by_year(item: ItemReliability, years: Sequence[int]) -> list[float]:
    """Expected availability of `item` in each calendar year: A(a) with a = its age on 1 January
    (0 for the year it is commissioned in) and the down time with the support state on that day."""
    result = []
    for year in years:
        first_day = date(year, 1, 1)
        age = max(years_between(item.commissioned_on, first_day), 0.0)
        mdt = mean_down_time(
            item.observed_mttr_hours,
            item.prior_mttr_hours,
            item.logistics_delay_hours,
            years_past_end_of_support(item.end_of_support, first_day),
        )
        result.append(expected_availability(age, item.lambda0, item.beta, item.eta, mdt))
    return result
