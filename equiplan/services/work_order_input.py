"""Work-order input: values from the web forms (already typed) or from JSON (text and numbers),
checked and converted, with a message in the user's language for every problem.

Field names are the JSON/API names: `downtime_start`, `parts_cost_cents`, `failure_code`, ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from equiplan.domain.work_orders import Problem
from equiplan.models import Equipment
from equiplan.services import input_fields
from equiplan.services.errors import NotFound
from equiplan.services.input_fields import (
    cents,
    day,
    euros,
    hours,
    optional_id,
    timestamp,
    version_number,
)
from equiplan.services.scoping import Scope, get_scoped

# The parsers shared with the other entry points, for the work-order modules' callers.
__all__ = [
    "FieldErrors",
    "cents",
    "choice",
    "day",
    "euros",
    "hours",
    "optional_id",
    "problem_message",
    "text",
    "timestamp",
    "version_number",
]

T = TypeVar("T")

MAX_LENGTHS = {"symptom": 2000, "cause": 2000, "remedy": 2000, "notes": 4000, "reason": 1000}

_PROBLEM_MESSAGES = {
    Problem.REQUIRED: _l("This field is required."),
    Problem.IN_FUTURE: _l("This time is in the future."),
    Problem.BEFORE_OPENING: _l("The work cannot be completed before the work order was opened."),
    Problem.BEFORE_DOWNTIME_START: _l("Downtime cannot end before it started."),
    Problem.NO_DOWNTIME_START: _l(
        "No downtime start is recorded for this work order; leave the end empty."
    ),
    Problem.DOWNTIME_STILL_OPEN: _l(
        "Downtime started on this work order: say when the item was back in operation."
    ),
    Problem.FAILURE_CODE_REQUIRED: _l("A repair can only be closed as done with a failure code."),
    Problem.NEGATIVE: _l("Enter zero or more."),
    Problem.TOO_LARGE: _l("That number is too large."),
    Problem.NOT_ALLOWED_NOW: _l("This work order is already closed."),
}
# Where one field needs a more specific word than the general message.
_FIELD_MESSAGES = {
    ("symptom", Problem.REQUIRED): _l("Describe what is wrong with the item."),
    ("result", Problem.REQUIRED): _l("Choose the result of the work."),
    ("completed_at", Problem.REQUIRED): _l("Say when the work was completed."),
}

# What each kind of work is called, for forms, lists and emails.
KIND_LABELS = {
    "calibration": _l("Calibration"),
    "source_check": _l("Source check"),
    "performance_test": _l("Performance test"),
    "preventive": _l("Preventive maintenance"),
    "inspection": _l("Inspection"),
    "corrective": _l("Repair"),
    "firmware_update": _l("Firmware update"),
    "upgrade": _l("Upgrade"),
    "relocation": _l("Relocation"),
    "decommissioning": _l("Decommissioning"),
}


def problem_message(field: str, problem: Problem) -> str:
    """The user's-language message for a domain problem with `field`."""
    return str(_FIELD_MESSAGES.get((field, problem), _PROBLEM_MESSAGES[problem]))


class FieldErrors:
    """Collects one message per field while values are parsed, so every problem is told at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def parse(self, field: str, parser: Callable[[Any], T], value: Any) -> T | None:
        """`parser(value)`, or None with the parser's message recorded for `field`."""
        try:
            return parser(value)
        except ValueError as error:
            self.errors[field] = str(error)
            return None

    def add(self, field: str, message: object) -> None:
        # The first problem of a field is the one to fix first; keep it.
        self.errors.setdefault(field, str(message))

    def add_problems(self, problems: dict[str, Problem]) -> None:
        for field, problem in problems.items():
            self.add(field, problem_message(field, problem))


def text(field: str) -> Callable[[Any], str]:
    """Text up to the column's length, without surrounding white space; None is empty."""
    return input_fields.text(MAX_LENGTHS[field])


def choice(choices: tuple[str, ...]) -> Callable[[Any], str | None]:
    """One of `choices`; blank is None (the work order keeps or lacks it)."""
    return input_fields.choice(choices, required=False)


def item_taking_work(
    session: Session, scope: Scope, errors: FieldErrors, equipment_id: Any, decommissioned: str
) -> Equipment | None:
    """The item named by the `equipment_id` field, for new work on it (a work order, a
    schedule). Unknown and out-of-scope items, and decommissioned ones (with the message
    `decommissioned`), are reported on that field."""
    item_id = errors.parse("equipment_id", input_fields.optional_id, equipment_id)
    item: Equipment | None = None
    if item_id is not None:
        try:
            item = get_scoped(session, Equipment, item_id, scope)
        except NotFound:
            errors.add("equipment_id", _l("Unknown item."))
    elif "equipment_id" not in errors.errors:
        errors.add("equipment_id", _l("This field is required."))
    if item is not None and item.status == "decommissioned":
        errors.add("equipment_id", decommissioned)
    return item
