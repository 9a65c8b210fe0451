"""Reading calibrations: one with everything computed from its points (deviation, verdict,
drift against the previous one), a page of them, and what the form for a new one starts from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from equiplan.domain.calibration import (
    Point,
    allowed_deviation,
    default_points,
    deviation,
    drift,
    judge,
    previous_point,
    relative_deviation,
)
from equiplan.models import (
    CalibrationPoint,
    CalibrationResult,
    Equipment,
    EquipmentModel,
    EquipmentType,
    WorkOrder,
)
from equiplan.services.errors import ValidationError
from equiplan.services.paging import Page
from equiplan.services.scoping import Scope, get_scoped, scoped

MAX_PER_PAGE = 200
OPEN_WORK = ("open", "in_progress")


# --- the form's starting point -------------------------------------------------------------


@dataclass(frozen=True)
class NewCalibration:
    """What the form to record a calibration of an item starts from."""

    equipment: Equipment
    type_code: str
    open_work_orders: list[WorkOrder]  # open calibration work orders, the oldest due first
    laboratory: str  # the laboratory of the last calibration, if any
    points: tuple[Point, ...]  # the last calibration's points (without readings), or defaults


def new_calibration(session: Session, scope: Scope, equipment_id: int) -> NewCalibration:
    """The item, its open calibration work orders and the points to offer: those of its last
    calibration (so that drift can be shown), else the usual ones for its type.

    Raises NotFound for an item outside the scope.
    """
    item = get_scoped(session, Equipment, equipment_id, scope)
    type_code = session.execute(
        select(EquipmentType.code)
        .join(EquipmentModel, EquipmentModel.type_id == EquipmentType.id)
        .where(EquipmentModel.id == item.model_id)
    ).scalar_one()
    orders = list(
        session.execute(
            select(WorkOrder)
            .where(
                WorkOrder.equipment_id == item.id,
                WorkOrder.kind == "calibration",
                WorkOrder.status.in_(OPEN_WORK),  # type: ignore[attr-defined]
                ~select(CalibrationResult.id)
                .where(CalibrationResult.work_order_id == WorkOrder.id)
                .exists(),
            )
            .order_by(WorkOrder.due_date.is_(None), WorkOrder.due_date, WorkOrder.id)  # type: ignore[union-attr]
        ).scalars()
    )
    last = session.execute(
        select(CalibrationResult)
        .where(CalibrationResult.equipment_id == item.id)
        .order_by(
            CalibrationResult.calibrated_on.desc(),  # type: ignore[attr-defined]
            CalibrationResult.id.desc(),  # type: ignore[union-attr]
        )
        .limit(1)
    ).scalar_one_or_none()
    points: tuple[Point, ...] = default_points(type_code)
    if last is not None:
        previous = [_domain_point(p) for p in _points_of(session, last.id)]  # type: ignore[arg-type]
        if previous:
            points = tuple(
                Point(p.nominal, p.tolerance, p.tolerance_kind, quantity=p.quantity, unit=p.unit)
                for p in previous
            )
    return NewCalibration(
        equipment=item,
        type_code=type_code,
        open_work_orders=orders,
        laboratory=last.laboratory if last else "",
        points=points,
    )


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PointDetail:
    """One point with what is computed from it (None where a reading is missing)."""

    point: CalibrationPoint
    allowed_deviation: float  # ± in the reading's unit
    as_found_deviation: float | None
    as_found_relative: float | None  # % of |nominal|
    as_found_within: bool | None
    left_reading: float | None  # as left, or as found when not adjusted
    as_left_deviation: float | None
    as_left_relative: float | None
    as_left_within: bool | None
    previous_as_left: float | None
    drift: float | None  # as found now − as left at the previous calibration

    @property
    def adjusted(self) -> bool:
        return self.point.as_left is not None


@dataclass(frozen=True)
class CalibrationDetail:
    result: CalibrationResult
    equipment: Equipment
    work_order: WorkOrder
    points: list[PointDetail]
    previous: CalibrationResult | None  # the item's calibration before this one

    @property
    def passed(self) -> bool:
        return self.result.as_left_passed


def _domain_point(point: CalibrationPoint) -> Point:
    return Point(
        nominal=point.nominal,
        tolerance=point.tolerance,
        tolerance_kind=point.tolerance_kind,
        as_found=point.as_found,
        as_left=point.as_left,
        quantity=point.quantity,
        unit=point.unit,
    )


def _points_of(session: Session, calibration_id: int) -> list[CalibrationPoint]:
    return list(
        session.execute(
            select(CalibrationPoint)
            .where(CalibrationPoint.calibration_id == calibration_id)
            .order_by(CalibrationPoint.position)
        ).scalars()
    )


def previous_calibration(session: Session, result: CalibrationResult) -> CalibrationResult | None:
    """The item's calibration just before `result` (by calibration date, then by id)."""
    return session.execute(
        select(CalibrationResult)
        .where(
            CalibrationResult.equipment_id == result.equipment_id,
            CalibrationResult.id != result.id,
            or_(
                CalibrationResult.calibrated_on < result.calibrated_on,
                and_(
                    CalibrationResult.calibrated_on == result.calibrated_on,
                    CalibrationResult.id < result.id,  # type: ignore[operator]
                ),
            ),
        )
        .order_by(
            CalibrationResult.calibrated_on.desc(),  # type: ignore[attr-defined]
            CalibrationResult.id.desc(),  # type: ignore[union-attr]
        )
        .limit(1)
    ).scalar_one_or_none()


