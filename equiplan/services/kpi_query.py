"""What a user asks of the KPI pages and /api/v1/kpis: the level (the whole scope, an agency, a
site, a type, a model or one item), its id, and the window, parsed from text with a message for
every value that cannot be used."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date

from flask_babel import lazy_gettext as _l

from equiplan.domain.kpi import Window, WindowKind, custom_window, preset_window
from equiplan.services import input_fields
from equiplan.services.input_fields import whole_number

LEVELS = ("scope", "agency", "site", "type", "model", "item")
WINDOWS = tuple(kind.value for kind in WindowKind)
DEFAULT_WINDOW = WindowKind.LAST_12_MONTHS.value
# Longer custom windows are typing mistakes (and their previous window would reach back
# centuries).
MAX_WINDOW_YEARS = 30


@dataclass(frozen=True)
class KpiQuery:
    """Whose figures (`level` and `id`; no id for the whole scope) over which window: a preset
    ("12m", "3y": up to today) or "custom" from `first_day` to `last_day`, both included."""

    level: str = "scope"
    id: int | None = None
    window: str = DEFAULT_WINDOW
    first_day: date | None = None  # custom windows only
    last_day: date | None = None

    def window_for(self, today: date) -> Window:
        """The window asked for, as of `today`."""
        if self.window == WindowKind.CUSTOM:
            if self.first_day is None or self.last_day is None:
                raise ValueError("a custom window needs its first and last day")
            return custom_window(self.first_day, self.last_day)
        return preset_window(WindowKind(self.window), today)

    def as_args(self, **changes: object) -> dict[str, object]:
        """Query-string arguments for this query with `changes` applied (for links); the
        window's days go out as `from` and `to`."""
        values = {**vars(self), **changes}
        defaults = {f.name: f.default for f in fields(KpiQuery)}
        names = {"first_day": "from", "last_day": "to"}
        args: dict[str, object] = {}
        for key, value in values.items():
            if value is None or value == defaults.get(key):
                continue
            if key in names and values.get("window") != WindowKind.CUSTOM:
                continue
            args[names.get(key, key)] = value.isoformat() if isinstance(value, date) else value
        return args


_day = input_fields.day_argument


def parse_kpi_query(args: Mapping[str, str]) -> tuple[KpiQuery, dict[str, object]]:
    """The query described by `args` (`level`, `id`, `window`, `from`, `to`); unusable values
    are dropped and reported by field, the rest still applies.

    `from` and `to` make a custom window; they are ignored when a preset window is named
    (a form may send them along with it) and imply `window=custom` when none is named.
    """
    errors: dict[str, object] = {}
    level = args.get("level", "").strip() or "scope"
    if level not in LEVELS:
        errors["level"] = _l("Unknown level: %(value)s.", value=level[:40])
        level = "scope"
    try:
        object_id = whole_number(args.get("id", ""))
    except ValueError as error:
        errors["id"] = str(error)
        object_id = None
    if level == "scope" and object_id is not None:
        errors["id"] = _l("The whole scope takes no id.")
        object_id = None
    elif level != "scope" and object_id is None:
        errors.setdefault("id", _l("Say which one: an id is required for this level."))
        level = "scope"

    first_day = last_day = None
    named = args.get("window", "").strip()
    dated = bool(args.get("from", "").strip() or args.get("to", "").strip())
    window = named or (WindowKind.CUSTOM.value if dated else DEFAULT_WINDOW)
    if window not in WINDOWS:
        errors["window"] = _l("Choose 12m, 3y or custom, not %(value)s.", value=window[:40])
        window = DEFAULT_WINDOW
    if window == WindowKind.CUSTOM:
        first_day = _day(args.get("from", ""), "from", errors)
        last_day = _day(args.get("to", ""), "to", errors)
        for name, value in (("from", first_day), ("to", last_day)):
            if value is None and name not in errors:
                errors[name] = _l("A custom window needs its first and last day.")
        if first_day and last_day and last_day < first_day:
            errors["to"] = _l("The window ends before it starts.")
        elif first_day and last_day and (last_day - first_day).days > MAX_WINDOW_YEARS * 366:
            errors["to"] = _l("A window of at most %(n)d years.", n=MAX_WINDOW_YEARS)
        if "from" in errors or "to" in errors:
            window, first_day, last_day = DEFAULT_WINDOW, None, None
    query = KpiQuery(
        level=level, id=object_id, window=window, first_day=first_day, last_day=last_day
    )
    return query, errors
