"""Reading work orders: the scoped, filtered, sorted and paginated list (one query for the page
and one for the count, whatever the page size), one order whole, and what the forms offer.

Import these from `equiplan.services.work_orders`, the service's one interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from equiplan.domain.work_orders import Action, allowed_actions
from equiplan.models import (
    Agency,
    AuditEvent,
    Equipment,
    EquipmentModel,
    EquipmentType,
    FailureCode,
    Schedule,
    Site,
    User,
    WorkOrder,
    utcnow,
)
from equiplan.services.clock import DEFAULT_TIMEZONE
from equiplan.services.local_date_sql import install_local_date
from equiplan.services.paging import Page
from equiplan.services.repair_targets import RestoreStatus, restore_status
from equiplan.services.scoping import Scope, get_scoped, scoped
from equiplan.services.work_order_filters import (
    ACTIVE_STATUSES,
    DATE_FIELDS,
    DEFAULT_PER_PAGE,
    PER_PAGE_CHOICES,
    SORT_KEYS,
    STATUS_FILTERS,
    WorkOrderQuery,
    conditions_for,
    parse_work_order_query,
)

# The list's query lives in work_order_filters; callers import it from here too.
__all__ = [
    "ACTIVE_STATUSES",
    "DATE_FIELDS",
    "DEFAULT_PER_PAGE",
    "HISTORY_LIMIT",
    "PER_PAGE_CHOICES",
    "SORT_KEYS",
    "STATUS_FILTERS",
    "FailureCodeGroup",
    "FailureCodeOption",
    "HistoryEntry",
    "WorkOrderDetail",
    "WorkOrderPage",
    "WorkOrderQuery",
    "WorkOrderRow",
    "failure_code_of",
    "failure_code_options",
    "failure_code_path",
    "list_agencies",
    "list_work_orders",
    "parse_work_order_query",
    "technician_options",
    "work_order_detail",
]

HISTORY_LIMIT = 100


@dataclass(frozen=True)
class WorkOrderRow:
    """One line of the list: the order with what is shown of its item and failure code."""

    order: WorkOrder
    inventory_no: str
    agency_code: str
    type_code: str
    site_code: str | None
    failure_code: str | None
    technician_name: str | None
    # An unfinished repair against its target restore time (None for other work).
    restore: RestoreStatus | None = None


# One page of the work-order list.
WorkOrderPage = Page[WorkOrderRow]


def _base(
    scope: Scope, conditions: list[ColumnElement[bool]], with_item: bool, *columns: Any
) -> Select[Any]:
    """The matching orders; the item is joined only when a filter, the sort or the scope
    needs it (counting half a million orders alone is twice as fast as with their items)."""
    statement = select(*columns).select_from(WorkOrder)
    if with_item or not scope.all_agencies:
        statement = statement.join(Equipment, Equipment.id == WorkOrder.equipment_id)
        # A work order belongs to its item's agency; the item is joined, so scope by it.
        statement = scoped(statement, Equipment, scope)
    return statement.where(*conditions)


def list_work_orders(
    session: Session,
    scope: Scope,
    *,
    now: datetime | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    **filters: Any,
) -> WorkOrderPage:
    """One page of the work orders in the scope, with the total count of matching orders.

    `filters` are WorkOrderQuery's fields (work_order_filters.py): `status` is one of
    STATUS_FILTERS ("active" = open or in progress, "counted" = all but cancelled), `sort` one
    of SORT_KEYS; `search` matches inventory no., serial no. and symptom (case-insensitive);
    dates are local days in `timezone`. Two queries whatever the page size: the count, and
    the page with everything it shows. Unfinished repairs are measured against their target
    restore time at `now` (which also ends the day of `backlog_on` when it is today).
    """
    query = WorkOrderQuery(**filters)
    status, sort, descending = query.status, query.sort, query.descending
    page, per_page = query.page, query.per_page
    if status not in STATUS_FILTERS or sort not in SORT_KEYS:
        raise ValueError(f"bad status filter or sort key: {status!r}, {sort!r}")
    now = now or utcnow()
    install_local_date(session)  # the backlog filter's due date of a repair, on SQLite
    conditions = conditions_for(query, timezone, now)
    filters_item = query.needs_item
    total = session.execute(
        _base(scope, conditions, filters_item, func.count(WorkOrder.id))
    ).scalar_one()
    sort_columns: dict[str, Any] = {
        "opened_at": WorkOrder.opened_at,
        "due_date": WorkOrder.due_date,
        "completed_at": WorkOrder.completed_at,
        "inventory_no": Equipment.inventory_no,
        "kind": WorkOrder.kind,
        "status": WorkOrder.status,
        "agency": Agency.code,
    }
    # First the page's ids, sorted on narrow rows; then everything shown, for those only.
    page_ids = _base(
        scope,
        conditions,
        filters_item or sort in ("inventory_no", "agency"),
        WorkOrder.id.label("id"),  # type: ignore[union-attr]
        sort_columns[sort].label("sort_key"),
    )
    if sort == "agency":
        page_ids = page_ids.join(Agency, Agency.id == Equipment.agency_id)
    key = sort_columns[sort]
    page_ids = (
        page_ids
        # The id breaks ties so that pages never overlap or skip rows.
        .order_by(
            key.desc().nulls_last() if descending else key.asc().nulls_last(),
            WorkOrder.id.desc(),  # type: ignore[union-attr]
        )
        .offset((page - 1) * per_page)
        .limit(per_page)
        .subquery()
    )
    ordered = page_ids.c.sort_key.desc() if descending else page_ids.c.sort_key.asc()
    technician = aliased(User)
    statement = (
        select(
            WorkOrder,
            Equipment.inventory_no,
            Agency.code,
            EquipmentType.code,
            Site.code,
            FailureCode.code,
            func.coalesce(func.nullif(technician.name, ""), technician.email),
        )
        .select_from(page_ids)
        .join(WorkOrder, WorkOrder.id == page_ids.c.id)
        .join(Equipment, Equipment.id == WorkOrder.equipment_id)
        .join(Agency, Agency.id == Equipment.agency_id)
        .join(EquipmentModel, EquipmentModel.id == Equipment.model_id)
        .join(EquipmentType, EquipmentType.id == EquipmentModel.type_id)
        .outerjoin(Site, Site.id == Equipment.site_id)
        .outerjoin(FailureCode, FailureCode.id == WorkOrder.failure_code_id)
        .outerjoin(technician, technician.id == WorkOrder.technician_id)
        .order_by(ordered.nulls_last(), page_ids.c.id.desc())
    )
    items = [
        WorkOrderRow(*row, restore=restore_status(row[0], now))
        for row in session.execute(statement)
    ]
    return Page(items=items, total=total, page=page, per_page=per_page)


def list_agencies(session: Session, scope: Scope) -> list[Agency]:
    """The agencies the list's agency filter offers (the scope's)."""
    return list(
        session.execute(scoped(select(Agency), Agency, scope).order_by(Agency.code)).scalars()
    )


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    who: str | None
    action: str
    changes: dict[str, list[Any]]


@dataclass
class WorkOrderDetail:
    """One order whole: its item, its failure code path, people, schedule and history."""

    order: WorkOrder
    item: Equipment
    model: EquipmentModel
    agency: Agency
    site: Site | None
    failure_path: list[FailureCode]
    technician: User | None
    opened_by: User | None
    schedule: Schedule | None
    history: list[HistoryEntry] = field(default_factory=list)
    # An unfinished repair against its target restore time.
    restore: RestoreStatus | None = None

    @property
    def actions(self) -> frozenset[Action]:
        return allowed_actions(self.order.status)


def failure_code_path(session: Session, failure_code_id: int | None) -> list[FailureCode]:
    """The code and its ancestors, class first (class → problem → cause → remedy)."""
    path: list[FailureCode] = []
    current = session.get(FailureCode, failure_code_id) if failure_code_id else None
    while current is not None and len(path) < 8:  # the hierarchy has four levels
        path.insert(0, current)
        current = session.get(FailureCode, current.parent_id) if current.parent_id else None
    return path


def failure_code_of(session: Session, order: WorkOrder) -> str:
    """The order's failure code as text ("" when it has none), as forms and the API show it."""
    if order.failure_code_id is None:
        return ""
    return session.get_one(FailureCode, order.failure_code_id).code


