"""What a user asks of the due list and the month calendar: filters and page, parsed from text
(query-string or API arguments) with a message for every value that cannot be used."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date

from flask_babel import lazy_gettext as _l

from equiplan.models.schedule import SCHEDULE_KINDS
from equiplan.services import input_fields
from equiplan.services.input_fields import whole_number

# Scheduled work by its schedule's kind, and open repairs by their target restore time.
DUE_KINDS = (*SCHEDULE_KINDS, "repair")
DUE_STATES = ("overdue", "due", "upcoming")
STATE_FILTERS = ("all", "overdue")
WINDOW_CHOICES = (7, 30, 90, 365)
DEFAULT_WINDOW = 30
PER_PAGE_CHOICES = (25, 50, 100, 200)
DEFAULT_PER_PAGE = 50


@dataclass(frozen=True)
class DueQuery:
    """Filters of the due list (the calendar uses all but window, day and page)."""

    agency_id: int | None = None
    site_id: int | None = None
    kind: str | None = None
    window: int = DEFAULT_WINDOW  # days ahead of today; everything overdue is always in
    state: str = "all"
    day: date | None = None  # one day only (the calendar's "+N more" link); replaces window
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def as_args(self, **changes: object) -> dict[str, object]:
        """Query-string arguments for this query with `changes` applied (for links)."""
        values = {**vars(self), **changes}
        defaults = {f.name: f.default for f in fields(DueQuery)}
        args: dict[str, object] = {}
        for key, value in values.items():
            if value is None or value == "" or value == defaults.get(key):
                continue
            args[key] = value.isoformat() if isinstance(value, date) else value
        return args

    def filters_only(self) -> dict[str, object]:
        """The arguments that the calendar shares with the list (no window, day or page)."""
        return {
            key: value
            for key, value in self.as_args().items()
            if key in ("agency_id", "site_id", "kind", "state")
        }


def _whole(raw: str, name: str, errors: dict[str, object]) -> int | None:
    try:
        return whole_number(raw)
    except ValueError as error:
        errors[name] = str(error)
        return None


def _day(raw: str, errors: dict[str, object]) -> date | None:
    return input_fields.day_argument(raw, "day", errors)


def parse_due_query(args: Mapping[str, str]) -> tuple[DueQuery, dict[str, object]]:
    """The query described by `args`; unusable values are dropped and reported by field."""
    errors: dict[str, object] = {}
    kind = args.get("kind", "").strip() or None
    if kind is not None and kind not in DUE_KINDS:
        errors["kind"] = _l("Unknown kind of work: %(value)s.", value=kind[:40])
        kind = None
    window = _whole(args.get("window", ""), "window", errors) or DEFAULT_WINDOW
    if window not in WINDOW_CHOICES:
        errors["window"] = _l("Look 7, 30, 90 or 365 days ahead.")
        window = DEFAULT_WINDOW
    state = args.get("state", "").strip() or "all"
    if state not in STATE_FILTERS:
        errors["state"] = _l("Unknown state: %(value)s.", value=state[:40])
        state = "all"
    per_page = _whole(args.get("per_page", ""), "per_page", errors) or DEFAULT_PER_PAGE
    if per_page not in PER_PAGE_CHOICES:
        errors["per_page"] = _l("Show 25, 50, 100 or 200 per page.")
        per_page = DEFAULT_PER_PAGE
    query = DueQuery(
        agency_id=_whole(args.get("agency_id", ""), "agency_id", errors),
        site_id=_whole(args.get("site_id", ""), "site_id", errors),
        kind=kind,
        window=window,
        state=state,
        day=_day(args.get("day", ""), errors),
        page=_whole(args.get("page", ""), "page", errors) or 1,
        per_page=per_page,
    )
    return query, errors


def parse_month(raw: str, today: date) -> tuple[int, int]:
    """The (year, month) of a `YYYY-MM` argument; blank is this month. ValueError says why."""
    text = raw.strip()
    if not text:
        return today.year, today.month
    year, dash, month = text.partition("-")
    if (
        dash != "-"
        or len(year) != 4
        or len(month) != 2
        or not (year.isascii() and year.isdigit() and month.isascii() and month.isdigit())
        or not 1 <= int(month) <= 12
        or not 1900 <= int(year) <= 2200
    ):
        raise ValueError(
            _l("Give the month as YYYY-MM, e.g. 2026-03, not %(value)s.", value=text[:40])
        )
    return int(year), int(month)
