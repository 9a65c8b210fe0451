"""The KPI formulas of docs/formulas.md (domain/kpi.py) on hand-computed cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from equiplan.domain.kpi import (
    Counts,
    Kpis,
    Mtbf,
    Span,
    Window,
    WindowKind,
    age_years,
    availability,
    backlog,
    backlog_bucket,
    calendar_hours,
    counted_for_compliance,
    custom_window,
    downtime_hours,
    drift_share,
    failure_moment,
    mtbf,
    mttr,
    on_time,
    past_design_life,
    preset_window,
    total,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def at(hours: float) -> datetime:
    """A moment `hours` after T0."""
    return T0 + timedelta(hours=hours)


# --- downtime: union of intervals cut to the window -----------------------------------------


def test_overlapping_downtime_counts_once() -> None:
    spans = [Span(at(10), at(20)), Span(at(15), at(30)), Span(at(50), at(60))]
    # [10, 30) and [50, 60): 20 + 10 hours, not 10 + 15 + 10.
    assert downtime_hours(spans, at(0), at(100)) == pytest.approx(30)


def test_downtime_inside_another_and_touching_downtime() -> None:
    spans = [Span(at(35), at(50)), Span(at(40), at(45)), Span(at(50), at(55))]
    assert downtime_hours(spans, at(0), at(100)) == pytest.approx(20)


def test_the_window_cuts_intervals_at_both_ends() -> None:
    spans = [Span(at(-10), at(5)), Span(at(95), at(110)), Span(at(-50), at(-40))]
    # 5 hours at the start, 5 at the end; the one before the window not at all.
    assert downtime_hours(spans, at(0), at(100)) == pytest.approx(10)


def test_an_interval_covering_the_whole_window_is_the_whole_window() -> None:
    assert downtime_hours([Span(at(-5), at(500))], at(0), at(100)) == pytest.approx(100)


def test_open_downtime_runs_to_the_window_end_or_now() -> None:
    still_down = [Span(at(90))]
    assert downtime_hours(still_down, at(0), at(100)) == pytest.approx(10)
    assert downtime_hours(still_down, at(0), at(100), now=at(95)) == pytest.approx(5)
    # An open interval that started after `now` (a typing mistake) adds nothing.
    assert downtime_hours([Span(at(97))], at(0), at(100), now=at(95)) == 0


def test_no_downtime_is_zero() -> None:
    assert downtime_hours([], at(0), at(100)) == 0


# --- calendar time and the reliability figures ----------------------------------------------


def test_calendar_time_starts_at_commissioning_when_later() -> None:
    assert calendar_hours(at(0), at(100)) == pytest.approx(100)
    assert calendar_hours(at(0), at(100), in_service_from=at(40)) == pytest.approx(60)
    assert calendar_hours(at(0), at(100), in_service_from=at(-40)) == pytest.approx(100)
    assert calendar_hours(at(0), at(100), in_service_until=at(30)) == pytest.approx(30)
    # Commissioned after the window, or decommissioned before it: no calendar time.
    assert calendar_hours(at(0), at(100), in_service_from=at(150)) == 0
    assert calendar_hours(at(0), at(100), in_service_until=at(-1)) == 0


def test_the_published_example_of_a_riid_over_2024() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    end = datetime(2025, 1, 1, tzinfo=UTC)
    c = calendar_hours(start, end)
    d = downtime_hours(
        [
            Span(datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 3, tzinfo=UTC)),
            Span(datetime(2024, 8, 1, tzinfo=UTC), datetime(2024, 8, 6, tzinfo=UTC)),
        ],
        start,
        end,
    )
    assert (c, d) == (8784, 168)
    assert mtbf(c, d, 2) == Mtbf(4308, lower_bound=False)
    assert mttr(d, 2) == 84
    assert availability(c, d) == pytest.approx(0.98087, abs=1e-5)


def test_no_failures_gives_a_lower_bound_not_zero_or_infinity() -> None:
    assert mtbf(8760, 10, 0) == Mtbf(8750, lower_bound=True)
    assert mttr(10, 0) is None
    assert availability(8760, 10) == pytest.approx(8750 / 8760)


def test_no_calendar_time_has_no_figures() -> None:
    assert mtbf(0, 0, 0) is None
    assert availability(0, 0) is None


def test_a_failure_is_dated_by_its_downtime_start_else_its_report() -> None:
    assert failure_moment(at(5), at(7)) == at(5)
    assert failure_moment(None, at(7)) == at(7)


# --- compliance -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("completed", "expected"),
    [
        (date(2026, 3, 10), True),
        (date(2026, 3, 24), True),  # due + 14
        (date(2026, 3, 25), False),  # one day late
        (date(2026, 2, 24), True),  # due − 14
        (date(2026, 2, 23), False),  # too early counts as not on time
    ],
)
def test_on_time_is_within_due_plus_or_minus_grace(completed: date, expected: bool) -> None:
    assert on_time(date(2026, 3, 10), 14, completed) is expected


def test_open_work_counts_only_once_its_grace_window_has_closed() -> None:
    due = date(2026, 3, 10)
    assert counted_for_compliance(due, 14, None, date(2026, 3, 24)) is False
    assert counted_for_compliance(due, 14, None, date(2026, 3, 25)) is True
    assert counted_for_compliance(due, 14, date(2026, 3, 30), date(2026, 3, 12)) is True


# --- backlog --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(-3, None), (0, None), (1, 0), (30, 0), (31, 1), (90, 1), (91, 2), (365, 2), (366, 3)],
)
def test_backlog_buckets_by_days_past_due(days: int, bucket: int | None) -> None:
    assert backlog_bucket(days) == bucket


def test_backlog_counts_open_work_by_age() -> None:
    on = date(2026, 6, 30)
    dues = [on, on - timedelta(days=1), on - timedelta(days=45), on - timedelta(days=400)]
    dues += [on + timedelta(days=10), on - timedelta(days=100), on - timedelta(days=2)]
    assert backlog(dues, on) == (2, 1, 1, 1)


# --- calibration, age, cost -----------------------------------------------------------------


def test_drift_as_a_share_of_the_tolerance() -> None:
    # ±10 keV: a peak that moved by 2.5 keV used a quarter of its tolerance.
    assert drift_share(-2.5, 661.66, 10, "abs") == pytest.approx(0.25)
    # ±20 % of 10 µSv/h allows 2 µSv/h; 0.5 of drift is a quarter of it.
    assert drift_share(0.5, 10, 20, "pct") == pytest.approx(0.25)
    # A tolerance that allows nothing cannot be a yardstick.
    assert drift_share(0.5, 0, 20, "pct") is None
    assert drift_share(0.5, 10, 0, "abs") is None


def test_age_against_design_life() -> None:
    assert age_years(date(2016, 1, 1), date(2026, 1, 1)) == pytest.approx(3653 / 365.25)
    assert past_design_life(date(2016, 1, 1), date(2026, 1, 1), 10) is True
    assert past_design_life(date(2016, 1, 2), date(2026, 1, 1), 10) is False


def test_counts_add_up_and_give_the_group_figures() -> None:
    a = Counts(
        items=1,
        calendar_hours=8760,
        downtime_hours=60,
        failures=2,
        scheduled_due=4,
        scheduled_on_time=3,
        backlog=(1, 0, 0, 0),
        calibrations=2,
        calibrations_passed=1,
        drift_points=2,
        drift_share_total=0.5,
        aged_items=1,
        age_years_total=4,
        life_used_total=0.5,
        cost_cents=120_000,
    )
    b = Counts(
        items=1,
        calendar_hours=4380,
        downtime_hours=0,
        failures=0,
        scheduled_due=1,
        scheduled_on_time=1,
        backlog=(0, 2, 0, 1),
        calibrations=2,
        calibrations_passed=2,
        drift_points=1,
        drift_share_total=0.1,
        aged_items=1,
        age_years_total=12,
        life_used_total=1.5,
        past_design_life=1,
        cost_cents=30_000,
    )
    group = Kpis(total([a, b]), years=3.0)
    assert group.counts.calendar_hours == 13140
    assert group.mtbf == Mtbf((13140 - 60) / 2, lower_bound=False)
    assert group.mttr_hours == 30
    assert group.availability == pytest.approx(13080 / 13140)
    assert group.on_time_compliance == pytest.approx(4 / 5)
    assert group.counts.backlog == (1, 2, 0, 1)
    assert group.backlog_total == 4
    assert group.calibration_pass_rate == pytest.approx(3 / 4)
    assert group.mean_drift_share == pytest.approx(0.6 / 3)
    assert group.mean_age_years == 8
    assert group.mean_life_used == 1
    assert group.share_past_design_life == 0.5
    assert group.cost_per_year_cents == 50_000


def test_an_empty_group_has_no_ratios() -> None:
    empty = Kpis(Counts(), years=1.0)
    assert empty.mtbf is None
    assert empty.availability is None
    assert empty.on_time_compliance is None
    assert empty.calibration_pass_rate is None
    assert empty.mean_age_years is None
    assert empty.cost_per_year_cents == 0


# --- windows --------------------------------------------------------------------------------


def test_the_last_12_months_end_today_and_the_previous_window_just_before() -> None:
    window = preset_window(WindowKind.LAST_12_MONTHS, date(2026, 3, 15))
    assert (window.first_day, window.last_day, window.days, window.years) == (
        date(2025, 3, 16),
        date(2026, 3, 15),
        365,
        1.0,
    )
    previous = window.previous()
    assert (previous.first_day, previous.last_day, previous.years) == (
        date(2024, 3, 16),
        date(2025, 3, 15),
        1.0,
    )


def test_the_last_3_years_and_a_month_end_clamp() -> None:
    window = preset_window(WindowKind.LAST_3_YEARS, date(2026, 3, 15))
    assert (window.first_day, window.days, window.years) == (date(2023, 3, 16), 1096, 3.0)
    # 29 February back one year is 28 February: the window starts the day after.
    leap = preset_window(WindowKind.LAST_12_MONTHS, date(2024, 2, 29))
    assert leap.first_day == date(2023, 3, 1)


def test_a_custom_window_is_its_days_and_counts_years_of_365_25_days() -> None:
    window = custom_window(date(2024, 1, 1), date(2024, 12, 31))
    assert (window.days, window.years) == (366, pytest.approx(366 / 365.25))
    assert window.previous() == Window(date(2022, 12, 31), date(2023, 12, 31), window.years)
    with pytest.raises(ValueError, match="ends on or after"):
        custom_window(date(2024, 1, 2), date(2024, 1, 1))


def test_window_bounds_are_local_midnights_and_never_after_now() -> None:
    window = custom_window(date(2024, 1, 1), date(2024, 12, 31))
    start, end = window.bounds("Europe/Vilnius", datetime(2026, 1, 1, tzinfo=UTC))
    # Vilnius is UTC+2 in winter: the year runs from 22:00 UTC on 31 December 2023.
    assert start == datetime(2023, 12, 31, 22, tzinfo=UTC)
    assert end == datetime(2024, 12, 31, 22, tzinfo=UTC)
    assert calendar_hours(start, end) == 8784  # summer time adds and takes back one hour
    now = datetime(2024, 7, 1, 9, tzinfo=UTC)
    assert window.bounds("Europe/Vilnius", now) == (start, now)
    # A window that starts after now is empty.
    future = custom_window(date(2030, 1, 1), date(2030, 1, 31))
    begin, finish = future.bounds("Europe/Vilnius", now)
    assert begin == finish
