"""Wear-out parameters per model: the censored Weibull fit, the priors, the survival curves."""

import numpy as np
import pytest
from scipy import stats

from equiplan.domain.weibull import (
    MIN_FAILURES_FOR_FIT,
    SurvivalPoint,
    WeibullParameters,
    enough_for_fit,
    excess_failures,
    expected_random_failures,
    fit_weibull,
    kaplan_meier,
    prior_weibull,
    weibull_survival,
)

PRIOR = prior_weibull(beta=2.5, eta_factor=1.2, design_life_years=8)  # RIID: η = 9.6 years
# The fit must land within 15 % of the parameters the data were drawn from (over 40 seeds the
# worst was 13 %); with random failures as a competing risk there is less to learn from, 20 %
# (worst of 40 seeds: 18 %).
TOLERANCE = 0.15
TOLERANCE_WITH_RANDOM_FAILURES = 0.20


def censored_lifetimes(
    seed: int, items: int, beta: float, eta: float, random_rate: float = 0.0
) -> tuple[list[float], list[float]]:
    """Ages at first failure, and ages at the end of observation of the items that had not
    failed by then (observed for 1 to 15 years, uniformly)."""
    rng = np.random.default_rng(seed)
    life = eta * rng.weibull(beta, items)
    if random_rate:
        life = np.minimum(life, rng.exponential(1 / random_rate, items))
    observed = rng.uniform(1, 15, items)
    return life[life <= observed].tolist(), observed[life > observed].tolist()


def test_priors_are_the_types_beta_and_eta_factor_times_design_life() -> None:
    assert WeibullParameters(beta=2.5, eta=pytest.approx(9.6), source="prior") == PRIOR
    with pytest.raises(ValueError, match="must be positive"):
        prior_weibull(2.5, 0, 8)


def test_the_fit_recovers_known_parameters_from_censored_lifetimes() -> None:
    failed, censored = censored_lifetimes(seed=5, items=400, beta=2.5, eta=10)
    assert 100 < len(failed) < 300  # both kinds of lifetimes are well represented

    fit = fit_weibull(failed, censored, PRIOR)

    assert fit.source == "fitted"
    assert (fit.failures, fit.censored) == (len(failed), len(censored))
    assert fit.beta == pytest.approx(2.5, rel=TOLERANCE)
    assert fit.eta == pytest.approx(10, rel=TOLERANCE)
    # Right-censoring is taken into account: dropping the survivors would shorten η badly.
    naive = stats.weibull_min.fit(failed, floc=0)
    assert naive[2] < 0.8 * fit.eta


def test_the_fit_is_deterministic() -> None:
    failed, censored = censored_lifetimes(seed=11, items=300, beta=3, eta=8)
    assert fit_weibull(failed, censored, PRIOR) == fit_weibull(failed, censored, PRIOR)


def test_random_failures_are_kept_out_of_the_wear_out_fit() -> None:
    # First failures: random at 0.1/year, or wear-out with β = 2.5, η = 10, whichever first.
    failed, censored = censored_lifetimes(seed=3, items=1000, beta=2.5, eta=10, random_rate=0.1)

    fit = fit_weibull(failed, censored, PRIOR, random_rate=0.1)

    assert fit.source == "fitted"
    assert fit.beta == pytest.approx(2.5, rel=TOLERANCE_WITH_RANDOM_FAILURES)
    assert fit.eta == pytest.approx(10, rel=TOLERANCE_WITH_RANDOM_FAILURES)
    # A bare Weibull on the same lifetimes mistakes the random failures for early wear-out.
    bare = fit_weibull(failed, censored, PRIOR)
    assert bare.beta < 2
    assert bare.eta < 8


def test_too_few_failures_give_the_priors() -> None:
    failed = [1.0, 2.5, 3.0, 4.2, 5.0, 5.5, 6.1, 7.0, 8.3]  # 9 failures
    assert len(failed) == MIN_FAILURES_FOR_FIT - 1
    censored = [2.0] * 50

    result = fit_weibull(failed, censored, PRIOR)

    assert result == WeibullParameters(2.5, pytest.approx(9.6), "prior", failures=9, censored=50)
    assert fit_weibull([*failed, 9.0], censored, PRIOR).source == "fitted"


