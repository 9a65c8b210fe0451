"""The inventory import file format: its columns, its header row, how cells are read, and the
downloadable template.

Headers are part of the format rather than interface texts: the English and the Lithuanian
header (and the column's key) are all recognised, whatever language the user works in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import Agency, EquipmentModel, EquipmentType, Site
from equiplan.models.equipment import CONDITIONS, FUNDING_SOURCES
from equiplan.services.equipment_write import EDITABLE_STATUSES
from equiplan.services.scoping import Scope, scoped
from equiplan.services.spreadsheet import write_csv, write_xlsx

_SHOWN_VALUE = 40  # characters of a bad value quoted back in a message
_LISTED_CODES = 500  # codes listed per line of the template's help sheet


@dataclass(frozen=True)
class ImportColumn:
    key: str
    header_en: str
    header_lt: str
    required: bool = False

    def header(self, lithuanian: bool | None = None) -> str:
        """The header as written in the template, in the user's language by default."""
        if lithuanian is None:
            lithuanian = _lithuanian()
        return self.header_lt if lithuanian else self.header_en


# In template order.
COLUMNS = (
    ImportColumn("inventory_no", "Inventory no.", "Inventorinis Nr.", required=True),
    ImportColumn("serial_no", "Serial no.", "Serijos Nr.", required=True),
    ImportColumn("type", "Type", "Tipas"),
    ImportColumn("manufacturer", "Manufacturer", "Gamintojas"),
    ImportColumn("model", "Model", "Modelis", required=True),
    ImportColumn("agency", "Agency", "Institucija"),
    ImportColumn("site", "Site", "Objektas"),
    ImportColumn("status", "Status", "Būsena"),
    ImportColumn("acquired_on", "Acquired on", "Įsigyta"),
    ImportColumn("commissioned_on", "Commissioned on", "Pradėta eksploatuoti"),
    ImportColumn("funding_source", "Funding source", "Finansavimo šaltinis"),
    ImportColumn("acquisition_cost_eur", "Acquisition cost (EUR)", "Įsigijimo kaina (EUR)"),
    ImportColumn("warranty_end", "Warranty end", "Garantija iki"),
    ImportColumn("condition", "Condition", "Būklė"),
    ImportColumn("notes", "Notes", "Pastabos"),
)
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}


def _lithuanian() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "lt"


def _normalised(header: Any) -> str:
    return " ".join(str(header).split()).casefold().rstrip(".")


_RECOGNISED = {
    _normalised(name): column
    for column in COLUMNS
    for name in (column.key, column.header_en, column.header_lt)
}


@dataclass(frozen=True)
class ImportProblem:
    row: int  # as numbered in the spreadsheet: the header is row 1
    column: str  # the header as written in the file (or the template's, when missing)
    message: str


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a spurious ".0", dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def quoted(text: str) -> str:
    """A value quoted back in a message, shortened."""
    return text if len(text) <= _SHOWN_VALUE else text[: _SHOWN_VALUE - 1] + "…"


def date_cell(value: Any) -> Any:
    """A date cell for the register's parser: XLSX dates arrive as datetimes, text as text."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else cell_text(value)


def euros_cell(value: Any) -> Any:
    """An amount cell for the register's parser."""
    if isinstance(value, float):
        # A spreadsheet number such as 1234.5 (or 0.1 + 0.2): whole cents are what was meant.
        return f"{value:.2f}" if abs(value * 100 - round(value * 100)) < 1e-6 else repr(value)
    return cell_text(value)


def match_header(
    header: list[Any],
) -> tuple[dict[int, ImportColumn], dict[str, str], list[ImportProblem]]:
    """The column at each position, each column's header as written, and header problems."""
    positions: dict[int, ImportColumn] = {}
    written: dict[str, str] = {}
    problems: list[ImportProblem] = []
    for index, cell in enumerate(header):
        text = cell_text(cell)
        if not text:
            continue
        column = _RECOGNISED.get(_normalised(text))
        if column is None:
            problems.append(
                ImportProblem(1, quoted(text), str(_l("Unknown column; see the template.")))
            )
        elif column.key in written:
            problems.append(ImportProblem(1, text, str(_l("This column appears twice."))))
        else:
            positions[index] = column
            written[column.key] = text
    for column in COLUMNS:
        if column.required and column.key not in written:
            problems.append(ImportProblem(1, column.header(), str(_l("This column is missing."))))
    return positions, written, problems


def column_order(header: str) -> int:
    """Sort key: a header's place in the template (unknown headers last)."""
    column = _RECOGNISED.get(_normalised(header))
    return COLUMNS.index(column) if column else len(COLUMNS)


def import_template(session: Session, scope: Scope, file_format: str) -> bytes:
    """An empty import file with the header row in the user's language.

    The XLSX template also lists the accepted values (and the scope's agencies and sites) and
    the known models on two more sheets; only the first sheet is ever imported.
    """
    header = [column.header() for column in COLUMNS]
    if file_format == "csv":
        return write_csv(header, [])
    agencies = session.execute(scoped(select(Agency.code), Agency, scope).order_by(Agency.code))
    sites = session.execute(scoped(select(Site.code), Site, scope).order_by(Site.code))
    types = session.execute(select(EquipmentType.code).order_by(EquipmentType.code))
    models = session.execute(
        select(EquipmentType.code, EquipmentModel.manufacturer, EquipmentModel.name)
        .join(EquipmentType, EquipmentType.id == EquipmentModel.type_id)
        .order_by(EquipmentType.code, EquipmentModel.manufacturer, EquipmentModel.name)
    ).all()

    def codes(rows: Any) -> str:
        return ", ".join(list(rows.scalars())[:_LISTED_CODES])

    iso_date = _("a date as YYYY-MM-DD, or a date cell")
    accepted = [
        (COLUMNS_BY_KEY["type"].header(), codes(types)),
        (COLUMNS_BY_KEY["agency"].header(), codes(agencies)),
        (COLUMNS_BY_KEY["site"].header(), codes(sites)),
        (COLUMNS_BY_KEY["status"].header(), ", ".join(EDITABLE_STATUSES)),
        (COLUMNS_BY_KEY["acquired_on"].header(), iso_date),
        (COLUMNS_BY_KEY["commissioned_on"].header(), iso_date),
        (COLUMNS_BY_KEY["funding_source"].header(), ", ".join(FUNDING_SOURCES)),
        (COLUMNS_BY_KEY["acquisition_cost_eur"].header(), _("euros, e.g. 1234.50")),
        (COLUMNS_BY_KEY["warranty_end"].header(), iso_date),
        (COLUMNS_BY_KEY["condition"].header(), ", ".join(CONDITIONS)),
    ]
    return write_xlsx(
        [
            (_("Equipment"), header, []),
            (_("Accepted values"), [_("Column"), _("Accepted values")], accepted),
            (
                _("Models"),
                [
                    COLUMNS_BY_KEY["type"].header(),
                    COLUMNS_BY_KEY["manufacturer"].header(),
                    COLUMNS_BY_KEY["model"].header(),
                ],
                models,
            ),
        ]
    )
