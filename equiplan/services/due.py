"""What is due: scheduled work of the items in a scope, and open repairs with a target restore
time, as one list (paged) or over a date range (the iCalendar feed); due_calendar.py lays
them out by month.

Everything is decided in SQL, whatever the fleet's size: the two kinds of due work are two
SELECTs with the same columns joined by UNION ALL; filters, state, count, order and page are
parts of those queries. Python only assembles the few rows shown.

Due dates are local calendar days. A repair's due date is the local date of its target restore
time; it is overdue ("late") once that moment has passed. Scheduled work is "due" from its due
date to the end of its grace window and "overdue" after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    Select,
    String,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlmodel import Session

from equiplan.models import (
    Agency,
    Equipment,
    EquipmentModel,
    EquipmentType,
    Schedule,
    Site,
    WorkOrder,
    utcnow,
)
from equiplan.models.base import UTCDateTime
from equiplan.services.due_query import DueQuery
from equiplan.services.local_date_sql import install_local_date, local_date
from equiplan.services.paging import Page
from equiplan.services.scoping import Scope, scoped

OPEN_STATUSES = ("open", "in_progress")


@dataclass(frozen=True)
class DueRow:
    """One thing that falls due: a schedule's next occurrence or an open repair's target."""

    source: str  # "schedule" | "repair"
    schedule_id: int | None
    work_order_id: int | None
    equipment_id: int
    inventory_no: str
    type_code: str
    site_code: str | None
    site_name_en: str | None
    site_name_lt: str | None
    agency_code: str
    kind: str  # a schedule kind, or "repair"
    due_date: date
    target_at: datetime | None  # repairs: the target restore time (UTC)
    grace_ends_on: date | None  # scheduled work: the last day still on time
    state: str  # "overdue" | "due" | "upcoming"

    @property
    def key(self) -> tuple[str, int]:
        return self.source, self.schedule_id or self.work_order_id or 0


@dataclass(frozen=True)
class DueClock:
    """The moment the question is asked: the local date, the UTC instant and the time zone."""

    today: date
    now: datetime
    timezone: str

    def day_starts(self, day: date) -> datetime:
        """The UTC instant at which the local calendar day `day` begins."""
        return datetime.combine(day, time(), ZoneInfo(self.timezone)).astimezone(UTC)


def due_clock(today: date, timezone: str, now: datetime | None = None) -> DueClock:
    """The clock for `today` in `timezone` (an IANA name, e.g. Europe/Vilnius) at `now`."""
    ZoneInfo(timezone)  # raises for an unknown zone
    # The name is written into the SQL (PostgreSQL plans better with a constant zone).
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", timezone):
        raise ValueError(f"not a time zone name: {timezone!r}")
    return DueClock(today=today, now=now or utcnow(), timezone=timezone)


# --- the two SELECTs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DueRange:
    """Which due dates (local days): up to `last` (inclusive), from `first` when given."""

    first: date | None
    last: date


def _text(value: str) -> Any:
    return literal_column(f"'{value}'", String)


def _item_filters(statement: Select[Any], scope: Scope, query: DueQuery) -> Select[Any]:
    statement = statement.where(Equipment.status != "decommissioned")
    if query.agency_id is not None:
        statement = statement.where(Equipment.agency_id == query.agency_id)
    if query.site_id is not None:
        statement = statement.where(Equipment.site_id == query.site_id)
    return scoped(statement, Equipment, scope)


def _with_details(statement: Select[Any]) -> Select[Any]:
    return (
        statement.join(EquipmentModel, EquipmentModel.id == Equipment.model_id)
        .join(EquipmentType, EquipmentType.id == EquipmentModel.type_id)
        .join(Agency, Agency.id == Equipment.agency_id)
        .outerjoin(Site, Site.id == Equipment.site_id)
    )


def _detail_columns() -> tuple[Any, ...]:
    return (
        Equipment.id.label("equipment_id"),  # type: ignore[union-attr]
        Equipment.inventory_no.label("inventory_no"),  # type: ignore[attr-defined]
        EquipmentType.code.label("type_code"),  # type: ignore[attr-defined]
        Site.code.label("site_code"),  # type: ignore[attr-defined]
        Site.name_en.label("site_name_en"),  # type: ignore[attr-defined]
        Site.name_lt.label("site_name_lt"),  # type: ignore[attr-defined]
        Agency.code.label("agency_code"),  # type: ignore[attr-defined]
    )


def _schedule_select(
    scope: Scope, query: DueQuery, clock: DueClock, span: DueRange, detailed: bool
) -> Select[Any]:
    state = case(
        (Schedule.grace_ends_on < clock.today, _text("overdue")),
        (Schedule.next_due <= clock.today, _text("due")),
        else_=_text("upcoming"),
    )
    columns: list[Any] = [_text("schedule").label("source"), Schedule.id.label("id")]  # type: ignore[union-attr]
    if detailed:
        columns = [
            _text("schedule").label("source"),
            Schedule.id.label("schedule_id"),  # type: ignore[union-attr]
            cast(null(), Integer).label("work_order_id"),
            *_detail_columns(),
            Schedule.kind.label("kind"),  # type: ignore[attr-defined]
        ]
    columns += [Schedule.next_due.label("due_date"), state.label("state")]  # type: ignore[attr-defined]
    if detailed:
        target = type_coerce(cast(null(), DateTime(timezone=True)), UTCDateTime)
        columns[-1:-1] = [target.label("target_at"), Schedule.grace_ends_on.label("grace_ends_on")]  # type: ignore[attr-defined]
    statement = (
        select(*columns)
        .select_from(Schedule)
        .join(Equipment, Equipment.id == Schedule.equipment_id)
        .where(Schedule.active.is_(True), Schedule.next_due <= span.last)  # type: ignore[attr-defined,operator]
    )
    if span.first is not None:
        statement = statement.where(Schedule.next_due >= span.first)  # type: ignore[operator]
    if query.kind is not None:
        statement = statement.where(Schedule.kind == query.kind)
    if query.state == "overdue":
        statement = statement.where(Schedule.grace_ends_on < clock.today)  # type: ignore[operator]
    if detailed:
        statement = _with_details(statement)
    return _item_filters(statement, scope, query)


def _repair_select(
    scope: Scope, query: DueQuery, clock: DueClock, span: DueRange, detailed: bool
) -> Select[Any]:
    target = WorkOrder.target_restore_at
    due_date = local_date(target, _text(clock.timezone))
    state = case(
        (target < clock.now, _text("overdue")),  # type: ignore[operator]
        (target < clock.day_starts(clock.today + timedelta(days=1)), _text("due")),  # type: ignore[operator]
        else_=_text("upcoming"),
    )
    columns: list[Any] = [_text("repair").label("source"), WorkOrder.id.label("id")]  # type: ignore[union-attr]
    if detailed:
        columns = [
            _text("repair").label("source"),
            cast(null(), Integer).label("schedule_id"),
            WorkOrder.id.label("work_order_id"),  # type: ignore[union-attr]
            *_detail_columns(),
            _text("repair").label("kind"),
        ]
    columns += [due_date.label("due_date"), state.label("state")]
    if detailed:
        columns[-1:-1] = [target.label("target_at"), cast(null(), Date).label("grace_ends_on")]  # type: ignore[union-attr]
    # Local days become UTC instants here, so the target's index serves the range.
    statement = (
        select(*columns)
        .select_from(WorkOrder)
        .join(Equipment, Equipment.id == WorkOrder.equipment_id)
        .where(
            WorkOrder.kind == "corrective",
            WorkOrder.status.in_(OPEN_STATUSES),  # type: ignore[attr-defined]
            target.is_not(None),  # type: ignore[union-attr]
            target < clock.day_starts(span.last + timedelta(days=1)),  # type: ignore[operator]
        )
    )
    if span.first is not None:
        statement = statement.where(target >= clock.day_starts(span.first))  # type: ignore[operator]
    if query.state == "overdue":
        statement = statement.where(target < clock.now)  # type: ignore[operator]
    if detailed:
        statement = _with_details(statement)
    return _item_filters(statement, scope, query)


def due_union(
    scope: Scope, query: DueQuery, clock: DueClock, span: DueRange, *, detailed: bool
) -> Any:
    """The UNION ALL of the wanted kinds of due work, as a subquery named "due": narrow
    (source, id, due_date, state) for counting and ordering, or `detailed` (DueRow's columns)."""
    parts: list[Select[Any]] = []
    if query.kind != "repair":
        parts.append(_schedule_select(scope, query, clock, span, detailed))
    if query.kind is None or query.kind == "repair":
        parts.append(_repair_select(scope, query, clock, span, detailed))
    combined = parts[0] if len(parts) == 1 else union_all(*parts)
    return combined.subquery("due")


def due_rows(session: Session, statement: Select[Any]) -> list[DueRow]:
    """The rows of a statement over a detailed `due_union`."""
    return [DueRow(**row._asdict()) for row in session.execute(statement)]


# --- the list and a range --------------------------------------------------------------


def due_items(session: Session, scope: Scope, query: DueQuery, clock: DueClock) -> Page[DueRow]:
    """One page of what is due in the scope, sorted by due date (overdue first), with the count
    of everything that matches. Everything overdue is included, then `query.window` days ahead
    (or one `query.day` only). Four queries whatever the page size or the fleet."""
    install_local_date(session)
    if query.day is not None:
        span = DueRange(query.day, query.day)
    else:
        span = DueRange(None, clock.today + timedelta(days=query.window))
    narrow = due_union(scope, query, clock, span, detailed=False)
    total = session.execute(select(func.count()).select_from(narrow)).scalar_one()
    keys = session.execute(
        select(narrow.c.source, narrow.c.id)
        .order_by(narrow.c.due_date, narrow.c.source, narrow.c.id)
        .offset((query.page - 1) * query.per_page)
        .limit(query.per_page)
    ).all()
    schedule_ids = [key for source, key in keys if source == "schedule"]
    repair_ids = [key for source, key in keys if source == "repair"]
    found: dict[tuple[str, int], DueRow] = {}
    for ids, kind in ((schedule_ids, None), (repair_ids, "repair")):
        if not ids:
            continue
        part = _schedule_select if kind is None else _repair_select
        # The page's rows again, with everything shown; the filters are repeated so that a row
        # changed in between cannot appear with a state the list did not count.
        statement = part(scope, query, clock, span, True)
        id_column = Schedule.id if kind is None else WorkOrder.id
        statement = statement.where(id_column.in_(ids))  # type: ignore[union-attr]
        found.update({row.key: row for row in due_rows(session, statement)})
    items = [found[(source, key)] for source, key in keys if (source, key) in found]
    return Page(items=items, total=total, page=query.page, per_page=query.per_page)


def due_between(
    session: Session,
    scope: Scope,
    query: DueQuery,
    clock: DueClock,
    first: date,
    last: date,
    limit: int,
) -> list[DueRow]:
    """What falls due from `first` to `last` (local days, inclusive), by due date, at most
    `limit` rows (the calendar feed)."""
    install_local_date(session)
    due = due_union(scope, query, clock, DueRange(first, last), detailed=True)
    key = func.coalesce(due.c.schedule_id, due.c.work_order_id)
    statement = select(*due.c).order_by(due.c.due_date, due.c.source, key).limit(limit)
    return due_rows(session, statement)


@dataclass(frozen=True)
class FilterChoices:
    # Plain rows with the attributes the filter form reads (id, code, names).
    agencies: list[Any]
    sites: list[Any]


def filter_choices(session: Session, scope: Scope) -> FilterChoices:
    """The agencies and sites the filter form offers (the scope's)."""
    named = (Agency.id, Agency.code, Agency.name_en, Agency.name_lt)
    site_columns = (Site.id, Site.agency_id, Site.code, Site.name_en, Site.name_lt)
    return FilterChoices(
        agencies=list(session.execute(scoped(select(*named), Agency, scope).order_by(Agency.code))),
        sites=list(session.execute(scoped(select(*site_columns), Site, scope).order_by(Site.code))),
    )