def test_failures_the_random_rate_explains_do_not_count_towards_a_fit() -> None:
    # Only random failures (1.5/year, an RPM lane): nothing to learn about wear-out.
    rng = np.random.default_rng(8)
    life = rng.exponential(1 / 1.5, 200)
    observed = rng.uniform(1, 15, 200)
    failed, censored = life[life <= observed].tolist(), observed[life > observed].tolist()
    assert len(failed) > 150

    # By chance a few more failures than expected, but far fewer than chance allows (2 √E).
    expected = expected_random_failures(failed, censored, 1.5)
    assert MIN_FAILURES_FOR_FIT <= excess_failures(failed, censored, 1.5) < 2 * np.sqrt(expected)
    assert not enough_for_fit(failed, censored, 1.5)
    assert fit_weibull(failed, censored, PRIOR, random_rate=1.5).source == "prior"


def test_excess_failures_is_failures_minus_the_random_rate_times_time_at_risk() -> None:
    assert excess_failures([1, 2], [3, 4], random_rate=0.0) == 2
    assert excess_failures([1, 2], [3, 4], random_rate=0.1) == pytest.approx(2 - 1.0)


def test_an_implausible_fit_gives_the_priors() -> None:
    # Every item failed at exactly five years: the likelihood wants β → ∞.
    result = fit_weibull([5.0] * 12, [], PRIOR)
    assert (result.source, result.beta, result.failures) == ("prior", 2.5, 12)


def test_failures_on_the_day_of_commissioning_do_not_break_the_fit() -> None:
    failed, censored = censored_lifetimes(seed=5, items=400, beta=2.5, eta=10)
    fit = fit_weibull([0.0, *failed], censored, PRIOR)
    assert fit.source == "fitted"
    assert fit.eta == pytest.approx(10, rel=TOLERANCE)


def test_negative_lifetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="failure ages must be finite"):
        fit_weibull([1.0, -2.0], [], PRIOR)
    with pytest.raises(ValueError, match="random rate"):
        fit_weibull([1.0], [], PRIOR, random_rate=-0.1)


def test_weibull_survival_at_given_ages() -> None:
    assert weibull_survival([0, 10, 20], beta=2, eta=10) == pytest.approx(
        [1.0, np.exp(-1), np.exp(-4)]
    )
    # With random failures as a competing risk: exp(−0.1 × 10 − 1)
    assert weibull_survival([10], beta=2, eta=10, random_rate=0.1) == pytest.approx([np.exp(-2)])


def test_kaplan_meier_on_a_hand_checked_case() -> None:
    # Failures at 1, 2, 2, 4; one item seen working at 3.
    # 1: 5 at risk, 1 fails → 4/5 = 0.8; 2: 4 at risk, 2 fail → 0.8 × 2/4 = 0.4;
    # 3: censored, 1 left; 4: it fails → 0.
    assert kaplan_meier([1, 2, 2, 4], [3]) == [
        SurvivalPoint(age=0.0, survival=1.0, at_risk=5, failures=0),
        SurvivalPoint(age=1.0, survival=pytest.approx(0.8), at_risk=5, failures=1),
        SurvivalPoint(age=2.0, survival=pytest.approx(0.4), at_risk=4, failures=2),
        SurvivalPoint(age=4.0, survival=0.0, at_risk=1, failures=1),
    ]


def test_kaplan_meier_counts_an_item_censored_at_a_failure_age_as_at_risk() -> None:
    # At 3: three items observed (the failed one, the one censored at 3, the one at 5).
    points = kaplan_meier([3], [3, 5])
    assert points[-1] == SurvivalPoint(3.0, pytest.approx(2 / 3), at_risk=3, failures=1)
    assert kaplan_meier([], [1, 2]) == [SurvivalPoint(0.0, 1.0, 2, 0)]


def test_kaplan_meier_agrees_with_scipy() -> None:
    failed, censored = censored_lifetimes(seed=2, items=200, beta=2, eta=6)
    points = kaplan_meier(failed, censored)
    reference = stats.ecdf(stats.CensoredData(uncensored=failed, right=censored)).sf
    ages = [p.age for p in points]
    assert len(ages) == len(failed) + 1  # no ties among drawn ages: one step per failure
    assert [p.survival for p in points] == pytest.approx(list(reference.evaluate(ages)))
