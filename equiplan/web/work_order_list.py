"""The work-order list's narrow filters (those the KPI figures link to and the list's form does
not offer): which are set, as query arguments to keep, and as short lines to show."""

from __future__ import annotations

from flask_babel import format_date
from flask_babel import gettext as _

from equiplan.services.work_order_filters import WorkOrderQuery

NARROW = ("site_id", "type_id", "model_id", "with_failure", "with_cost", "scheduled", "backlog_on")


def narrow_filters(query: WorkOrderQuery) -> dict[str, object]:
    """The narrow filters set in `query`, as query-string arguments."""
    everything = query.as_args()
    cleared = query.as_args(**dict.fromkeys(NARROW))
    return {name: value for name, value in everything.items() if name not in cleared}


def narrow_filter_lines(query: WorkOrderQuery) -> list[str]:
    """What each narrow filter set in `query` keeps, in words."""
    lines = []
    if query.site_id is not None:
        lines.append(_("One site"))
    if query.type_id is not None:
        lines.append(_("One equipment type"))
    if query.model_id is not None:
        lines.append(_("One model"))
    if query.with_failure:
        lines.append(_("With a failure code"))
    if query.with_cost:
        lines.append(_("With costs"))
    if query.scheduled:
        lines.append(_("Scheduled work"))
    if query.backlog_on is not None:
        lines.append(
            _("Open and past due at the end of %(day)s", day=format_date(query.backlog_on))
        )
    return lines
