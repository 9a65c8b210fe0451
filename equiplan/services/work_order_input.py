"""Work-order input: values from the web forms (already typed) or from JSON (text and numbers),
checked and converted, with a message in the user's language for every problem.

Field names are the JSON/API names: `downtime_start`, `parts_cost_cents`, `failure_code`, ...
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l

from equiplan.domain.work_orders import Problem

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

    def parse(value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ValueError(_l("Give text."))
        stripped = value.strip()
        if len(stripped) > MAX_LENGTHS[field]:
            raise ValueError(_l("At most %(n)d characters.", n=MAX_LENGTHS[field]))
        return stripped

    return parse


def timestamp(value: Any) -> datetime | None:
    """A moment: an aware `datetime`, or ISO 8601 text with its offset ("…+02:00" or "…Z")."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                _l("Not a date and time; use ISO 8601, e.g. 2026-03-01T09:30:00+02:00.")
            ) from None
    if not isinstance(value, datetime):
        raise ValueError(_l("Not a date and time; use ISO 8601, e.g. 2026-03-01T09:30:00+02:00."))
    if value.tzinfo is None or value.utcoffset() is None:
        # A time without its zone could be local or UTC; guessing would shift it by hours.
        raise ValueError(_l("Give the time with its time zone, e.g. 2026-03-01T09:30:00+02:00."))
    return value


def day(value: Any) -> date | None:
    """A calendar date: a `date` or ISO text (YYYY-MM-DD); blank is None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        raise ValueError(_l("Not a date; use YYYY-MM-DD."))
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(_l("Not a date; use YYYY-MM-DD.")) from None


def hours(value: Any) -> Decimal:
    """Labour hours with at most two decimals (a number or text, "1,5" too); blank is 0."""
    if value is None or value == "":
        return Decimal("0")
    if isinstance(value, bool):
        raise ValueError(_l("Not a number of hours."))
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(_l("Not a number of hours.")) from None
    if not amount.is_finite():
        raise ValueError(_l("Not a number of hours."))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_l("At most two decimal places."))
    return amount.quantize(Decimal("0.01"))


def cents(value: Any) -> int:
    """A whole number of euro cents (a JSON integer or its text); blank is 0."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(_l("Give a whole number of cents."))
    try:
        return int(value)
    except ValueError:
        raise ValueError(_l("Give a whole number of cents.")) from None


def euros(value: Any) -> int:
    """Euro cents from euros as typed: "12,50", "12.50", "1 234,5"; blank is 0."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise ValueError(_l("Not an amount of euros."))
    cleaned = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(_l("Not an amount of euros.")) from None
    if not amount.is_finite():
        raise ValueError(_l("Not an amount of euros."))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_l("At most two decimal places."))
    return int(amount * 100)


def optional_id(value: Any) -> int | None:
    """The id of a row chosen from a list; blank is None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(_l("Choose one of the offered values."))
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(_l("Choose one of the offered values.")) from None
    if number <= 0:
        raise ValueError(_l("Choose one of the offered values."))
    return number


def choice(choices: tuple[str, ...]) -> Callable[[Any], str | None]:
    """One of `choices`; blank is None."""

    def parse(value: Any) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str) or value.strip() not in choices:
            raise ValueError(_l("Choose one of: %(choices)s.", choices=", ".join(choices)))
        return value.strip()

    return parse


def version_number(value: Any) -> int:
    """The version the user loaded (optimistic locking)."""
    if isinstance(value, bool):
        raise ValueError(_l("The version you loaded is required."))
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(_l("The version you loaded is required.")) from None
