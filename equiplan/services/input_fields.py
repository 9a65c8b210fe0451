"""Parsing what people and programs send: text typed in a form or a spreadsheet cell, or a
JSON value. Each parser returns the stored value or raises ValueError with a message in the
user's language, so every entry point (pages, API, importer) says the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

Parser = Callable[[Any], Any]
MAX_CENTS = 10**13  # a hundred billion euros: anything above is a typing mistake
# Ids and page numbers above this are typing mistakes too; below it, every arithmetic on them
# (offsets) still fits the databases' 64-bit integers.
MAX_WHOLE = 10**15
MIN_YEAR, MAX_YEAR = 1900, 2200
# Tabs and line breaks are text; the other C0 control characters are not (PostgreSQL refuses
# NUL in text outright, and the rest would travel unseen into mails, files and exports).
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def _blank(value: Any) -> bool:
    return value is None or value == ""


def text(
    max_length: int, *, required: bool = False, single_line: bool = False
) -> Callable[[Any], str]:
    """Text up to `max_length` characters without surrounding white space; None is empty.

    No value may contain control characters other than tabs and line breaks; a `single_line`
    value (a number or a code, which also appears in email subjects and file names) may not
    contain those either.
    """

    def parse(value: Any) -> str:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, str | int | float)
        ):
            raise ValueError(_l("Give text."))
        stripped = "" if value is None else str(value).strip()
        # Browsers send a text area's line breaks as CR LF: stored as LF, so that the same
        # text read back from a form compares equal to what was stored.
        stripped = stripped.replace("\r\n", "\n").replace("\r", "\n")
        if required and not stripped:
            raise ValueError(_l("This field is required."))
        if len(stripped) > max_length:
            raise ValueError(_l("At most %(n)d characters.", n=max_length))
        if single_line and any(ord(c) < 32 or 127 <= ord(c) < 160 for c in stripped):
            raise ValueError(_l("One line of text, without line breaks or tabs."))
        if any(ord(c) < 32 and c not in _ALLOWED_CONTROLS for c in stripped):
            raise ValueError(_l("Remove the invisible control characters from this text."))
        return stripped

    return parse


def whole_in_range(minimum: int, maximum: int) -> Callable[[Any], int]:
    """A required whole number from `minimum` to `maximum` (text or a JSON integer)."""

    def parse(value: Any) -> int:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError(_l("This field is required."))
        if isinstance(value, bool):
            raise ValueError(_l("Give a whole number."))
        try:
            number = int(value.strip()) if isinstance(value, str) else value
        except ValueError:
            raise ValueError(_l("Give a whole number.")) from None
        if not isinstance(number, int):
            raise ValueError(_l("Give a whole number."))
        if not minimum <= number <= maximum:
            raise ValueError(
                _l("Give a number from %(low)d to %(high)d.", low=minimum, high=maximum)
            )
        return number

    return parse


def choice(choices: Sequence[str], *, required: bool = True) -> Callable[[Any], str | None]:
    """One of `choices`; blank is refused, or None when not `required`."""

    def parse(value: Any) -> str | None:
        if _blank(value) and not required:
            return None
        stripped = value.strip() if isinstance(value, str) else None
        if stripped not in choices:
            raise ValueError(_l("Choose one of: %(choices)s.", choices=", ".join(choices)))
        return stripped

    return parse


def whole_number(raw: str) -> int | None:
    """A whole number from 1 to MAX_WHOLE written in ASCII digits (URL parameters); blank is
    None. Not "²" (a digit to `str.isdigit`, not to `int`), not 10**30."""
    text = raw.strip()
    if text == "":
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_WHOLE:
        raise ValueError(_l("Not a valid number: %(value)s.", value=text[:40]))
    return int(text)


def optional_id(value: Any) -> int | None:
    """The id of a row chosen from a list; blank is None."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(_l("Choose one of the offered values."))
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(_l("Choose one of the offered values.")) from None
    if not 0 < number <= MAX_WHOLE:
        raise ValueError(_l("Choose one of the offered values."))
    return number


