"""Aggregates of calibrations for the KPIs: pass rate (as found) and drift against the previous
calibration, per point, as a share of its tolerance (stored with each calibration, so one pass
over the window's calibrations gives both). See kpi_aggregates.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func
from sqlalchemy.sql import Subquery

from equiplan.models import CalibrationResult
from equiplan.services.kpi_periods import Periods, count_if, tagged, window_of


def calibration_results(items: Subquery, periods: Periods) -> Select[Any]:
    """Calibrations in each window, those whose as-found readings were all in tolerance, and
    the drift of their points against the previous calibration (|as found − previous as
    left| as a share of the point's tolerance, stored when each was recorded; see
    services/calibration_drift.py)."""
    day = CalibrationResult.calibrated_on
    passed = CalibrationResult.as_found_passed.is_(True)  # type: ignore[attr-defined]
    return (
        tagged(
            items,
            window_of(day, periods.current.first_day),
            func.count().label("calibrations"),
            count_if(passed).label("calibrations_passed"),
            # Drift is stored with each calibration, added up over its points.
            func.coalesce(func.sum(CalibrationResult.drift_points), 0).label("drift_points"),
            func.coalesce(func.sum(CalibrationResult.drift_share_total), 0.0).label(
                "drift_share_total"
            ),
        )
        .select_from(items)
        .join(CalibrationResult, CalibrationResult.equipment_id == items.c.eq)
        .where(
            day >= periods.previous.first_day,
            day <= periods.current.last_day,
        )
    )
