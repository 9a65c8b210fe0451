"""Forms of the schedule pages: add a schedule to an item, change it, pause or resume it.

The fields are plain text so that the service checks every value with the same messages as the
JSON API; the forms carry the CSRF token, the `version` the user loaded and the choices.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from equiplan.models import Schedule
from equiplan.models.schedule import ANCHORS, INTERVAL_UNITS, SCHEDULE_KINDS
from equiplan.services.schedules import DEFAULT_ANCHOR, DEFAULT_GRACE_DAYS, DEFAULT_LEAD_DAYS
from equiplan.services.work_order_input import KIND_LABELS
from equiplan.web.forms import ServiceForm

UNIT_LABELS = {"days": _l("days"), "months": _l("months"), "years": _l("years")}
ANCHOR_LABELS = {
    "fixed": _l("Fixed: from the previous due date"),
    "completion": _l("From the last completion"),
}
# A new item's most common plan: yearly calibration, reminders a month ahead.
NEW_DEFAULTS = {
    "kind": "calibration",
    "interval_value": "12",
    "interval_unit": "months",
    "anchor": DEFAULT_ANCHOR,
    "lead_days": str(DEFAULT_LEAD_DAYS),
    "grace_days": str(DEFAULT_GRACE_DAYS),
}
_DAYS = {"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": 3}


class ScheduleForm(ServiceForm):
    kind = SelectField(_l("Kind of work"), choices=[], validate_choice=False)
    interval_value = StringField(
        _l("Every"), render_kw={"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": 4}
    )
    interval_unit = SelectField(_l("Unit"), choices=[], validate_choice=False)
    anchor = SelectField(_l("Counted from"), choices=[], validate_choice=False)
    next_due = StringField(_l("Next due"), render_kw={"type": "date"})
    lead_days = StringField(_l("Lead days"), render_kw=_DAYS)
    grace_days = StringField(_l("Grace days"), render_kw=_DAYS)
    version = HiddenField()

    def offer(self, new: bool) -> None:
        """Fill the choices; the kind of work is chosen only when the schedule is added."""
        if new:
            self.kind.choices = [SelectChoice(k, KIND_LABELS[k]) for k in SCHEDULE_KINDS]
        else:
            del self.kind
        self.interval_unit.choices = [SelectChoice(u, UNIT_LABELS[u]) for u in INTERVAL_UNITS]
        self.anchor.choices = [SelectChoice(a, ANCHOR_LABELS[a]) for a in ANCHORS]


def filled_form(schedule: Schedule) -> ScheduleForm:
    """The edit form showing the schedule as stored."""
    return ScheduleForm(
        formdata=None,
        interval_value=str(schedule.interval_value),
        interval_unit=schedule.interval_unit,
        anchor=schedule.anchor,
        next_due=schedule.next_due.isoformat(),
        lead_days=str(schedule.lead_days),
        grace_days=str(schedule.grace_days),
        version=str(schedule.version),
    )


class ScheduleStateForm(FlaskForm):
    """Pause or resume: a POST with the CSRF token and the version shown on the item page."""

    version = HiddenField()
