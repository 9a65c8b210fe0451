"""Reading and writing tables as CSV or XLSX, safely.

Reading accepts what spreadsheet programs write: UTF-8 CSV with or without a byte-order mark,
with commas or (as Lithuanian Excel does) semicolons, and XLSX workbooks (the first sheet). It
stops at a row limit instead of reading a huge file into memory.

Writing neutralises text that a spreadsheet would run as a formula (CSV injection): such a
cell gets a leading apostrophe, and XLSX cells are always written as text, never as formulas.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from equiplan.services.errors import ValidationError

FORMATS = ("csv", "xlsx")
# Columns read from each row of an XLSX sheet: more than any import needs, so that a stray
# column is still seen (and reported), but a sheet claiming thousands of columns is not read.
MAX_COLUMNS = 64
# Characters that make a spreadsheet treat a cell as a formula (or as the start of one).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_XLSX_MAGIC = b"PK\x03\x04"
# An XLSX file is a zip archive: a small upload may unpack to gigabytes (a "zip bomb"). A sheet of
# the largest allowed import unpacks to a few tens of megabytes.
MAX_XLSX_BYTES = 200 * 1024 * 1024

Row = list[Any]


def format_of(filename: str) -> str:
    """'csv' or 'xlsx' from a file name; anything else is a ValidationError on `file`."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in FORMATS:
        raise ValidationError({"file": _l("Upload a .csv or .xlsx file.")})
    return extension


def _too_many_rows(max_rows: int) -> ValidationError:
    return ValidationError(
        {
            "file": _l(
                "The file has more than %(n)s data rows; split it into smaller files.",
                n=f"{max_rows:,}",
            )
        }
    )


def _is_blank(row: Sequence[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row)


def read_table(content: bytes, file_format: str, max_rows: int) -> list[Row]:
    """The rows of a CSV or XLSX file: the header first, then at most `max_rows` data rows.

    Trailing blank rows are dropped; blank rows inside the data are kept (as empty lists) so
    that row numbers stay the ones the user sees in the spreadsheet. Unreadable files and
    files over the limit raise ValidationError on `file`.
    """
    rows = _read_csv(content, max_rows) if file_format == "csv" else _read_xlsx(content, max_rows)
    while rows and _is_blank(rows[-1]):
        rows.pop()
    if not rows:
        raise ValidationError({"file": _l("The file is empty.")})
    return rows


def _delimiter(text: str) -> str:
    # The header line decides: spreadsheet headers never contain these characters themselves.
    first_line = text.split("\n", 1)[0]
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(content: bytes, max_rows: int) -> list[Row]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            {"file": _l("The file is not UTF-8 text. In Excel, save it as “CSV UTF-8”.")}
        ) from None
    if "\x00" in text:
        raise ValidationError({"file": _l("The file is not a CSV text file.")})
    # strict: a stray or unclosed quote is an error to report, not data to guess at.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    rows: list[Row] = []
    data_rows = 0
    try:
        for record in reader:
            rows.append(list(record))
            if len(rows) > 1 and not _is_blank(record):
                data_rows += 1
                if data_rows > max_rows:
                    raise _too_many_rows(max_rows)
    except csv.Error as error:
        raise ValidationError(
            {"file": _l("The CSV file is malformed: %(reason)s.", reason=str(error))}
        ) from None
    return rows


# What openpyxl and the zip and XML layers under it raise for a file that is not a workbook.
_NOT_XLSX = (
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    OSError,
    TypeError,
    SyntaxError,  # xml.etree ParseError: a broken part inside the zip
    zlib.error,
    EOFError,
    NotImplementedError,
)


def _not_xlsx() -> ValidationError:
    return ValidationError(
        {"file": _l("The file is not an XLSX workbook. Save it as .xlsx or CSV UTF-8.")}
    )


def _read_xlsx(content: bytes, max_rows: int) -> list[Row]:
    if not content.startswith(_XLSX_MAGIC):
        raise ValidationError(
            {"file": _l("The file is not an XLSX workbook. Save it as .xlsx or CSV UTF-8.")}
        )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
        if unpacked > MAX_XLSX_BYTES:
            raise _too_many_rows(max_rows)
        # read_only streams the sheet instead of building it all in memory; data_only gives
        # a formula's last computed value, never the formula.
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except _NOT_XLSX:
        raise _not_xlsx() from None
    try:
        if not workbook.worksheets:
            raise ValidationError({"file": _l("The file is empty.")})
        sheet = workbook.worksheets[0]
        rows: list[Row] = []
        data_rows = 0
        # A sheet may carry many formatted but empty rows; reading those is bounded too.
        read_limit = 4 * max_rows + 1
        for record in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            rows.append(list(record))
            if len(rows) > 1 and not _is_blank(record):
                data_rows += 1
            if data_rows > max_rows or len(rows) > read_limit:
                raise _too_many_rows(max_rows)
        return rows
    except _NOT_XLSX:
        raise _not_xlsx() from None
    finally:
        workbook.close()


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return str(neutralise(value))
    return str(value)  # numbers stay numbers: "-5" is not a formula


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file in UTF-8 with a byte-order mark, so that Excel shows Lithuanian letters."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([_csv_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_cell(sheet: Any, value: Any) -> WriteOnlyCell:
    if value == "":
        value = None  # a blank cell, not an empty text
    if isinstance(value, str):
        # Control characters are not allowed in XLSX; drop them before looking for a formula.
        text = neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"  # text, whatever it looks like: never a formula
        return cell
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def write_xlsx(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """An XLSX workbook with one sheet per (title, header, rows); the header row is frozen."""
    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.freeze_panes = "A2"
        sheet.append([_xlsx_cell(sheet, str(name)) for name in header])
        for row in rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
