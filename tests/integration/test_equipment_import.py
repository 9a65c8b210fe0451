"""Importing an inventory from CSV and XLSX on SQLite and PostgreSQL: every problem reported by
row and column with nothing written, or every row written with its default schedules."""

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from equiplan.models import AuditEvent, Equipment, Schedule
from equiplan.services import equipment_import, spreadsheet
from equiplan.services.audit import acting_as
from equiplan.services.equipment_import import (
    MAX_ROWS,
    ImportRejected,
    commit_import,
    preview_import,
)
from equiplan.services.errors import ValidationError
from equiplan.services.import_format import ImportProblem
from equiplan.services.scoping import Scope
from tests.factories import make_agency, make_equipment, make_model, make_site, make_type

TODAY = date(2026, 11, 21)
CALIBRATION = {
    "kind": "calibration",
    "interval_value": 12,
    "interval_unit": "months",
    "anchor": "fixed",
    "lead_days": 30,
    "grace_days": 14,
}
SOURCE_CHECK = {**CALIBRATION, "kind": "source_check", "interval_value": 1}
HEADER = (
    "Inventory no.,Serial no.,Type,Manufacturer,Model,Agency,Site,Status,Acquired on,"
    "Commissioned on,Funding source,Acquisition cost (EUR),Warranty end,Condition,Notes"
)


@pytest.fixture
def fleet(session):  # type: ignore[no-untyped-def]
    vsat, customs = make_agency(session, "VSAT"), make_agency(session, "MUIT", kind="customs")
    prd = make_type(session, "PRD", default_schedules=[CALIBRATION, SOURCE_CHECK])
    rpm = make_type(session, "RPM", default_schedules=[CALIBRATION])
    radeye = make_model(session, prd, manufacturer="Thermo", name="RadEye PRD")
    make_model(session, rpm, manufacturer="Rapiscan", name="RPM8")
    # Two manufacturers make a "Identifier": the name alone is ambiguous.
    make_model(session, prd, manufacturer="Mirion", name="Identifier")
    make_model(session, prd, manufacturer="Kromek", name="Identifier")
    make_site(session, vsat, code="MED")
    make_site(session, customs, code="VLN")
    make_equipment(session, vsat, radeye, inventory_no="VSAT-PRD-0001", serial_no="RE-77")
    return {
        "vsat": vsat,
        "customs": customs,
        "officer": Scope(agency_id=vsat.id, all_agencies=False),
        "centre": Scope.everything(),
    }


def _count(session, model=Equipment) -> int:  # type: ignore[no-untyped-def]
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *rows]).encode()


GOOD = "VSAT-PRD-0100,RE-100,PRD,Thermo,RadEye PRD,VSAT,MED,in_service,2025-05-01,2025-06-01,eu,1500,2028-05-01,good,shift B"  # noqa: E501

