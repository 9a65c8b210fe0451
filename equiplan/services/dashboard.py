"""Fleet overview for the dashboard and agency pages: counts aggregated in SQL, scoped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Integer, cast, func, select
from sqlmodel import Session

from equiplan.models import Agency, Equipment, EquipmentModel, EquipmentType, Site
from equiplan.models.equipment import EQUIPMENT_STATUSES
from equiplan.services.agencies import list_agencies
from equiplan.services.equipment_status import calibration_overdue, in_fleet, is_operational
from equiplan.services.scoping import Scope, scoped


@dataclass(frozen=True)
class GroupCount:
    """Counts for one group (an agency, a type or a site)."""

    key: str
    name_en: str
    name_lt: str
    total: int
    operational: int
    calibration_overdue: int
    id: int | None = None


@dataclass(frozen=True)
class FleetOverview:
    total: int
    operational: int
    calibration_overdue: int
    by_status: dict[str, int] = field(default_factory=dict)
    by_agency: list[GroupCount] = field(default_factory=list)
    by_type: list[GroupCount] = field(default_factory=list)
    by_site: list[GroupCount] = field(default_factory=list)


def _counts(today: date) -> tuple[object, object, object]:
    return (
        func.count(Equipment.id),
        func.coalesce(func.sum(cast(is_operational(today), Integer)), 0),
        func.coalesce(func.sum(cast(calibration_overdue(today), Integer)), 0),
    )


def _grouped(
    session: Session,
    scope: Scope,
    today: date,
    key_columns: tuple,
    joins: tuple,
    extra_where: tuple = (),
) -> list[GroupCount]:  # type: ignore[type-arg]
    statement = select(*key_columns, *_counts(today)).select_from(Equipment)
    for target, on in joins:
        statement = statement.join(target, on)
    statement = scoped(statement.where(in_fleet(), *extra_where), Equipment, scope)
    statement = statement.group_by(*key_columns).order_by(key_columns[1])
    return [
        GroupCount(
            id=row[0],
            key=row[1],
            name_en=row[2],
            name_lt=row[3],
            total=row[4],
            operational=row[5],
            calibration_overdue=row[6],
        )
        for row in session.execute(statement)
    ]


def fleet_overview(
    session: Session, scope: Scope, today: date, agency_id: int | None = None
) -> FleetOverview:
    """Counts by agency, type, site and status for the scope (optionally one agency of it)."""
    narrow: tuple = () if agency_id is None else (Equipment.agency_id == agency_id,)  # type: ignore[type-arg]
    totals = session.execute(
        scoped(select(*_counts(today)).where(in_fleet(), *narrow), Equipment, scope)
    ).one()
    found_statuses = dict(
        session.execute(
            scoped(
                select(Equipment.status, func.count(Equipment.id)).where(*narrow), Equipment, scope
            ).group_by(Equipment.status)
        ).all()
    )
    by_agency = _grouped(
        session,
        scope,
        today,
        (Agency.id, Agency.code, Agency.name_en, Agency.name_lt),
        ((Agency, Agency.id == Equipment.agency_id),),
        narrow,
    )
    by_type = _grouped(
        session,
        scope,
        today,
        (EquipmentType.id, EquipmentType.code, EquipmentType.name_en, EquipmentType.name_lt),
        (
            (EquipmentModel, EquipmentModel.id == Equipment.model_id),
            (EquipmentType, EquipmentType.id == EquipmentModel.type_id),
        ),
        narrow,
    )
    by_site = (
        _grouped(
            session,
            scope,
            today,
            (Site.id, Site.code, Site.name_en, Site.name_lt),
            ((Site, Site.id == Equipment.site_id),),
            narrow,
        )
        if agency_id is not None
        else []
    )
    # In the order of the status life cycle, not alphabetically in some language.
    by_status = {
        status: found_statuses[status] for status in EQUIPMENT_STATUSES if status in found_statuses
    }
    return FleetOverview(
        total=totals[0],
        operational=totals[1],
        calibration_overdue=totals[2],
        by_status=by_status,
        by_agency=by_agency,
        by_type=by_type,
        by_site=by_site,
    )


def agencies_with_counts(
    session: Session, scope: Scope, today: date
) -> list[tuple[Agency, GroupCount | None]]:
    """Every agency in scope with its fleet counts (None when it has no equipment)."""
    counts = {group.id: group for group in fleet_overview(session, scope, today).by_agency}
    return [(agency, counts.get(agency.id)) for agency in list_agencies(session, scope)]