def day(value: Any) -> date | None:
    """A calendar date: a `date` or ISO text (YYYY-MM-DD); blank is None."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        raise ValueError(_l("Not a date; use YYYY-MM-DD."))
    if isinstance(value, date):
        return _in_years(value)
    try:
        parsed = date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(_l("Not a date; use YYYY-MM-DD.")) from None
    return _in_years(parsed)


def day_argument(raw: str, name: str, errors: dict[str, object]) -> date | None:
    """A YYYY-MM-DD query argument (years 1900-2200); blank is None, a bad one is reported
    under `name` and dropped, so the rest of the query still applies."""
    text = raw.strip()
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return day(text)
    except ValueError:
        errors[name] = _l("Give a date as YYYY-MM-DD, not %(value)s.", value=text[:40])
        return None


def _in_years(value: date) -> date:
    # Dates far from now are typing mistakes, and adding intervals to them would overflow.
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(_l("Give a year from %(low)d to %(high)d.", low=MIN_YEAR, high=MAX_YEAR))
    return value


def timestamp(value: Any) -> datetime | None:
    """A moment: an aware `datetime`, or ISO 8601 text with its offset ("…+02:00" or "…Z")."""
    if _blank(value):
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
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(_l("Give a year from %(low)d to %(high)d.", low=MIN_YEAR, high=MAX_YEAR))
    return value


# Commas that group thousands, as English writes them: "250,000", "1,234,567.5".
_COMMA_GROUPS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def _commas_group_thousands() -> bool:
    """Whether the person typing writes "," between thousands: a user (or a visitor) whose
    language is English. In Lithuanian, and outside a request (the command line), "," is the
    decimal comma."""
    if not has_request_context():
        return False
    locale = get_locale()
    return locale is not None and locale.language == "en"


def _decimal_text(value: Any) -> str:
    """Typed amount text with the grouping taken out and a decimal point: "1 234,5" and
    "1234.5" everywhere; "1,234.5" everywhere (both marks: the last one is the decimal);
    "250,000" is 250000 on an English page and 250 elsewhere."""
    text = str(value).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    grouped = "," in text and _COMMA_GROUPS.fullmatch(text) is not None
    if grouped and ("." in text or _commas_group_thousands()):
        return text.replace(",", "")
    return text.replace(",", ".")


def _decimal(value: Any, message: Any, too_large: Any) -> Decimal:
    """A finite decimal from a number or text as typed ("1 234,5" or "1234.5")."""
    if isinstance(value, bool):
        raise ValueError(message)
    cleaned = _decimal_text(value)
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(message) from None
    if not amount.is_finite():
        raise ValueError(message)
    if abs(amount) >= MAX_CENTS:  # before quantize, which fails (InvalidOperation) on huge ones
        raise ValueError(too_large)
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_l("At most two decimal places."))
    return amount


def hours(value: Any) -> Decimal:
    """Hours with at most two decimals (a number or text, "1,5" too); blank is 0.

    Negative hours are left to the caller's rules (they say which field is wrong and why)."""
    if _blank(value):
        return Decimal("0")
    return _decimal(value, _l("Not a number of hours."), _l("That number is too large.")).quantize(
        Decimal("0.01")
    )


def euros(value: Any) -> int:
    """Euro cents from euros as typed: "12,50", "12.50", "1 234,5"; blank is 0."""
    if _blank(value):
        return 0
    cents_ = int(
        _decimal(value, _l("Not an amount of euros."), _l("That amount is too large.")) * 100
    )
    return _in_range(cents_)


def cents(value: Any) -> int:
    """A whole number of euro cents (a JSON integer or its text); blank is 0."""
    if _blank(value):
        return 0
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(_l("Give a whole number of cents."))
    try:
        number = int(value)
    except ValueError:
        raise ValueError(_l("Give a whole number of cents.")) from None
    return _in_range(number)


def _in_range(amount_cents: int) -> int:
    if amount_cents < 0:
        raise ValueError(_l("Enter zero or more."))
    if amount_cents > MAX_CENTS:
        raise ValueError(_l("That amount is too large."))
    return amount_cents


def version_number(value: Any) -> int:
    """The version the user loaded (optimistic locking): a whole number from 1, as a JSON
    integer or written in ASCII digits. Anything else is a bad request, not a stale copy."""
    required = _l("The version you loaded is required.")
    if isinstance(value, bool):
        raise ValueError(required)
    if isinstance(value, int):
        if not 1 <= value <= MAX_WHOLE:
            raise ValueError(required)
        return value
    if not isinstance(value, str):
        raise ValueError(required)
    try:
        number = whole_number(value)
    except ValueError:
        raise ValueError(required) from None
    if number is None:
        raise ValueError(required)
    return number
