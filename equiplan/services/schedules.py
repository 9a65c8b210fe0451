"""Schedules: plan recurring work on an item, change it, pause and resume it, read them.

The same functions serve the web pages and the JSON API: they take plain keyword values (typed,
or text and numbers as forms and JSON bring them), report every problem at once as a
`ValidationError` keyed by the API field name, commit their own transaction, and turn a stale
`version` into a `Conflict` without writing anything.

Due dates are set only through `schedule_completion.set_next_due`, so the stored on-time window
(`grace_ends_on`) and reminder start (`remind_from`) always follow `next_due`; a database
trigger keeps the item's `next_due` (the earliest of its active schedules) in step.

The kind of work is fixed once a schedule exists: its work orders, the reminders already sent
and the item's calibration state refer to it by kind. Other work is a new schedule (and the
old one is paused).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session

from equiplan.domain.scheduling import Interval, IntervalUnit, add_interval
from equiplan.models import Equipment, Schedule
from equiplan.models.schedule import ANCHORS, INTERVAL_UNITS, SCHEDULE_KINDS
from equiplan.services import input_fields
from equiplan.services.errors import Conflict, ValidationError, commit_or_conflict
from equiplan.services.paging import Page
from equiplan.services.schedule_completion import set_next_due
from equiplan.services.scoping import Scope, get_scoped, scoped
from equiplan.services.work_order_input import FieldErrors, item_taking_work

# The longest interval per unit; longer ones are typing mistakes (and would push due dates
# beyond any plan). Counted in days, ten years is plenty; in months or years, a service life.
MAX_INTERVAL = {"days": 3650, "months": 600, "years": 50}
# Reminders and the on-time window reach at most a year around the due date.
MAX_NOTICE_DAYS = 365
DEFAULT_ANCHOR, DEFAULT_LEAD_DAYS, DEFAULT_GRACE_DAYS = "fixed", 30, 0
# What a change may set; the item and the kind of work stay what the schedule was made for.
EDITABLE_FIELDS = (
    "interval_value",
    "interval_unit",
    "anchor",
    "lead_days",
    "grace_days",
    "next_due",
    "active",
)
FIXED_FIELDS = ("equipment_id", "kind")
_DECOMMISSIONED = _l("This item is decommissioned; it takes no more work.")


_whole = input_fields.whole_in_range


def _flag(value: Any) -> bool | None:
    """True or false: a JSON boolean, or its text in a URL ("true", "false", "1", "0");
    blank is None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValueError(_l("Give true or false."))


def _choice(choices: tuple[str, ...]) -> Callable[[Any], str]:
    """One of `choices`; blank (or left out) is refused as required."""
    parse = input_fields.choice(choices)

    def required(value: Any) -> str:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError(_l("This field is required."))
        return parse(value)  # type: ignore[return-value]

    return required


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "interval_value": _whole(1, max(MAX_INTERVAL.values())),
    "interval_unit": _choice(INTERVAL_UNITS),
    "anchor": _choice(ANCHORS),
    "lead_days": _whole(0, MAX_NOTICE_DAYS),
    "grace_days": _whole(0, MAX_NOTICE_DAYS),
    "next_due": input_fields.day,
    "active": _flag,
}


def _parse(errors: FieldErrors, given: Mapping[str, Any]) -> dict[str, Any]:
    """The given fields as stored values; problems are recorded in `errors`."""
    values: dict[str, Any] = {}
    for name, value in given.items():
        parsed = errors.parse(name, _PARSERS[name], value)
        if name not in errors.errors:
            values[name] = parsed
    if "active" in values and values["active"] is None:
        errors.add("active", _l("Give true or false."))
    return values


def _check_interval(errors: FieldErrors, value: int | None, unit: str | None) -> None:
    """The interval is not longer than its unit allows."""
    if value is None or unit not in MAX_INTERVAL:
        return
    if value > MAX_INTERVAL[unit]:
        errors.add(
            "interval_value",
            _l("Give a number from %(low)d to %(high)d.", low=1, high=MAX_INTERVAL[unit]),
        )


