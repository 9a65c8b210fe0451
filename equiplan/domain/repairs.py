"""Repairs are scheduled too: the target restore time of corrective work (domain.md).

A fault on a lane at an open, critical border crossing must be fixed within two days; a spare
dosimeter in a warehouse can wait weeks. The target follows the criticality (1–5) of the site
where the item stands; an item at a closed site, or at no site, gets the slowest target.
"""

from __future__ import annotations

from datetime import datetime, timedelta

# Hours from the start of downtime (or the report) to restored service, by site criticality.
RESTORE_HOURS_BY_CRITICALITY: dict[int, int] = {5: 48, 4: 72, 3: 120, 2: 240, 1: 480}
RESTORE_HOURS_NO_OPEN_SITE = 720


def target_restore_hours(criticality: int | None, site_open: bool) -> int:
    """Hours allowed to restore an item at a site of `criticality` (None: no site)."""
    if criticality is None or not site_open:
        return RESTORE_HOURS_NO_OPEN_SITE
    if criticality not in RESTORE_HOURS_BY_CRITICALITY:
        raise ValueError(f"criticality must be 1-5, not {criticality}")
    return RESTORE_HOURS_BY_CRITICALITY[criticality]


def restore_target(started: datetime, criticality: int | None, site_open: bool) -> datetime:
    """When service should be restored for a fault that started at `started`."""
    return started + timedelta(hours=target_restore_hours(criticality, site_open))


def is_late(target: datetime, now: datetime) -> bool:
    """The repair has run past its target restore time."""
    return now > target
