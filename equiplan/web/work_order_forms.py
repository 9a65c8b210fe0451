"""Forms of the work-order pages: open (report a fault / new work), edit, close, start, cancel.

Most fields are plain text so that the service checks every value with the same messages as
the JSON API. Two conversions belong here because they are about how people type: times are
entered as local wall-clock time (config TIMEZONE) and handed on as UTC, and money is typed
in euros ("12,50" or "12.50") and handed on as cents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from equiplan.models import User
from equiplan.models.work import WORK_KINDS, WORK_RESULTS
from equiplan.services import input_fields
from equiplan.services import work_order_input as inputs
from equiplan.services.work_order_input import KIND_LABELS
from equiplan.web.forms import ServiceForm

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
RESULT_LABELS = {"pass": _l("Passed"), "fail": _l("Failed"), "conditional": _l("Conditional")}
# Service field name -> form field name, where the form asks in other units.
FORM_NAMES = {"parts_cost_cents": "parts_cost", "external_cost_cents": "external_cost"}


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_input_value(moment: datetime | None) -> str:
    """A UTC moment as the value of a datetime-local input (local time, to the minute)."""
    return "" if moment is None else moment.astimezone(local_zone()).strftime(LOCAL_FORMAT)


def now_input_value() -> str:
    return local_input_value(datetime.now(UTC))


def _local_to_utc(text: str | None) -> datetime | None:
    """A datetime-local value (local wall-clock time) as an aware UTC moment; blank is None."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        naive = datetime.strptime(text[:16], LOCAL_FORMAT)
        moment = naive.replace(tzinfo=local_zone()).astimezone(UTC)
    except (ValueError, OverflowError):  # overflow: the first hours of year 1, say
        raise ValueError(_l("Not a date and time.")) from None
    return input_fields.timestamp(moment)  # the same year range as every other entry point


def _local_field(label: Any) -> StringField:
    return StringField(label, render_kw={"type": "datetime-local"})


class _WorkOrderForm(ServiceForm):
    def show_errors(
        self, errors: Mapping[str, str], own: Mapping[str, str] | None = None
    ) -> list[str]:
        """Put each service error next to its field, the form's own conversion messages
        before the service's for the same field; returns those that belong to no field."""
        by_field = {FORM_NAMES.get(name, name): message for name, message in errors.items()}
        by_field.update(own or {})
        return super().show_errors(by_field)

    def _convert(
        self, names: Iterable[str], values: dict[str, Any], errors: dict[str, str]
    ) -> None:
        """Local times to UTC and euros to cents, for the fields of `names` this form has.

        A value that cannot be converted gets its message in `errors` and is handed on as a
        value the service refuses (the typed text; a negative amount). So the service still
        reports every other problem at once, and nothing can be written.
        """
        for name in names:
            field: Field | None = self._fields.get(name)
            if field is None:
                continue
            if name in ("parts_cost", "external_cost"):
                try:
                    values[f"{name}_cents"] = inputs.euros(field.data)
                except ValueError as error:
                    errors[name] = str(error)
                    values[f"{name}_cents"] = -1
            else:
                try:
                    values[name] = _local_to_utc(field.data)
                except ValueError as error:
                    errors[name] = str(error)
                    values[name] = str(field.data)


def _technician_choices(people: Iterable[User]) -> list[SelectChoice]:
    return [SelectChoice("", _l("— nobody yet —"))] + [
        SelectChoice(str(person.id), person.name or person.email) for person in people
    ]


class OpenWorkOrderForm(_WorkOrderForm):
    """Report a fault (kind corrective) or open other work (kind chosen)."""

    kind = SelectField(_l("Kind of work"), choices=[], validate_choice=False)
    symptom = TextAreaField(_l("Symptom"), render_kw={"rows": 3, "maxlength": 2000})
    failure_code = StringField(_l("Failure code"))
    downtime_start = _local_field(_l("Out of operation since"))
    due_date = StringField(_l("Due date"), render_kw={"type": "date"})
    technician_id = SelectField(_l("Technician"), choices=[], validate_choice=False)
    notes = TextAreaField(_l("Notes"), render_kw={"rows": 3, "maxlength": 4000})

    def offer(self, fault: bool, people: Iterable[User]) -> None:
        """A fault report has no kind to choose; other work has no symptom or failure."""
        self.technician_id.choices = _technician_choices(people)
        if fault:
            del self.kind
        else:
            del self.symptom
            del self.failure_code
            del self.downtime_start
            self.kind.choices = [
                SelectChoice(kind, KIND_LABELS[kind]) for kind in WORK_KINDS if kind != "corrective"
            ]

    def values(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The service's keyword arguments, and the problems found converting them."""
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name in ("kind", "symptom", "failure_code", "due_date", "technician_id", "notes"):
            if name in self._fields:
                values[name] = self._fields[name].data
        self._convert(("downtime_start",), values, errors)
        return values, errors


class EditWorkOrderForm(OpenWorkOrderForm):
    version = HiddenField()

    def offer_for(self, kind: str, people: Iterable[User]) -> None:
        self.offer(kind == "corrective", people)
        del self.kind  # the kind of work stays what it was opened as


class CloseWorkOrderForm(_WorkOrderForm):
    completed_at = _local_field(_l("Completed at"))
    result = SelectField(_l("Result"), choices=[], validate_choice=False)
    cause = TextAreaField(_l("Cause found"), render_kw={"rows": 2, "maxlength": 2000})
    remedy = TextAreaField(_l("What was done"), render_kw={"rows": 2, "maxlength": 2000})
    downtime_end = _local_field(_l("Back in operation at"))
    failure_code = StringField(_l("Failure code"))
    labour_hours = StringField(_l("Labour, hours"), render_kw={"inputmode": "decimal"})
    parts_cost = StringField(_l("Spare parts"), render_kw={"inputmode": "decimal"})
    external_cost = StringField(_l("External services"), render_kw={"inputmode": "decimal"})
    notes = TextAreaField(_l("Notes"), render_kw={"rows": 3, "maxlength": 4000})
    version = HiddenField()

    def offer(self, has_downtime: bool) -> None:
        self.result.choices = [SelectChoice("", "—")] + [
            SelectChoice(result, RESULT_LABELS[result]) for result in WORK_RESULTS
        ]
        if not has_downtime:
            del self.downtime_end

    def values(self) -> tuple[dict[str, Any], dict[str, str]]:
        values: dict[str, Any] = {
            name: self._fields[name].data
            for name in ("result", "cause", "remedy", "failure_code", "labour_hours", "notes")
        }
        values["failure_code"] = values["failure_code"] or ""
        values["notes"] = values["notes"] or ""
        errors: dict[str, str] = {}
        self._convert(
            ("completed_at", "downtime_end", "parts_cost", "external_cost"), values, errors
        )
        return values, errors


class StartWorkOrderForm(FlaskForm):
    version = HiddenField()


class CancelWorkOrderForm(_WorkOrderForm):
    reason = StringField(_l("Reason"), render_kw={"maxlength": 1000})
    version = HiddenField()
