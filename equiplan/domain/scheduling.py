"""Scheduling rules: when recurring work falls due (domain.md, "Schedule")."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class IntervalUnit(StrEnum):
    DAYS = "days"
    MONTHS = "months"
    YEARS = "years"


class Anchor(StrEnum):
    FIXED = "fixed"  # next due counts from the previous due date
    COMPLETION = "completion"  # next due counts from the last completion


@dataclass(frozen=True)
class Interval:
    value: int
    unit: IntervalUnit

    def __post_init__(self) -> None:
        if self.value <= 0:
            raise ValueError("an interval must be positive")


def add_interval(start: date, interval: Interval, times: int = 1) -> date:
    """`start` plus `times` intervals; month ends are clamped (31 Jan + 1 month = 28/29 Feb)."""
    if interval.unit is IntervalUnit.DAYS:
        return start + timedelta(days=interval.value * times)
    months = interval.value * times * (12 if interval.unit is IntervalUnit.YEARS else 1)
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def next_due(previous_due: date, completed_on: date, interval: Interval, anchor: Anchor) -> date:
    """The due date after work due on `previous_due` was completed on `completed_on`.

    With a fixed anchor the rhythm is kept: the next due date is the first one after the
    completion on the original grid (early or late work does not shift it, and work completed
    more than an interval late skips the missed occurrences). With a completion anchor the
    interval restarts at the completion.
    """
    if anchor is Anchor.COMPLETION:
        return add_interval(completed_on, interval)
    times = 1
    candidate = add_interval(previous_due, interval, times)
    while candidate <= completed_on:
        times += 1
        candidate = add_interval(previous_due, interval, times)
    return candidate


def grace_ends_on(due: date, grace_days: int) -> date:
    """The last day on which work due on `due` still counts as on time."""
    if grace_days < 0:
        raise ValueError("grace days cannot be negative")
    return due + timedelta(days=grace_days)


def reminders_start_on(due: date, lead_days: int) -> date:
    """The first day on which reminders for work due on `due` go out (`lead_days` before)."""
    if lead_days < 0:
        raise ValueError("lead days cannot be negative")
    return due - timedelta(days=lead_days)


def is_overdue(due: date, grace_days: int, today: date) -> bool:
    """Past due beyond the grace window."""
    return today > grace_ends_on(due, grace_days)
