"""Reminder rules: which reminder stages hold for scheduled work and for late repairs, and who
receives each (product.md, workflow 3; docs/reminders.md).

This module is the reference. The sweep (services/reminder_sweep.py) mirrors the same rules as
SQL comparisons of stored dates, and a test checks that both agree on the same rows.

"Today" is the local calendar date where the centre works; repair targets are UTC instants.
A stage holds from the moment its condition becomes true; a sweep sends every stage that holds
when it runs, each once, so a sweep that runs late catches up (but a lead reminder is not sent
once the due date has come, because its condition no longer holds).

Escalation delays count from the end of the grace window, not from the overdue reminder. So
when work is already long overdue the first time it is swept (at go-live, or a schedule created
with a past due date), the overdue reminder and both escalations go out together, each to its
own audience. That is intended: each audience learns at once what it would have known by then.

The recipient of a reminder is chosen when the sweep finds it, but its email may be written
later (a daily digest, up to a day later). `in_audience` checks again at that moment that the
recipient still belongs to the stage's audience for the item as it is *now* (its agency, the
agency's focal point, the account's role), so nobody is told about another agency's equipment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from equiplan.domain.scheduling import grace_ends_on, reminders_start_on


class Stage(StrEnum):
    LEAD = "lead"
    DUE = "due"
    OVERDUE = "overdue"
    ESCALATION_1 = "escalation_1"
    ESCALATION_2 = "escalation_2"


class Audience(StrEnum):
    OFFICERS = "officers"  # the active equipment officers of the item's agency
    FOCAL_POINT = "focal_point"  # the agency's focal-point address
    TECHNICIANS = "technicians"  # every active NSSC technician


AUDIENCE: dict[Stage, Audience] = {
    Stage.LEAD: Audience.OFFICERS,
    Stage.DUE: Audience.OFFICERS,
    Stage.OVERDUE: Audience.OFFICERS,
    Stage.ESCALATION_1: Audience.FOCAL_POINT,
    Stage.ESCALATION_2: Audience.TECHNICIANS,
}

# Most urgent first: the order of a digest, and which stage speaks for a piece of work that
# has several pending reminders.
URGENCY: tuple[Stage, ...] = (
    Stage.ESCALATION_2,
    Stage.ESCALATION_1,
    Stage.OVERDUE,
    Stage.DUE,
    Stage.LEAD,
)
# Repairs have no lead or due stage: a repair is reminded of only once it is late.
REPAIR_STAGES: tuple[Stage, ...] = (Stage.OVERDUE, Stage.ESCALATION_1, Stage.ESCALATION_2)


class Verdict(StrEnum):
    """What to do with a reminder found earlier, at the moment its email would be written."""

    SEND = "send"
    # The work was done or re-dated, the item retired or the recipient is no longer in the
    # stage's audience: never send.
    OBSOLETE = "obsolete"
    # Not true at the moment but may be again (a schedule paused, a repair target moved
    # later): keep it for later. Obsoleting it instead would silence that stage for good, as
    # the unique key lets the sweep find each stage once per recipient.
    WAIT = "wait"


@dataclass(frozen=True)
class Account:
    """A recipient's account as it is when the email is written."""

    email: str
    active: bool
    role: str
    agency_id: int | None


def schedule_reminded(schedule_active: bool, equipment_status: str) -> bool:
    """Only active schedules of items still in the fleet are reminded of."""
    return schedule_active and equipment_status != "decommissioned"


def schedule_stages(
    next_due: date,
    lead_days: int,
    grace_days: int,
    today: date,
    escalation_days: tuple[int, int],
) -> frozenset[Stage]:
    """Every stage whose condition holds `today` for work due on `next_due`.

    - lead: from `lead_days` before the due date until the day before it (none for lead 0);
    - due: from the due date to the last day of the grace window;
    - overdue: after the grace window;
    - escalation 1 / 2: more than `escalation_days[0]` / `[1]` days after the grace window.
    """
    remind_from = reminders_start_on(next_due, lead_days)
    on_time_until = grace_ends_on(next_due, grace_days)
    stages: set[Stage] = set()
    if lead_days > 0 and remind_from <= today < next_due:
        stages.add(Stage.LEAD)
    if next_due <= today <= on_time_until:
        stages.add(Stage.DUE)
    days_past_grace = (today - on_time_until).days
    if days_past_grace > 0:
        stages.add(Stage.OVERDUE)
    if days_past_grace > escalation_days[0]:
        stages.add(Stage.ESCALATION_1)
    if days_past_grace > escalation_days[1]:
        stages.add(Stage.ESCALATION_2)
    return frozenset(stages)


def repair_stages(
    target: datetime, now: datetime, escalation_hours: tuple[int, int]
) -> frozenset[Stage]:
    """Every stage that holds at `now` for an unfinished repair due back in service at `target`:
    overdue once the target has passed, escalation 1 / 2 once `escalation_hours[0]` / `[1]`
    more hours have passed."""
    stages: set[Stage] = set()
    if now > target:
        stages.add(Stage.OVERDUE)
    if now > target + timedelta(hours=escalation_hours[0]):
        stages.add(Stage.ESCALATION_1)
    if now > target + timedelta(hours=escalation_hours[1]):
        stages.add(Stage.ESCALATION_2)
    return frozenset(stages)


