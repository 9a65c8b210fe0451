"""Work-order rules (domain.md, "WorkOrder"): which status changes are allowed, and what makes
an opening or a closing consistent.

The rules answer with a `Problem` per field name (the JSON/API field names); the service turns
each into a message in the user's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

CORRECTIVE = "corrective"
# Kinds of work that recurring schedules plan (models/schedule.py SCHEDULE_KINDS).
SCHEDULED_KINDS = ("calibration", "source_check", "performance_test", "preventive", "inspection")

OPEN, IN_PROGRESS, DONE, CANCELLED = "open", "in_progress", "done", "cancelled"
# Done and cancelled are final: a closed record is history and changes only through a new order.
# An open order may be closed at once (quick work done on the spot needs no separate start).
TRANSITIONS: dict[str, frozenset[str]] = {
    OPEN: frozenset({IN_PROGRESS, DONE, CANCELLED}),
    IN_PROGRESS: frozenset({DONE, CANCELLED}),
    DONE: frozenset(),
    CANCELLED: frozenset(),
}

# Column limits (Numeric(8, 2) hours; 32-bit integer cents).
MAX_LABOUR_HOURS = Decimal("999999.99")
MAX_COST_CENTS = 2_147_483_647


class Action(StrEnum):
    START = "start"
    CLOSE = "close"
    CANCEL = "cancel"
    EDIT = "edit"


class Problem(StrEnum):
    REQUIRED = "required"
    IN_FUTURE = "in_future"
    BEFORE_OPENING = "before_opening"
    BEFORE_DOWNTIME_START = "before_downtime_start"
    NO_DOWNTIME_START = "no_downtime_start"
    DOWNTIME_STILL_OPEN = "downtime_still_open"
    FAILURE_CODE_REQUIRED = "failure_code_required"
    NEGATIVE = "negative"
    TOO_LARGE = "too_large"
    NOT_ALLOWED_NOW = "not_allowed_now"


def can_move(current: str, target: str) -> bool:
    """True when a work order in status `current` may go to status `target`."""
    return target in TRANSITIONS.get(current, frozenset())


def is_closed(status: str) -> bool:
    """Done or cancelled: nothing more happens to the order."""
    return status in (DONE, CANCELLED)


def allowed_actions(status: str) -> frozenset[Action]:
    """What a user may do to an order in `status` (the page offers exactly these)."""
    if is_closed(status):
        return frozenset()
    actions = {Action.CLOSE, Action.CANCEL, Action.EDIT}
    if can_move(status, IN_PROGRESS):
        actions.add(Action.START)
    return frozenset(actions)


def is_scheduled_kind(kind: str) -> bool:
    """True for the kinds of work a recurring schedule plans (completing it advances it)."""
    return kind in SCHEDULED_KINDS


def _whole_minute(moment: datetime) -> datetime:
    # Forms enter times to the minute; a time typed for "the minute it was opened" is on time.
    return moment.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Opening:
    """What an opened (or edited, still running) work order says about its fault."""

    kind: str
    symptom: str
    downtime_start: datetime | None


def opening_problems(opening: Opening, now: datetime) -> dict[str, Problem]:
    """Problems of a new or edited order: a fault report says what is wrong; downtime that
    has not begun yet cannot be recorded."""
    problems: dict[str, Problem] = {}
    if opening.kind == CORRECTIVE and not opening.symptom.strip():
        problems["symptom"] = Problem.REQUIRED
    if opening.downtime_start is not None and opening.downtime_start > now:
        problems["downtime_start"] = Problem.IN_FUTURE
    return problems


@dataclass(frozen=True)
class Closing:
    """A work order as it would be when closed as done."""

    status: str  # the status it has now
    kind: str
    opened_at: datetime
    downtime_start: datetime | None
    completed_at: datetime | None
    downtime_end: datetime | None
    result: str | None
    has_failure_code: bool
    labour_hours: Decimal
    parts_cost_cents: int
    external_cost_cents: int


def closing_problems(closing: Closing, now: datetime) -> dict[str, Problem]:
    """Every problem with closing an order as done, by field.

    Completion lies between the opening and now; downtime that began must end (otherwise the
    item would stay not operational forever), not before it began and not in the future; a
    repair names its failure; amounts are not negative and fit their columns.
    """
    problems: dict[str, Problem] = {}
    if not can_move(closing.status, DONE):
        problems["status"] = Problem.NOT_ALLOWED_NOW
    if closing.completed_at is None:
        problems["completed_at"] = Problem.REQUIRED
    elif closing.completed_at > now:
        problems["completed_at"] = Problem.IN_FUTURE
    elif closing.completed_at < _whole_minute(closing.opened_at):
        problems["completed_at"] = Problem.BEFORE_OPENING
    if not closing.result:
        problems["result"] = Problem.REQUIRED
    problems.update(_downtime_end_problems(closing, now))
    if closing.kind == CORRECTIVE and not closing.has_failure_code:
        problems["failure_code"] = Problem.FAILURE_CODE_REQUIRED
    problems.update(
        amount_problems(closing.labour_hours, closing.parts_cost_cents, closing.external_cost_cents)
    )
    return problems


def _downtime_end_problems(closing: Closing, now: datetime) -> dict[str, Problem]:
    start, end = closing.downtime_start, closing.downtime_end
    if end is None:
        return {"downtime_end": Problem.DOWNTIME_STILL_OPEN} if start is not None else {}
    if start is None:
        return {"downtime_end": Problem.NO_DOWNTIME_START}
    if end < start:
        return {"downtime_end": Problem.BEFORE_DOWNTIME_START}
    if end > now:
        return {"downtime_end": Problem.IN_FUTURE}
    return {}


def amount_problems(
    labour_hours: Decimal, parts_cost_cents: int, external_cost_cents: int
) -> dict[str, Problem]:
    """Labour and costs are zero or more and fit their columns."""
    problems: dict[str, Problem] = {}
    if labour_hours < 0:
        problems["labour_hours"] = Problem.NEGATIVE
    elif labour_hours > MAX_LABOUR_HOURS:
        problems["labour_hours"] = Problem.TOO_LARGE
    for name, cents in (
        ("parts_cost_cents", parts_cost_cents),
        ("external_cost_cents", external_cost_cents),
    ):
        if cents < 0:
            problems[name] = Problem.NEGATIVE
        elif cents > MAX_COST_CENTS:
            problems[name] = Problem.TOO_LARGE
    return problems
