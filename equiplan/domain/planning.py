"""The options of every item over a planning horizon, as arrays (docs/planning.md).

For each item the planner offers: keep it (always the first option: the do-nothing baseline),
refurbish it in year Y, replace it in year Y, and on long horizons replace it twice. Each option
has a cost per year (capex, O&M and expected corrective cost, inflated) and an expected
availability per year from the reliability model (`reliability.py`):

    A(a) = 1 − (λ0 + H(a + 1) − H(a)) · MDT / 8760,   H(a) = (a / η)^β

computed here for a whole fleet at once with numpy (the same formula as
`reliability.expected_availability`; a unit test holds them together), because a fleet of
20,000 items × ~21 options × 10 years is four million availabilities.

Periods are calendar years; period t (0-based) is the year first_year + t, and an action in
year Y takes effect on 1 January of Y, so that year already runs on the new or refurbished unit.
Money is in euros of the first year, inflated by (1 + inflation)^t.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from equiplan.domain.reliability import (
    HOURS_PER_YEAR,
    SUPPORT_DELAY_GROWTH_PER_YEAR,
    SUPPORT_DELAY_MAX_FACTOR,
)

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

# Refurbishment (overhaul, detector and electronics upgrade) costs this share of a new unit ...
REFURBISH_COST_FRACTION = 0.35
# ... and takes this share of the item's age off: a 10-year-old item runs like a 5-year-old one
# from the year of the refurbishment on. Its model's end of support does not move.
REFURBISH_AGE_REDUCTION = 0.5
# Refurbishing a young item buys almost nothing: offered only from this share of design life.
REFURBISH_MIN_AGE_SHARE = 0.4
# Yearly operation and maintenance (calibration, checks, preventive service) as a share of the
# unit cost, the same for every option; it counts against the budgets all the same.
OM_COST_FRACTION = 0.02
# The cost of one repair when the records hold fewer than MIN_COSTED_REPAIRS costed repairs.
REPAIR_COST_PRIOR_FRACTION = 0.03
MIN_COSTED_REPAIRS = 3
# From this horizon on, an item may be replaced twice: the second time when the first
# replacement reaches its design life (so the two are at least a design life apart).
LONG_HORIZON_YEARS = 10
# Default coverage: at least this share of the units installed today, expected working.
DEFAULT_MIN_AVAILABILITY_SHARE = 0.9


@dataclass(frozen=True)
class Fleet:
    """The planning inputs of n items, one array entry per item (all arrays of length n).

    Ages and support are counted on 1 January of the first year. `support_left` is the years
    from then to the model's end of support (negative: already past it; inf: no end date).
    `observed_mttr` is the measured mean time to repair in hours, NaN where there is none.
    Money is in euros of the first year.
    """

    age: Floats
    lambda0: Floats  # the item's random failures per year
    new_lambda0: Floats  # a new unit's random failures per year (its model's rate)
    beta: Floats
    eta: Floats
    observed_mttr: Floats
    prior_mttr: Floats
    logistics_delay: Floats
    support_left: Floats
    design_life: Floats
    unit_cost: Floats
    repair_cost: Floats

    def __len__(self) -> int:
        return int(self.age.shape[0])


@dataclass(frozen=True)
class OptionBlock:
    """One kind of option with its action year(s), for every item of a fleet at once.

    `first` is the period of the (first) action, `second` the per-item period of a second
    replacement (-1: none); `offered[i]` says whether item i gets this option. `availability`
    and `cost` are (n, T) arrays; `capex` is the per-item action cost in each action's period.
    """

    kind: str  # keep | refurbish | replace | replace-twice
    first: int  # -1 for keep
    second: Ints
    offered: Bools
    availability: Floats
    cost: Floats
    capex_first: Floats
    capex_second: Floats


def inflation_factors(horizon: int, inflation: float) -> Floats:
    """(1 + inflation)^t for t = 0 .. horizon − 1 (inflation as a fraction, 0.03 for 3 %)."""
    if horizon < 1:
        raise ValueError(f"the horizon must be at least one year, got {horizon!r}")
    if not np.isfinite(inflation) or inflation <= -1:
        raise ValueError(f"inflation must be above −100 %, got {inflation!r}")
    return np.power(1.0 + inflation, np.arange(horizon, dtype=np.float64))


def logistics_factors(years_past_support: Floats) -> Floats:
    """`reliability.logistics_factor` for an array: 1 + 0.5 per year past support, at most 3."""
    past = np.maximum(years_past_support, 0.0)
    return np.minimum(1.0 + SUPPORT_DELAY_GROWTH_PER_YEAR * past, SUPPORT_DELAY_MAX_FACTOR)


def mean_down_times(fleet: Fleet, years_past_support: Floats) -> Floats:
    """`reliability.mean_down_time` for an (n, T) array of years past end of support."""
    factor = logistics_factors(years_past_support)
    delay = fleet.logistics_delay[:, None]
    observed = fleet.observed_mttr[:, None]
    with_records = observed + delay * (factor - 1.0)
    without = fleet.prior_mttr[:, None] + delay * factor
    return np.where(np.isnan(observed), without, with_records)


def failure_rates(age: Floats, lambda0: Floats, beta: Floats, eta: Floats) -> Floats:
    """λ(a) = λ0 + H(a + 1) − H(a) for an (n, T) array of ages and per-item (n, 1) parameters."""
    with np.errstate(over="ignore"):
        wear: Floats = np.power((age + 1.0) / eta, beta) - np.power(age / eta, beta)
    rate: Floats = lambda0 + wear
    return rate


def availabilities(rate: Floats, mdt: Floats) -> Floats:
    """1 − λ · MDT / 8760, clamped to [0, 1] (`reliability.availability` for arrays)."""
    with np.errstate(invalid="ignore"):
        raw = 1.0 - rate * mdt / HOURS_PER_YEAR
    # An infinite rate with no down time is "never down", as in the scalar function.
    raw = np.where(mdt == 0, 1.0, raw)
    clipped: Floats = np.clip(np.nan_to_num(raw, nan=0.0, neginf=0.0), 0.0, 1.0)
    return clipped


@dataclass(frozen=True)
class _Life:
    """Where each item stands in each period under one option: the unit's age, its random
    rate and its years past end of support, all (n, T)."""

    age: Floats
    lambda0: Floats
    past_support: Floats


def _keep_life(fleet: Fleet, periods: Floats) -> _Life:
    age = fleet.age[:, None] + periods[None, :]
    lam = np.broadcast_to(fleet.lambda0[:, None], age.shape)
    return _Life(age, lam, periods[None, :] - fleet.support_left[:, None])


def _refurbished(fleet: Fleet, keep: _Life, periods: Floats, year: int) -> _Life:
    after = periods >= year
    age_then = fleet.age + year
    younger = age_then[:, None] * (1.0 - REFURBISH_AGE_REDUCTION) + (periods[None, :] - year)
    return _Life(np.where(after[None, :], younger, keep.age), keep.lambda0, keep.past_support)


def _replaced(fleet: Fleet, before: _Life, periods: Floats, year: Ints | int) -> _Life:
    """`before` until the (per-item) period `year`, a new unit from then on: age 0, the model's
    random rate, supported for its design life. `year` −1 or beyond the horizon: no change."""
    when = np.broadcast_to(np.asarray(year, dtype=np.float64), (len(fleet),))[:, None]
    after = (periods[None, :] >= when) & (when >= 0)
    new_age = periods[None, :] - when
    return _Life(
        np.where(after, new_age, before.age),
        np.where(after, fleet.new_lambda0[:, None], before.lambda0),
        np.where(after, new_age - fleet.design_life[:, None], before.past_support),
    )


def _assess(fleet: Fleet, life: _Life, inflation: Floats) -> tuple[Floats, Floats]:
    """Availability and running cost (O&M + expected repairs, inflated) per item and period."""
    rate = failure_rates(life.age, life.lambda0, fleet.beta[:, None], fleet.eta[:, None])
    availability = availabilities(rate, mean_down_times(fleet, life.past_support))
    running = (fleet.unit_cost * OM_COST_FRACTION)[:, None] + np.nan_to_num(
        rate, posinf=1e6
    ) * fleet.repair_cost[:, None]
    return availability, running * inflation[None, :]


def _with_capex(running: Floats, first: int, capex_first: Floats) -> Floats:
    cost = running.copy()
    cost[:, first] += capex_first
    return cost


def option_blocks(fleet: Fleet, horizon: int, inflation: float) -> Iterator[OptionBlock]:
    """Every option kind for every item of `fleet` over `horizon` years: keep first, then
    refurbish and replace in each year, then (horizon ≥ LONG_HORIZON_YEARS) replace twice.

    Blocks are yielded one at a time so a caller can turn each into documents and let it go:
    a block holds two (n, T) arrays.
    """
    periods = np.arange(horizon, dtype=np.float64)
    growth = inflation_factors(horizon, inflation)
    n = len(fleet)
    none = np.full(n, -1, dtype=np.int64)
    zero = np.zeros(n)
    everyone = np.ones(n, dtype=np.bool_)
    keep = _keep_life(fleet, periods)
    availability, running = _assess(fleet, keep, growth)
    yield OptionBlock("keep", -1, none, everyone, availability, running, zero, zero)
    for year in range(horizon):
        old_enough = fleet.age + year >= REFURBISH_MIN_AGE_SHARE * fleet.design_life
        capex = fleet.unit_cost * REFURBISH_COST_FRACTION * growth[year]
        availability, running = _assess(fleet, _refurbished(fleet, keep, periods, year), growth)
        cost = _with_capex(running, year, capex)
        yield OptionBlock("refurbish", year, none, old_enough, availability, cost, capex, zero)
    for year in range(horizon):
        capex = fleet.unit_cost * growth[year]
        availability, running = _assess(fleet, _replaced(fleet, keep, periods, year), growth)
        cost = _with_capex(running, year, capex)
        yield OptionBlock("replace", year, none, everyone, availability, cost, capex, zero)
    if horizon < LONG_HORIZON_YEARS:
        return
    for year in range(horizon):
        second = year + np.maximum(np.rint(fleet.design_life), 1).astype(np.int64)
        fits = second < horizon
        second = np.where(fits, second, -1)
        once = _replaced(fleet, keep, periods, year)
        availability, running = _assess(fleet, _replaced(fleet, once, periods, second), growth)
        capex_first = fleet.unit_cost * growth[year]
        capex_second = np.where(fits, fleet.unit_cost * growth[np.maximum(second, 0)], 0.0)
        cost = _with_capex(running, year, capex_first)
        rows = np.nonzero(fits)[0]
        cost[rows, second[rows]] += capex_second[rows]
        yield OptionBlock(
            "replace-twice", year, second, fits, availability, cost, capex_first, capex_second
        )


def fleet_from_columns(columns: dict[str, Any]) -> Fleet:
    """A Fleet from equal-length sequences named like its fields (as float arrays)."""
    arrays = {name: np.asarray(values, dtype=np.float64) for name, values in columns.items()}
    lengths = {array.shape for array in arrays.values()}
    if len(lengths) != 1:
        raise ValueError(f"fleet columns differ in length: {sorted(lengths)}")
    return Fleet(**arrays)
