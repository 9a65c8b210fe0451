"""Calibration drift stored with each point, so the KPI figures add it up without pairing every
point with the previous calibration's at read time (docs/formulas.md, section 4).

`calibration_point.drift` is |as found − previous as left| as a share of the point's allowed
deviation; NULL when there is nothing to compare (no previous calibration, no matching point,
a missing reading, or a tolerance that allows no deviation). `calibration_result.drift_points`
and `drift_share_total` add up its points. Drift depends on the device's calibration before
this one, so a late entry (an earlier date) changes the drift of the one after it:
`store_drift` recomputes every calibration of the devices given (two UPDATEs).
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Float, and_, case, func, or_, select, type_coerce, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from equiplan.models import CalibrationPoint, CalibrationResult


def store_drift(session: Session, equipment_ids: Collection[int]) -> None:
    """Recompute the stored drift of every calibration point of these devices (after a
    calibration was recorded for them; the caller commits)."""
    if not equipment_ids:
        return
    point = CalibrationPoint.__table__  # type: ignore[attr-defined]
    this = aliased(CalibrationResult)
    before = aliased(CalibrationResult)
    earlier = aliased(CalibrationPoint)
    # The device's calibration just before the point's own (by date, then id), as in the
    # history pages.
    previous_id = (
        select(before.id)
        .select_from(this)
        .join(before, before.equipment_id == this.equipment_id)
        .where(
            this.id == point.c.calibration_id,
            or_(
                before.calibrated_on < this.calibrated_on,
                and_(before.calibrated_on == this.calibrated_on, before.id < this.id),  # type: ignore[operator]
            ),
        )
        .order_by(before.calibrated_on.desc(), before.id.desc())  # type: ignore[attr-defined,union-attr]
        .limit(1)
        # Two levels down from the UPDATE: say which point it belongs to.
        .correlate(point)
        .scalar_subquery()
    )
    # Typed as floats: an untyped division is done in (slow) exact decimals on PostgreSQL.
    allowed = case(
        (point.c.tolerance_kind == "abs", func.abs(point.c.tolerance, type_=Float)),
        else_=func.abs(point.c.tolerance, type_=Float)
        * func.abs(point.c.nominal, type_=Float)
        / 100.0,
    )
    left = func.coalesce(earlier.as_left, earlier.as_found)
    # The matching point of that calibration: same quantity, unit and nominal value, the
    # first by position when it was recorded twice.
    share = (
        select(type_coerce(func.abs(point.c.as_found - left, type_=Float) / allowed, Float))
        .where(
            earlier.calibration_id == previous_id,
            earlier.quantity == point.c.quantity,
            earlier.unit == point.c.unit,
            earlier.nominal == point.c.nominal,
        )
        .order_by(earlier.position)
        .limit(1)
        .scalar_subquery()
    )
    comparable = and_(
        point.c.as_found.is_not(None),
        point.c.tolerance > 0,
        or_(point.c.tolerance_kind == "abs", point.c.nominal != 0),
    )
    devices = sorted(equipment_ids)
    calibrations = select(CalibrationResult.id).where(
        CalibrationResult.equipment_id.in_(devices)  # type: ignore[attr-defined]
    )
    session.execute(
        update(point)
        .where(point.c.calibration_id.in_(calibrations))
        .values(drift=case((comparable, share), else_=None))
    )
    # Each calibration's sums, which the KPI queries read instead of every point.
    result = CalibrationResult.__table__  # type: ignore[attr-defined]
    of_result = point.c.calibration_id == result.c.id
    session.execute(
        update(result)
        .where(result.c.equipment_id.in_(devices))
        .values(
            drift_points=select(func.count(point.c.drift)).where(of_result).scalar_subquery(),
            drift_share_total=select(func.coalesce(func.sum(point.c.drift), 0.0))
            .where(of_result)
            .scalar_subquery(),
        )
    )
