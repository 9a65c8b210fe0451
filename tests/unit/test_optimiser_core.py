"""The neighbourhoods CP-SAT searches on large portfolios: every item's best option at the LP
prices and the options closest to it. A portfolio with more items than CP-SAT may take
variables must still leave it options to choose between (it used to get each item's best
alone, so the search could not move: a 41 % gap on the national portfolio)."""

from __future__ import annotations

import numpy as np
import pytest

from equiplan.domain.optimiser.core import (
    MAX_SEARCH_VARIABLES,
    MIN_OTHERS,
    closest_options,
    search_size,
)


@pytest.mark.parametrize(
    ("items", "wanted", "available", "expected"),
    [
        (500, 1_575, 10_500, 1_575),  # small: the share asked for
        (5_000, 15_750, 105_000, MAX_SEARCH_VARIABLES),  # capped
        (19_440, 67_695, 451_302, 19_440 + MIN_OTHERS),  # more items than the cap: best + others
        (19_440, 451_302, 451_302, 19_440 + MIN_OTHERS),  # the whole model asked for
        (20_000, 12_000, 80_000, 20_000 + MIN_OTHERS),  # few options each: still some others
        (14_500, 16_000, 300_000, 14_500 + MIN_OTHERS),  # the cap would leave 500 others
        (19_440, 67_695, 19_800, 19_800),  # never more than there are
        (100, 150, 1_000, 150),  # never more than asked
        (100, 100, 1_000, 100),
    ],
)
def test_a_neighbourhood_keeps_every_best_option_and_some_others(
    items: int, wanted: int, available: int, expected: int
) -> None:
    assert search_size(items, wanted, available) == expected


def test_the_options_closest_to_each_items_best_are_kept() -> None:
    # Reduced profits: 0 for each item's best, below 0 for the others; -inf for padding.
    reduced = np.array(
        [
            [0.0, -1.0, -5.0],
            [-0.5, 0.0, -np.inf],
            [0.0, -3.0, -0.1],
        ]
    )
    kept = closest_options(reduced, search_size(3, 5, 8))
    assert kept.tolist() == [
        [True, False, False],
        [True, True, False],
        [True, False, True],
    ]
    # An item whose best is far below zero (all its options costly) keeps its best anyway.
    far = np.array([[0.0, -0.1], [-9.0, -8.0]])
    assert closest_options(far, 2).tolist() == [[True, True], [False, True]]


def test_asking_for_every_option_keeps_them_all() -> None:
    reduced = np.array([[0.0, -1.0], [0.0, -2.0]])
    assert closest_options(reduced, 4).all()
    assert closest_options(reduced, 10).all()
