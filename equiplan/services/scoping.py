"""Agency isolation, in one place.

Every query for agency-owned rows goes through `scoped()`; every lookup of one object goes
through `get_scoped()`. Officers and viewers see only their agency; the NSSC roles see all.
Another agency's object is reported as missing (NotFound), never as forbidden, so its
existence does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlmodel import Session

from equiplan.domain.roles import sees_all_agencies
from equiplan.models import (
    Agency,
    AuditEvent,
    CalibrationResult,
    Equipment,
    Schedule,
    Site,
    User,
    WorkOrder,
)
from equiplan.services.errors import NotFound

T = TypeVar("T")


@dataclass(frozen=True)
class Scope:
    """What a user may see: every agency, or exactly one."""

    agency_id: int | None  # None: all agencies
    all_agencies: bool

    @classmethod
    def everything(cls) -> Scope:
        return cls(agency_id=None, all_agencies=True)

    def allows_agency(self, agency_id: int | None) -> bool:
        return self.all_agencies or (agency_id is not None and agency_id == self.agency_id)


def scope_for(user: User) -> Scope:
    """The scope of a signed-in user."""
    if sees_all_agencies(user.role):
        return Scope.everything()
    if user.agency_id is None:  # the database forbids this; be safe anyway
        return Scope(agency_id=-1, all_agencies=False)
    return Scope(agency_id=user.agency_id, all_agencies=False)


# How each agency-owned model reaches its agency: a column of its own, or via its equipment.
_OWN_AGENCY_COLUMN: dict[type, Any] = {
    Agency: Agency.id,
    Site: Site.agency_id,
    Equipment: Equipment.agency_id,
    User: User.agency_id,
    AuditEvent: AuditEvent.agency_id,
}
_VIA_EQUIPMENT: dict[type, Any] = {
    Schedule: Schedule.equipment_id,
    WorkOrder: WorkOrder.equipment_id,
    CalibrationResult: CalibrationResult.equipment_id,
}


def scoped(statement: Select[Any], model: type, scope: Scope) -> Select[Any]:
    """Restrict `statement` (which selects from `model`) to the rows the scope may see."""
    if scope.all_agencies:
        return statement
    if model in _OWN_AGENCY_COLUMN:
        return statement.where(_OWN_AGENCY_COLUMN[model] == scope.agency_id)
    if model in _VIA_EQUIPMENT:
        owned = select(Equipment.id).where(Equipment.agency_id == scope.agency_id)
        return statement.where(_VIA_EQUIPMENT[model].in_(owned))
    raise TypeError(f"{model.__name__} is not agency-owned; add it to the scoping helper")


def get_scoped(session: Session, model: type[T], object_id: int, scope: Scope) -> T:
    """One object by id, or NotFound if it does not exist or lies outside the scope."""
    primary_key = model.id  # type: ignore[attr-defined]
    obj = session.execute(
        scoped(select(model).where(primary_key == object_id), model, scope)
    ).scalar_one_or_none()
    if obj is None:
        raise NotFound(f"{model.__name__} {object_id}")
    return obj  # type: ignore[no-any-return]
