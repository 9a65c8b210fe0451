"""Work orders: report a fault or plan other work, start it, close it, cancel it, read them.

The same functions serve the web pages and the JSON API: they take plain keyword values
(typed, or text/numbers as JSON brings them — see `work_order_input`), report every problem
at once as a `ValidationError` keyed by the API field name, commit their own transaction, and
turn a stale `version` into a `Conflict` without writing anything.

Failure codes are given by their **code** (e.g. "DET-SENS"), not by id: codes are stable
across installations and readable in the API.

Closing scheduled work as done advances its schedule in the same transaction, so the item's
next due date and its calibration state follow at once. A repair gets its target restore time
when it is opened (services/repair_targets.py) and keeps it once closed, as history.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlmodel import Session

from equiplan.domain import work_orders as rules
from equiplan.domain.work_orders import Action, Closing, Opening
from equiplan.models import Equipment, FailureCode, Schedule, User, WorkOrder, utcnow
from equiplan.models.work import WORK_KINDS, WORK_RESULTS
from equiplan.services import work_order_input as inputs
from equiplan.services.clock import DEFAULT_TIMEZONE
from equiplan.services.errors import Conflict, ValidationError, commit_or_conflict
from equiplan.services.kpi_on_time import completed_on_time
from equiplan.services.repair_targets import apply_restore_target
from equiplan.services.schedule_completion import advance_schedule, matching_schedule
from equiplan.services.scoping import Scope, get_scoped

# The reads live in their own module; they are part of this service's interface too.
from equiplan.services.work_order_reads import (
    WorkOrderDetail,
    WorkOrderPage,
    WorkOrderQuery,
    WorkOrderRow,
    failure_code_of,
    failure_code_options,
    list_agencies,
    list_work_orders,
    parse_work_order_query,
    technician_options,
    work_order_detail,
)

__all__ = [
    "DEFAULT_TIMEZONE",
    "UPDATABLE_FIELDS",
    "WorkOrderDetail",
    "WorkOrderPage",
    "WorkOrderQuery",
    "WorkOrderRow",
    "cancel_work_order",
    "close_work_order",
    "equipment_for_work_order",
    "failure_code_of",
    "failure_code_options",
    "get_work_order",
    "list_agencies",
    "list_work_orders",
    "open_work_order",
    "parse_work_order_query",
    "start_work_order",
    "technician_options",
    "update_work_order",
    "work_order_detail",
]

# Fields an open or running order may change; the rest is set by opening, starting, closing.
UPDATABLE_FIELDS = (
    "symptom",
    "failure_code",
    "downtime_start",
    "due_date",
    "notes",
    "technician_id",
)
ASSIGNABLE_ROLES = ("technician", "officer")


def _conflict() -> Conflict:
    return Conflict(
        _l(
            "Somebody else changed this work order while you were editing. "
            "Reload to see their changes."
        )
    )


def get_work_order(session: Session, scope: Scope, work_order_id: int) -> WorkOrder:
    """One work order in the scope, or NotFound (another agency's order is "missing" too)."""
    return get_scoped(session, WorkOrder, work_order_id, scope)


def equipment_for_work_order(session: Session, scope: Scope, equipment_id: int) -> Equipment:
    """The item a new work order would be for (NotFound outside the scope)."""
    return get_scoped(session, Equipment, equipment_id, scope)


def _failure_code_id(
    session: Session, errors: inputs.FieldErrors, value: Any
) -> tuple[bool, int | None]:
    """(given, id) for a failure code given by its code; unknown codes are reported."""
    if value is None:
        return False, None
    if not isinstance(value, str):
        errors.add("failure_code", _l("Give the failure code as text, e.g. DET-SENS."))
        return True, None
    code = value.strip().upper()
    if not code:
        return True, None
    found = session.execute(select(FailureCode.id).where(FailureCode.code == code)).scalar()
    if found is None:
        errors.add("failure_code", _l("Unknown failure code: %(code)s.", code=code[:32]))
    return True, found


def _check_technician(
    session: Session, errors: inputs.FieldErrors, technician_id: int | None, item: Equipment
) -> None:
    """The assignee is an active technician, or an equipment officer of the item's agency."""
    if technician_id is None:
        return
    user = session.get(User, technician_id)
    if (
        user is None
        or not user.active
        or user.role not in ASSIGNABLE_ROLES
        or (user.role == "officer" and user.agency_id != item.agency_id)
    ):
        errors.add("technician_id", _l("Choose a technician from the list."))


def _check_schedule(
    session: Session,
    errors: inputs.FieldErrors,
    schedule_id: int | None,
    item: Equipment,
    kind: str,
) -> Schedule | None:
    if schedule_id is None:
        return None
    schedule = session.get(Schedule, schedule_id)
    if schedule is None or schedule.equipment_id != item.id or schedule.kind != kind:
        errors.add("schedule_id", _l("Choose a schedule of this item for this kind of work."))
        return None
    return schedule


def open_work_order(
    session: Session,
    scope: Scope,
    *,
    equipment_id: Any,
    kind: Any,
    opened_by_id: int | None,
    symptom: Any = "",
    failure_code: Any = None,
    downtime_start: Any = None,
    due_date: Any = None,
    notes: Any = "",
    technician_id: Any = None,
    schedule_id: Any = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Open a work order for an item in the scope: report a fault (kind "corrective": symptom
    required, failure code and downtime start optional) or plan other work.

    Work of a scheduled kind (calibration, source check, ...) is tied to `schedule_id` or, when
    none is given, to the item's matching active schedule, whose due date becomes the order's
    due date unless one is given. Raises ValidationError (an unknown or out-of-scope item is
    reported on `equipment_id`).
    """
    now = now or utcnow()
    errors = inputs.FieldErrors()
    item = inputs.item_taking_work(
        session,
        scope,
        errors,
        equipment_id,
        _l("This item is decommissioned; it takes no more work."),
    )
    work_kind = errors.parse("kind", inputs.choice(WORK_KINDS), kind)
    if work_kind is None and "kind" not in errors.errors:
        errors.add("kind", _l("This field is required."))
    values: dict[str, Any] = {
        "symptom": errors.parse("symptom", inputs.text("symptom"), symptom),
        "notes": errors.parse("notes", inputs.text("notes"), notes),
        "downtime_start": errors.parse("downtime_start", inputs.timestamp, downtime_start),
        "due_date": errors.parse("due_date", inputs.day, due_date),
        "technician_id": errors.parse("technician_id", inputs.optional_id, technician_id),
    }
    _, values["failure_code_id"] = _failure_code_id(session, errors, failure_code)
    chosen_schedule = errors.parse("schedule_id", inputs.optional_id, schedule_id)
    if item is None or work_kind is None:
        raise ValidationError(errors.errors)

    errors.add_problems(
        rules.opening_problems(
            Opening(work_kind, values["symptom"] or "", values["downtime_start"]), now
        )
    )
    _check_technician(session, errors, values["technician_id"], item)
    schedule = _check_schedule(session, errors, chosen_schedule, item, work_kind)
    if errors.errors:
        raise ValidationError(errors.errors)
    if schedule is None and rules.is_scheduled_kind(work_kind):
        schedule = matching_schedule(session, item.id, work_kind)  # type: ignore[arg-type]
    if schedule is not None and values["due_date"] is None:
        values["due_date"] = schedule.next_due
    order = WorkOrder(
        equipment_id=item.id,  # type: ignore[arg-type]
        kind=work_kind,
        status=rules.OPEN,
        opened_at=now,
        opened_by_id=opened_by_id,
        schedule_id=schedule.id if schedule else None,
        **values,
    )
    apply_restore_target(session, order, item)
    session.add(order)
    session.commit()
    return order


def _loaded(
    session: Session, scope: Scope, work_order_id: int, version: Any, action: Action
) -> WorkOrder:
    """The order at the version the user loaded, if `action` is possible in its state."""
    order = get_scoped(session, WorkOrder, work_order_id, scope)
    try:
        expected = inputs.version_number(version)
    except ValueError as error:
        raise ValidationError({"version": error}) from None
    if order.version != expected:
        raise _conflict()
    if action not in rules.allowed_actions(order.status):
        if rules.is_closed(order.status):
            raise ValidationError({"status": _l("This work order is already closed.")})
        raise ValidationError({"status": _l("The work on this order has already started.")})
    return order


def _commit(session: Session) -> None:
    commit_or_conflict(session, _conflict)


def update_work_order(
    session: Session,
    scope: Scope,
    work_order_id: int,
    *,
    version: Any,
    now: datetime | None = None,
    **fields: Any,
) -> WorkOrder:
    """Change the given `fields` (see UPDATABLE_FIELDS) of an open or running order last read
    at `version`. Fields not given keep their value; `failure_code=""` clears the code."""
    now = now or utcnow()
    order = _loaded(session, scope, work_order_id, version, Action.EDIT)
    item = session.get_one(Equipment, order.equipment_id)
    errors = inputs.FieldErrors()
    parsers = {
        "symptom": inputs.text("symptom"),
        "notes": inputs.text("notes"),
        "downtime_start": inputs.timestamp,
        "due_date": inputs.day,
        "technician_id": inputs.optional_id,
    }
    values: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "failure_code":
            given, code_id = _failure_code_id(session, errors, value)
            if given:
                values["failure_code_id"] = code_id
        elif name in parsers:
            values[name] = errors.parse(name, parsers[name], value)
        else:
            errors.add(name, _l("This field cannot be changed here."))
    symptom = values.get("symptom", order.symptom)
    downtime_start = values.get("downtime_start", order.downtime_start)
    if "downtime_start" in values and downtime_start is None and order.downtime_end is not None:
        errors.add("downtime_start", _l("This field is required."))
    errors.add_problems(
        rules.opening_problems(Opening(order.kind, symptom or "", downtime_start), now)
    )
    if "technician_id" in values:
        _check_technician(session, errors, values["technician_id"], item)
    if errors.errors:
        raise ValidationError(errors.errors)
    moved = "downtime_start" in values and values["downtime_start"] != order.downtime_start
    for name, value in values.items():
        setattr(order, name, value)
    if moved:
        # The clock of a repair runs from its downtime start: a corrected start moves the target.
        apply_restore_target(session, order, item)
    _commit(session)
    return order


def start_work_order(
    session: Session,
    scope: Scope,
    work_order_id: int,
    *,
    version: Any,
    started_by_id: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Mark an open order as in progress. Whoever starts unassigned work takes it on (when
    they may be assigned: a technician, or an officer of the item's agency)."""
    order = _loaded(session, scope, work_order_id, version, Action.START)
    technician_id = order.technician_id
    if technician_id is None and started_by_id is not None:
        errors = inputs.FieldErrors()
        item = session.get_one(Equipment, order.equipment_id)
        _check_technician(session, errors, started_by_id, item)
        technician_id = None if errors.errors else started_by_id
    # Every change after the reads above: one UPDATE, one version, one audit event.
    order.status = rules.IN_PROGRESS
    order.started_at = now or utcnow()
    order.technician_id = technician_id
    _commit(session)
    return order


def close_work_order(
    session: Session,
    scope: Scope,
    work_order_id: int,
    *,
    version: Any,
    completed_at: Any,
    result: Any,
    cause: Any = "",
    remedy: Any = "",
    downtime_end: Any = None,
    labour_hours: Any = 0,
    parts_cost_cents: Any = 0,
    external_cost_cents: Any = 0,
    failure_code: Any = None,
    notes: Any = None,
    timezone: str = DEFAULT_TIMEZONE,
    now: datetime | None = None,
) -> WorkOrder:
    """Close an open or running order as done, with what was found and done and what it cost.

    `failure_code=None` keeps the order's code, "" clears it (a repair needs one to close);
    `notes=None` keeps the notes. Downtime that began must end. When the order is scheduled
    work (its schedule, or the item's active schedule of its kind), that schedule advances
    from the completion date in `timezone` (pass the app's TIMEZONE), in this transaction.
    """
    now = now or utcnow()
    order = _loaded(session, scope, work_order_id, version, Action.CLOSE)
    errors = inputs.FieldErrors()
    values: dict[str, Any] = {
        "completed_at": errors.parse("completed_at", inputs.timestamp, completed_at),
        "result": errors.parse("result", inputs.choice(WORK_RESULTS), result),
        "cause": errors.parse("cause", inputs.text("cause"), cause),
        "remedy": errors.parse("remedy", inputs.text("remedy"), remedy),
        "downtime_end": errors.parse("downtime_end", inputs.timestamp, downtime_end),
        "labour_hours": errors.parse("labour_hours", inputs.hours, labour_hours),
        "parts_cost_cents": errors.parse("parts_cost_cents", inputs.cents, parts_cost_cents),
        "external_cost_cents": errors.parse(
            "external_cost_cents", inputs.cents, external_cost_cents
        ),
    }
    if notes is not None:
        values["notes"] = errors.parse("notes", inputs.text("notes"), notes)
    given, code_id = _failure_code_id(session, errors, failure_code)
    values["failure_code_id"] = code_id if given else order.failure_code_id
    # Fields that could not be parsed keep their own message (the first one per field wins).
    errors.add_problems(
        rules.closing_problems(
            Closing(
                status=order.status,
                kind=order.kind,
                opened_at=order.opened_at,
                downtime_start=order.downtime_start,
                completed_at=values["completed_at"],
                downtime_end=values["downtime_end"],
                result=values["result"],
                has_failure_code=values["failure_code_id"] is not None,
                labour_hours=values["labour_hours"] or Decimal("0"),
                parts_cost_cents=values["parts_cost_cents"] or 0,
                external_cost_cents=values["external_cost_cents"] or 0,
            ),
            now,
        )
    )
    if errors.errors:
        raise ValidationError(errors.errors)
    schedule = _schedule_of(session, order)
    # Every change after the reads above: one UPDATE, one version, one audit event.
    for name, value in values.items():
        setattr(order, name, value)
    order.status = rules.DONE
    # Judged once, now (done is final): on-time compliance counts this flag.
    order.completed_on_time = completed_on_time(
        order.completed_at, order.due_date, schedule, timezone
    )
    if schedule is not None:
        order.schedule_id = schedule.id
        # Only work that passed fulfils the schedule. A calibration is fulfilled only by its
        # recorded result (services/calibrations.py), never by closing the order alone:
        # otherwise an item out of calibration would count as operational without one.
        if values["result"] == "pass" and order.kind != "calibration":
            advance_schedule(schedule, values["completed_at"].astimezone(ZoneInfo(timezone)).date())
    _commit(session)
    return order


def _schedule_of(session: Session, order: WorkOrder) -> Schedule | None:
    """The schedule the order's work fulfils: its own, or the item's active one of its kind."""
    if order.schedule_id is not None:
        return session.get(Schedule, order.schedule_id)
    if rules.is_scheduled_kind(order.kind):
        return matching_schedule(session, order.equipment_id, order.kind)
    return None


def cancel_work_order(
    session: Session,
    scope: Scope,
    work_order_id: int,
    *,
    version: Any,
    reason: Any = "",
) -> WorkOrder:
    """Cancel an open or running order (reported by mistake, a duplicate, no longer needed).

    A reason, when given, is added to the notes. A cancelled repair no longer counts as open
    downtime, and its schedule does not advance.
    """
    order = _loaded(session, scope, work_order_id, version, Action.CANCEL)
    errors = inputs.FieldErrors()
    why = errors.parse("reason", inputs.text("reason"), reason)
    notes = order.notes
    if why:
        line = str(_l("Cancelled: %(reason)s", reason=why))
        notes = f"{notes}\n{line}" if notes else line
        if len(notes) > inputs.MAX_LENGTHS["notes"]:
            errors.add("reason", _l("The notes are full; give a shorter reason."))
    if errors.errors:
        raise ValidationError(errors.errors)
    order.notes = notes
    order.status = rules.CANCELLED
    _commit(session)
    return order
