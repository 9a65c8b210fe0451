"""Exporting the equipment list as the user sees it: same filters, same order, every page.

The rows come from the register's own list query (so scope, filters and sort cannot drift
from the list page), without its page limit. Text that a spreadsheet would run as a formula
is neutralised by `spreadsheet`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from equiplan.services.equipment import EquipmentRow, list_equipment
from equiplan.services.equipment_query import EquipmentQuery
from equiplan.services.errors import ValidationError
from equiplan.services.scoping import Scope
from equiplan.services.spreadsheet import write_csv, write_xlsx

# Far above the national fleet; a guard against exporting a runaway table in one response.
MAX_EXPORT_ROWS = 200_000

_STATUS_LABELS = {
    "in_service": _l("In service"),
    "out_of_service": _l("Out of service"),
    "in_repair": _l("In repair"),
    "in_storage": _l("In storage"),
    "decommissioned": _l("Decommissioned"),
}


def export_rows(
    session: Session, scope: Scope, query: EquipmentQuery, today: date
) -> list[EquipmentRow]:
    """Every item of the list view described by `query` (all pages), in its order."""
    page = list_equipment(session, scope, replace(query, page=1, per_page=MAX_EXPORT_ROWS), today)
    if page.total > MAX_EXPORT_ROWS:
        raise ValidationError(
            {"export": _l("Too many items to export at once; narrow the filters.")}
        )
    return page.items


def _header() -> list[str]:
    return [
        _("Inventory no."),
        _("Serial no."),
        _("Agency"),
        _("Site"),
        _("Type"),
        _("Manufacturer"),
        _("Model"),
        _("Status"),
        _("Operational"),
        _("Commissioned"),
        _("Next due"),
    ]


def _cells(row: EquipmentRow) -> list[Any]:
    return [
        row.inventory_no,
        row.serial_no,
        row.agency_code,
        row.site_code or "",
        row.type_code,
        row.manufacturer,
        row.model_name,
        str(_STATUS_LABELS.get(row.status, row.status)),
        _("Yes") if row.operational else _("No"),
        row.commissioned_on,
        row.next_due,
    ]


def export_equipment(
    session: Session, scope: Scope, query: EquipmentQuery, today: date, file_format: str
) -> bytes:
    """The list view as a CSV (UTF-8 with BOM) or XLSX file, headers in the user's language."""
    rows = [_cells(row) for row in export_rows(session, scope, query, today)]
    if file_format == "csv":
        return write_csv(_header(), rows)
    return write_xlsx([(_("Equipment"), _header(), rows)])
