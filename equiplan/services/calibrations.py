"""Calibration results: record one (with its certificate file and readings), read, list, correct.

Web pages and the JSON API call the same functions with plain values: numbers may come as
numbers or as text (a decimal comma is fine), dates as `date` or ISO text. Every problem is
reported at once in a `ValidationError` keyed by field name (`laboratory`,
`points[2].as_found`, `certificate`, …). Recording is one transaction: the calibration work
order is closed, the result and its points are written, the item is flagged for review or
taken out of service as the readings say, and the calibration schedule moves on — or, on any
error, nothing is written and no file is left behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Final

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from equiplan.domain.calibration import Point, evaluate
from equiplan.models import (
    CalibrationPoint,
    CalibrationResult,
    Equipment,
    Schedule,
    WorkOrder,
    utcnow,
)
from equiplan.services.calibration_drift import store_drift
from equiplan.services.calibration_history import (
    OPEN_WORK,
    CalibrationDetail,
    CalibrationPage,
    CalibrationRow,
    NewCalibration,
    PointDetail,
    get_calibration,
    list_calibrations,
    new_calibration,
    previous_calibration,
)
from equiplan.services.calibration_input import (
    LENGTHS,
    PointInput,
    check_dates,
    check_points,
    check_text,
    parse_date,
)
from equiplan.services.certificates import (
    CertificateStore,
    CertificateUpload,
    check_upload,
    download_name,
    kind_of_stored,
)
from equiplan.services.errors import Conflict, NotFound, ValidationError
from equiplan.services.kpi_on_time import DEFAULT_TIMEZONE, completed_on_time
from equiplan.services.schedule_completion import advance_schedule, matching_schedule
from equiplan.services.scoping import Scope, get_scoped

# The reading side lives in calibration_history; callers import everything from here.
__all__ = [
    "KEEP",
    "CalibrationDetail",
    "CalibrationPage",
    "CalibrationRow",
    "CertificateStore",
    "CertificateUpload",
    "NewCalibration",
    "NoCertificateFile",
    "PointDetail",
    "PointInput",
    "certificate_for_download",
    "get_calibration",
    "list_calibrations",
    "new_calibration",
    "previous_calibration",
    "record_calibration",
    "update_calibration",
]


class _Keep:
    """The value of an argument that was not given: leave the field as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()


NEW_WORK_ORDER = "new"


class NoCertificateFile(NotFound):
    """The calibration exists (and is in scope) but no certificate file was uploaded for it."""


def _work_order(
    session: Session, errors: dict[str, object], item: Equipment, work_order_id: Any
) -> WorkOrder | None:
    """The open calibration work order of `item` to close, or None to open a new one.

    Without a choice, the item's oldest open calibration work order is closed (so that
    recording a calibration never leaves the planned one open beside a new one); "new" asks
    for a new one explicitly.
    """
    if work_order_id == NEW_WORK_ORDER:
        return None
    if work_order_id is None or work_order_id == "":
        return session.execute(
            select(WorkOrder)
            .where(
                WorkOrder.equipment_id == item.id,
                WorkOrder.kind == "calibration",
                WorkOrder.status.in_(OPEN_WORK),  # type: ignore[attr-defined]
                ~select(CalibrationResult.id)
                .where(CalibrationResult.work_order_id == WorkOrder.id)
                .exists(),
            )
            .order_by(WorkOrder.opened_at, WorkOrder.id)
            .limit(1)
        ).scalar_one_or_none()
    try:
        order = session.get(WorkOrder, int(work_order_id))
    except (TypeError, ValueError):
        order = None
    if (
        order is None
        or order.equipment_id != item.id
        or order.kind != "calibration"
        or order.status not in OPEN_WORK
    ):
        errors["work_order_id"] = _l("Choose an open calibration work order of this item.")
        return None
    taken = session.execute(
        select(CalibrationResult.id).where(CalibrationResult.work_order_id == order.id)
    ).first()
    if taken:
        errors["work_order_id"] = _l("This work order already has a calibration result.")
        return None
    return order


# --- recording ------------------------------------------------------------------------------


