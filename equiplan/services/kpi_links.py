"""Where the records behind a KPI figure are listed: the work-order list (or the equipment
register) with the filters of the figure's group and window (see services/kpis.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class RecordLink:
    """Where the records behind a figure are listed: a Flask endpoint and its query arguments
    (the work-order list's filters for the group and the current window)."""

    endpoint: str
    args: dict[str, object]


@dataclass(frozen=True)
class LinkWindow:
    """The current window's days, for record links: its first and last day, and the day its
    end-of-window figures (the backlog) are counted on."""

    first_day: date
    last_day: date
    as_of: date


GROUP_FILTERS = {"agency": "agency_id", "site": "site_id", "type": "type_id", "model": "model_id"}


def record_links(
    level: str, object_id: int | None, agency_id: int | None, window: LinkWindow | None = None
) -> dict[str, RecordLink]:
    """The lists behind each figure of a group: `failures` (failures, downtime, MTBF, MTTR,
    Ao), `compliance`, `backlog`, `calibrations` (pass rate, drift), `cost` and `items`
    (devices, age against design life).

    With the current `window`, the work-order lists are narrowed to it with the filters the
    figures count by, so that they list exactly the records counted: failures (repairs with a
    failure code by the day they failed), calibrations (by the date calibrated), costs (done
    work with costs by completion) and the backlog (open at the window's end and past due).
    Compliance lists the scheduled work due in the window (its open work may still be within
    its grace window, and occurrences for which no work order was raised have none to list).
    Failures outside a device's time in the fleet, and the devices of an agency at no site,
    are the exceptions the lists cannot tell apart."""
    column = GROUP_FILTERS.get(level)
    group: dict[str, object]
    if level == "item":
        group = {"equipment_id": object_id}
        items = RecordLink("equipment.detail", {"equipment_id": object_id})
    else:
        group = {"agency_id": agency_id} if agency_id is not None else {}
        if object_id is not None and column is not None:
            group[column] = object_id
            items = RecordLink("equipment.index", {column: object_id})
        else:  # the whole scope, or an agency's devices at no site
            items = RecordLink("equipment.index", dict(group))
    dated: dict[str, object] = {}
    backlog_day: dict[str, object] = {}
    if window is not None:
        dated = {"from": window.first_day.isoformat(), "to": window.last_day.isoformat()}
        backlog_day = {"backlog_on": window.as_of.isoformat()}

    def work(**args: object) -> RecordLink:
        return RecordLink("work_orders.index", {**args, **group})

    return {
        "failures": work(kind="corrective", failure=1, status="counted", date="failed", **dated),
        "compliance": work(
            scheduled=1, status="counted", date="due", sort="due_date", desc=0, **dated
        ),
        "backlog": work(status="all", sort="due_date", desc=0, **backlog_day),
        "calibrations": work(
            kind="calibration", status="done", date="calibrated", sort="completed_at", **dated
        ),
        "cost": work(status="done", cost=1, date="completed", sort="completed_at", **dated),
        "items": items,
    }
