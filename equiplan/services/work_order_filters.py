"""What a user asks of the work-order list, and the SQL conditions it makes: status, kind, the
item's agency, site, type or model, one item, a text search, a date range on one of the
order's dates, and the narrow filters the KPI figures link to (repairs with a failure code,
work with costs, scheduled work, the backlog at the end of a day), so that a figure's records
can be listed exactly.

Dates are local calendar days in the app's time zone, both ends included, as the KPI windows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, String, exists, func, literal, or_, select

from equiplan.domain.kpi import local_midnight
from equiplan.models import CalibrationResult, Equipment, EquipmentModel, WorkOrder
from equiplan.models.work import WORK_KINDS, WORK_STATUSES
from equiplan.services.input_fields import day_argument, whole_number
from equiplan.services.kpi_sql import open_at
from equiplan.services.local_date_sql import local_date
from equiplan.services.paging import contains_text

# "active": open or in progress, what people work from; the list starts there. "counted":
# every status but cancelled (what the KPI figures count).
STATUS_FILTERS = ("active", "counted", "all", *WORK_STATUSES)
ACTIVE_STATUSES = ("open", "in_progress")
SORT_KEYS = ("opened_at", "due_date", "completed_at", "inventory_no", "kind", "status", "agency")
PER_PAGE_CHOICES = (25, 50, 100)
DEFAULT_PER_PAGE = 50
# Which of the order's dates `from` and `to` bound: when it was opened, due, completed, when
# its failure happened (the start of its downtime, else when it was reported) or the date of
# its calibration.
DATE_FIELDS = ("opened", "due", "completed", "failed", "calibrated")
DEFAULT_DATE_FIELD = "opened"
# Query-string names of the fields whose names differ.
ARGUMENT_NAMES = {
    "date_field": "date",
    "date_from": "from",
    "date_to": "to",
    "with_failure": "failure",
    "with_cost": "cost",
    "descending": "desc",
}
FLAGS = ("with_failure", "with_cost", "scheduled")
# The filters that need the order's item.
ITEM_FILTERS = ("agency_id", "site_id", "type_id", "model_id", "search")


@dataclass(frozen=True)
class WorkOrderQuery:
    """What a user asks of the list; `list_work_orders(session, scope, **vars(query))`."""

    status: str = "active"
    kind: str | None = None
    agency_id: int | None = None
    site_id: int | None = None
    type_id: int | None = None
    model_id: int | None = None
    equipment_id: int | None = None
    search: str = ""
    date_field: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    with_failure: bool = False
    with_cost: bool = False
    scheduled: bool = False
    backlog_on: date | None = None
    sort: str = "opened_at"
    descending: bool = True
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def as_args(self, **changes: object) -> dict[str, object]:
        """Query-string arguments for this query with `changes` applied (for links)."""
        values = {**vars(self), **changes}
        defaults = {f.name: f.default for f in fields(WorkOrderQuery)}
        args: dict[str, object] = {}
        for key, value in values.items():
            name = ARGUMENT_NAMES.get(key, key)
            if key == "descending":
                if not value:
                    args[name] = 0
            elif key in FLAGS:
                if value:
                    args[name] = 1
            elif value is not None and value != "" and value != defaults[key]:
                args[name] = value.isoformat() if isinstance(value, date) else value
        return args

    @property
    def needs_item(self) -> bool:
        """True when a filter reads the order's item (its agency, site, model or text)."""
        return any(getattr(self, name) for name in ITEM_FILTERS)


def _positive_int(raw: str, name: str, errors: dict[str, object]) -> int | None:
    try:
        return whole_number(raw)
    except ValueError as error:
        errors[name] = str(error)
        return None


def _choice(
    args: Mapping[str, str], name: str, choices: tuple[str, ...], errors: dict[str, object]
) -> str | None:
    value = args.get(name, "").strip() or None
    if value is not None and value not in choices:
        errors[name] = _l("Unknown value: %(value)s.", value=value[:40])
        return None
    return value


def _flag(args: Mapping[str, str], name: str) -> bool:
    return args.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _dates(
    args: Mapping[str, str], errors: dict[str, object]
) -> tuple[str | None, date | None, date | None]:
    """The date field and range asked for (a range without a field bounds the opening)."""
    field = _choice(args, "date", DATE_FIELDS, errors)
    first = day_argument(args.get("from", ""), "from", errors)
    last = day_argument(args.get("to", ""), "to", errors)
    if first and last and last < first:
        errors["to"] = _l("The range ends before it starts.")
        first = last = None
    if (first or last) and field is None and "date" not in errors:
        field = DEFAULT_DATE_FIELD
    return field, first, last