BROKEN = _csv(
    GOOD,  # row 2: fine
    "VSAT-PRD-0101,RE-101,PRD,Thermo,RadEye PRD,,NOWHERE,,,,,,,,",  # 3: unknown site
    "VSAT-PRD-0102,RE-102,XYZ,Thermo,RadEye PRD,,,,,,,,,,",  # 4: unknown type
    "VSAT-PRD-0103,RE-103,PRD,Thermo,Nonexistent,,,,,,,,,,",  # 5: unknown model
    "VSAT-PRD-0104,RE-77,PRD,Thermo,RadEye PRD,,,,,,,,,,",  # 6: serial in the database
    "VSAT-PRD-0105,RE-100,PRD,,RadEye PRD,,,,,,,,,,",  # 7: serial as on row 2
    "vsat-prd-0100,RE-106,PRD,Thermo,RadEye PRD,,,,,,,,,,",  # 8: inventory no. as on row 2
    "VSAT-PRD-0001,RE-107,PRD,Thermo,RadEye PRD,,,,,,,,,,",  # 9: inventory no. in the database
    ",,,,,,,,,,,,,,",  # 10: blank, skipped
    "VSAT-PRD-0108,RE-108,PRD,Thermo,RadEye PRD,,,,2024-13-01,,,,,,",  # 11: bad date
    "VSAT-PRD-0109,RE-109,PRD,Thermo,RadEye PRD,,,,2025-06-01,2025-05-01,,,,,",  # 12: order
    "VSAT-PRD-0110,RE-110,PRD,Thermo,RadEye PRD,,,lost,,,,,,,",  # 13: bad status
    "VSAT-PRD-0111,RE-111,PRD,Thermo,RadEye PRD,,,,,,,-5,,,",  # 14: negative cost
    "VSAT-PRD-0112,RE-112,PRD,Thermo,RadEye PRD,MUIT,,,,,,,,,",  # 15: another agency
    "VSAT-PRD-0113,RE-113,RPM,Thermo,RadEye PRD,,,,,,,,,,",  # 16: type does not match
    "VSAT-PRD-0114,RE-114,PRD,,Identifier,,,,,,,,,,",  # 17: ambiguous model name
    ",RE-115,PRD,Thermo,RadEye PRD,,,,,,,,,bad,",  # 18: no inventory no., bad condition
    "VSAT-PRD-0116,RE-116,PRD,Thermo,RadEye PRD,,,,,,grant,12.345,2028-02-30,,",  # 19: three
)
BROKEN_PROBLEMS = [
    (3, "Site", "Unknown site: NOWHERE."),
    (4, "Type", "Unknown equipment type: XYZ."),
    (5, "Model", "Unknown model: Nonexistent."),
    (6, "Serial no.", "An item of this model with this serial number exists."),
    (7, "Serial no.", "The same model and serial no. are on row 2."),
    (8, "Inventory no.", "The same inventory no. is on row 2."),
    (9, "Inventory no.", "This inventory number is already registered."),
    (11, "Acquired on", "Not a date; use YYYY-MM-DD."),
    (12, "Commissioned on", "Commissioned before it was acquired."),
    (13, "Status", "Choose one of: in_service, out_of_service, in_repair, in_storage."),
    (14, "Acquisition cost (EUR)", "Enter zero or more."),
    (15, "Agency", "You can import only into your own agency."),
    (16, "Type", "This model is of type PRD."),
    (17, "Manufacturer", "Several manufacturers make a model of this name; give the manufacturer."),
    (18, "Inventory no.", "This field is required."),
    (18, "Condition", "Choose one of: good, fair, poor."),
    (19, "Funding source", "Choose one of: national, donor, eu, iaea, other."),
    (19, "Acquisition cost (EUR)", "At most two decimal places."),
    (19, "Warranty end", "Not a date; use YYYY-MM-DD."),
]


def _problems(problems: list[ImportProblem]) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.message) for p in problems]


def test_a_broken_file_reports_every_problem_and_writes_nothing(session, fleet) -> None:  # type: ignore[no-untyped-def]
    before = (_count(session), _count(session, Schedule), _count(session, AuditEvent))
    preview = preview_import(session, fleet["officer"], content=BROKEN, filename="broken.csv")
    assert _problems(preview.problems) == BROKEN_PROBLEMS
    assert [row.row for row in preview.rows] == [2]  # the one good row, shown but not imported

    with pytest.raises(ImportRejected) as rejected:
        commit_import(session, fleet["officer"], content=BROKEN, filename="broken.csv", today=TODAY)
    assert _problems(rejected.value.problems) == BROKEN_PROBLEMS
    after = (_count(session), _count(session, Schedule), _count(session, AuditEvent))
    assert after == before


def test_centre_rows_name_real_agencies_and_their_own_sites(session, fleet) -> None:  # type: ignore[no-untyped-def]
    content = _csv(
        "A-1,S-1,PRD,Thermo,RadEye PRD,NOPE,,,,,,,,,",
        "A-2,S-2,PRD,Thermo,RadEye PRD,VSAT,VLN,,,,,,,,",
        "A-3,S-3,PRD,Thermo,RadEye PRD,,,,,,,,,,",
        "A-4,S-4,PRD,Thermo,RadEye PRD,muit,vln,,,,,,,,",
    )
    preview = preview_import(session, fleet["centre"], content=content, filename="a.csv")
    assert _problems(preview.problems) == [
        (2, "Agency", "Unknown agency: NOPE."),
        (3, "Site", "This site belongs to another agency."),
        (4, "Agency", "Give the agency, or choose the agency for rows that leave it blank."),
    ]
    assert [(row.row, row.agency_code, row.site_code) for row in preview.rows] == [
        (5, "MUIT", "VLN")
    ]
    # A default agency fills the blank cell; a named one wins over it.
    chosen = preview_import(
        session, fleet["centre"], content=content, filename="a.csv", agency_code="muit"
    )
    assert [(p.row, p.column) for p in chosen.problems] == [(2, "Agency"), (3, "Site")]
    assert [row.agency_code for row in chosen.rows] == ["MUIT", "MUIT"]


