"""Exporting the list view as CSV and XLSX on SQLite and PostgreSQL: the same rows as the list
(scope, filters, order, every page), and no cell a spreadsheet would run as a formula."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from equiplan.services.equipment_export import export_equipment
from equiplan.services.equipment_query import parse_equipment_query
from equiplan.services.scoping import Scope
from tests.factories import (
    make_agency,
    make_equipment,
    make_model,
    make_schedule,
    make_site,
    make_type,
)

TODAY = date(2026, 11, 21)
HEADER = [
    "Inventory no.",
    "Serial no.",
    "Agency",
    "Site",
    "Type",
    "Manufacturer",
    "Model",
    "Status",
    "Operational",
    "Commissioned",
    "Next due",
]


@pytest.fixture
def register(session):  # type: ignore[no-untyped-def]
    vsat, customs = make_agency(session, "VSAT"), make_agency(session, "MUIT", kind="customs")
    med = make_site(session, vsat, code="MED")
    prd = make_type(session, "PRD")
    model = make_model(session, prd, manufacturer="Thermo", name="RadEye PRD")
    formula = make_model(session, prd, manufacturer="@SUM(A1)", name="-2+3")
    lane = make_equipment(
        session, vsat, model, med, inventory_no="=cmd|' /C calc'!A0", serial_no="+41"
    )
    make_schedule(session, lane, date(2027, 1, 15), grace_days=0)
    make_equipment(session, vsat, formula, inventory_no="V-2", serial_no="@foo")
    make_equipment(session, vsat, model, inventory_no="V-3", serial_no="-1", status="in_storage")
    make_equipment(session, vsat, model, inventory_no="V-4", serial_no="\tTAB")
    make_equipment(session, customs, model, inventory_no="MUIT-1", serial_no="M-1")
    return {"vsat": vsat, "officer": Scope(agency_id=vsat.id, all_agencies=False)}


def _csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def _export(session, scope: Scope, args: dict[str, str], file_format: str) -> bytes:  # type: ignore[no-untyped-def]
    query, errors = parse_equipment_query(args)
    assert errors == {}
    return export_equipment(session, scope, query, TODAY, file_format)


def test_csv_neutralises_formulas_and_keeps_the_list_order(session, register) -> None:  # type: ignore[no-untyped-def]
    rows = _csv_rows(_export(session, register["officer"], {"sort": "inventory_no"}, "csv"))
    assert rows[0] == HEADER
    assert rows[1:] == [
        ["'=cmd|' /C calc'!A0", "'+41", "VSAT", "MED", "PRD", "Thermo", "RadEye PRD"]
        + ["In service", "Yes", "2020-01-01", "2027-01-15"],
        ["V-2", "'@foo", "VSAT", "", "PRD", "'@SUM(A1)", "'-2+3", "In service", "Yes"]
        + ["2020-01-01", ""],
        ["V-3", "'-1", "VSAT", "", "PRD", "Thermo", "RadEye PRD", "In storage", "No"]
        + ["2020-01-01", ""],
        ["V-4", "'\tTAB", "VSAT", "", "PRD", "Thermo", "RadEye PRD", "In service", "Yes"]
        + ["2020-01-01", ""],
    ]


def test_an_officers_export_has_no_other_agencys_rows(session, register) -> None:  # type: ignore[no-untyped-def]
    officer = _csv_rows(_export(session, register["officer"], {}, "csv"))
    assert all(row[2] == "VSAT" for row in officer[1:])
    # Even when the officer asks for the other agency: the scope wins.
    other = _csv_rows(
        _export(session, register["officer"], {"agency_id": str(register["vsat"].id + 1)}, "csv")
    )
    assert other == [HEADER]
    centre = _csv_rows(_export(session, Scope.everything(), {}, "csv"))
    assert sorted({row[2] for row in centre[1:]}) == ["MUIT", "VSAT"]


def test_filters_and_sort_are_those_of_the_list(session, register) -> None:  # type: ignore[no-untyped-def]
    stored = _csv_rows(_export(session, Scope.everything(), {"status": "in_storage"}, "csv"))
    assert [row[0] for row in stored[1:]] == ["V-3"]
    searched = _csv_rows(
        _export(session, Scope.everything(), {"search": "v-", "sort": "inventory_no"}, "csv")
    )
    assert [row[0] for row in searched[1:]] == ["V-2", "V-3", "V-4"]
    by_serial = _csv_rows(
        _export(session, Scope.everything(), {"sort": "serial_no", "desc": "1"}, "csv")
    )
    serials = [row[1].lstrip("'") for row in by_serial[1:]]
    assert serials == sorted(serials, reverse=True)
    # The page and its size are the list's; the export has every page.
    paged = _csv_rows(_export(session, Scope.everything(), {"per_page": "25", "page": "3"}, "csv"))
    assert len(paged) == 1 + 5


def test_xlsx_has_the_same_rows_as_text_never_formulas(session, register) -> None:  # type: ignore[no-untyped-def]
    args = {"sort": "inventory_no"}
    content = _export(session, register["officer"], args, "xlsx")
    workbook = load_workbook(io.BytesIO(content))  # formulas would show as formulas here
    sheet = workbook.worksheets[0]
    cells = [list(row) for row in sheet.iter_rows()]
    assert [c.value for c in cells[0]] == HEADER
    for row in cells[1:]:
        for cell in row[:9]:
            if cell.value is not None:  # a blank site
                assert cell.data_type == "s", (cell.coordinate, cell.value)
                assert not cell.value.startswith(("=", "+", "-", "@", "\t"))
    assert cells[1][0].value == "'=cmd|' /C calc'!A0"
    assert cells[1][9].value.date() == date(2020, 1, 1)  # dates stay dates
    assert cells[1][10].value.date() == date(2027, 1, 15)
    as_text = [
        [v.date().isoformat() if hasattr(v, "date") else ("" if v is None else str(v)) for v in row]
        for row in sheet.iter_rows(values_only=True)
    ]
    assert as_text == _csv_rows(_export(session, register["officer"], args, "csv"))