@dataclass(frozen=True)
class ScheduleBounds:
    """The dates the stored `remind_from`, `next_due` and `grace_ends_on` are compared with,
    so that the SQL sweep does no date arithmetic per row."""

    today: date
    escalation_1_before: date  # escalation 1 holds when grace_ends_on < this
    escalation_2_before: date


def schedule_bounds(today: date, escalation_days: tuple[int, int]) -> ScheduleBounds:
    """Bounds for `today`: "more than N days after the grace window" is
    grace_ends_on < today − N."""
    return ScheduleBounds(
        today=today,
        escalation_1_before=today - timedelta(days=escalation_days[0]),
        escalation_2_before=today - timedelta(days=escalation_days[1]),
    )


@dataclass(frozen=True)
class RepairBounds:
    """The instants the stored `target_restore_at` is compared with (target < bound)."""

    overdue_before: datetime
    escalation_1_before: datetime
    escalation_2_before: datetime


def repair_bounds(now: datetime, escalation_hours: tuple[int, int]) -> RepairBounds:
    """Bounds for `now`: "more than H hours after the target" is target < now − H."""
    return RepairBounds(
        overdue_before=now,
        escalation_1_before=now - timedelta(hours=escalation_hours[0]),
        escalation_2_before=now - timedelta(hours=escalation_hours[1]),
    )


def _same_address(address: str, other: str | None) -> bool:
    """Email addresses compare case-insensitively; an empty one matches nothing."""
    mine, theirs = address.strip().lower(), (other or "").strip().lower()
    return mine != "" and mine == theirs


def in_audience(
    stage: Stage,
    *,
    address: str,
    account: Account | None,
    item_agency_id: int,
    focal_point_email: str | None,
) -> bool:
    """Whether the reminder's recipient (`address`, and its `account` if it was found for one)
    still belongs to the audience of `stage` for the item as it is now:

    - officer stages: an active officer of the item's current agency, still at that address;
    - escalation 1: the address is still the focal point of the item's current agency (an
      address, not a person: the account only gives the language and the digest choice);
    - escalation 2: an active NSSC technician, still at that address.
    """
    audience = AUDIENCE[stage]
    if audience is Audience.FOCAL_POINT:
        return _same_address(address, focal_point_email)
    if account is None or not account.active or not _same_address(address, account.email):
        return False
    if audience is Audience.TECHNICIANS:
        return account.role == "technician"
    return account.role == "officer" and account.agency_id == item_agency_id


def schedule_reminder_verdict(
    *,
    schedule_active: bool,
    equipment_status: str,
    next_due: date,
    reminded_due_date: date,
    recipient_in_audience: bool,
) -> Verdict:
    """Whether a reminder about work due on `reminded_due_date` should still be sent.

    It is obsolete once the work was completed or re-dated (`next_due` moved), the item
    decommissioned (for good: a decommissioned item never returns to the fleet) or the
    recipient left the stage's audience (e.g. their account was deactivated). A paused
    schedule's reminder waits: if the schedule is resumed still due on the same date, it is
    sent then.
    """
    if (
        not recipient_in_audience
        or equipment_status == "decommissioned"
        or next_due != reminded_due_date
    ):
        return Verdict.OBSOLETE
    return Verdict.SEND if schedule_active else Verdict.WAIT


def repair_reminder_verdict(
    *,
    work_status: str,
    equipment_status: str,
    target: datetime | None,
    now: datetime,
    recipient_in_audience: bool,
) -> Verdict:
    """Whether a reminder about a late repair should still be sent.

    Obsolete once the repair is closed or cancelled, the item decommissioned or the recipient
    left the stage's audience. A repair whose target was moved past `now` is not late at the
    moment: the reminder waits for it to become late again.
    """
    if (
        not recipient_in_audience
        or work_status not in ("open", "in_progress")
        or equipment_status == "decommissioned"
        or target is None
    ):
        return Verdict.OBSOLETE
    return Verdict.SEND if now > target else Verdict.WAIT


def days_until(due: date, today: date) -> int:
    """Whole days from `today` to `due` (negative once it has passed)."""
    return (due - today).days


def days_overdue(on_time_until: date, today: date) -> int:
    """Whole days since the grace window ended (0 while it has not)."""
    return max((today - on_time_until).days, 0)


def hours_late(target: datetime, now: datetime) -> int:
    """Whole hours past the target, rounded up (at least 1 once late, 0 before)."""
    seconds = (now - target).total_seconds()
    return max(math.ceil(seconds / 3600), 0)


def most_urgent(stages: list[Stage] | tuple[Stage, ...] | frozenset[Stage]) -> Stage:
    """The most urgent of `stages` (escalation 2 first, lead last)."""
    return min(stages, key=URGENCY.index)