def test_an_officer_cannot_choose_another_agency_nor_see_its_sites(session, fleet) -> None:  # type: ignore[no-untyped-def]
    content = _csv("A-1,S-1,PRD,Thermo,RadEye PRD,,VLN,,,,,,,,")
    with pytest.raises(ValidationError) as error:
        preview_import(
            session, fleet["officer"], content=content, filename="a.csv", agency_code="MUIT"
        )
    assert error.value.errors == {"agency": "You can import only into your own agency."}
    preview = preview_import(session, fleet["officer"], content=content, filename="a.csv")
    # The other agency's site is unknown to the officer, not "another agency's".
    assert _problems(preview.problems) == [(2, "Site", "Unknown site: VLN.")]


def test_header_problems_are_reported_once_not_per_row(session, fleet) -> None:  # type: ignore[no-untyped-def]
    content = _csv(
        "A-1,PRD,RadEye PRD,x", "A-2,PRD,RadEye PRD,y", header="Inventory no.,Type,Model,Colour"
    )
    preview = preview_import(session, fleet["centre"], content=content, filename="a.csv")
    assert _problems(preview.problems) == [
        (1, "Colour", "Unknown column; see the template."),
        (1, "Serial no.", "This column is missing."),
    ]
    twice = preview_import(
        session,
        fleet["centre"],
        content=_csv("A-1,S,RadEye PRD,S", header="Inventory no.,Serial no.,Model,serial_no"),
        filename="a.csv",
    )
    assert _problems(twice.problems) == [(1, "serial_no", "This column appears twice.")]


def test_a_good_xlsx_imports_every_row_with_default_schedules(session, fleet) -> None:  # type: ignore[no-untyped-def]
    workbook = Workbook()
    sheet = workbook.active
    # Lithuanian headers, a number as serial, date cells and a numeric cost, as Excel keeps them.
    sheet.append(
        ["Inventorinis Nr.", "Serijos Nr.", "Tipas", "Gamintojas", "Modelis", "Objektas"]
        + ["Pradėta eksploatuoti", "Įsigijimo kaina (EUR)", "Pastabos", "Institucija"]
    )
    sheet.append(["X-1", 12345, "PRD", "Thermo", "RadEye PRD", "MED"])
    sheet.append(
        ["X-2", "RE-2", "prd", "thermo", "radeye prd", "med", datetime(2025, 6, 1), 1234.5]
        + ["Kybartų PKP, šaldytuvas", "VSAT"]
    )
    sheet.append(["X-3", "R-3", "RPM", "Rapiscan", "RPM8", None, "2024-02-29", 250000])
    buffer = io.BytesIO()
    workbook.save(buffer)

    with acting_as(None, "test"):
        items = commit_import(
            session,
            fleet["centre"],
            content=buffer.getvalue(),
            filename="Inventorius.XLSX",
            agency_code="VSAT",
            today=TODAY,
        )
    stored = {
        item.inventory_no: item
        for item in session.execute(
            select(Equipment).where(Equipment.inventory_no.like("X-%"))  # type: ignore[attr-defined]
        ).scalars()
    }
    assert sorted(stored) == ["X-1", "X-2", "X-3"] == sorted(i.inventory_no for i in items)
    assert stored["X-1"].serial_no == "12345"
    assert stored["X-1"].agency_id == fleet["vsat"].id
    assert stored["X-2"].commissioned_on == date(2025, 6, 1)
    assert stored["X-2"].acquisition_cost_cents == 123450
    assert stored["X-2"].notes == "Kybartų PKP, šaldytuvas"
    assert (stored["X-2"].status, stored["X-2"].funding_source, stored["X-2"].condition) == (
        "in_service",
        "national",
        "good",
    )
    assert stored["X-3"].commissioned_on == date(2024, 2, 29)
    assert stored["X-3"].site_id is None
    schedules = session.execute(
        select(Equipment.inventory_no, Schedule.kind, Schedule.next_due)
        .join(Schedule, Schedule.equipment_id == Equipment.id)
        .where(Equipment.inventory_no.like("X-%"))  # type: ignore[attr-defined]
        .order_by(Equipment.inventory_no, Schedule.kind)
    ).all()
    assert schedules == [
        ("X-1", "calibration", date(2027, 11, 21)),  # not commissioned: from today
        ("X-1", "source_check", date(2026, 12, 21)),
        ("X-2", "calibration", date(2026, 6, 1)),
        ("X-2", "source_check", date(2025, 7, 1)),
        ("X-3", "calibration", date(2025, 2, 28)),
    ]
    events = session.execute(
        select(AuditEvent.origin).where(
            AuditEvent.entity == "equipment",
            AuditEvent.entity_id.in_([i.id for i in items]),  # type: ignore[attr-defined]
        )
    ).scalars()
    assert list(events) == ["test"] * 3


