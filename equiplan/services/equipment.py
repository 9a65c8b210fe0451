"""The equipment register: the scoped, filtered, sorted and paginated list, and one item whole.

Everything is decided in SQL (filters, operational state, next due date, count, order, page):
one query for the page and one for the count, whatever the page size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlmodel import Session

from equiplan.domain.status import OperationalState, operational_state
from equiplan.models import (
    Agency,
    AuditEvent,
    CalibrationResult,
    Equipment,
    EquipmentModel,
    EquipmentType,
    FailureCode,
    Schedule,
    Site,
    WorkOrder,
)
from equiplan.services.equipment_query import EquipmentQuery
from equiplan.services.equipment_status import (
    calibration_overdue,
    is_operational,
    open_corrective_downtime,
)
from equiplan.services.paging import Page, contains_text
from equiplan.services.scoping import Scope, get_scoped, scoped

TIMELINE_LIMIT = 300


@dataclass(frozen=True)
class EquipmentRow:
    id: int
    inventory_no: str
    serial_no: str
    status: str
    agency_code: str
    site_code: str | None
    site_name_en: str | None
    site_name_lt: str | None
    type_code: str
    manufacturer: str
    model_name: str
    commissioned_on: date | None
    next_due: date | None
    operational: bool
    calibration_overdue: bool
    open_downtime: bool


# One page of the register.
EquipmentPage = Page[EquipmentRow]


def _conditions(query: EquipmentQuery, today: date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for column, value in (
        (Equipment.agency_id, query.agency_id),
        (Equipment.site_id, query.site_id),
        (Equipment.model_id, query.model_id),
        (Equipment.status, query.status),
    ):
        if value is not None:
            conditions.append(column == value)
    if query.type_id is not None:
        # A subquery rather than the joined column: the count then reads `equipment` alone.
        conditions.append(
            Equipment.model_id.in_(  # type: ignore[attr-defined]
                select(EquipmentModel.id).where(EquipmentModel.type_id == query.type_id)
            )
        )
    if query.operational is not None:
        conditions.append(is_operational(today) if query.operational else ~is_operational(today))
    if query.due_within_days is not None:
        horizon = today + timedelta(days=query.due_within_days)
        conditions.append(Equipment.next_due <= horizon)  # type: ignore[operator]
    if query.search:
        conditions.append(
            contains_text(
                query.search, Equipment.inventory_no, Equipment.serial_no, Equipment.notes
            )
        )
    return conditions


def _base(scope: Scope, conditions: list[ColumnElement[bool]], *columns: Any) -> Select[Any]:
    statement = (
        select(*columns)
        .select_from(Equipment)
        .join(EquipmentModel, EquipmentModel.id == Equipment.model_id)
        .join(EquipmentType, EquipmentType.id == EquipmentModel.type_id)
        .join(Agency, Agency.id == Equipment.agency_id)
        .outerjoin(Site, Site.id == Equipment.site_id)
        .where(*conditions)
    )
    return scoped(statement, Equipment, scope)


def list_equipment(
    session: Session, scope: Scope, query: EquipmentQuery, today: date
) -> EquipmentPage:
    """One page of the register in the scope, with the total count of matching items."""
    conditions = _conditions(query, today)
    total = session.execute(
        scoped(select(func.count()).select_from(Equipment).where(*conditions), Equipment, scope)
    ).scalar_one()
    # First the ids of the page, ordered and offset with nothing else computed; then the
    # columns (next due, operational state) for those rows only. Computing them in the same
    # query would evaluate them for every row skipped by the offset as well.
    ids = _base(scope, conditions, Equipment.id)
    sort_columns: dict[str, Any] = {
        "inventory_no": Equipment.inventory_no,
        "serial_no": Equipment.serial_no,
        "agency": Agency.code,
        "site": Site.code,
        "type": EquipmentType.code,
        "model": EquipmentModel.name,
        "status": Equipment.status,
        "commissioned_on": Equipment.commissioned_on,
        "next_due": Equipment.next_due,
    }
    sort_key = sort_columns[query.sort]
    page = (
        ids.add_columns(sort_key.label("sort_key"))
        # The id breaks ties so that pages never overlap or skip rows.
        .order_by(
            sort_key.desc().nulls_last() if query.descending else sort_key.asc().nulls_last(),
            Equipment.id,
        )
        .offset((query.page - 1) * query.per_page)
        .limit(query.per_page)
        .subquery("page")
    )
    statement = (
        select(
            Equipment.id,
            Equipment.inventory_no,
            Equipment.serial_no,
            Equipment.status,
            Agency.code,
            Site.code,
            Site.name_en,
            Site.name_lt,
            EquipmentType.code,
            EquipmentModel.manufacturer,
            EquipmentModel.name,
            Equipment.commissioned_on,
            Equipment.next_due,
            is_operational(today),
            calibration_overdue(today),
            open_corrective_downtime(),
        )
        .select_from(page)
        .join(Equipment, Equipment.id == page.c.id)
        .join(EquipmentModel, EquipmentModel.id == Equipment.model_id)
        .join(EquipmentType, EquipmentType.id == EquipmentModel.type_id)
        .join(Agency, Agency.id == Equipment.agency_id)
        .outerjoin(Site, Site.id == Equipment.site_id)
        .order_by(
            page.c.sort_key.desc().nulls_last()
            if query.descending
            else page.c.sort_key.asc().nulls_last(),
            page.c.id,
        )
    )
    items = [
        EquipmentRow(
            *row[:13],
            operational=bool(row[13]),
            calibration_overdue=bool(row[14]),
            open_downtime=bool(row[15]),
        )
        for row in session.execute(statement)
    ]
    return Page(items=items, total=total, page=query.page, per_page=query.per_page)


@dataclass(frozen=True)
class FilterOptions:
    # Plain rows with the attributes the forms read (id, code, names...): about 120 of them on
    # every list page, where building ORM objects cost more than the page's queries.
    agencies: list[Any]
    sites: list[Any]
    types: list[Any]
    models: list[Any]


def filter_options(session: Session, scope: Scope) -> FilterOptions:
    """The choices of the list's filter form, limited to the scope."""
    named = (Agency.id, Agency.code, Agency.name_en, Agency.name_lt)
    return FilterOptions(
        agencies=list(session.execute(scoped(select(*named), Agency, scope).order_by(Agency.code))),
        sites=list(
            session.execute(
                scoped(
                    select(Site.id, Site.agency_id, Site.code, Site.name_en, Site.name_lt),
                    Site,
                    scope,
                ).order_by(Site.code)
            )
        ),
        types=list(
            session.execute(
                select(
                    EquipmentType.id,
                    EquipmentType.code,
                    EquipmentType.name_en,
                    EquipmentType.name_lt,
                ).order_by(EquipmentType.code)
            )
        ),
        models=list(
            session.execute(
                select(
                    EquipmentModel.id,
                    EquipmentModel.type_id,
                    EquipmentModel.manufacturer,
                    EquipmentModel.name,
                ).order_by(EquipmentModel.manufacturer, EquipmentModel.name)
            )
        ),
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime | date
    kind: str  # "work_order", "calibration", "audit"
    title: str
    detail: str = ""
    status: str = ""
    failure: str | None = None
    ref_id: int | None = None  # the work order's or calibration's id, for a link


@dataclass
class EquipmentDetail:
    item: Equipment
    model: EquipmentModel
    equipment_type: EquipmentType
    agency: Agency
    site: Site | None
    state: OperationalState
    schedules: list[Schedule]
    age_years: float | None
    timeline: list[TimelineEntry] = field(default_factory=list)

    @property
    def past_design_life(self) -> bool:
        return self.age_years is not None and self.age_years > self.equipment_type.design_life_years


def _sort_key(entry: TimelineEntry) -> datetime:
    moment = entry.at
    if isinstance(moment, datetime):
        return moment.replace(tzinfo=None)
    return datetime(moment.year, moment.month, moment.day)


def equipment_detail(
    session: Session, scope: Scope, equipment_id: int, today: date
) -> EquipmentDetail:
    """One item whole: identity, location, state with reasons, schedules and one timeline."""
    item = get_scoped(session, Equipment, equipment_id, scope)
    model = session.get_one(EquipmentModel, item.model_id)
    overdue, downtime = session.execute(
        select(calibration_overdue(today), open_corrective_downtime()).where(
            Equipment.id == item.id
        )
    ).one()
    schedules = list(
        session.execute(
            select(Schedule).where(Schedule.equipment_id == item.id).order_by(Schedule.next_due)
        ).scalars()
    )
    start = item.commissioned_on or item.acquired_on
    age = None if start is None else round((today - start).days / 365.25, 1)
    return EquipmentDetail(
        item=item,
        model=model,
        equipment_type=session.get_one(EquipmentType, model.type_id),
        agency=session.get_one(Agency, item.agency_id),
        site=session.get(Site, item.site_id) if item.site_id else None,
        state=operational_state(item.status, bool(overdue), bool(downtime)),
        schedules=schedules,
        age_years=age,
        timeline=_timeline(session, item.id),
    )


def _timeline(session: Session, equipment_id: int) -> list[TimelineEntry]:
    """Work orders, calibrations and audit events of one item, newest first."""
    entries: list[TimelineEntry] = []
    work = session.execute(
        select(WorkOrder, FailureCode.code)
        .outerjoin(FailureCode, FailureCode.id == WorkOrder.failure_code_id)
        .where(WorkOrder.equipment_id == equipment_id)
        .order_by(WorkOrder.opened_at.desc())  # type: ignore[attr-defined]
        .limit(TIMELINE_LIMIT)
    ).all()
    for order, failure in work:
        entries.append(
            TimelineEntry(
                at=order.completed_at or order.opened_at,
                kind="work_order",
                title=order.kind,
                detail=order.symptom or order.remedy or order.notes,
                status=order.status,
                failure=failure,
                ref_id=order.id,
            )
        )
    calibrations = session.execute(
        select(CalibrationResult)
        .where(CalibrationResult.equipment_id == equipment_id)
        .order_by(CalibrationResult.calibrated_on.desc())  # type: ignore[attr-defined]
        .limit(TIMELINE_LIMIT)
    ).scalars()
    for result in calibrations:
        entries.append(
            TimelineEntry(
                at=result.calibrated_on,
                kind="calibration",
                title=result.certificate_no,
                detail=result.laboratory,
                status="pass" if result.as_left_passed else "fail",
                ref_id=result.id,
            )
        )
    events = session.execute(
        select(AuditEvent)
        .where(AuditEvent.entity == Equipment.__tablename__, AuditEvent.entity_id == equipment_id)
        .order_by(AuditEvent.at.desc())  # type: ignore[attr-defined]
        .limit(TIMELINE_LIMIT)
    ).scalars()
    for event in events:
        entries.append(
            TimelineEntry(
                at=event.at,
                kind="audit",
                title=event.action,
                detail=", ".join(sorted(event.changes)),
            )
        )
    return sorted(entries, key=_sort_key, reverse=True)[:TIMELINE_LIMIT]