def get_calibration(session: Session, scope: Scope, calibration_id: int) -> CalibrationDetail:
    """One calibration with its points, each with deviation, verdict and drift against the
    previous calibration's as-left reading at the same nominal value.

    Raises NotFound when it does not exist or belongs to another agency than `scope` sees.
    """
    result = get_scoped(session, CalibrationResult, calibration_id, scope)
    previous = previous_calibration(session, result)
    earlier = (
        [_domain_point(p) for p in _points_of(session, previous.id)]  # type: ignore[arg-type]
        if previous
        else None
    )
    details = []
    for stored in _points_of(session, calibration_id):
        point = _domain_point(stored)
        verdict = judge(point)
        left = point.left_reading
        match = None if earlier is None else previous_point(point, earlier)
        details.append(
            PointDetail(
                point=stored,
                allowed_deviation=float(
                    allowed_deviation(point.nominal, point.tolerance, point.tolerance_kind)
                ),
                as_found_deviation=_maybe(deviation, stored.as_found, stored.nominal),
                as_found_relative=_maybe(relative_deviation, stored.as_found, stored.nominal),
                as_found_within=verdict.as_found_within,
                left_reading=None if left is None else float(left),
                as_left_deviation=_maybe(deviation, left, stored.nominal),
                as_left_relative=_maybe(relative_deviation, left, stored.nominal),
                as_left_within=verdict.as_left_within,
                previous_as_left=(
                    None
                    if match is None or match.left_reading is None
                    else float(match.left_reading)
                ),
                drift=drift(point, earlier),
            )
        )
    return CalibrationDetail(
        result=result,
        equipment=session.get_one(Equipment, result.equipment_id),
        work_order=session.get_one(WorkOrder, result.work_order_id),
        points=details,
        previous=previous,
    )


def _maybe(function: Any, reading: Any, nominal: float) -> Any:
    return None if reading is None else function(reading, nominal)


@dataclass(frozen=True)
class CalibrationRow:
    result: CalibrationResult
    inventory_no: str


# One page of the calibration list.
CalibrationPage = Page[CalibrationRow]


def list_calibrations(
    session: Session,
    scope: Scope,
    *,
    equipment_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> CalibrationPage:
    """Calibrations in the scope (of one item, if given), newest first, one page of them
    with the total count: two queries whatever the page size.

    Raises NotFound for an item outside the scope, ValidationError for a bad page or size.
    """
    errors: dict[str, object] = {}
    if page < 1:
        errors["page"] = _l("The page number starts at 1.")
    if not 1 <= per_page <= MAX_PER_PAGE:
        errors["per_page"] = _l("Between 1 and %(n)d per page.", n=MAX_PER_PAGE)
    if errors:
        raise ValidationError(errors)
    conditions = []
    if equipment_id is not None:
        get_scoped(session, Equipment, equipment_id, scope)
        conditions.append(CalibrationResult.equipment_id == equipment_id)
    total = session.execute(
        scoped(
            select(func.count(CalibrationResult.id)).where(*conditions),  # type: ignore[arg-type]
            CalibrationResult,
            scope,
        )
    ).scalar_one()
    statement = (
        scoped(
            select(CalibrationResult, Equipment.inventory_no)
            .join(Equipment, Equipment.id == CalibrationResult.equipment_id)
            .where(*conditions),
            CalibrationResult,
            scope,
        )
        .order_by(
            CalibrationResult.calibrated_on.desc(),  # type: ignore[attr-defined]
            CalibrationResult.id.desc(),  # type: ignore[union-attr]
        )
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = [
        CalibrationRow(result, inventory_no) for result, inventory_no in session.execute(statement)
    ]
    return Page(items=items, total=total, page=page, per_page=per_page)