def _conflict() -> Conflict:
    return Conflict(
        _l(
            "Somebody else changed this schedule while you were editing. "
            "Reload to see their changes."
        )
    )


def _commit(session: Session) -> None:
    commit_or_conflict(session, _conflict)


# --- reads ----------------------------------------------------------------------------------


def get_schedule(session: Session, scope: Scope, schedule_id: int) -> Schedule:
    """One schedule in the scope, or NotFound (another agency's is "missing" too)."""
    return get_scoped(session, Schedule, schedule_id, scope)


def schedule_with_item(
    session: Session, scope: Scope, schedule_id: int
) -> tuple[Schedule, Equipment]:
    """A schedule in the scope and the item it plans work for (for the edit page)."""
    schedule = get_scoped(session, Schedule, schedule_id, scope)
    return schedule, session.get_one(Equipment, schedule.equipment_id)


def equipment_for_schedule(session: Session, scope: Scope, equipment_id: int) -> Equipment:
    """The item a new schedule would be for (NotFound outside the scope)."""
    return get_scoped(session, Equipment, equipment_id, scope)


def _listed_item(value: Any) -> int | None:
    # Text comes from a URL (a typed number); anything else from a program.
    if isinstance(value, str):
        return input_fields.whole_number(value)
    return input_fields.optional_id(value)


_FILTERS: dict[str, Callable[[Any], Any]] = {
    "equipment_id": _listed_item,
    "kind": input_fields.choice(SCHEDULE_KINDS, required=False),
    "active": _flag,
    "due_before": input_fields.day,
}


