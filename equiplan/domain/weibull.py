"""Wear-out parameters per model: a Weibull fit on right-censored lifetimes, or the type's priors;
and the survival curves to chart them (docs/formulas.md §5).

A lifetime is an item's age at its first failure (a failure) or its age when observation ended
without one (right-censored: it has not failed *yet*). Ages are in years. Only items whose whole
life is in the records give lifetimes: an item commissioned before the records begin may have
failed unseen before them.

The first failure of an item can be a random failure (rate λ0) or a wear-out failure (Weibull β,
η), whichever comes first: S(t) = exp(−λ0·t − (t/η)^β). Fitting a bare Weibull to first failures
of a type with frequent random failures gives β ≈ 1 and a short η, i.e. the random rate again,
and the planner would count it twice. So with a known random rate (λ0 of the model, from
`reliability.baseline_rate`) the fit is of that competing-risk law with λ0 held fixed; with
λ0 = 0 it is SciPy's `weibull_min` fit. Both are maximum-likelihood fits by SciPy on a
`scipy.stats.CensoredData`, deterministic (Nelder–Mead from fixed starting values).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats

# A fit needs at least this many first failures beyond those the random rate explains (with
# λ0 = 0: at least this many failures); with fewer, the wear-out shape is not identifiable.
MIN_FAILURES_FOR_FIT = 10
# ... and the excess must be more than chance: at least this many standard deviations of the
# random count (Poisson: √(expected random failures)); at 2, a fleet with only random failures is
# mistaken for wear-out about once in 40 times.
MIN_EXCESS_SIGMAS = 2.0
# A fit is believed only inside these bounds; outside them the optimiser has wandered into a flat
# likelihood (wear-out not visible in the data) and the priors are the better guess.
BETA_RANGE = (0.2, 20.0)
ETA_MAX_OVER_LONGEST_LIFETIME = 20.0
# Lifetimes of zero (failed on the day of commissioning) are taken as one day: log-likelihoods
# need a positive age.
MIN_LIFETIME_YEARS = 1.0 / 365.25

Source = Literal["fitted", "prior"]


@dataclass(frozen=True)
class WeibullParameters:
    """Wear-out shape β and scale η (years); `source` says whether they were fitted from the
    records or are the type's priors; `failures`/`censored` count the lifetimes seen."""

    beta: float
    eta: float
    source: Source
    failures: int = 0
    censored: int = 0


def prior_weibull(beta: float, eta_factor: float, design_life_years: float) -> WeibullParameters:
    """The type's priors: β as catalogued, η = η factor × design life."""
    if not (beta > 0 and eta_factor > 0 and design_life_years > 0):
        raise ValueError("β, η factor and design life must be positive")
    return WeibullParameters(beta=beta, eta=eta_factor * design_life_years, source="prior")


