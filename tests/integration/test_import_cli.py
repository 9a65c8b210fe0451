"""`equiplan import equipment FILE [--agency CODE] [--dry-run]`, in process (the runner)."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from equiplan.models import AuditEvent, Equipment, Schedule
from tests.factories import make_agency, make_equipment, make_model, make_site, make_type

CALIBRATION = {"kind": "calibration", "interval_value": 12, "interval_unit": "months"}
HEADER = "Inventory no.,Serial no.,Type,Manufacturer,Model,Site,Acquired on"


@pytest.fixture
def fleet(session):  # type: ignore[no-untyped-def]
    vsat = make_agency(session, "VSAT")
    prd = make_type(session, "PRD", default_schedules=[CALIBRATION])
    model = make_model(session, prd, manufacturer="Thermo", name="RadEye PRD")
    make_site(session, vsat, code="MED")
    make_equipment(session, vsat, model, inventory_no="VSAT-PRD-0001", serial_no="RE-77")
    return {"vsat": vsat}


def _file(tmp_path: Path, *rows: str) -> str:
    path = tmp_path / "inventory.csv"
    path.write_text("\n".join([HEADER, *rows]), encoding="utf-8")
    return str(path)


def _count(session, model=Equipment) -> int:  # type: ignore[no-untyped-def]
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_problems_are_printed_by_row_and_column_with_exit_code_2(  # type: ignore[no-untyped-def]
    runner, session, fleet, tmp_path
) -> None:
    path = _file(
        tmp_path,
        "VSAT-PRD-0100,RE-100,PRD,Thermo,RadEye PRD,MED,2025-01-01",
        "VSAT-PRD-0101,RE-77,PRD,Thermo,RadEye PRD,NOWHERE,2025-02-30",
    )
    result = runner.invoke(args=["import", "equipment", path, "--agency", "VSAT"])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        "row 3, column Serial no.: An item of this model with this serial number exists.",
        "row 3, column Site: Unknown site: NOWHERE.",
        "row 3, column Acquired on: Not a date; use YYYY-MM-DD.",
        "equiplan: error: 3 problems; nothing was imported",
    ]
    assert result.stdout == ""
    assert _count(session) == 1


def test_dry_run_writes_nothing_and_the_real_run_imports(  # type: ignore[no-untyped-def]
    runner, session, fleet, tmp_path
) -> None:
    path = _file(
        tmp_path,
        "VSAT-PRD-0100,RE-100,PRD,Thermo,RadEye PRD,MED,2025-01-01",
        "VSAT-PRD-0101,RE-101,PRD,Thermo,RadEye PRD,,",
    )
    dry = runner.invoke(args=["import", "equipment", path, "--agency", "VSAT", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.strip() == "would import 2 items"
    assert (_count(session), _count(session, Schedule)) == (1, 0)

    done = runner.invoke(args=["import", "equipment", path, "--agency", "VSAT"])
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == "imported 2 items"
    assert (_count(session), _count(session, Schedule)) == (3, 2)
    origins = session.execute(
        select(AuditEvent.origin, AuditEvent.user_id).where(
            AuditEvent.entity == "equipment", AuditEvent.action == "create"
        )
    ).all()
    assert origins.count(("cli", None)) == 2


def test_bad_arguments_are_one_line_errors(runner, session, fleet, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = _file(tmp_path, "VSAT-PRD-0100,RE-100,PRD,Thermo,RadEye PRD,MED,")
    unknown = runner.invoke(args=["import", "equipment", path, "--agency", "NOPE"])
    assert unknown.exit_code == 2
    assert "agency: Unknown agency: NOPE." in unknown.output
    blank = runner.invoke(args=["import", "equipment", path])  # no agency anywhere
    assert blank.exit_code == 2
    assert "row 2, column Agency: Give the agency" in blank.stderr
    missing = runner.invoke(args=["import", "equipment", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2
    wrong = tmp_path / "inventory.ods"
    wrong.write_bytes(b"whatever")
    odd = runner.invoke(args=["import", "equipment", str(wrong)])
    assert odd.exit_code == 2
    assert "file: Upload a .csv or .xlsx file." in odd.output
    assert _count(session) == 1