def parse_schedule_filters(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The list's filters from typed values or their text in a URL, and a message for each
    one that cannot be used. Filters not given (or blank) are None: no filter."""
    errors = FieldErrors()
    values = {name: errors.parse(name, parse, raw.get(name)) for name, parse in _FILTERS.items()}
    return values, errors.errors


def list_schedules(
    session: Session,
    scope: Scope,
    *,
    equipment_id: Any = None,
    kind: Any = None,
    active: Any = None,
    due_before: Any = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[Schedule]:
    """One page of the schedules in scope, the one due first first, with the total count.

    Filters (see `parse_schedule_filters`; None: no filter): the item, the kind of work,
    active (false: the paused ones) and `due_before`, due on or before that date.
    """
    filters, problems = parse_schedule_filters(
        {"equipment_id": equipment_id, "kind": kind, "active": active, "due_before": due_before}
    )
    if problems:
        raise ValidationError(problems)
    conditions: list[ColumnElement[bool]] = []
    if filters["equipment_id"] is not None:
        conditions.append(Schedule.equipment_id == filters["equipment_id"])
    if filters["kind"] is not None:
        conditions.append(Schedule.kind == filters["kind"])
    if filters["active"] is not None:
        conditions.append(Schedule.active == filters["active"])
    if filters["due_before"] is not None:
        conditions.append(Schedule.next_due <= filters["due_before"])  # type: ignore[arg-type,operator]
    statement = scoped(select(Schedule).where(*conditions), Schedule, scope)
    total = session.execute(
        scoped(select(func.count(Schedule.id)).where(*conditions), Schedule, scope)
    ).scalar_one()
    rows = session.execute(
        statement.order_by(Schedule.next_due, Schedule.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).scalars()
    return Page(items=list(rows), total=total, page=page, per_page=per_page)


# --- changes --------------------------------------------------------------------------------


def add_schedule(
    session: Session,
    scope: Scope,
    *,
    equipment_id: Any,
    kind: Any,
    interval_value: Any,
    interval_unit: Any,
    anchor: Any = DEFAULT_ANCHOR,
    lead_days: Any = DEFAULT_LEAD_DAYS,
    grace_days: Any = DEFAULT_GRACE_DAYS,
    next_due: Any = None,
    active: Any = True,
    today: date,
) -> Schedule:
    """Plan recurring work of `kind` on an item in the scope (not a decommissioned one).

    The first occurrence is due on `next_due`, or one interval after `today` when none is
    given. An unknown or out-of-scope item is reported on `equipment_id`.
    """
    errors = FieldErrors()
    item = item_taking_work(session, scope, errors, equipment_id, _DECOMMISSIONED)
    work = errors.parse("kind", _choice(SCHEDULE_KINDS), kind)
    values = _parse(
        errors,
        {
            "interval_value": interval_value,
            "interval_unit": interval_unit,
            "anchor": anchor,
            "lead_days": lead_days,
            "grace_days": grace_days,
            "next_due": next_due,
            "active": active,
        },
    )
    _check_interval(errors, values.get("interval_value"), values.get("interval_unit"))
    if errors.errors or item is None or work is None:
        raise ValidationError(errors.errors)
    interval = Interval(values["interval_value"], IntervalUnit(values["interval_unit"]))
    due = values.pop("next_due") or add_interval(today, interval)
    schedule = Schedule(
        equipment_id=item.id,  # type: ignore[arg-type]
        kind=work,
        next_due=due,
        **values,
    )
    set_next_due(schedule, due)
    session.add(schedule)
    session.commit()
    return schedule


def _loaded(
    session: Session, scope: Scope, schedule_id: int, version: Any
) -> tuple[Schedule, Equipment]:
    """The schedule at the version the user loaded, and its item."""
    schedule = get_scoped(session, Schedule, schedule_id, scope)
    try:
        expected = input_fields.version_number(version)
    except ValueError as error:
        raise ValidationError({"version": error}) from None
    if schedule.version != expected:
        raise _conflict()
    return schedule, session.get_one(Equipment, schedule.equipment_id)


def update_schedule(
    session: Session, scope: Scope, schedule_id: int, *, version: Any, **fields: Any
) -> Schedule:
    """Change the given `fields` (see EDITABLE_FIELDS) of a schedule last read at `version`.

    Fields not given keep their value. A new interval or anchor applies from the next
    completion on; the current due date changes only when `next_due` is given. The stored
    reminder start and on-time window follow the due date, lead and grace days.
    """
    schedule, item = _loaded(session, scope, schedule_id, version)
    errors = FieldErrors()
    given: dict[str, Any] = {}
    for name, value in fields.items():
        if name in EDITABLE_FIELDS:
            given[name] = value
        elif name == "kind" and value == schedule.kind:
            continue  # the same kind sent back is no change
        elif name == "kind":
            errors.add(
                "kind",
                _l("The kind of work of a schedule cannot change; add a new schedule instead."),
            )
        else:
            errors.add(name, _l("This field cannot be changed here."))
    values = _parse(errors, given)
    if "next_due" in values and values["next_due"] is None:
        errors.add("next_due", _l("This field is required."))
    if item.status == "decommissioned":
        errors.add("equipment_id", _DECOMMISSIONED)
    _check_interval(
        errors,
        values.get("interval_value", schedule.interval_value),
        values.get("interval_unit", schedule.interval_unit),
    )
    if errors.errors:
        raise ValidationError(errors.errors)
    due = values.pop("next_due", schedule.next_due)
    for name, value in values.items():
        setattr(schedule, name, value)
    # After lead and grace days are set: the stored dates are computed from them.
    set_next_due(schedule, due)
    _commit(session)
    return schedule


def pause_schedule(session: Session, scope: Scope, schedule_id: int, *, version: Any) -> Schedule:
    """Stop a schedule for now: no reminders go out and it does not count as overdue.

    Its dates are kept, so resuming picks up where it stopped.
    """
    schedule, _item = _loaded(session, scope, schedule_id, version)
    schedule.active = False
    _commit(session)
    return schedule


def resume_schedule(session: Session, scope: Scope, schedule_id: int, *, version: Any) -> Schedule:
    """Start a paused schedule again, from its stored due date (edit that date when the work
    is not due then). A decommissioned item's schedules stay stopped."""
    schedule, item = _loaded(session, scope, schedule_id, version)
    if item.status == "decommissioned":
        raise ValidationError({"equipment_id": _DECOMMISSIONED})
    schedule.active = True
    _commit(session)
    return schedule
