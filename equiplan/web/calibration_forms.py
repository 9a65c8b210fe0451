"""Forms of the calibration pages: record a calibration (with its points and file), correct it.

Like the register's forms, the fields are plain text: the calibration service parses and
checks every value, so the pages and the API give the same messages. The forms carry the CSRF
token, the choices to offer, and the mapping between the service's field names
(`points[1].as_found`) and the rows on the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import FieldList, Form, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from equiplan.domain.calibration import KNOWN_QUANTITIES, Point, describe_quantity
from equiplan.domain.scheduling import Interval, IntervalUnit, add_interval
from equiplan.models import WorkOrder
from equiplan.services.calibrations import (
    NEW_WORK_ORDER,
    CertificateUpload,
    NewCalibration,
    PointInput,
)

ROWS = 5  # point rows on an empty form; a form prefilled with more points gets two spare rows
NUMBER = {"inputmode": "decimal", "autocomplete": "off"}
MEASURE_LABELS = {
    "dose_rate": _l("Dose rate"),
    "dose": _l("Dose"),
    "gamma_response": _l("Gamma response"),
    "neutron_response": _l("Neutron response"),
    "peak_position": _l("Peak position"),
    "fwhm": _l("Resolution FWHM"),
    "beta_efficiency": _l("Beta efficiency"),
}
TOLERANCE_KINDS = [SelectChoice("pct", "± %"), SelectChoice("abs", _l("± absolute"))]


def quantity_label(code: str) -> str:
    """ "Dose rate (Cs-137)" for "dose_rate_cs137"; an unknown code is shown as it is."""
    measure, nuclide = describe_quantity(code)
    label = str(MEASURE_LABELS.get(measure, measure))
    return f"{label} ({nuclide})" if nuclide else label


class PointForm(Form):
    """One row of the points table (a plain Form: the outer form carries the CSRF token)."""

    quantity = SelectField(_l("Quantity"), choices=[], validate_choice=False)
    unit = StringField(_l("Unit"), default="µSv/h", render_kw={"maxlength": 20, "size": 6})
    nominal = StringField(_l("Nominal value"), render_kw=NUMBER)
    tolerance = StringField(_l("Tolerance"), render_kw=NUMBER)
    tolerance_kind = SelectField(_l("Tolerance kind"), choices=TOLERANCE_KINDS, default="pct")
    as_found = StringField(_l("As found"), render_kw=NUMBER)
    as_left = StringField(_l("As left"), render_kw=NUMBER)

    def is_blank(self) -> bool:
        """No reading in the row: an unused row, or a prefilled point not measured this time."""
        return not (self.as_found.data or "").strip() and not (self.as_left.data or "").strip()


class CalibrationForm(FlaskForm):
    work_order_id = SelectField(_l("Work order"), choices=[], validate_choice=False)
    laboratory = StringField(_l("Laboratory"), render_kw={"maxlength": 200})
    certificate_no = StringField(_l("Certificate no."), render_kw={"maxlength": 80})
    calibrated_on = StringField(_l("Calibrated on"), render_kw={"type": "date"})
    valid_until = StringField(_l("Valid until"), render_kw={"type": "date"})
    certificate = FileField(
        _l("Certificate file"),
        render_kw={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"},
    )
    notes = TextAreaField(_l("Notes"), render_kw={"rows": 2, "maxlength": 4000})
    points = FieldList(FormField(PointForm), min_entries=ROWS)

    def offer(self, start: NewCalibration) -> None:
        """The work orders and quantities to choose from."""
        self.work_order_id.choices = [SelectChoice(NEW_WORK_ORDER, _l("New work order"))] + [
            SelectChoice(str(order.id), _work_order_label(order))
            for order in start.open_work_orders
        ]
        quantities = list(KNOWN_QUANTITIES)
        for row in self.points:
            value = row.form.quantity.data
            if value and value not in quantities:
                quantities.append(value)  # recorded by the API: keep it choosable
        for row in self.points:
            row.form.quantity.choices = [SelectChoice(q, quantity_label(q)) for q in quantities]

    def prefill(self, start: NewCalibration, today: date, work_order_id: str) -> None:
        """A new form: today's date, a year's validity, the points to start from."""
        self.calibrated_on.data = today.isoformat()
        self.valid_until.data = add_interval(today, Interval(12, IntervalUnit.MONTHS)).isoformat()
        self.laboratory.data = start.laboratory
        if not work_order_id:
            first = start.open_work_orders[0] if start.open_work_orders else None
            work_order_id = str(first.id) if first else NEW_WORK_ORDER
        self.work_order_id.data = work_order_id
        while len(self.points):
            self.points.pop_entry()
        for point in start.points:
            self.points.append_entry(_row_data(point))
        while len(self.points) < max(ROWS, len(start.points) + 2):
            self.points.append_entry()

    def service_arguments(self, max_bytes: int) -> tuple[dict[str, Any], list[int]]:
        """The keyword arguments for `record_calibration`, and for each point passed the index
        of its row on the page (blank rows are left out)."""
        rows = [index for index, row in enumerate(self.points) if not row.form.is_blank()]
        points = [
            PointInput(
                nominal=row.nominal.data,
                tolerance=row.tolerance.data,
                tolerance_kind=row.tolerance_kind.data or "",
                as_found=row.as_found.data,
                as_left=row.as_left.data,
                quantity=row.quantity.data or "",
                unit=row.unit.data or "",
            )
            for row in (self.points[index].form for index in rows)
        ]
        upload = None
        file = self.certificate.data
        if isinstance(file, FileStorage) and file.filename:
            # One byte more than allowed is enough to tell that the file is too large.
            upload = CertificateUpload(filename=file.filename, data=file.stream.read(max_bytes + 1))
        arguments = {
            "laboratory": self.laboratory.data,
            "certificate_no": self.certificate_no.data,
            "calibrated_on": self.calibrated_on.data,
            "valid_until": self.valid_until.data,
            "points": points,
            "certificate": upload,
            "work_order_id": self.work_order_id.data or None,
            "notes": self.notes.data or "",
        }
        return arguments, rows

    def show_errors(self, errors: Mapping[str, str], rows: Sequence[int]) -> list[str]:
        """Put each service error on its field; return those that belong to no field."""
        problems: list[str] = []
        for name, message in errors.items():
            field: Any = None
            if name.startswith("points[") and "]." in name:
                index, _, attribute = name[len("points[") :].partition("].")
                if index.isascii() and index.isdigit() and int(index) < len(rows):
                    field = getattr(self.points[rows[int(index)]].form, attribute, None)
            elif name != "points":
                field = self._fields.get(name)
            if field is None:
                problems.append(message)
            else:
                field.errors = [*field.errors, message]
        return problems


class CorrectionForm(FlaskForm):
    """Corrections of a calibration's certificate data (not of its readings)."""

    laboratory = StringField(_l("Laboratory"), render_kw={"maxlength": 200})
    certificate_no = StringField(_l("Certificate no."), render_kw={"maxlength": 80})
    valid_until = StringField(_l("Valid until"), render_kw={"type": "date"})
    version = HiddenField()


def _row_data(point: Point) -> dict[str, str]:
    return {
        "quantity": point.quantity,
        "unit": point.unit,
        "nominal": _plain(point.nominal),
        "tolerance": _plain(point.tolerance),
        "tolerance_kind": str(point.tolerance_kind),
    }


def _plain(value: Any) -> str:
    """A number as the form shows it: 10, not 10.0."""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _work_order_label(order: WorkOrder) -> str:
    if order.due_date:
        return str(_l("#%(id)s, due %(date)s", id=order.id, date=order.due_date.isoformat()))
    return f"#{order.id}"