def record_calibration(
    session: Session,
    scope: Scope,
    *,
    equipment_id: int,
    recorded_by_id: int | None,
    laboratory: Any,
    certificate_no: Any,
    calibrated_on: Any,
    valid_until: Any,
    points: Sequence[PointInput],
    certificate: CertificateUpload | None = None,
    certificate_store: CertificateStore | None = None,
    work_order_id: Any = None,
    notes: Any = "",
    today: date | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> CalibrationResult:
    """Record a calibration of one item and close its work order, in one transaction.

    - `work_order_id`: the item's open calibration work order to close; without it a new
      one is opened (tied to the item's calibration schedule, if any) and closed at once.
    - `points`: in the order given (position 1, 2, …). Each needs a nominal value, a
      tolerance (`tolerance_kind` "abs" or "pct") and an as-found or as-left reading; a
      missing as-left reading means the instrument was left as found.
    - `certificate`: the certificate file (PDF, PNG or JPEG, at most
      `certificate_store.max_bytes`), stored in `certificate_store` under a random name.
    - `valid_until` may be None; `calibrated_on` may not be after `today` (default: the
      server's date).
    - `timezone`: the app's TIMEZONE, for the local date on which the work order was closed
      (whether scheduled work was on time).

    The work order's result is "pass" when every point was left within tolerance, else
    "fail". Any as-found reading out of tolerance flags the item for review. When the item
    was left out of tolerance, an item in service is put out of service, and the schedule
    does not move on (the item still needs a good calibration); nor does it for a calibration
    dated on or before the schedule's last completion (a late entry). An item that was out of
    service stays so after a good calibration: putting it back is an officer's decision.

    Raises NotFound for an item outside `scope`, ValidationError naming every bad field,
    Conflict when the item was changed at the same moment by someone else.
    """
    item = get_scoped(session, Equipment, equipment_id, scope)
    today = today or date.today()
    errors: dict[str, object] = {}
    if item.status == "decommissioned":
        errors["equipment_id"] = _l("A decommissioned item cannot be calibrated.")
    lab = check_text(errors, "laboratory", laboratory, required=True)
    number = check_text(errors, "certificate_no", certificate_no, required=True)
    note = check_text(errors, "notes", notes, required=False)
    done_on, until = check_dates(errors, calibrated_on, valid_until, today)
    checked = check_points(errors, points)
    order = _work_order(session, errors, item, work_order_id)
    kind = None
    if certificate is not None:
        if certificate_store is None:
            raise TypeError("a certificate needs a certificate_store to be kept in")
        kind, problem = check_upload(certificate, certificate_store)
        if problem:
            errors["certificate"] = problem
    if errors:
        raise ValidationError(errors)
    assert done_on is not None  # checked above

    evaluation = evaluate(checked)
    stored_name = None
    if certificate is not None and certificate_store is not None and kind is not None:
        stored_name = certificate_store.save(certificate.data, kind)
    try:
        result = _write(
            session,
            item,
            order,
            evaluation.as_found_passed,
            evaluation.as_left_passed,
            checked,
            recorded_by_id=recorded_by_id,
            notes=note,
            timezone=timezone,
            values={
                "laboratory": lab,
                "certificate_no": number,
                "calibrated_on": done_on,
                "valid_until": until,
                "certificate_file": stored_name,
                "certificate_filename": (
                    download_name(certificate.filename, kind)
                    if certificate is not None and kind is not None
                    else None
                ),
            },
        )
        session.commit()
    except BaseException as error:
        session.rollback()
        if stored_name is not None and certificate_store is not None:
            certificate_store.discard(stored_name)
        if isinstance(error, IntegrityError) and "work_order_id" in str(error.orig):
            # Somebody recorded a result for the same work order a moment before.
            raise ValidationError(
                {"work_order_id": _l("This work order already has a calibration result.")}
            ) from error
        if isinstance(error, StaleDataError):
            raise Conflict(_l("Somebody else changed this item at the same moment.")) from error
        raise
    return result


def _write(
    session: Session,
    item: Equipment,
    order: WorkOrder | None,
    as_found_passed: bool,
    as_left_passed: bool,
    points: list[Point],
    *,
    recorded_by_id: int | None,
    notes: str,
    timezone: str,
    values: dict[str, Any],
) -> CalibrationResult:
    """The writes of `record_calibration` (committed by it)."""
    now = utcnow()
    schedule: Schedule | None = None
    if order is not None and order.schedule_id is not None:
        schedule = session.get(Schedule, order.schedule_id)
    if schedule is None or not schedule.active:
        schedule = matching_schedule(session, item.id, "calibration")  # type: ignore[arg-type]
    if order is None:
        order = WorkOrder(
            equipment_id=item.id,  # type: ignore[arg-type]
            kind="calibration",
            schedule_id=schedule.id if schedule else None,
            due_date=schedule.next_due if schedule else None,
            opened_at=now,
            opened_by_id=recorded_by_id,
            notes=notes,
        )
        session.add(order)
    elif notes:
        order.notes = f"{order.notes}\n{notes}".strip()[: LENGTHS["notes"]]
    order.status = "done"
    order.completed_at = now
    order.result = "pass" if as_left_passed else "fail"
    order.technician_id = order.technician_id or recorded_by_id
    # Judged once, now (done is final): on-time compliance counts this flag.
    judged_by = schedule if schedule is not None and order.schedule_id == schedule.id else None
    order.completed_on_time = completed_on_time(now, order.due_date, judged_by, timezone)
    session.flush()

    result = CalibrationResult(
        work_order_id=order.id,  # type: ignore[arg-type]
        equipment_id=item.id,  # type: ignore[arg-type]
        as_found_passed=as_found_passed,
        as_left_passed=as_left_passed,
        **values,
    )
    session.add(result)
    session.flush()
    for position, point in enumerate(points, start=1):
        session.add(
            CalibrationPoint(
                calibration_id=result.id,  # type: ignore[arg-type]
                position=position,
                quantity=point.quantity,
                unit=point.unit,
                nominal=float(point.nominal),
                as_found=None if point.as_found is None else float(point.as_found),
                as_left=None if point.as_left is None else float(point.as_left),
                tolerance=float(point.tolerance),
                tolerance_kind=str(point.tolerance_kind),
            )
        )
    session.flush()
    # Drift against the previous calibration is kept with each point (a late entry also
    # changes the one after it), so the KPI figures only add it up.
    store_drift(session, [item.id])  # type: ignore[list-item]

    if not as_found_passed and not item.flagged_for_review:
        item.flagged_for_review = True
        item.updated_at = now
    if not as_left_passed and item.status == "in_service":
        item.status = "out_of_service"
        item.updated_at = now
    # A calibration completes the schedule's cycle only when it was good and is the latest:
    # a certificate entered late for an earlier date must not move the due date again.
    done_on = values["calibrated_on"]
    if (
        as_left_passed
        and schedule is not None
        and (schedule.last_completed is None or done_on > schedule.last_completed)
    ):
        advance_schedule(schedule, done_on)
    return result


# --- correcting -----------------------------------------------------------------------------


def update_calibration(
    session: Session,
    scope: Scope,
    calibration_id: int,
    *,
    version: Any,
    laboratory: Any = KEEP,
    certificate_no: Any = KEEP,
    valid_until: Any = KEEP,
) -> CalibrationResult:
    """Correct the certificate data of a calibration last read at `version`.

    Only the arguments given change (`valid_until=None` clears the date). The readings are
    not corrected here: a wrong reading is a new calibration record. Raises NotFound,
    ValidationError by field, or Conflict when the calibration changed since `version`.
    """
    result = get_scoped(session, CalibrationResult, calibration_id, scope)
    try:
        expected = int(version)
    except (TypeError, ValueError):
        raise ValidationError({"version": _l("The version you loaded is required.")}) from None
    if result.version != expected:
        raise Conflict(
            _l(
                "Somebody else changed this calibration while you were editing it. "
                "Reload to see their changes."
            )
        )
    errors: dict[str, object] = {}
    changes: dict[str, Any] = {}
    if laboratory is not KEEP:
        changes["laboratory"] = check_text(errors, "laboratory", laboratory, required=True)
    if certificate_no is not KEEP:
        changes["certificate_no"] = check_text(
            errors, "certificate_no", certificate_no, required=True
        )
    if valid_until is not KEEP:
        try:
            until = parse_date(valid_until)
        except (TypeError, ValueError):
            errors["valid_until"] = _l("Enter a date as YYYY-MM-DD.")
        else:
            if until is not None and until <= result.calibrated_on:
                errors["valid_until"] = _l(
                    "The certificate must be valid after the calibration date."
                )
            changes["valid_until"] = until
    if errors:
        raise ValidationError(errors)
    for name, value in changes.items():
        setattr(result, name, value)
    try:
        session.commit()
    except StaleDataError as error:
        session.rollback()
        raise Conflict(
            _l("Somebody else changed this calibration at the same moment. Reload and try again.")
        ) from error
    return result


# --- the certificate file -------------------------------------------------------------------


def certificate_for_download(
    session: Session, scope: Scope, calibration_id: int, store: CertificateStore
) -> tuple[Path, str, str]:
    """The certificate file of a calibration: (path, name to offer, mimetype).

    Raises NotFound when the calibration is outside the scope or its file is missing from
    the store, and its subclass NoCertificateFile when none was uploaded.
    """
    result = get_scoped(session, CalibrationResult, calibration_id, scope)
    if not result.certificate_file:
        raise NoCertificateFile(f"calibration {calibration_id} has no certificate file")
    try:
        path = store.path_of(result.certificate_file)
    except ValueError:
        raise NotFound(f"calibration {calibration_id}: unusable file name") from None
    if not path.is_file():
        raise NotFound(f"calibration {calibration_id}: certificate file missing from the store")
    kind = kind_of_stored(result.certificate_file)
    return path, result.certificate_filename or f"certificate{kind.extension}", kind.mimetype
