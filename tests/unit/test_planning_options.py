"""The options of domain/planning.py on small fleets: the vectorised availability agrees with
the scalar reliability model, and each option's years, costs and availability follow the rules
of docs/planning.md."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from equiplan.domain.planning import (
    LONG_HORIZON_YEARS,
    OM_COST_FRACTION,
    REFURBISH_AGE_REDUCTION,
    REFURBISH_COST_FRACTION,
    REFURBISH_MIN_AGE_SHARE,
    Fleet,
    OptionBlock,
    availabilities,
    fleet_from_columns,
    inflation_factors,
    logistics_factors,
    option_blocks,
)
from equiplan.domain.reliability import (
    expected_availability,
    logistics_factor,
    mean_down_time,
)


def _fleet(**overrides: Any) -> Fleet:
    """Two items: an old unsupported one with measured repair times, and a young one."""
    columns: dict[str, Any] = {
        "age": [9.0, 1.0],
        "lambda0": [2.0, 1.0],
        "new_lambda0": [1.5, 1.5],
        "beta": [3.0, 2.5],
        "eta": [10.0, 12.0],
        "observed_mttr": [30.0, math.nan],
        "prior_mttr": [4.0, 4.0],
        "logistics_delay": [48.0, 72.0],
        "support_left": [-1.0, math.inf],
        "design_life": [8.0, 10.0],
        "unit_cost": [100_000.0, 20_000.0],
        "repair_cost": [3_000.0, 600.0],
    }
    columns.update(overrides)
    return fleet_from_columns(columns)


def _blocks(fleet: Fleet, horizon: int = 3, inflation: float = 0.0) -> list[OptionBlock]:
    return list(option_blocks(fleet, horizon, inflation))


def _scalar_availability(age: float, lam: float, beta: float, eta: float, mdt: float) -> float:
    return expected_availability(age, lam, beta, eta, mdt)


def test_keep_matches_the_scalar_reliability_model() -> None:
    fleet = _fleet()
    keep = _blocks(fleet, horizon=4)[0]
    assert keep.kind == "keep"
    for t in range(4):
        # The old item: measured MTTR, logistics growing from one year past end of support.
        mdt_old = mean_down_time(30.0, 4.0, 48.0, years_past_end_of_support=1.0 + t)
        assert keep.availability[0, t] == pytest.approx(
            _scalar_availability(9.0 + t, 2.0, 3.0, 10.0, mdt_old)
        )
        mdt_young = mean_down_time(None, 4.0, 72.0)
        assert keep.availability[1, t] == pytest.approx(
            _scalar_availability(1.0 + t, 1.0, 2.5, 12.0, mdt_young)
        )


def test_logistics_factor_and_clamping_agree_with_the_scalar_functions() -> None:
    past = np.array([-2.0, 0.0, 1.0, 3.9, 10.0])
    assert logistics_factors(past).tolist() == [logistics_factor(p) for p in past.tolist()]
    # Negative availability clamps to 0; an infinite rate without down time is "always up".
    found = availabilities(np.array([[1e9, math.inf, 1.0]]), np.array([[10.0, 0.0, 8760.0]]))
    assert found.tolist() == [[0.0, 1.0, 0.0]]


def test_options_come_in_order_keep_refurbish_replace() -> None:
    blocks = _blocks(_fleet(), horizon=3)
    assert [(b.kind, b.first) for b in blocks] == [
        ("keep", -1),
        ("refurbish", 0),
        ("refurbish", 1),
        ("refurbish", 2),
        ("replace", 0),
        ("replace", 1),
        ("replace", 2),
    ]
    # No double replacement on a short horizon.
    assert LONG_HORIZON_YEARS > 3


def test_refurbishing_takes_age_off_from_its_year_and_costs_a_share() -> None:
    fleet = _fleet()
    blocks = _blocks(fleet, horizon=3, inflation=0.10)
    keep, refurbish = blocks[0], blocks[2]  # refurbish in the second year
    assert refurbish.availability[0, 0] == keep.availability[0, 0]
    younger_age = (9.0 + 1) * (1 - REFURBISH_AGE_REDUCTION)
    mdt = mean_down_time(30.0, 4.0, 48.0, years_past_end_of_support=2.0)
    assert refurbish.availability[0, 1] == pytest.approx(
        _scalar_availability(younger_age, 2.0, 3.0, 10.0, mdt)
    )
    assert refurbish.availability[0, 1] > keep.availability[0, 1]
    assert refurbish.capex_first[0] == pytest.approx(100_000 * REFURBISH_COST_FRACTION * 1.1)
    assert refurbish.cost[0, 1] > refurbish.capex_first[0]  # plus O&M and repairs
    # The young item (1 + 1 years old, design life 10) is not worth refurbishing yet.
    assert REFURBISH_MIN_AGE_SHARE * 10 > 2.0
    assert refurbish.offered.tolist() == [True, False]


def test_replacing_starts_a_new_unit_at_the_models_rate() -> None:
    fleet = _fleet()
    blocks = _blocks(fleet, horizon=3, inflation=0.10)
    replace = blocks[5]  # replace in the second year
    assert (replace.kind, replace.first) == ("replace", 1)
    assert replace.availability[0, 0] == blocks[0].availability[0, 0]
    # A new unit: age 0, λ0 of its model, supported, the measured repair time.
    mdt = mean_down_time(30.0, 4.0, 48.0)
    assert replace.availability[0, 1] == pytest.approx(
        _scalar_availability(0.0, 1.5, 3.0, 10.0, mdt)
    )
    assert replace.availability[0, 2] == pytest.approx(
        _scalar_availability(1.0, 1.5, 3.0, 10.0, mdt)
    )
    assert replace.capex_first.tolist() == pytest.approx([110_000.0, 22_000.0])
    # Running cost: O&M + λ(a) × cost of a repair, inflated; plus the unit in its year.
    rate = 1.5 + (1 / 10) ** 3  # λ at age 0
    running = 100_000 * OM_COST_FRACTION + rate * 3_000
    assert replace.cost[0, 1] == pytest.approx(110_000 + running * 1.1)
    assert replace.cost[0, 2] == pytest.approx(
        (100_000 * OM_COST_FRACTION + (1.5 + (2 / 10) ** 3 - (1 / 10) ** 3) * 3_000) * 1.21
    )


def test_long_horizons_replace_twice_a_design_life_apart() -> None:
    fleet = _fleet(design_life=[8.0, 12.0])
    blocks = _blocks(fleet, horizon=10)
    twice = [b for b in blocks if b.kind == "replace-twice"]
    assert [b.first for b in twice] == list(range(10))
    first = twice[0]
    # Item 0: new units in years 0 and 8; item 1's second would be year 12, beyond the horizon.
    assert first.second.tolist() == [8, -1]
    assert first.offered.tolist() == [True, False]
    assert [b.offered[0] for b in twice] == [True, True] + [False] * 8
    assert first.availability[0, 8] == pytest.approx(first.availability[0, 0])
    assert first.cost[0, 8] > first.capex_second[0] > 0
    # About 21 options for ten years (keep, 10 replacements, some refurbishments and doubles).
    offered = sum(int(b.offered[0]) for b in blocks)
    assert offered == 1 + 10 + 10 + 2


def test_inflation_factors_and_bad_input() -> None:
    assert inflation_factors(3, 0.02).tolist() == pytest.approx([1.0, 1.02, 1.0404])
    with pytest.raises(ValueError, match="horizon"):
        inflation_factors(0, 0.0)
    with pytest.raises(ValueError, match="inflation"):
        inflation_factors(2, -1.0)
    with pytest.raises(ValueError, match="differ in length"):
        _fleet(age=[1.0])
