"""Reliability and maintenance figures over a window (domain.md "KPI formulas"; docs/formulas.md
sections 3 and 4 publish them in words). Plain inputs and outputs: the services compute the
additive sums in SQL (`Counts`) and these formulas turn them into figures; the same functions on
rows in Python are the reference the SQL is tested against.

Windows are whole local calendar days; times are hours between aware datetimes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from equiplan.domain.calibration import Number, ToleranceKind, allowed_deviation
from equiplan.domain.scheduling import Interval, IntervalUnit, add_interval

SECONDS_PER_HOUR = 3600.0
DAYS_PER_YEAR = 365.25  # ages and custom windows in years
# Days past the due date: 1–30, 31–90, 91–365, over 365 (None: no upper end).
BACKLOG_BUCKETS: tuple[tuple[int, int | None], ...] = ((1, 30), (31, 90), (91, 365), (366, None))


# --- windows --------------------------------------------------------------------------------


class WindowKind(StrEnum):
    LAST_12_MONTHS = "12m"
    LAST_3_YEARS = "3y"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Window:
    """The days `first_day` to `last_day`, both included, and its length in years (for "per
    year" figures: 1 and 3 for the preset windows, days / 365.25 for custom ones)."""

    first_day: date
    last_day: date
    years: float

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError("a window ends on or after the day it starts")

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def previous(self) -> Window:
        """The window of the same number of days just before this one (for trends)."""
        last = self.first_day - timedelta(days=1)
        return Window(last - timedelta(days=self.days - 1), last, self.years)

    def bounds(self, timezone: str, now: datetime) -> tuple[datetime, datetime]:
        """The window's moments (in UTC): local midnight at its first day to local midnight
        after its last day, but never later than `now` (time that has not happened is not
        counted)."""
        start = local_midnight(self.first_day, timezone)
        end = local_midnight(self.last_day + timedelta(days=1), timezone)
        return start, max(start, min(end, now.astimezone(UTC)))


def _months_back(today: date, months: int) -> date:
    # One interval backwards (times=-1): month ends are clamped as everywhere else.
    return add_interval(today, Interval(months, IntervalUnit.MONTHS), times=-1)


def preset_window(kind: WindowKind, today: date) -> Window:
    """The last 12 months or 3 years up to and including `today`."""
    months = {WindowKind.LAST_12_MONTHS: 12, WindowKind.LAST_3_YEARS: 36}[kind]
    return Window(_months_back(today, months) + timedelta(days=1), today, months / 12)


def custom_window(first_day: date, last_day: date) -> Window:
    """The days `first_day` to `last_day` (both included)."""
    return Window(first_day, last_day, ((last_day - first_day).days + 1) / DAYS_PER_YEAR)


# --- calendar time, downtime, failures ------------------------------------------------------


def hours_between(start: datetime, end: datetime) -> float:
    # In UTC: Python subtracts two times of the same zone by their wall clocks, which is an
    # hour off across a change to or from summer time.
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / SECONDS_PER_HOUR


def local_midnight(day: date, timezone: str) -> datetime:
    """The moment a local calendar day begins (in UTC)."""
    return datetime.combine(day, time(0), ZoneInfo(timezone)).astimezone(UTC)


def service_period(
    start: datetime,
    end: datetime,
    in_service_from: datetime | None = None,
    in_service_until: datetime | None = None,
) -> tuple[datetime, datetime]:
    """The part of the window [start, end) in which the device was in the fleet: from its
    commissioning if later, to its decommissioning if earlier (may be empty: start >= end)."""
    begin = max(start, in_service_from) if in_service_from else start
    finish = min(end, in_service_until) if in_service_until else end
    return begin, max(begin, finish)


def calendar_hours(
    start: datetime,
    end: datetime,
    in_service_from: datetime | None = None,
    in_service_until: datetime | None = None,
) -> float:
    """C = t1 − t0, from commissioning if later (and to decommissioning if earlier)."""
    begin, finish = service_period(start, end, in_service_from, in_service_until)
    return hours_between(begin, finish)


@dataclass(frozen=True)
class Span:
    """A downtime interval; `end` None: still down."""

    start: datetime
    end: datetime | None = None


def downtime_hours(
    spans: Iterable[Span], start: datetime, end: datetime, now: datetime | None = None
) -> float:
    """D: the union of the spans cut to [start, end), so overlapping downtime counts once.

    Open downtime runs to the end of the window, or to `now` when that is earlier."""
    open_until = min(end, now) if now else end
    clipped = sorted(
        (max(s.start, start), min(s.end if s.end is not None else open_until, end)) for s in spans
    )
    total = 0.0
    island_start: datetime | None = None
    island_end = start
    for begin, finish in clipped:
        if finish <= begin:
            continue
        if island_start is None or begin > island_end:
            if island_start is not None:
                total += hours_between(island_start, island_end)
            island_start, island_end = begin, finish
        else:
            island_end = max(island_end, finish)
    if island_start is not None:
        total += hours_between(island_start, island_end)
    return total


def failure_moment(downtime_start: datetime | None, opened_at: datetime) -> datetime:
    """When a failure happened: the start of its downtime, or when it was reported if no
    downtime was recorded."""
    return downtime_start or opened_at


def in_period(moment: datetime, start: datetime, end: datetime) -> bool:
    return start <= moment < end


@dataclass(frozen=True)
class Mtbf:
    """MTBF in hours; `lower_bound`: no failures, the device ran at least this long."""

    hours: float
    lower_bound: bool


def mtbf(calendar: float, downtime: float, failures: int) -> Mtbf | None:
    """(C − D) / n; with no failures the lower bound "> C − D"; None without calendar time."""
    if calendar <= 0:
        return None
    if failures == 0:
        return Mtbf(calendar - downtime, lower_bound=True)
    return Mtbf((calendar - downtime) / failures, lower_bound=False)


def mttr(downtime: float, failures: int) -> float | None:
    """D / n (from downtime, not labour hours); None with no failures."""
    return downtime / failures if failures else None


def availability(calendar: float, downtime: float) -> float | None:
    """Ao = (C − D) / C, a share from 0 to 1; None without calendar time."""
    return (calendar - downtime) / calendar if calendar > 0 else None


# --- compliance, backlog, calibration, age, cost --------------------------------------------


def on_time(due: date, grace_days: int, completed_on: date) -> bool:
    """Completed within [due − grace, due + grace] (early counts as not on time, like late)."""
    return abs((completed_on - due).days) <= grace_days


def counted_for_compliance(
    due: date, grace_days: int, completed_on: date | None, today: date
) -> bool:
    """Whether work due on `due` is decided: completed, or past its grace window undone.
    Work still open inside its grace window may yet be on time and is not counted."""
    return completed_on is not None or (today - due).days > grace_days


def backlog_bucket(days_past_due: int) -> int | None:
    """The index of the age bucket (BACKLOG_BUCKETS) of work `days_past_due` late; None when
    it is not past due."""
    for index, (low, high) in enumerate(BACKLOG_BUCKETS):
        if days_past_due >= low and (high is None or days_past_due <= high):
            return index
    return None


def backlog(due_dates: Iterable[date], on: date) -> tuple[int, ...]:
    """Open work by age past its due date as of the day `on` (counts per bucket)."""
    counts = [0] * len(BACKLOG_BUCKETS)
    for due in due_dates:
        bucket = backlog_bucket((on - due).days)
        if bucket is not None:
            counts[bucket] += 1
    return tuple(counts)


def drift_share(
    drift: float, nominal: Number, tolerance: Number, kind: ToleranceKind | str
) -> float | None:
    """|drift| as a share of the point's tolerance (1.0: drifted by a whole tolerance), so that
    points in different units can be averaged; None when the tolerance allows no deviation."""
    allowed = float(allowed_deviation(nominal, tolerance, kind))
    return abs(drift) / allowed if allowed > 0 else None


def age_years(in_service_from: date, on: date) -> float:
    """Age in years (of 365.25 days) on the day `on`."""
    return (on - in_service_from).days / DAYS_PER_YEAR


def past_design_life(in_service_from: date, on: date, design_life_years: int) -> bool:
    return age_years(in_service_from, on) > design_life_years


def share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


# --- the figures of a group over a window ---------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """The additive sums behind the figures of one group of devices over one window; a
    group's counts are the sums of its members' (`+`)."""

    items: int = 0  # devices with calendar time in the window
    calendar_hours: float = 0.0
    downtime_hours: float = 0.0
    failures: int = 0
    scheduled_due: int = 0  # scheduled work due in the window and decided
    scheduled_on_time: int = 0
    backlog: tuple[int, ...] = (0,) * len(BACKLOG_BUCKETS)  # at the end of the window
    calibrations: int = 0
    calibrations_passed: int = 0  # as found within tolerance
    drift_points: int = 0
    drift_share_total: float = 0.0
    aged_items: int = 0  # devices in the fleet at the end of the window, of known age
    age_years_total: float = 0.0
    life_used_total: float = 0.0  # sum of age / design life
    past_design_life: int = 0
    cost_cents: int = 0  # parts and external services of work completed in the window

    def __add__(self, other: Counts) -> Counts:
        values: dict[str, Any] = {}
        for field in fields(self):
            mine, theirs = getattr(self, field.name), getattr(other, field.name)
            if isinstance(mine, tuple):
                values[field.name] = tuple(a + b for a, b in zip(mine, theirs, strict=True))
            else:
                values[field.name] = mine + theirs
        return Counts(**values)


def total(counts: Sequence[Counts]) -> Counts:
    """The sum of several groups' counts."""
    result = Counts()
    for part in counts:
        result = result + part
    return result


@dataclass(frozen=True)
class Kpis:
    """The figures of docs/formulas.md for one group over one window."""

    counts: Counts
    years: float  # the window's length in years

    @property
    def uptime_hours(self) -> float:
        return self.counts.calendar_hours - self.counts.downtime_hours

    @property
    def mtbf(self) -> Mtbf | None:
        c = self.counts
        return mtbf(c.calendar_hours, c.downtime_hours, c.failures)

    @property
    def mttr_hours(self) -> float | None:
        return mttr(self.counts.downtime_hours, self.counts.failures)

    @property
    def availability(self) -> float | None:
        return availability(self.counts.calendar_hours, self.counts.downtime_hours)

    @property
    def on_time_compliance(self) -> float | None:
        return share(self.counts.scheduled_on_time, self.counts.scheduled_due)

    @property
    def backlog_total(self) -> int:
        return sum(self.counts.backlog)

    @property
    def calibration_pass_rate(self) -> float | None:
        return share(self.counts.calibrations_passed, self.counts.calibrations)

    @property
    def mean_drift_share(self) -> float | None:
        return share(self.counts.drift_share_total, self.counts.drift_points)

    @property
    def mean_age_years(self) -> float | None:
        return share(self.counts.age_years_total, self.counts.aged_items)

    @property
    def mean_life_used(self) -> float | None:
        return share(self.counts.life_used_total, self.counts.aged_items)

    @property
    def share_past_design_life(self) -> float | None:
        return share(self.counts.past_design_life, self.counts.aged_items)

    @property
    def cost_per_year_cents(self) -> float:
        return self.counts.cost_cents / self.years if self.years > 0 else 0.0
