"""The target restore time of corrective work, applied in one place.

The rule itself (hours by site criticality) is `domain/repairs.py`; this module looks up the
item's site and keeps `WorkOrder.target_restore_at` in step: set when a repair is opened,
recomputed when its downtime start is corrected, kept as history once the order is closed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from equiplan.domain.repairs import is_late, restore_target
from equiplan.models import Equipment, Site, WorkOrder

ACTIVE_STATUSES = ("open", "in_progress")
SECONDS_PER_HOUR = 3600


def restore_target_for(session: Session, item: Equipment, started: datetime) -> datetime:
    """When `item` should work again after a fault that started at `started`: from the
    criticality of its site (no site, or a site not open: the slowest target)."""
    site = session.get(Site, item.site_id) if item.site_id is not None else None
    if site is None:
        return restore_target(started, None, site_open=False)
    return restore_target(started, site.criticality, site_open=site.status == "open")


def apply_restore_target(session: Session, order: WorkOrder, item: Equipment) -> None:
    """Set the target of a corrective order from its downtime start (or, without one, from
    when it was reported); other kinds of work have none."""
    if order.kind != "corrective":
        order.target_restore_at = None
        return
    order.target_restore_at = restore_target_for(
        session, item, order.downtime_start or order.opened_at
    )


@dataclass(frozen=True)
class RestoreStatus:
    """Where an unfinished repair stands against its target: `hours` late, or `hours` left
    (to the nearest whole hour, at least 1: "due in 1 h" may mean a few minutes)."""

    target: datetime
    late: bool
    hours: int

    @property
    def urgent(self) -> bool:
        """Less than a day left: worth a warning before it is late."""
        return not self.late and self.hours <= 24


def restore_status(order: WorkOrder, now: datetime) -> RestoreStatus | None:
    """How an open or running repair stands against its target (None when the order has no
    target or is closed: a closed order's target is history, not a deadline)."""
    target = order.target_restore_at
    if target is None or order.status not in ACTIVE_STATUSES:
        return None
    hours = math.floor(abs((now - target).total_seconds()) / SECONDS_PER_HOUR + 0.5)
    return RestoreStatus(target=target, late=is_late(target, now), hours=max(1, hours))