def work_order_detail(
    session: Session, scope: Scope, work_order_id: int, now: datetime | None = None
) -> WorkOrderDetail:
    """One work order in the scope with everything its page shows (NotFound outside it);
    an unfinished repair is measured against its target restore time at `now`."""
    order = get_scoped(session, WorkOrder, work_order_id, scope)
    item = session.get_one(Equipment, order.equipment_id)
    history_rows = session.execute(
        scoped(
            select(AuditEvent, func.coalesce(func.nullif(User.name, ""), User.email))
            .outerjoin(User, User.id == AuditEvent.user_id)
            .where(
                AuditEvent.entity == WorkOrder.__tablename__,
                AuditEvent.entity_id == order.id,
            ),
            AuditEvent,
            scope,
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())  # type: ignore[attr-defined]
        .limit(HISTORY_LIMIT)
    ).all()
    return WorkOrderDetail(
        order=order,
        item=item,
        model=session.get_one(EquipmentModel, item.model_id),
        agency=session.get_one(Agency, item.agency_id),
        site=session.get(Site, item.site_id) if item.site_id else None,
        failure_path=failure_code_path(session, order.failure_code_id),
        technician=session.get(User, order.technician_id) if order.technician_id else None,
        opened_by=session.get(User, order.opened_by_id) if order.opened_by_id else None,
        schedule=session.get(Schedule, order.schedule_id) if order.schedule_id else None,
        history=[
            HistoryEntry(at=event.at, who=who, action=event.action, changes=event.changes)
            for event, who in history_rows
        ],
        restore=restore_status(order, now or utcnow()),
    )


