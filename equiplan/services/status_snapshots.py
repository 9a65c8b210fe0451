"""Daily operational counts per agency and type (the scheduler's status-refresh job).

The operational state itself is always computed live (services/equipment_status.py); this keeps
one row per day, agency and type with how many items were in the fleet and how many of them
were operational at the last refresh, so the availability trend has a history to draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Integer, cast, func, literal, select
from sqlmodel import Session

from equiplan.models import Equipment, EquipmentModel, StatusSnapshot
from equiplan.services.equipment_status import in_fleet, is_operational
from equiplan.services.upsert import insert_for


@dataclass(frozen=True)
class SnapshotReport:
    day: date
    groups: int

    def __str__(self) -> str:
        return f"{self.groups} agency/type groups counted for {self.day.isoformat()}"


def refresh_status_snapshot(session: Session, today: date, now: datetime) -> SnapshotReport:
    """Count today's fleet and operational items per agency and type, in one grouped query,
    and store them (replacing today's earlier counts). Idempotent; commits."""
    counts = (
        select(
            literal(today).label("day"),
            Equipment.agency_id,
            EquipmentModel.type_id,
            func.count(Equipment.id).label("in_fleet"),
            func.coalesce(func.sum(cast(is_operational(today), Integer)), 0).label("operational"),
            literal(now).label("refreshed_at"),
        )
        .join(EquipmentModel, EquipmentModel.id == Equipment.model_id)
        .where(in_fleet())
        .group_by(Equipment.agency_id, EquipmentModel.type_id)
    )
    columns = ["day", "agency_id", "type_id", "in_fleet", "operational", "refreshed_at"]
    insert = insert_for(session, StatusSnapshot).from_select(columns, counts)
    upsert = insert.on_conflict_do_update(
        index_elements=["day", "agency_id", "type_id"],
        set_={
            "in_fleet": insert.excluded.in_fleet,
            "operational": insert.excluded.operational,
            "refreshed_at": insert.excluded.refreshed_at,
        },
    )
    groups = len(session.execute(upsert.returning(StatusSnapshot.id)).all())
    session.commit()
    return SnapshotReport(today, groups)