def test_semicolon_csv_with_a_byte_order_mark(session, fleet) -> None:  # type: ignore[no-untyped-def]
    content = "\ufeffInventorinis Nr.;Serijos Nr.;Modelis;Įsigijimo kaina (EUR);Pastabos\r\n"
    content += "LT-1;RE-1;RadEye PRD;1 234,50;Šalčininkų PKP, 2 juosta\r\n"
    items = commit_import(
        session,
        fleet["officer"],
        content=content.encode("utf-8"),
        filename="inventorius.csv",
        today=TODAY,
    )
    assert [(i.inventory_no, i.acquisition_cost_cents, i.notes) for i in items] == [
        ("LT-1", 123450, "Šalčininkų PKP, 2 juosta")
    ]
    assert items[0].agency_id == fleet["vsat"].id  # an officer's own agency by default


def test_commit_checks_again_and_writes_nothing_when_the_register_changed(session, fleet) -> None:  # type: ignore[no-untyped-def]
    content = _csv(GOOD, "VSAT-PRD-0200,RE-200,PRD,Thermo,RadEye PRD,,,,,,,,,,")
    assert preview_import(session, fleet["officer"], content=content, filename="a.csv").ok
    make_equipment(session, fleet["vsat"], inventory_no="VSAT-PRD-0200")
    before = _count(session)
    with pytest.raises(ImportRejected) as rejected:
        commit_import(session, fleet["officer"], content=content, filename="a.csv", today=TODAY)
    assert _problems(rejected.value.problems) == [
        (3, "Inventory no.", "This inventory number is already registered.")
    ]
    assert _count(session) == before


def _broken_xlsx() -> bytes:
    """A zip whose content-types part is not XML (the XML parser raises SyntaxError)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<<")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "a.csv", "The file is empty."),
        (HEADER.encode(), "a.csv", "The file has a header but no data rows."),
        (b"\xff\xfe\x00\x00", "a.csv", "The file is not UTF-8 text."),
        (b"PK\x03\x04 not really", "a.xlsx", "The file is not an XLSX workbook."),
        (b"Inventory no.\n", "a.xls", "Upload a .csv or .xlsx file."),
        (b'Inventory no.,Serial no.,Model\n"A-1,S,M\n', "a.csv", "The CSV file is malformed"),
        (_broken_xlsx(), "a.xlsx", "The file is not an XLSX workbook."),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(  # type: ignore[no-untyped-def]
    session, fleet, content, filename, message
) -> None:
    with pytest.raises(ValidationError) as error:
        preview_import(session, fleet["centre"], content=content, filename=filename)
    assert message in error.value.errors["file"]


def test_too_many_rows_are_refused_before_anything_is_checked(session, fleet) -> None:  # type: ignore[no-untyped-def]
    rows = [f"T-{n},S-{n},RadEye PRD" for n in range(MAX_ROWS + 1)]
    content = _csv(*rows, header="Inventory no.,Serial no.,Model")
    with pytest.raises(ValidationError) as error:
        preview_import(session, fleet["centre"], content=content, filename="big.csv")
    assert error.value.errors["file"] == (
        "The file has more than 25,000 data rows; split it into smaller files."
    )
    # Exactly at the limit is fine to read (trailing blank lines do not count).
    at_limit = _csv(*rows[:MAX_ROWS], "", ",,", header="Inventory no.,Serial no.,Model")
    preview = preview_import(session, fleet["centre"], content=at_limit, filename="big.csv")
    assert {p.message for p in preview.problems} == {
        "Give the agency, or choose the agency for rows that leave it blank."
    }
    assert len(preview.problems) == MAX_ROWS


def test_big_workbooks_are_refused_too(session, fleet, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    workbook = Workbook()
    workbook.active.append(["Inventory no.", "Serial no.", "Model"])
    for n in range(5):
        workbook.active.append([f"W-{n}", f"S-{n}", "RadEye PRD"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = buffer.getvalue()
    assert preview_import(session, fleet["officer"], content=content, filename="w.xlsx").ok

    # The limits are lowered here so that the test need not build huge files.
    monkeypatch.setattr(equipment_import, "MAX_ROWS", 4)
    with pytest.raises(ValidationError) as rows:
        preview_import(session, fleet["officer"], content=content, filename="w.xlsx")
    assert "more than 4 data rows" in rows.value.errors["file"]
    monkeypatch.setattr(equipment_import, "MAX_ROWS", 5)
    monkeypatch.setattr(spreadsheet, "MAX_XLSX_BYTES", len(content))  # unpacks to more
    with pytest.raises(ValidationError) as unpacked:
        preview_import(session, fleet["officer"], content=content, filename="w.xlsx")
    assert "split it into smaller files" in unpacked.value.errors["file"]