@dataclass(frozen=True)
class FailureCodeOption:
    code: str
    depth: int  # 0 class, 1 problem, 2 cause, 3 remedy
    name_en: str
    name_lt: str


@dataclass(frozen=True)
class FailureCodeGroup:
    """A class of failures with its problems, causes and remedies in tree order."""

    code: str
    name_en: str
    name_lt: str
    options: list[FailureCodeOption]


def failure_code_options(session: Session) -> list[FailureCodeGroup]:
    """The seeded failure-code hierarchy, one group per class, for a grouped select."""
    codes = list(session.execute(select(FailureCode).order_by(FailureCode.code)).scalars())
    children: dict[int | None, list[FailureCode]] = {}
    for code in codes:
        children.setdefault(code.parent_id, []).append(code)

    def walk(node: FailureCode, depth: int) -> list[FailureCodeOption]:
        options = [FailureCodeOption(node.code, depth, node.name_en, node.name_lt)]
        for child in children.get(node.id, []):
            options.extend(walk(child, depth + 1))
        return options

    return [
        FailureCodeGroup(root.code, root.name_en, root.name_lt, walk(root, 0))
        for root in children.get(None, [])
    ]


def technician_options(session: Session, item: Equipment) -> list[User]:
    """Who may be assigned work on `item`: active technicians, and the equipment officers of
    the item's agency (officers of other agencies never appear)."""
    return list(
        session.execute(
            select(User)
            .where(
                User.active.is_(True),  # type: ignore[attr-defined]
                or_(
                    User.role == "technician",
                    (User.role == "officer") & (User.agency_id == item.agency_id),  # type: ignore[arg-type]
                ),
            )
            .order_by(User.name, User.email)
        ).scalars()
    )
