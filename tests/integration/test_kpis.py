"""KPIs in SQL on both backends: a small fleet with hand-computed figures at every level, the
previous window, the breakdowns, agency scoping, and the SQL against domain/kpi.py on the rows.

The window is the year 2025 in Vilnius (2024-12-31 22:00 UTC to 2025-12-31 22:00 UTC: 8,760 h),
the previous window the 365 days before it (2024-01-02 to 2024-12-31: 8,760 h too); the report
is made on 1 June 2026.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from equiplan.domain.calibration import Point, drift
from equiplan.domain.kpi import (
    Counts,
    Span,
    Window,
    backlog,
    calendar_hours,
    counted_for_compliance,
    downtime_hours,
    drift_share,
    failure_moment,
    in_period,
    local_midnight,
    on_time,
    service_period,
)
from equiplan.models import (
    Agency,
    CalibrationPoint,
    CalibrationResult,
    Equipment,
    EquipmentModel,
    Schedule,
    WorkOrder,
)
from equiplan.services.clock import local_today
from equiplan.services.errors import NotFound
from equiplan.services.kpi_query import KpiQuery
from equiplan.services.kpis import KpiReport, kpi_report
from equiplan.services.scoping import Scope
from tests.factories import (
    make_agency,
    make_calibration,
    make_equipment,
    make_failure_code,
    make_model,
    make_schedule,
    make_site,
    make_type,
    make_work_order,
)

ZONE = "Europe/Vilnius"
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
YEAR_2025 = {"window": "custom", "first_day": date(2025, 1, 1), "last_day": date(2025, 12, 31)}
# A custom window is counted in years of 365.25 days.
YEARS = 365 / 365.25


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@dataclass
class Fleet:
    a: Agency
    b: Agency
    sites: dict[str, Any]
    types: dict[str, Any]
    models: dict[str, EquipmentModel]
    items: dict[str, Equipment]


@pytest.fixture
def fleet(session: Session) -> Fleet:
    a, b = make_agency(session, "VSAT"), make_agency(session, "MUIT", kind="customs")
    s1, s2 = make_site(session, a, code="MED"), make_site(session, a, code="KEN")
    t1 = make_type(session, "RIID", design_life_years=10)
    t2 = make_type(session, "PRD", design_life_years=5)
    m1, m2, m3 = make_model(session, t1), make_model(session, t1), make_model(session, t2)
    i1 = make_equipment(session, a, m1, s1, commissioned_on=date(2020, 1, 1))
    i2 = make_equipment(session, a, m2, s1, commissioned_on=date(2025, 7, 1))
    i3 = make_equipment(
        session,
        b,
        m3,
        commissioned_on=date(2018, 1, 1),
        status="decommissioned",
        decommissioned_on=date(2025, 10, 1),
    )
    i4 = make_equipment(session, a, m1, s2, commissioned_on=date(2014, 1, 1))
    i5 = make_equipment(session, b, m2, commissioned_on=date(2010, 1, 1))
    code = make_failure_code(session, "DET")

    def repair(item: Equipment, start: datetime, end: datetime | None, **fields: Any) -> None:
        values = {"status": "done" if end else "in_progress", "failure_code_id": code.id}
        values |= {"downtime_start": start, "downtime_end": end, "opened_at": start}
        values |= {"completed_at": end}
        make_work_order(session, item, **{**values, **fields})

    # i1: 48 h; 24 h overlapped by 36 h (union 48 h); 10 h without a failure code; 22 h across
    # the window's start (12 in it, 10 before, a failure of the previous window); cancelled.
    repair(
        i1,
        utc(2025, 3, 1, 10),
        utc(2025, 3, 3, 10),
        parts_cost_cents=10_000,
        external_cost_cents=5_000,
    )
    repair(i1, utc(2025, 6, 1), utc(2025, 6, 2))
    repair(i1, utc(2025, 6, 1, 12), utc(2025, 6, 3))
    repair(i1, utc(2025, 9, 1), utc(2025, 9, 1, 10), failure_code_id=None)
    repair(i1, utc(2024, 12, 31, 12), utc(2025, 1, 1, 10))
    repair(i1, utc(2025, 4, 1), utc(2025, 4, 2), status="cancelled")
    # i2, commissioned mid-window: calibration downtime still open (12 h to the window end),
    # and a repair after the window (not in it).
    make_work_order(
        session,
        i2,
        kind="calibration",
        status="in_progress",
        opened_at=utc(2025, 12, 31, 10),
        downtime_start=utc(2025, 12, 31, 10),
    )
    repair(i2, utc(2026, 2, 1), utc(2026, 2, 2))
    # i3 (decommissioned on 1 October 2025): one failure of 240 h.
    repair(i3, utc(2025, 5, 1), utc(2025, 5, 11), parts_cost_cents=20_000)

    # Scheduled work: i1 calibrations with 14 grace days, i4 source checks without grace.
    calibration = make_schedule(session, i1, date(2025, 12, 20), grace_days=14)
    checks = make_schedule(session, i4, date(2026, 7, 1), kind="source_check", grace_days=0)
    make_schedule(session, i4, date(2025, 11, 1), kind="inspection", grace_days=7)  # missed

    def scheduled(schedule: Schedule, due: date, done: datetime | None, **fields: Any) -> None:
        values = {"schedule_id": schedule.id, "kind": schedule.kind, "due_date": due}
        values |= {"status": "done" if done else "open", "completed_at": done}
        values |= {"opened_at": utc(due.year, due.month, 1)}
        make_work_order(session, schedule_item[schedule.id], **{**values, **fields})

    schedule_item = {calibration.id: i1, checks.id: i4}
    # 23:30 in Vilnius on the last day of grace: on time.
    scheduled(calibration, date(2025, 3, 10), utc(2025, 3, 24, 21, 30), external_cost_cents=30_000)
    scheduled(calibration, date(2025, 6, 10), utc(2025, 7, 1, 9))  # 21 days late
    scheduled(calibration, date(2025, 9, 10), utc(2025, 8, 20, 9))  # 21 days early
    scheduled(calibration, date(2025, 12, 20), None)  # still open: late, and in the backlog
    scheduled(calibration, date(2025, 12, 28), None, status="cancelled")
    scheduled(calibration, date(2024, 6, 10), utc(2024, 6, 12, 12), external_cost_cents=25_000)
    # 00:30 on 1 April in Vilnius (21:30 UTC the day before): on time, not a day early.
    scheduled(checks, date(2025, 4, 1), utc(2025, 3, 31, 21, 30))

    # Backlog: a repair past its target (local date 5 October), work done only after the
    # window, and old work open at the previous window's end.
    make_work_order(
        session,
        i1,
        status="in_progress",
        opened_at=utc(2025, 10, 1),
        target_restore_at=utc(2025, 10, 5, 10),
    )
    make_work_order(
        session,
        i4,
        kind="preventive",
        status="done",
        opened_at=utc(2025, 7, 1),
        due_date=date(2025, 8, 1),
        completed_at=utc(2026, 2, 1),
    )
    make_work_order(
        session,
        i4,
        kind="preventive",
        status="done",
        opened_at=utc(2023, 1, 1),
        due_date=date(2023, 6, 1),
        completed_at=utc(2025, 2, 1),
    )

    # Calibrations of i1: drift 0.5 of ±2 (a quarter), −2.5 keV of ±10 keV (a quarter), then
    # 13.0 against 10.5 as found and not adjusted: 1.25 tolerances.
    peak = {
        "nominal": 661.66,
        "tolerance": 10.0,
        "tolerance_kind": "abs",
        "quantity": "peak_position_cs137",
        "unit": "keV",
    }
    make_calibration(
        session,
        i1,
        calibrated_on=date(2024, 5, 1),
        points=(
            {"nominal": 10.0, "tolerance": 20.0, "as_found": 10.2, "as_left": 10.0},
            {**peak, "as_found": 662.0},
        ),
    )
    make_calibration(
        session,
        i1,
        calibrated_on=date(2025, 5, 1),
        points=(
            {"nominal": 10.0, "tolerance": 20.0, "as_found": 10.5},
            {**peak, "as_found": 659.5},
        ),
    )
    make_calibration(
        session,
        i1,
        calibrated_on=date(2025, 11, 1),
        as_found_passed=False,
        points=({"nominal": 10.0, "tolerance": 20.0, "as_found": 13.0, "as_left": 10.1},),
    )
    session.commit()
    return Fleet(
        a=a,
        b=b,
        sites={"s1": s1, "s2": s2},
        types={"t1": t1, "t2": t2},
        models={"m1": m1, "m2": m2, "m3": m3},
        items={"i1": i1, "i2": i2, "i3": i3, "i4": i4, "i5": i5},
    )


def report(
    session: Session,
    level: str = "scope",
    object_id: int | None = None,
    scope: Scope | None = None,
    **window: Any,
) -> KpiReport:
    query = KpiQuery(level=level, id=object_id, **(window or YEAR_2025))
    return kpi_report(session, scope or Scope.everything(), query, NOW, timezone=ZONE)


# Calendar hours: i2 from 1 July (21:00 UTC on 30 June) to the window end, one hour longer
# than 184 days because summer time ended in between; i3 to 1 October (21:00 UTC on
# 30 September), 273 days less the hour lost in March.
C = {"i1": 8760, "i2": 184 * 24 + 1, "i3": 273 * 24 - 1, "i4": 8760, "i5": 8760}
D = {"i1": 48 + 48 + 10 + 12, "i2": 12, "i3": 240, "i4": 0, "i5": 0}
N = {"i1": 3, "i2": 0, "i3": 1, "i4": 0, "i5": 0}


def sums(*names: str) -> tuple[float, float, int]:
    return sum(C[n] for n in names), sum(D[n] for n in names), sum(N[n] for n in names)


def test_the_whole_scope_over_a_year_and_the_year_before(session: Session, fleet: Fleet) -> None:
    found = report(session)
    c, d, n = sums("i1", "i2", "i3", "i4", "i5")
    now = found.current
    assert (now.counts.items, now.counts.failures) == (5, n)
    assert now.counts.calendar_hours == pytest.approx(c)
    assert now.counts.downtime_hours == pytest.approx(d)
    assert now.mtbf is not None
    assert not now.mtbf.lower_bound
    assert now.mtbf.hours == pytest.approx((c - d) / n)  # 9,219.5 h
    assert now.mttr_hours == pytest.approx(d / n)
    assert now.availability == pytest.approx((c - d) / c)
    # Due and decided: four calibrations (one open past its grace), one check, one missed
    # inspection without a work order; on time: the first calibration and the check.
    assert (now.counts.scheduled_due, now.counts.scheduled_on_time) == (6, 2)
    assert now.counts.backlog == (1, 1, 1, 0)  # 11, 87 and 152 days past due
    assert (now.counts.calibrations, now.counts.calibrations_passed) == (2, 1)
    assert now.counts.drift_points == 3
    assert now.mean_drift_share == pytest.approx((0.25 + 0.25 + 1.25) / 3)
    assert now.counts.cost_cents == 10_000 + 5_000 + 20_000 + 30_000
    assert now.cost_per_year_cents == pytest.approx(65_000 / YEARS)
    # In the fleet on 31 December 2025: i1, i2, i4, i5 (i3 was decommissioned).
    assert now.counts.aged_items == 4
    assert now.mean_age_years == pytest.approx((2191 + 183 + 4382 + 5843) / 365.25 / 4)
    assert now.counts.past_design_life == 2  # i4 and i5, both 10-year types

    before = found.previous
    assert (found.previous_window.first_day, found.previous_window.last_day) == (
        date(2024, 1, 2),
        date(2024, 12, 31),
    )
    assert before.counts.items == 4  # not i2
    assert before.counts.calendar_hours == pytest.approx(4 * 8760)
    assert before.counts.downtime_hours == pytest.approx(10)
    assert before.counts.failures == 1
    assert before.mtbf is not None
    assert before.mtbf.hours == pytest.approx(4 * 8760 - 10)
    assert (before.counts.scheduled_due, before.counts.scheduled_on_time) == (1, 1)
    assert before.counts.backlog == (0, 0, 0, 1)  # 579 days past due on 31 December 2024
    assert (before.counts.calibrations, before.counts.drift_points) == (1, 0)
    assert before.mean_drift_share is None
    assert before.counts.cost_cents == 25_000
    assert before.counts.past_design_life == 3  # i3 (5-year type), i4, i5

    (agencies,) = found.breakdowns
    assert agencies.level == "agency"
    assert [row.code for row in agencies.rows] == ["MUIT", "VSAT"]
    muit, vsat = agencies.rows
    assert muit.current.counts.calendar_hours == pytest.approx(sums("i3", "i5")[0])
    assert vsat.current.counts.downtime_hours == pytest.approx(sums("i1", "i2", "i4")[1])
    assert muit.links["failures"].args == {
        "kind": "corrective",
        "failure": 1,
        "status": "counted",
        "date": "failed",
        "from": "2025-01-01",
        "to": "2025-12-31",
        "agency_id": fleet.b.id,
    }


def test_an_agency_breaks_down_by_site_and_by_type(session: Session, fleet: Fleet) -> None:
    found = report(session, "agency", fleet.a.id)
    c, d, n = sums("i1", "i2", "i4")
    assert found.subject.code == "VSAT"
    assert found.current.counts.calendar_hours == pytest.approx(c)
    assert found.current.counts.failures == n
    assert found.current.availability == pytest.approx((c - d) / c)
    assert found.current.counts.cost_cents == 45_000
    sites, types = found.breakdowns
    assert (sites.level, types.level) == ("site", "type")
    by_site = {row.code: row.current.counts for row in sites.rows}
    assert set(by_site) == {"MED", "KEN"}
    assert by_site["MED"].calendar_hours == pytest.approx(sums("i1", "i2")[0])
    assert by_site["KEN"].scheduled_due == 2  # the check and the missed inspection
    assert [row.code for row in types.rows] == ["RIID"]
    assert found.subject.links["items"].args == {"agency_id": fleet.a.id}


def test_a_type_covers_every_agency_and_breaks_down_by_model(
    session: Session, fleet: Fleet
) -> None:
    found = report(session, "type", fleet.types["t1"].id)
    c, d, n = sums("i1", "i2", "i4", "i5")
    assert found.current.counts.calendar_hours == pytest.approx(c)
    assert found.current.mtbf is not None
    assert found.current.mtbf.hours == pytest.approx((c - d) / n)
    (models,) = found.breakdowns
    by_model = {row.id: row.current.counts for row in models.rows}
    assert set(by_model) == {fleet.models["m1"].id, fleet.models["m2"].id}
    assert by_model[fleet.models["m2"].id].calendar_hours == pytest.approx(sums("i2", "i5")[0])
    assert found.subject.links["items"].args == {"type_id": fleet.types["t1"].id}


def test_an_item_without_failures_shows_a_lower_bound(session: Session, fleet: Fleet) -> None:
    found = report(session, "item", fleet.items["i2"].id)
    assert found.breakdowns == ()
    assert found.current.counts.calendar_hours == pytest.approx(C["i2"])
    assert found.current.counts.downtime_hours == pytest.approx(12)
    assert found.current.mtbf is not None
    assert found.current.mtbf.lower_bound
    assert found.current.mtbf.hours == pytest.approx(C["i2"] - 12)
    assert found.current.mttr_hours is None
    assert found.previous.counts.calendar_hours == 0
    assert found.previous.availability is None
    assert found.subject.links["failures"].args["equipment_id"] == fleet.items["i2"].id


def test_a_site_breaks_down_by_item(session: Session, fleet: Fleet) -> None:
    found = report(session, "site", fleet.sites["s1"].id)
    (items,) = found.breakdowns
    assert [row.id for row in items.rows] == sorted(
        [fleet.items["i1"].id, fleet.items["i2"].id],
        key=lambda i: session.get_one(Equipment, i).inventory_no,
    )
    one = next(row for row in items.rows if row.id == fleet.items["i1"].id)
    assert one.current.counts.failures == 3
    assert one.current.counts.downtime_hours == pytest.approx(D["i1"])


def test_a_preset_window_ends_today(session: Session, fleet: Fleet) -> None:
    found = report(session, window="12m")
    assert (found.window.first_day, found.window.last_day) == (date(2025, 6, 2), date(2026, 6, 1))
    assert found.end == NOW
    # i2's repair in February 2026 is in it.
    assert found.current.counts.failures == 1


def test_a_window_not_yet_ended_counts_the_backlog_and_ages_as_of_today(
    session: Session, fleet: Fleet
) -> None:
    found = report(
        session, window="custom", first_day=date(2026, 1, 1), last_day=date(2026, 12, 31)
    )
    assert found.end == NOW
    # On 1 June 2026: the calibration due 20 December 2025 (163 days) and the repair due
    # 5 October 2025 (239 days), not as they will be on 31 December.
    assert found.current.counts.backlog == (0, 0, 2, 0)
    assert found.current.mean_age_years == pytest.approx((2343 + 335 + 4534 + 5995) / 365.25 / 4)


def test_officers_see_only_their_agency(session: Session, fleet: Fleet) -> None:
    officer = Scope(agency_id=fleet.a.id, all_agencies=False)
    mine = report(session, scope=officer)
    assert mine.current.counts.calendar_hours == pytest.approx(sums("i1", "i2", "i4")[0])
    assert [row.code for row in mine.breakdowns[0].rows] == ["VSAT"]
    # A type is shared, its devices are not.
    typed = report(session, "type", fleet.types["t1"].id, scope=officer)
    assert typed.current.counts.calendar_hours == pytest.approx(sums("i1", "i2", "i4")[0])
    for level, foreign in (("agency", fleet.b.id), ("item", fleet.items["i5"].id)):
        with pytest.raises(NotFound):
            report(session, level, foreign, scope=officer)
    site_b = make_site(session, fleet.b)
    with pytest.raises(NotFound):
        report(session, "site", site_b.id, scope=officer)
    with pytest.raises(NotFound):
        report(session, "model", 999_999)


def test_drift_compares_with_the_first_matching_point(session: Session) -> None:
    item = make_equipment(session, make_agency(session), commissioned_on=date(2020, 1, 1))
    twice = {"nominal": 10.0, "tolerance": 1.0, "tolerance_kind": "abs"}
    make_calibration(
        session,
        item,
        calibrated_on=date(2024, 12, 1),
        points=(
            {**twice, "as_found": 10.0, "as_left": 10.2},
            {**twice, "as_found": 9.0},
        ),
    )
    make_calibration(
        session, item, calibrated_on=date(2025, 3, 1), points=({**twice, "as_found": 10.6},)
    )
    found = report(session, "item", item.id)
    assert found.current.counts.drift_points == 1
    assert found.current.mean_drift_share == pytest.approx(0.4)


# --- the SQL against the domain's formulas on the same rows ---------------------------------


def reference(session: Session, item: Equipment, first: date, last: date) -> Counts:
    """One item's counts computed in Python with domain/kpi.py from its rows."""
    start, end = Window(first, last, 1.0).bounds(ZONE, NOW)
    begins = item.commissioned_on or item.acquired_on
    until = item.decommissioned_on
    begin, finish = service_period(
        start,
        end,
        local_midnight(begins, ZONE) if begins else None,
        local_midnight(until, ZONE) if until else None,
    )
    orders = list(session.scalars(select(WorkOrder).where(WorkOrder.equipment_id == item.id)))
    live = [o for o in orders if o.status != "cancelled"]
    spans = [
        Span(o.downtime_start, o.downtime_end)
        for o in live
        if o.kind in ("corrective", "calibration") and o.downtime_start
    ]
    failures = sum(
        1
        for o in live
        if o.kind == "corrective"
        and o.failure_code_id
        and in_period(failure_moment(o.downtime_start, o.opened_at), begin, finish)
    )
    today = local_today(ZONE, NOW)
    due = on = 0
    for o in live:
        if o.schedule_id and o.due_date and first <= o.due_date <= last:
            grace = session.get_one(Schedule, o.schedule_id).grace_days
            done = local_today(ZONE, o.completed_at) if o.status == "done" else None
            due += counted_for_compliance(o.due_date, grace, done, today)
            on += done is not None and on_time(o.due_date, grace, done)
    for s in session.scalars(select(Schedule).where(Schedule.equipment_id == item.id)):
        raised = any(o.schedule_id == s.id and o.due_date == s.next_due for o in live)
        due += s.active and s.grace_ends_on < today and first <= s.next_due <= last and not raised
    open_dues = [
        o.due_date or local_today(ZONE, o.target_restore_at)  # type: ignore[arg-type]
        for o in live
        if (o.due_date or o.target_restore_at)
        and o.opened_at < end
        and (o.completed_at is None or o.completed_at >= end)
    ]
    results = list(
        session.scalars(
            select(CalibrationResult)
            .where(CalibrationResult.equipment_id == item.id)
            .order_by(CalibrationResult.calibrated_on, CalibrationResult.id)
        )
    )
    shares, previous = [], None
    for result in results:
        points = [
            Point(
                p.nominal, p.tolerance, p.tolerance_kind, p.as_found, p.as_left, p.quantity, p.unit
            )
            for p in session.scalars(
                select(CalibrationPoint)
                .where(CalibrationPoint.calibration_id == result.id)
                .order_by(CalibrationPoint.position)
            )
        ]
        if first <= result.calibrated_on <= last:
            for point in points:
                moved = drift(point, previous)
                share = (
                    None
                    if moved is None
                    else drift_share(moved, point.nominal, point.tolerance, point.tolerance_kind)
                )
                if share is not None:
                    shares.append(share)
        previous = points
    in_window = [r for r in results if first <= r.calibrated_on <= last]
    return Counts(
        items=int(finish > begin),
        calendar_hours=calendar_hours(begin, finish),
        downtime_hours=downtime_hours(spans, begin, finish),
        failures=failures,
        scheduled_due=due,
        scheduled_on_time=on,
        backlog=backlog(open_dues, last),
        calibrations=len(in_window),
        calibrations_passed=sum(r.as_found_passed for r in in_window),
        drift_points=len(shares),
        drift_share_total=sum(shares),
        cost_cents=sum(
            o.parts_cost_cents + o.external_cost_cents
            for o in live
            if o.status == "done" and o.completed_at and start <= o.completed_at < end
        ),
    )


@pytest.mark.parametrize("window", ["custom", "12m"])
def test_the_sql_agrees_with_the_domain_formulas(
    session: Session, fleet: Fleet, window: str
) -> None:
    args = YEAR_2025 if window == "custom" else {"window": "12m"}
    for item in fleet.items.values():
        found = report(session, "item", item.id, **args)
        for window_days, counts in (
            (found.window, found.current.counts),
            (found.previous_window, found.previous.counts),
        ):
            expected = reference(session, item, window_days.first_day, window_days.last_day)
            for name in ("calendar_hours", "downtime_hours", "drift_share_total"):
                assert getattr(counts, name) == pytest.approx(getattr(expected, name)), name
            for name in (
                "items",
                "failures",
                "scheduled_due",
                "scheduled_on_time",
                "backlog",
                "calibrations",
                "calibrations_passed",
                "drift_points",
                "cost_cents",
            ):
                assert getattr(counts, name) == getattr(expected, name), (item.id, name)