def _lifetimes(values: Sequence[float], what: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    array = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{what} must be finite ages of zero or more years")
    return np.maximum(array, MIN_LIFETIME_YEARS)


def expected_random_failures(
    failure_ages: Sequence[float], censored_ages: Sequence[float], random_rate: float
) -> float:
    """First failures the random rate alone would give: λ0 × (total time at risk), the time at
    risk of an item being its lifetime (it is no longer at risk of a *first* failure after it)."""
    return random_rate * (math.fsum(failure_ages) + math.fsum(censored_ages))


def excess_failures(
    failure_ages: Sequence[float], censored_ages: Sequence[float], random_rate: float = 0.0
) -> float:
    """First failures beyond those the random rate explains: n − λ0 · (total time at risk).
    With λ0 = 0 this is the number of failures."""
    return len(failure_ages) - expected_random_failures(failure_ages, censored_ages, random_rate)


def enough_for_fit(
    failure_ages: Sequence[float],
    censored_ages: Sequence[float],
    random_rate: float = 0.0,
    min_failures: int = MIN_FAILURES_FOR_FIT,
) -> bool:
    """Whether the lifetimes show wear-out to fit: at least `min_failures` failures beyond those
    the random rate explains, and that excess at least 2 √(expected random failures)."""
    expected = expected_random_failures(failure_ages, censored_ages, random_rate)
    excess = len(failure_ages) - expected
    return excess >= min_failures and excess >= MIN_EXCESS_SIGMAS * math.sqrt(expected)


class _FirstFailure(stats.rv_continuous):  # type: ignore[misc]
    """Age at first failure with random failures (rate lam) and Weibull wear-out (beta, eta)
    as competing risks: S(t) = exp(−lam·t − (t/eta)^beta). Used with loc = 0, scale = 1."""

    def _argcheck(self, beta: Any, eta: Any, lam: Any) -> Any:
        return (beta > 0) & (eta > 0) & (lam >= 0)

    def _logsf(self, x: Any, beta: Any, eta: Any, lam: Any) -> Any:
        return -lam * x - (x / eta) ** beta

    def _sf(self, x: Any, beta: Any, eta: Any, lam: Any) -> Any:
        return np.exp(self._logsf(x, beta, eta, lam))

    def _cdf(self, x: Any, beta: Any, eta: Any, lam: Any) -> Any:
        return -np.expm1(self._logsf(x, beta, eta, lam))

    def _logpdf(self, x: Any, beta: Any, eta: Any, lam: Any) -> Any:
        hazard = lam + beta / eta * (x / eta) ** (beta - 1)
        return np.log(hazard) + self._logsf(x, beta, eta, lam)

    def _pdf(self, x: Any, beta: Any, eta: Any, lam: Any) -> Any:
        return np.exp(self._logpdf(x, beta, eta, lam))


_FIRST_FAILURE = _FirstFailure(a=0.0, name="first_failure", shapes="beta, eta, lam")


def _maximum_likelihood(
    data: Any, prior: WeibullParameters, random_rate: float
) -> tuple[float, float] | None:
    """(β, η) maximising the censored likelihood, or None if SciPy gives up."""
    # The optimiser probes extreme parameters on its way (overflow, log of 0): expected and
    # harmless for the result, but they must not escape as warnings (tests run with -W error).
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            if random_rate == 0:
                beta, _loc, eta = stats.weibull_min.fit(data, floc=0)
            else:
                # All three shapes, loc and scale given: SciPy then skips its moment-based start
                # (numerical integrals, 8× the cost of the fit) and starts at the priors.
                beta, eta, _lam, _loc, _scale = _FIRST_FAILURE.fit(
                    data,
                    prior.beta,
                    prior.eta,
                    random_rate,
                    loc=0.0,
                    scale=1.0,
                    f2=random_rate,
                    floc=0.0,
                    fscale=1.0,
                )
        except (ValueError, RuntimeError, FloatingPointError, stats.FitError):
            return None
    return float(beta), float(eta)


def fit_weibull(
    failure_ages: Sequence[float],
    censored_ages: Sequence[float],
    prior: WeibullParameters,
    *,
    random_rate: float = 0.0,
    min_failures: int = MIN_FAILURES_FOR_FIT,
) -> WeibullParameters:
    """Wear-out β, η of a model from its lifetimes: ages at first failure and ages at the end of
    observation of the items that have not failed. `random_rate` is the model's λ0 (failures per
    year) treated as a competing risk; 0 fits a plain Weibull.

    The fit is made only with at least `min_failures` failures beyond the random rate, more
    than chance would give (`enough_for_fit`), and kept only if 0.2 ≤ β ≤ 20 and
    η ≤ 20 × the longest lifetime; otherwise the `prior` comes back with source "prior". Either
    way the counts of failures and censored lifetimes are reported.
    """
    if not (math.isfinite(random_rate) and random_rate >= 0):
        raise ValueError(f"random rate must not be negative, got {random_rate!r}")
    failed = _lifetimes(failure_ages, "failure ages")
    censored = _lifetimes(censored_ages, "censored ages")
    fallback = WeibullParameters(
        prior.beta, prior.eta, "prior", failures=len(failed), censored=len(censored)
    )
    if not enough_for_fit(failed.tolist(), censored.tolist(), random_rate, min_failures):
        return fallback
    data = stats.CensoredData(uncensored=failed, right=censored)
    fitted = _maximum_likelihood(data, prior, random_rate)
    if fitted is None:
        return fallback
    beta, eta = fitted
    longest = float(max(failed.max(), censored.max(initial=0.0)))
    plausible = (
        math.isfinite(beta)
        and math.isfinite(eta)
        and BETA_RANGE[0] <= beta <= BETA_RANGE[1]
        and 0 < eta <= ETA_MAX_OVER_LONGEST_LIFETIME * longest
    )
    if not plausible:
        return fallback
    return WeibullParameters(beta, eta, "fitted", failures=len(failed), censored=len(censored))


def weibull_survival(
    ages: Sequence[float], beta: float, eta: float, random_rate: float = 0.0
) -> list[float]:
    """Probability of no failure yet at each age: S(t) = exp(−λ0·t − (t/η)^β); with λ0 = 0 the
    Weibull survival exp(−(t/η)^β). Charted against the Kaplan–Meier estimate."""
    if not (beta > 0 and eta > 0 and random_rate >= 0):
        raise ValueError("β and η must be positive and the random rate not negative")
    return [math.exp(-random_rate * t - (max(t, 0.0) / eta) ** beta) for t in ages]


@dataclass(frozen=True)
class SurvivalPoint:
    """One step of the Kaplan–Meier curve: from `age` on, the estimated share still without a
    failure is `survival`; `at_risk` items were under observation and `failures` failed at it."""

    age: float
    survival: float
    at_risk: int
    failures: int


def kaplan_meier(
    failure_ages: Sequence[float], censored_ages: Sequence[float]
) -> list[SurvivalPoint]:
    """Kaplan–Meier estimate of the share still without a failure, from right-censored
    lifetimes: at each age t with d failures among the n items still observed at t,
    S drops by the factor (1 − d / n). An item censored at t counts as observed at t (it was
    seen working then). The curve starts at (0, 1) and has one step per distinct failure age."""
    for value in (*failure_ages, *censored_ages):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError("lifetimes must be finite ages of zero or more years")
    # Events in age order; at equal ages failures come first, so the censored count as at risk.
    events = sorted([(float(t), 0) for t in failure_ages] + [(float(t), 1) for t in censored_ages])
    at_risk = len(events)
    survival = 1.0
    points = [SurvivalPoint(age=0.0, survival=1.0, at_risk=at_risk, failures=0)]
    index = 0
    while index < len(events):
        age = events[index][0]
        failures = leaving = 0
        while index < len(events) and events[index][0] == age:
            failures += 1 if events[index][1] == 0 else 0
            leaving += 1
            index += 1
        if failures:
            survival *= 1.0 - failures / at_risk
            points.append(SurvivalPoint(age, survival, at_risk, failures))
        at_risk -= leaving
    return points
