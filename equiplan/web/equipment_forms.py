"""Forms of the register: an item's fields, moving it, decommissioning it.

The fields are plain text so that the services parse and check every value, with the same
messages in the pages, the API and the importer; the forms carry the CSRF token, the
`version` the user loaded and the choices to offer.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from equiplan.services.equipment import FilterOptions
from equiplan.services.equipment_write import EDITABLE_STATUSES
from equiplan.web.forms import ServiceForm
from equiplan.web.naming import local_name

BLANK = SelectChoice("", "—")
STATUS_LABELS = {
    "in_service": _l("In service"),
    "out_of_service": _l("Out of service"),
    "in_repair": _l("In repair"),
    "in_storage": _l("In storage"),
}
FUNDING_LABELS = {
    "national": _l("National budget"),
    "donor": _l("Donor programme"),
    "eu": _l("EU"),
    "iaea": _l("IAEA"),
    "other": _l("Other"),
}
CONDITION_LABELS = {"good": _l("Good"), "fair": _l("Fair"), "poor": _l("Poor")}


def _date_field(label: Any) -> StringField:
    return StringField(label, render_kw={"type": "date"})


class EquipmentForm(ServiceForm):
    inventory_no = StringField(_l("Inventory no."), render_kw={"maxlength": 40})
    serial_no = StringField(_l("Serial no."), render_kw={"maxlength": 80})
    model_id = SelectField(_l("Model"), choices=[], validate_choice=False)
    agency_id = SelectField(_l("Agency"), choices=[], validate_choice=False)
    site_id = SelectField(_l("Site"), choices=[], validate_choice=False)
    status = SelectField(_l("Status"), choices=[], validate_choice=False)
    acquired_on = _date_field(_l("Acquired"))
    commissioned_on = _date_field(_l("Commissioned"))
    funding_source = SelectField(_l("Funding source"), choices=[], validate_choice=False)
    acquisition_cost_eur = StringField(
        _l("Acquisition cost, €"), render_kw={"inputmode": "decimal"}
    )
    warranty_end = _date_field(_l("Warranty until"))
    condition = SelectField(_l("Condition"), choices=[], validate_choice=False)
    notes = TextAreaField(_l("Notes"), render_kw={"rows": 3, "maxlength": 4000})
    version = HiddenField()

    def offer(self, options: FilterOptions, own_agency_only: bool) -> None:
        """Fill the choices from the user's scope; officers register for their own agency."""
        type_codes = {t.id: t.code for t in options.types}
        groups: dict[str, list[tuple[str, str]]] = {}
        for model in options.models:
            groups.setdefault(type_codes[model.type_id], []).append(
                (str(model.id), f"{model.manufacturer} {model.name}")
            )
        self.model_id.choices = {"": [("", "—")], **dict(sorted(groups.items()))}
        if own_agency_only:
            del self.agency_id
        else:
            self.agency_id.choices = [BLANK] + [
                SelectChoice(str(a.id), f"{a.code} — {local_name(a)}") for a in options.agencies
            ]
        self.site_id.choices = [BLANK] + [
            SelectChoice(str(s.id), f"{s.code} — {local_name(s)}") for s in options.sites
        ]
        self.status.choices = [SelectChoice(s, STATUS_LABELS[s]) for s in EDITABLE_STATUSES]
        self.funding_source.choices = [SelectChoice(k, v) for k, v in FUNDING_LABELS.items()]
        self.condition.choices = [SelectChoice(k, v) for k, v in CONDITION_LABELS.items()]


class MoveForm(FlaskForm):
    site_id = SelectField(_l("New site"), choices=[], validate_choice=False)
    version = HiddenField()


class DecommissionForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 3, "maxlength": 500})
    decommissioned_on = _date_field(_l("Decommissioned on"))
    version = HiddenField()
