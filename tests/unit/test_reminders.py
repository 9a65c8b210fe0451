"""The reminder rules: which stages hold for scheduled work and late repairs, and when a reminder
found earlier is still worth sending."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from equiplan.domain.reminders import (
    AUDIENCE,
    Account,
    Audience,
    Stage,
    Verdict,
    days_overdue,
    days_until,
    hours_late,
    in_audience,
    most_urgent,
    repair_bounds,
    repair_reminder_verdict,
    repair_stages,
    schedule_bounds,
    schedule_reminded,
    schedule_reminder_verdict,
    schedule_stages,
)

DUE_DATE = date(2026, 12, 1)
ESCALATION = (7, 14)
LEAD, DUE_NOW, LATE, E1, E2 = (
    Stage.LEAD,
    Stage.DUE,
    Stage.OVERDUE,
    Stage.ESCALATION_1,
    Stage.ESCALATION_2,
)


def _on(day: date, lead: int = 30, grace: int = 14) -> set[Stage]:
    return set(schedule_stages(DUE_DATE, lead, grace, day, ESCALATION))


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 10, 31), set()),  # 31 days before: lead 30 has not started
        (date(2026, 11, 1), {LEAD}),  # first day of the lead time
        (date(2026, 11, 30), {LEAD}),  # the day before the due date
        (date(2026, 12, 1), {DUE_NOW}),  # the due date: lead no longer holds
        (date(2026, 12, 15), {DUE_NOW}),  # last day of the grace window (14 days)
        (date(2026, 12, 16), {LATE}),  # the first day past it
        (date(2026, 12, 21), {LATE}),  # 6 days past the window
        (date(2026, 12, 22), {LATE}),  # 7 days past: not *more* than 7 yet
        (date(2026, 12, 23), {LATE, E1}),  # 8 days past
        (date(2026, 12, 29), {LATE, E1}),  # 14 days past
        (date(2026, 12, 30), {LATE, E1, E2}),  # 15 days past
        (date(2027, 6, 1), {LATE, E1, E2}),  # long forgotten: every late stage still holds
    ],
)
def test_stages_through_the_life_of_a_due_date(today: date, expected: set[Stage]) -> None:
    assert _on(today) == expected


def test_no_lead_reminder_without_lead_days() -> None:
    assert _on(DUE_DATE - timedelta(days=1), lead=0) == set()
    assert _on(DUE_DATE - timedelta(days=1), lead=1) == {LEAD}
    assert _on(DUE_DATE - timedelta(days=2), lead=1) == set()
    assert _on(DUE_DATE, lead=0) == {DUE_NOW}


def test_no_grace_makes_the_day_after_the_due_date_overdue() -> None:
    assert _on(DUE_DATE, grace=0) == {DUE_NOW}
    assert _on(DUE_DATE + timedelta(days=1), grace=0) == {LATE}
    assert _on(DUE_DATE + timedelta(days=8), grace=0) == {LATE, E1}
    assert _on(DUE_DATE + timedelta(days=15), grace=0) == {LATE, E1, E2}


@pytest.mark.parametrize(
    ("escalation", "days_past", "expected"),
    [
        ((0, 0), 1, {LATE, E1, E2}),  # escalate at once
        ((0, 3), 1, {LATE, E1}),
        ((0, 3), 4, {LATE, E1, E2}),
        ((3, 3), 3, {LATE}),
        ((3, 3), 4, {LATE, E1, E2}),
        ((30, 60), 30, {LATE}),
        ((30, 60), 31, {LATE, E1}),
    ],
)
def test_escalation_days_count_from_the_end_of_the_grace_window(
    escalation: tuple[int, int], days_past: int, expected: set[Stage]
) -> None:
    grace_end = DUE_DATE + timedelta(days=5)
    today = grace_end + timedelta(days=days_past)
    assert set(schedule_stages(DUE_DATE, 10, 5, today, escalation)) == expected


def test_bounds_are_the_same_rule_as_stored_date_comparisons() -> None:
    today = date(2026, 12, 31)
    bounds = schedule_bounds(today, ESCALATION)
    assert (bounds.today, bounds.escalation_1_before, bounds.escalation_2_before) == (
        today,
        date(2026, 12, 24),
        date(2026, 12, 17),
    )
    # grace ended 16 Dec: escalation 2 holds (16 < 17); ended 17 Dec: not yet.
    assert E2 in schedule_stages(date(2026, 12, 2), 0, 14, today, ESCALATION)
    assert E2 not in schedule_stages(date(2026, 12, 3), 0, 14, today, ESCALATION)


def test_only_active_schedules_of_items_in_the_fleet_are_reminded_of() -> None:
    assert schedule_reminded(True, "in_service")
    assert schedule_reminded(True, "in_repair")
    assert not schedule_reminded(False, "in_service")
    assert not schedule_reminded(True, "decommissioned")


TARGET = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (TARGET - timedelta(hours=1), set()),
        (TARGET, set()),  # exactly on target is not late
        (TARGET + timedelta(seconds=1), {LATE}),
        (TARGET + timedelta(hours=24), {LATE}),
        (TARGET + timedelta(hours=24, seconds=1), {LATE, E1}),
        (TARGET + timedelta(hours=72), {LATE, E1}),
        (TARGET + timedelta(hours=72, minutes=1), {LATE, E1, E2}),
    ],
)
def test_repair_stages_by_hours_past_the_target(now: datetime, expected: set[Stage]) -> None:
    assert set(repair_stages(TARGET, now, (24, 72))) == expected


def test_repair_bounds_match_the_repair_rule() -> None:
    now = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
    bounds = repair_bounds(now, (24, 72))
    assert bounds.overdue_before == now
    assert bounds.escalation_1_before == now - timedelta(hours=24)
    assert bounds.escalation_2_before == now - timedelta(hours=72)


def test_who_gets_each_stage() -> None:
    assert {stage: AUDIENCE[stage] for stage in Stage} == {
        LEAD: Audience.OFFICERS,
        DUE_NOW: Audience.OFFICERS,
        LATE: Audience.OFFICERS,
        E1: Audience.FOCAL_POINT,
        E2: Audience.TECHNICIANS,
    }


def _schedule_verdict(**changes: object) -> Verdict:
    values: dict[str, object] = {
        "schedule_active": True,
        "equipment_status": "in_service",
        "next_due": DUE_DATE,
        "reminded_due_date": DUE_DATE,
        "recipient_in_audience": True,
        **changes,
    }
    return schedule_reminder_verdict(**values)  # type: ignore[arg-type]


def test_a_schedule_reminder_is_obsolete_once_the_work_moved_on() -> None:
    assert _schedule_verdict() is Verdict.SEND
    assert _schedule_verdict(next_due=date(2027, 12, 1)) is Verdict.OBSOLETE  # completed
    assert _schedule_verdict(next_due=date(2026, 12, 8)) is Verdict.OBSOLETE  # re-dated
    # A decommissioned item never returns to the fleet.
    assert _schedule_verdict(equipment_status="decommissioned") is Verdict.OBSOLETE
    # E.g. the account was deactivated, or the item moved to another agency.
    assert _schedule_verdict(recipient_in_audience=False) is Verdict.OBSOLETE


def test_a_paused_schedule_s_reminder_waits_for_it_to_resume() -> None:
    # Obsoleting it would silence that stage for good: the sweep finds each stage once.
    assert _schedule_verdict(schedule_active=False) is Verdict.WAIT
    # Re-dated, completed or retired while paused: never sent.
    paused = {"schedule_active": False}
    assert _schedule_verdict(**paused, next_due=date(2027, 1, 5)) is Verdict.OBSOLETE
    assert _schedule_verdict(**paused, equipment_status="decommissioned") is Verdict.OBSOLETE
    assert _schedule_verdict(**paused, recipient_in_audience=False) is Verdict.OBSOLETE


def _repair_verdict(**changes: object) -> Verdict:
    values: dict[str, object] = {
        "work_status": "in_progress",
        "equipment_status": "in_repair",
        "target": TARGET,
        "now": TARGET + timedelta(hours=2),
        "recipient_in_audience": True,
        **changes,
    }
    return repair_reminder_verdict(**values)  # type: ignore[arg-type]


def test_a_repair_reminder_is_obsolete_once_the_repair_is_closed() -> None:
    assert _repair_verdict() is Verdict.SEND
    assert _repair_verdict(work_status="open") is Verdict.SEND
    assert _repair_verdict(work_status="done") is Verdict.OBSOLETE
    assert _repair_verdict(work_status="cancelled") is Verdict.OBSOLETE
    assert _repair_verdict(equipment_status="decommissioned") is Verdict.OBSOLETE
    assert _repair_verdict(recipient_in_audience=False) is Verdict.OBSOLETE
    # A target moved past now: not late at the moment, so it waits instead of being dropped.
    assert _repair_verdict(target=TARGET + timedelta(hours=5)) is Verdict.WAIT


VSAT, MUIT = 1, 2
OFFICER = Account(email="Jonas@vsat.lt", active=True, role="officer", agency_id=VSAT)
TECHNICIAN = Account(email="tomas@nssc.lt", active=True, role="technician", agency_id=None)


def _in_audience(
    stage: Stage,
    account: Account | None,
    *,
    address: str = "jonas@vsat.lt",
    item_agency_id: int = VSAT,
    focal_point_email: str | None = "focal@vsat.lt",
) -> bool:
    return in_audience(
        stage,
        address=address,
        account=account,
        item_agency_id=item_agency_id,
        focal_point_email=focal_point_email,
    )


@pytest.mark.parametrize("stage", [LEAD, DUE_NOW, LATE])
def test_officer_stages_reach_only_active_officers_of_the_item_s_agency_now(
    stage: Stage,
) -> None:
    assert _in_audience(stage, OFFICER)  # addresses compare case-insensitively
    assert not _in_audience(stage, OFFICER, item_agency_id=MUIT)  # the item moved
    assert not _in_audience(stage, replace(OFFICER, agency_id=MUIT))  # the officer moved
    assert not _in_audience(stage, replace(OFFICER, role="viewer"))
    assert not _in_audience(stage, replace(OFFICER, active=False))
    # The account's address changed: the sweep finds the reminder again for the new one.
    assert not _in_audience(stage, replace(OFFICER, email="jonas.p@vsat.lt"))
    assert not _in_audience(stage, None)


def test_the_first_escalation_reaches_the_focal_point_address_of_the_item_s_agency_now() -> None:
    focal = {"address": "Focal@VSAT.lt"}
    assert _in_audience(E1, None, **focal)
    assert not _in_audience(E1, None, **focal, focal_point_email="new.focal@vsat.lt")
    assert not _in_audience(E1, None, **focal, focal_point_email=None)
    assert not _in_audience(E1, None, address="", focal_point_email="")
    # The item moved: its new agency's focal point is another address.
    assert not _in_audience(E1, None, **focal, item_agency_id=MUIT, focal_point_email="x@muit.lt")
    # The address is the agency's, not a person's: an account there only gives the language.
    chief = Account(email="focal@vsat.lt", active=False, role="viewer", agency_id=VSAT)
    assert _in_audience(E1, chief, **focal)


def test_the_second_escalation_reaches_active_technicians() -> None:
    technician = {"address": "tomas@nssc.lt"}
    assert _in_audience(E2, TECHNICIAN, **technician)
    assert not _in_audience(E2, replace(TECHNICIAN, role="planner"), **technician)
    assert not _in_audience(E2, replace(TECHNICIAN, active=False), **technician)
    assert not _in_audience(E2, None, **technician)


def test_numbers_the_emails_show() -> None:
    assert days_until(DUE_DATE, date(2026, 11, 1)) == 30
    assert days_until(DUE_DATE, date(2026, 12, 3)) == -2
    assert days_overdue(date(2026, 12, 15), date(2026, 12, 18)) == 3
    assert days_overdue(date(2026, 12, 15), date(2026, 12, 15)) == 0
    assert hours_late(TARGET, TARGET + timedelta(minutes=1)) == 1
    assert hours_late(TARGET, TARGET + timedelta(hours=5)) == 5
    assert hours_late(TARGET, TARGET - timedelta(hours=5)) == 0


def test_most_urgent_stage() -> None:
    assert most_urgent([LEAD, DUE_NOW]) is DUE_NOW
    assert most_urgent([LATE, E2, E1]) is E2
    assert most_urgent(frozenset({LEAD})) is LEAD
