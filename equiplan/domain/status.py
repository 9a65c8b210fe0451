"""Operational state of an item (domain.md, "Status rules")."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class NotOperationalReason(StrEnum):
    NOT_IN_SERVICE = "not_in_service"
    CALIBRATION_OVERDUE = "calibration_overdue"
    OPEN_DOWNTIME = "open_downtime"


@dataclass(frozen=True)
class OperationalState:
    operational: bool
    reasons: tuple[NotOperationalReason, ...] = field(default=())


def operational_state(
    status: str, calibration_overdue: bool, open_corrective_downtime: bool
) -> OperationalState:
    """An item is operational only if it is in service, no calibration is past its grace
    window, and no corrective work order has open downtime. All failing reasons are given."""
    reasons: list[NotOperationalReason] = []
    if status != "in_service":
        reasons.append(NotOperationalReason.NOT_IN_SERVICE)
    if calibration_overdue:
        reasons.append(NotOperationalReason.CALIBRATION_OVERDUE)
    if open_corrective_downtime:
        reasons.append(NotOperationalReason.OPEN_DOWNTIME)
    return OperationalState(operational=not reasons, reasons=tuple(reasons))
