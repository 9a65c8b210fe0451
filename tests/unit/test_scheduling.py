"""The scheduling rule: when recurring work falls due next."""

from datetime import date

import pytest

from equiplan.domain.scheduling import (
    Anchor,
    Interval,
    IntervalUnit,
    add_interval,
    grace_ends_on,
    is_overdue,
    next_due,
)

YEARLY = Interval(12, IntervalUnit.MONTHS)


@pytest.mark.parametrize(
    ("start", "interval", "expected"),
    [
        (date(2026, 1, 31), Interval(1, IntervalUnit.MONTHS), date(2026, 2, 28)),
        (date(2028, 1, 31), Interval(1, IntervalUnit.MONTHS), date(2028, 2, 29)),
        (date(2024, 2, 29), Interval(1, IntervalUnit.YEARS), date(2025, 2, 28)),
        (date(2026, 11, 15), Interval(3, IntervalUnit.MONTHS), date(2027, 2, 15)),
        (date(2026, 12, 30), Interval(7, IntervalUnit.DAYS), date(2027, 1, 6)),
    ],
)
def test_add_interval_clamps_month_ends(start: date, interval: Interval, expected: date) -> None:
    assert add_interval(start, interval) == expected


def test_fixed_anchor_keeps_the_rhythm_when_work_is_early_or_late() -> None:
    due = date(2026, 3, 1)
    assert next_due(due, date(2026, 2, 20), YEARLY, Anchor.FIXED) == date(2027, 3, 1)
    assert next_due(due, date(2026, 3, 20), YEARLY, Anchor.FIXED) == date(2027, 3, 1)


def test_fixed_anchor_skips_occurrences_missed_entirely() -> None:
    quarterly = Interval(3, IntervalUnit.MONTHS)
    assert next_due(date(2026, 1, 10), date(2026, 8, 1), quarterly, Anchor.FIXED) == date(
        2026, 10, 10
    )


def test_completion_anchor_restarts_at_completion() -> None:
    assert next_due(date(2026, 3, 1), date(2026, 3, 20), YEARLY, Anchor.COMPLETION) == date(
        2027, 3, 20
    )
    assert next_due(date(2026, 3, 1), date(2026, 2, 1), YEARLY, Anchor.COMPLETION) == date(
        2027, 2, 1
    )


def test_overdue_only_after_the_grace_window() -> None:
    due = date(2026, 5, 1)
    assert grace_ends_on(due, 14) == date(2026, 5, 15)
    assert not is_overdue(due, 14, date(2026, 5, 15))
    assert is_overdue(due, 14, date(2026, 5, 16))
    assert is_overdue(due, 0, date(2026, 5, 2))
    assert not is_overdue(due, 0, date(2026, 5, 1))


def test_invalid_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="positive"):
        Interval(0, IntervalUnit.DAYS)
    with pytest.raises(ValueError, match="negative"):
        grace_ends_on(date(2026, 1, 1), -1)
