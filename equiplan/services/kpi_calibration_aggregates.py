"""Aggregates of calibrations for the KPIs: pass rate (as found) and drift against the previous
calibration, per point, as a share of its tolerance. See kpi_aggregates.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Select, and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Subquery

from equiplan.models import CalibrationPoint, CalibrationResult
from equiplan.services.kpi_periods import Periods, count_if, tagged, window_of


def _calibrations(items: Subquery, periods: Periods) -> Subquery:
    """The group's calibrations up to the current window's end, each with the id of the
    device's calibration before it (by date, then id)."""
    previous_id = func.lag(CalibrationResult.id).over(
        partition_by=CalibrationResult.equipment_id,
        order_by=(CalibrationResult.calibrated_on, CalibrationResult.id),
    )
    return (
        select(
            items.c.k1,
            items.c.k2,
            CalibrationResult.id,
            CalibrationResult.calibrated_on,
            previous_id.label("previous_id"),
        )
        .select_from(items)
        .join(CalibrationResult, CalibrationResult.equipment_id == items.c.eq)
        .where(CalibrationResult.calibrated_on <= periods.current.last_day)  # type: ignore[operator]
        .subquery("calibrations")
    )


def calibration_results(items: Subquery, periods: Periods) -> Select[Any]:
    """Calibrations in each window and those whose as-found readings were all in tolerance."""
    day = CalibrationResult.calibrated_on
    passed = CalibrationResult.as_found_passed.is_(True)  # type: ignore[attr-defined]
    return (
        tagged(
            items,
            window_of(day, periods.current.first_day),
            func.count().label("calibrations"),
            count_if(passed).label("calibrations_passed"),
        )
        .select_from(items)
        .join(CalibrationResult, CalibrationResult.equipment_id == items.c.eq)
        .where(
            day >= periods.previous.first_day,
            day <= periods.current.last_day,
        )
    )


def drift(items: Subquery, periods: Periods) -> Select[Any]:
    """|as found − previous as left| per point, as a share of the point's tolerance, for the
    calibrations in each window (the previous point: same quantity, unit and nominal value,
    the first such by position; its as-left reading, or as found when it was not adjusted)."""
    calibrations = _calibrations(items, periods)
    point, earlier = aliased(CalibrationPoint), aliased(CalibrationPoint)
    # Typed as floats: an untyped division is done in (slow) exact decimals on PostgreSQL.
    allowed = type_coerce(
        case(
            (point.tolerance_kind == "abs", func.abs(point.tolerance, type_=Float)),
            else_=func.abs(point.tolerance, type_=Float)
            * func.abs(point.nominal, type_=Float)
            / 100.0,
        ),
        Float,
    )
    left = func.coalesce(earlier.as_left, earlier.as_found)
    # A point recorded twice in the previous calibration matches twice: number the matches
    # of each point by position and keep the first (cheaper than ruling out every earlier
    # twin, as pairs are few and twins rare).
    order = func.row_number().over(partition_by=point.id, order_by=earlier.position)
    pairs = (
        select(
            calibrations.c.k1,
            calibrations.c.k2,
            calibrations.c.calibrated_on,
            (func.abs(point.as_found - left, type_=Float) / allowed).label("share"),
            order.label("match"),
        )
        .select_from(calibrations)
        .join(point, point.calibration_id == calibrations.c.id)
        .join(
            earlier,
            and_(
                earlier.calibration_id == calibrations.c.previous_id,
                earlier.quantity == point.quantity,
                earlier.unit == point.unit,
                earlier.nominal == point.nominal,
            ),
        )
        .where(
            calibrations.c.calibrated_on >= periods.previous.first_day,
            point.as_found.is_not(None),  # type: ignore[union-attr]
            # The tolerance allows some deviation (written plainly, so the planner can
            # estimate it: the expression itself would be a guess).
            point.tolerance > 0,
            or_(point.tolerance_kind == "abs", point.nominal != 0),
        )
        .subquery("pairs")
    )
    tag = window_of(pairs.c.calibrated_on, periods.current.first_day).label("w")
    return (
        select(
            pairs.c.k1,
            pairs.c.k2,
            tag,
            func.count().label("drift_points"),
            func.sum(pairs.c.share).label("drift_share_total"),
        )
        .where(pairs.c.match == 1, pairs.c.share.is_not(None))
        .group_by(pairs.c.k1, pairs.c.k2, tag)
    )
