"""Planned work in a generated history: each recurring schedule of an item is replayed from
commissioning with the real scheduling rules (domain/scheduling.py), leaving done work orders,
a few lapsed occurrences for the dashboard, and the calibration readings and certificates of
calibration work."""

from __future__ import annotations

import random
from datetime import date, timedelta

from equiplan.domain.scheduling import (
    Interval,
    add_interval,
    grace_ends_on,
    next_due,
    reminders_start_on,
)
from equiplan.services.seeding_specs import ScheduleSpec
from equiplan.services.seeding_work import (
    CalibrationRecord,
    ItemState,
    Row,
    WorkRecord,
    at_hour,
    labour_hours,
    work_row,
)


def simulate_schedule(item: ItemState, index: int, sched: ScheduleSpec) -> Row:
    """Replay schedule `index` of the item: append its work records to `item.work` and return
    the schedule row as it stands today (next due date, last completion)."""
    ctx, rng, life = item.ctx, item.rng, item.lifecycle
    end = min(life.active_until, ctx.today - timedelta(days=1))
    due = _first_due_in_window(item, sched)
    done: list[tuple[date, date]] = []
    while True:
        completed = due + timedelta(days=_completion_offset(sched, rng))
        if done and completed <= done[-1][1]:
            completed = done[-1][1] + timedelta(days=1)
        if completed > end:
            break
        done.append((due, completed))
        due = next_due(due, completed, sched.interval, sched.anchor)

    active = life.status == "in_service"
    missed: date | None = None
    # A few items miss their latest occurrence entirely: these are the overdue rows the dashboard
    # must show. Calibrations lapse a little more often (items kept in use at remote posts).
    lapse_rate = 0.04 if sched.kind == "calibration" else 0.02
    if (
        active
        and done
        and done[-1][0] + timedelta(days=sched.grace_days) < end
        and rng.random() < lapse_rate
    ):
        missed = due = done.pop()[0]
    for previous_due, completed in done:
        if completed >= ctx.history_start:
            item.work.append(_scheduled_work(item, index, sched, previous_due, completed))
    if missed is not None and rng.random() < 0.5:
        # A work order was raised when the reminder went out, but nobody has done it yet.
        opened = at_hour(missed - timedelta(days=sched.lead_days), 7)
        item.work.append(WorkRecord(work_row(sched.kind, "open", opened, due_date=missed), index))
    return {
        "equipment_id": None,
        "kind": sched.kind,
        "interval_value": sched.interval.value,
        "interval_unit": sched.interval.unit.value,
        "anchor": sched.anchor.value,
        "lead_days": sched.lead_days,
        "grace_days": sched.grace_days,
        "active": active,
        "next_due": due,
        "grace_ends_on": grace_ends_on(due, sched.grace_days),
        "remind_from": reminders_start_on(due, sched.lead_days),
        "last_completed": done[-1][1] if done else None,
        "created_at": ctx.created_at,
    }


def _interval_days(interval: Interval) -> int:
    origin = date(2001, 1, 1)
    return (add_interval(origin, interval) - origin).days


def _completion_offset(sched: ScheduleSpec, rng: random.Random) -> int:
    """Days from due date to completion: mostly inside the grace window, some early, some late."""
    period = _interval_days(sched.interval)
    window = max(sched.grace_days, 2)
    draw = rng.random()
    if draw < 0.76:
        return rng.randint(-window, sched.grace_days)
    if draw < 0.88:
        earliest = min(sched.lead_days, period // 4)
        return -rng.randint(window + 1, max(window + 1, earliest))
    return sched.grace_days + rng.randint(1, max(2, min(60, period // 2)))


def _first_due_in_window(item: ItemState, sched: ScheduleSpec) -> date:
    """The first due date worth replaying: history before the window leaves no rows behind, so
    the rhythm is fast-forwarded on the commissioning grid instead of simulated."""
    commissioned = item.commissioned_on
    start = item.ctx.history_start - timedelta(days=2 * _interval_days(sched.interval))
    if start <= commissioned:
        return add_interval(commissioned, sched.interval)
    periods = (start - commissioned).days // _interval_days(sched.interval)
    return add_interval(commissioned, sched.interval, max(1, periods))


def _scheduled_work(
    item: ItemState, index: int, sched: ScheduleSpec, due: date, completed: date
) -> WorkRecord:
    rng, hours = item.rng, item.spec.profile.service_hours
    labour = labour_hours(hours.get(sched.kind, 1.0), rng)
    started = at_hour(completed, rng.uniform(6, 11))
    opened = at_hour(min(due - timedelta(days=sched.lead_days), completed - timedelta(days=1)), 6)
    row = work_row(
        sched.kind,
        "done",
        opened,
        due_date=due,
        started_at=started,
        completed_at=started + timedelta(hours=float(labour)),
        labour_hours=labour,
        technician_id=item.ctx.technician_id,
        result=rng.choices(("pass", "conditional", "fail"), (0.96, 0.03, 0.01))[0],
    )
    record = WorkRecord(row, schedule_index=index)
    if sched.kind == "calibration" and item.spec.profile.calibration_points:
        record.calibration = _calibration(item, sched, completed)
        lab = item.calibration.lab
        row["external_cost_cents"] = round(rng.uniform(*lab.external_cost_cents) / 100) * 100
        row["result"] = "pass"
        if not record.calibration.row["as_found_passed"]:
            row["notes"] = (
                "As-found reading out of tolerance; instrument adjusted. Impact review needed."
            )
    elif sched.kind == "preventive" and rng.random() < 0.6:
        row["parts_cost_cents"] = round(item.cost_cents * rng.uniform(0.0005, 0.005))
    return record


def _reading(value: float) -> float:
    """A value as an instrument shows it (five significant digits)."""
    return float(f"{value:.5g}")


def _calibration(item: ItemState, sched: ScheduleSpec, day: date) -> CalibrationRecord:
    """Readings per calibration point; as-found drifts from the previous as-left, so that the
    drift KPI has something to show, and a few as-found readings fall out of tolerance."""
    rng, state = item.rng, item.calibration
    points: list[Row] = []
    found_ok = True
    for position, spec in enumerate(item.spec.profile.calibration_points):
        tol = spec.tolerance_abs
        as_found = _reading(state.as_left[position] + rng.gauss(0, tol / 3.5))
        found_ok = found_ok and abs(as_found - spec.nominal) <= tol
        # Readings well inside the tolerance are left alone; the others are adjusted.
        if abs(as_found - spec.nominal) <= tol / 2:
            as_left = as_found
        else:
            as_left = _reading(spec.nominal + max(-tol / 3, min(tol / 3, rng.gauss(0, tol / 6))))
        state.as_left[position] = as_left
        points.append(
            {
                "calibration_id": None,
                "position": position + 1,
                "quantity": spec.quantity,
                "unit": spec.unit,
                "nominal": spec.nominal,
                "as_found": as_found,
                "as_left": as_left,
                "tolerance": spec.tolerance,
                "tolerance_kind": spec.tolerance_kind,
            }
        )
    state.count += 1
    if not found_ok:
        state.last_failed_on = day
    row: Row = {
        "work_order_id": None,
        "equipment_id": None,
        "laboratory": state.lab.name,
        "certificate_no": f"{state.lab.prefix}-{day.year}-{item.spec.serial_no[-6:]}-{state.count}",
        "calibrated_on": day,
        "valid_until": add_interval(day, sched.interval),
        "certificate_file": None,
        "certificate_filename": None,
        "as_found_passed": found_ok,
        "as_left_passed": True,
        "created_at": item.ctx.created_at,
    }
    return CalibrationRecord(row, points)