def parse_work_order_query(args: Mapping[str, str]) -> tuple[WorkOrderQuery, dict[str, object]]:
    """The query described by `args` (a query string); unusable values are dropped and reported
    by field, the rest still applies."""
    errors: dict[str, object] = {}
    status = args.get("status", "").strip() or "active"
    if status not in STATUS_FILTERS:
        errors["status"] = _l("Unknown status: %(value)s.", value=status[:40])
        status = "active"
    kind = args.get("kind", "").strip() or None
    if kind is not None and kind not in WORK_KINDS:
        errors["kind"] = _l("Unknown kind of work: %(value)s.", value=kind[:40])
        kind = None
    sort = args.get("sort", "").strip() or "opened_at"
    if sort not in SORT_KEYS:
        errors["sort"] = _l("Cannot sort by %(value)s.", value=sort[:40])
        sort = "opened_at"
    per_page = _positive_int(args.get("per_page", ""), "per_page", errors) or DEFAULT_PER_PAGE
    if per_page not in PER_PAGE_CHOICES:
        errors["per_page"] = _l("Show 25, 50 or 100 per page.")
        per_page = DEFAULT_PER_PAGE
    date_field, date_from, date_to = _dates(args, errors)
    ids = {
        name: _positive_int(args.get(name, ""), name, errors)
        for name in ("agency_id", "site_id", "type_id", "model_id", "equipment_id")
    }
    query = WorkOrderQuery(
        status=status,
        kind=kind,
        **ids,
        search=args.get("search", "").strip()[:100],
        date_field=date_field,
        date_from=date_from,
        date_to=date_to,
        with_failure=_flag(args, "failure"),
        with_cost=_flag(args, "cost"),
        scheduled=_flag(args, "scheduled"),
        backlog_on=day_argument(args.get("backlog_on", ""), "backlog_on", errors),
        sort=sort,
        descending=args.get("desc", "1").strip().lower() not in {"0", "false", "no"},
        page=_positive_int(args.get("page", ""), "page", errors) or 1,
        per_page=per_page,
    )
    return query, errors


# --- SQL --------------------------------------------------------------------------------------


def _moment_type() -> Any:
    return WorkOrder.__table__.c.opened_at.type  # type: ignore[attr-defined]


def _moment(value: datetime) -> ColumnElement[datetime]:
    """A moment compared with the order's timestamps (stored as they are)."""
    return literal(value, _moment_type())


def _date_range(
    field: str, first: date | None, last: date | None, timezone: str
) -> list[ColumnElement[bool]]:
    """The order's `field` within the local days `first` to `last` (both included)."""
    if field in ("due", "calibrated"):
        day: Any = WorkOrder.due_date if field == "due" else CalibrationResult.calibrated_on
        bounds = [day >= first] if first else []
        bounds += [day <= last] if last else []
        if field == "due":
            return bounds
        return [
            exists().where(CalibrationResult.work_order_id == WorkOrder.id, *bounds)
        ]  # a calibration's date is on its result
    moment: Any = {
        "opened": WorkOrder.opened_at,
        "completed": WorkOrder.completed_at,
        "failed": func.coalesce(WorkOrder.downtime_start, WorkOrder.opened_at),
    }[field]
    conditions = []
    if first:
        conditions.append(moment >= _moment(local_midnight(first, timezone)))
    if last:
        conditions.append(moment < _moment(local_midnight(last + timedelta(days=1), timezone)))
    return conditions


def _backlog(day: date, timezone: str, now: datetime) -> list[ColumnElement[bool]]:
    """Open at the end of `day` (or now, while it lasts) and past due on it: a repair without
    a due date is due on the local date of its target restore time (as the KPI backlog)."""
    end = min(local_midnight(day + timedelta(days=1), timezone), now)
    due = func.coalesce(
        WorkOrder.due_date, local_date(WorkOrder.target_restore_at, literal(timezone, String))
    )
    return [
        WorkOrder.status != "cancelled",
        or_(
            WorkOrder.due_date.is_not(None),  # type: ignore[union-attr]
            WorkOrder.target_restore_at.is_not(None),  # type: ignore[union-attr]
        ),
        open_at(WorkOrder.opened_at, WorkOrder.completed_at, _moment(end)),
        due < day,
    ]


def conditions_for(query: WorkOrderQuery, timezone: str, now: datetime) -> list[Any]:
    """The WHERE conditions of `query` (the caller joins the item when `query.needs_item`);
    dates are local days in `timezone`, the backlog's day ends at `now` at the latest."""
    conditions: list[Any] = []
    if query.status == "active":
        conditions.append(WorkOrder.status.in_(ACTIVE_STATUSES))  # type: ignore[attr-defined]
    elif query.status == "counted":
        conditions.append(WorkOrder.status != "cancelled")
    elif query.status != "all":
        conditions.append(WorkOrder.status == query.status)
    for column, value in (
        (WorkOrder.kind, query.kind),
        (Equipment.agency_id, query.agency_id),
        (Equipment.site_id, query.site_id),
        (Equipment.model_id, query.model_id),
        (WorkOrder.equipment_id, query.equipment_id),
    ):
        if value is not None:
            conditions.append(column == value)
    if query.type_id is not None:
        models = select(EquipmentModel.id).where(EquipmentModel.type_id == query.type_id)
        conditions.append(Equipment.model_id.in_(models))  # type: ignore[attr-defined]
    if query.search:
        conditions.append(
            contains_text(
                query.search, Equipment.inventory_no, Equipment.serial_no, WorkOrder.symptom
            )
        )
    if query.date_field and (query.date_from or query.date_to):
        conditions += _date_range(query.date_field, query.date_from, query.date_to, timezone)
    if query.with_failure:
        conditions.append(WorkOrder.failure_code_id.is_not(None))  # type: ignore[union-attr]
    if query.with_cost:
        conditions.append(WorkOrder.parts_cost_cents + WorkOrder.external_cost_cents > 0)
    if query.scheduled:
        conditions.append(WorkOrder.schedule_id.is_not(None))  # type: ignore[union-attr]
    if query.backlog_on is not None:
        conditions += _backlog(query.backlog_on, timezone, now)
    return conditions
