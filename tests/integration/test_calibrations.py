"""Recording, reading, listing and correcting calibrations, on SQLite and PostgreSQL: the verdicts,
what happens to the item and its schedule, drift, all-or-nothing writes, agency scoping and
the certificate file store."""

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlmodel import Session

from equiplan.models import CalibrationPoint, CalibrationResult, Equipment, Schedule, WorkOrder
from equiplan.services.calibrations import (
    CertificateStore,
    CertificateUpload,
    PointInput,
    certificate_for_download,
    get_calibration,
    list_calibrations,
    record_calibration,
    update_calibration,
)
from equiplan.services.certificates import download_name, sniff
from equiplan.services.errors import Conflict, NotFound, ValidationError
from equiplan.services.scoping import Scope
from tests.factories import (
    make_agency,
    make_calibration,
    make_equipment,
    make_schedule,
    make_user,
    make_work_order,
)

TODAY = date(2026, 11, 21)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EVERYTHING = Scope.everything()


@pytest.fixture
def setup(session: Session, tmp_path: Path) -> dict[str, Any]:
    vsat, customs = make_agency(session, "VSAT"), make_agency(session, "MUIT", kind="customs")
    item = make_equipment(session, vsat, inventory_no="VSAT-PRD-0001")
    return {
        "vsat": vsat,
        "customs": customs,
        "item": item,
        "foreign": make_equipment(session, customs, inventory_no="MUIT-PRD-0001"),
        "schedule": make_schedule(session, item, date(2026, 12, 1), grace_days=14),
        "technician": make_user(session, "technician"),
        "store": CertificateStore(tmp_path / "certificates", max_bytes=1024 * 1024),
        "officer_scope": Scope(agency_id=vsat.id, all_agencies=False),
    }


def _points(*readings: tuple[Any, Any]) -> list[PointInput]:
    """Dose-rate points 1, 10, 100 µSv/h ± 20 % with the given (as found, as left)."""
    return [
        PointInput(nominal=nominal, tolerance=20, as_found=found, as_left=left)
        for nominal, (found, left) in zip((1, 10, 100), readings, strict=False)
    ]


def _record(session: Session, s: dict[str, Any], **overrides: Any) -> CalibrationResult:
    scope = overrides.pop("scope", EVERYTHING)
    arguments: dict[str, Any] = {
        "equipment_id": s["item"].id,
        "recorded_by_id": s["technician"].id,
        "laboratory": "FTMC ionising radiation metrology laboratory",
        "certificate_no": "FTMC-JSM-2026-117",
        "calibrated_on": date(2026, 11, 20),
        "valid_until": date(2027, 11, 20),
        "points": _points((1.05, None), (10.3, None), (98, None)),
        "certificate_store": s["store"],
        "today": TODAY,
        **overrides,
    }
    return record_calibration(session, scope, **arguments)


def _count(session: Session, model: type) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def _files(store: CertificateStore) -> list[Path]:
    return sorted(store.directory.iterdir()) if store.directory.exists() else []


def test_a_good_calibration_closes_work_and_moves_the_schedule_on(
    session: Session, setup: dict[str, Any]
) -> None:
    result = _record(
        session,
        setup,
        certificate=CertificateUpload("Sertifikatas Nr. 117.pdf", PDF),
        notes="Source Cs-137 no. 4411.",
    )
    assert (result.as_found_passed, result.as_left_passed) == (True, True)
    order = session.get_one(WorkOrder, result.work_order_id)
    assert (order.kind, order.status, order.result) == ("calibration", "done", "pass")
    assert order.completed_at is not None
    assert order.technician_id == setup["technician"].id
    assert order.schedule_id == setup["schedule"].id
    assert order.due_date == date(2026, 12, 1)
    assert order.notes == "Source Cs-137 no. 4411."
    points = session.execute(
        select(CalibrationPoint)
        .where(CalibrationPoint.calibration_id == result.id)
        .order_by(CalibrationPoint.position)
    ).scalars()
    assert [(p.position, p.nominal, p.as_found, p.as_left) for p in points] == [
        (1, 1.0, 1.05, None),
        (2, 10.0, 10.3, None),
        (3, 100.0, 98.0, None),
    ]
    item = session.get_one(Equipment, setup["item"].id)
    assert (item.status, item.flagged_for_review) == ("in_service", False)
    schedule = session.get_one(Schedule, setup["schedule"].id)
    # Fixed anchor: a year after the previous due date; completed on the calibration date.
    assert schedule.next_due == date(2027, 12, 1)
    assert schedule.last_completed == date(2026, 11, 20)


def test_certificate_stored_under_a_random_name_and_offered_under_the_original(
    session: Session, setup: dict[str, Any]
) -> None:
    result = _record(
        session, setup, certificate=CertificateUpload("C:\\scans\\Sertifikatas Nr. 117.pdf", PDF)
    )
    [stored] = _files(setup["store"])
    assert stored.name == result.certificate_file
    assert len(stored.name) == len("0123456789abcdef" * 2 + ".pdf")
    assert "Sertifikatas" not in stored.name
    assert stored.read_bytes() == PDF
    assert result.certificate_filename == "Sertifikatas Nr. 117.pdf"
    path, name, mimetype = certificate_for_download(session, EVERYTHING, result.id, setup["store"])
    assert (path, name, mimetype) == (stored, "Sertifikatas Nr. 117.pdf", "application/pdf")
    # The agency's own officer may download it too.
    assert certificate_for_download(session, setup["officer_scope"], result.id, setup["store"])


def test_as_found_out_of_tolerance_flags_the_item_for_review(
    session: Session, setup: dict[str, Any]
) -> None:
    # Found at 12.5 (25 % high), adjusted to 10.1.
    result = _record(session, setup, points=_points((1.0, None), (12.5, 10.1), (101, None)))
    assert (result.as_found_passed, result.as_left_passed) == (False, True)
    item = session.get_one(Equipment, setup["item"].id)
    assert item.flagged_for_review is True
    assert item.status == "in_service"
    assert session.get_one(WorkOrder, result.work_order_id).result == "pass"


def test_left_out_of_tolerance_takes_the_item_out_of_service(
    session: Session, setup: dict[str, Any]
) -> None:
    result = _record(session, setup, points=_points((1.0, None), (13, 12.5)))
    assert (result.as_found_passed, result.as_left_passed) == (False, False)
    item = session.get_one(Equipment, setup["item"].id)
    assert (item.status, item.flagged_for_review) == ("out_of_service", True)
    assert session.get_one(WorkOrder, result.work_order_id).result == "fail"
    # Not a completed calibration: the schedule still asks for one.
    schedule = session.get_one(Schedule, setup["schedule"].id)
    assert (schedule.next_due, schedule.last_completed) == (date(2026, 12, 1), None)


def test_a_late_entry_of_an_earlier_calibration_does_not_move_the_schedule_again(
    session: Session, setup: dict[str, Any]
) -> None:
    _record(session, setup)
    schedule = session.get_one(Schedule, setup["schedule"].id)
    assert (schedule.next_due, schedule.last_completed) == (date(2027, 12, 1), date(2026, 11, 20))
    # Last year's certificate, found in a drawer; and a second check on the same day.
    _record(session, setup, calibrated_on=date(2025, 11, 3), valid_until=None)
    _record(session, setup, certificate_no="FTMC-JSM-2026-118")
    assert (schedule.next_due, schedule.last_completed) == (date(2027, 12, 1), date(2026, 11, 20))


def test_a_good_calibration_leaves_an_out_of_service_item_out_of_service(
    session: Session, setup: dict[str, Any]
) -> None:
    item = setup["item"]
    item.status = "out_of_service"
    session.commit()
    _record(session, setup)
    assert session.get_one(Equipment, item.id).status == "out_of_service"


def test_the_given_open_work_order_is_the_one_closed(
    session: Session, setup: dict[str, Any]
) -> None:
    planned = make_work_order(
        session,
        setup["item"],
        kind="calibration",
        status="in_progress",
        schedule_id=setup["schedule"].id,
        due_date=date(2026, 12, 1),
        notes="Planned.",
    )
    before = _count(session, WorkOrder)
    result = _record(session, setup, work_order_id=planned.id, notes="Done in the lab.")
    assert result.work_order_id == planned.id
    assert _count(session, WorkOrder) == before
    order = session.get_one(WorkOrder, planned.id)
    assert (order.status, order.result, order.notes) == (
        "done",
        "pass",
        "Planned.\nDone in the lab.",
    )
    # Used once: a second result for it is refused.
    with pytest.raises(ValidationError) as caught:
        _record(session, setup, work_order_id=planned.id)
    assert set(caught.value.errors) == {"work_order_id"}


def test_without_a_choice_the_open_planned_order_is_closed_not_a_second_one(
    session: Session, setup: dict[str, Any]
) -> None:
    make_work_order(session, setup["item"], kind="calibration", status="cancelled")
    planned = make_work_order(session, setup["item"], kind="calibration", status="open")
    before = _count(session, WorkOrder)
    # "new" asks for a new work order explicitly: the planned one stays open.
    explicit = _record(session, setup, work_order_id="new")
    assert explicit.work_order_id != planned.id
    assert session.get_one(WorkOrder, planned.id).status == "open"
    before += 1
    result = _record(session, setup)
    assert result.work_order_id == planned.id
    assert _count(session, WorkOrder) == before
    # With none left open, recording opens (and closes) a new one.
    assert _record(session, setup).work_order_id not in (planned.id, None)
    assert _count(session, WorkOrder) == before + 1


@pytest.mark.parametrize(
    "order_fields",
    [
        {"kind": "corrective", "status": "open"},
        {"kind": "calibration", "status": "cancelled"},
        {"kind": "calibration", "status": "open", "other_item": True},
    ],
)
def test_only_an_open_calibration_order_of_the_item_can_be_closed(
    session: Session, setup: dict[str, Any], order_fields: dict[str, Any]
) -> None:
    fields = dict(order_fields)  # the parameter is shared by both backends' runs
    target = setup["foreign"] if fields.pop("other_item", False) else setup["item"]
    order = make_work_order(session, target, **fields)
    with pytest.raises(ValidationError) as caught:
        _record(session, setup, work_order_id=order.id)
    assert caught.value.errors == {
        "work_order_id": "Choose an open calibration work order of this item."
    }
    assert _count(session, CalibrationResult) == 0


def test_drift_against_the_previous_as_left(session: Session, setup: dict[str, Any]) -> None:
    make_calibration(
        session,
        setup["item"],
        calibrated_on=date(2025, 11, 18),
        points=(
            {"nominal": 1.0, "tolerance": 20.0, "as_found": 1.3, "as_left": 1.02},
            {"nominal": 10.0, "tolerance": 20.0, "as_found": 9.8},  # left as found
        ),
    )
    first = get_calibration(
        session,
        EVERYTHING,
        make_calibration(session, setup["foreign"], calibrated_on=date(2025, 1, 1)).id,
    )
    assert first.previous is None
    assert [p.drift for p in first.points] == [None]

    result = _record(session, setup, points=_points((1.1, None), (10.3, None), (99, None)))
    found = get_calibration(session, EVERYTHING, result.id)
    assert found.previous is not None
    assert found.previous.calibrated_on == date(2025, 11, 18)
    assert [p.previous_as_left for p in found.points] == [1.02, 9.8, None]
    # as found now − as left then; exact in decimal, so 1.1 − 1.02 is 0.08.
    assert [p.drift for p in found.points] == [0.08, 0.5, None]
    assert [p.as_found_deviation for p in found.points] == [0.1, 0.3, -1.0]
    assert found.points[0].as_found_relative == pytest.approx(10.0)
    assert [p.as_found_within for p in found.points] == [True, True, True]
    assert found.points[1].allowed_deviation == 2.0
    assert found.work_order.id == result.work_order_id


def test_bad_input_names_every_field_and_writes_nothing(
    session: Session, setup: dict[str, Any]
) -> None:
    before = {m: _count(session, m) for m in (CalibrationResult, CalibrationPoint, WorkOrder)}
    with pytest.raises(ValidationError) as caught:
        _record(
            session,
            setup,
            laboratory="  ",
            certificate_no="X" * 81,
            calibrated_on=date(2026, 11, 22),  # tomorrow
            valid_until="2026-13-01",
            points=[
                PointInput(nominal="", tolerance="20", as_found="1"),
                PointInput(nominal="10", tolerance="20", as_found="ten"),
                PointInput(nominal="0", tolerance="5", tolerance_kind="pct", as_found="0"),
                PointInput(nominal="100", tolerance="-1", as_found="100"),
                PointInput(nominal="100", tolerance="5"),
                PointInput(nominal="100", tolerance="5", tolerance_kind="ppm", as_found="1"),
            ],
            certificate=CertificateUpload("certificate.pdf", b"<html><script>"),
        )
    errors = caught.value.errors
    assert errors == {
        "laboratory": "This field is required.",
        "certificate_no": "At most 80 characters.",
        "calibrated_on": "The calibration date cannot be in the future.",
        "valid_until": "Enter a date as YYYY-MM-DD.",
        "points[0].nominal": "This field is required.",
        "points[1].as_found": "Enter a number, e.g. 1.5.",
        "points[2].tolerance_kind": (
            "A percentage of zero is zero: give an absolute tolerance for a zero nominal value."
        ),
        "points[3].tolerance": "The tolerance cannot be negative.",
        "points[4].as_found": (
            "Enter the as-found reading (or the as-left one), or leave out the point."
        ),
        "points[5].tolerance_kind": "Choose an absolute or a percentage tolerance.",
        "certificate": "The certificate must be a PDF, PNG or JPEG file.",
    }
    assert {m: _count(session, m) for m in before} == before
    assert _files(setup["store"]) == []
    item = session.get_one(Equipment, setup["item"].id)
    assert (item.status, item.flagged_for_review) == ("in_service", False)


def test_numbers_may_be_text_with_a_decimal_comma(session: Session, setup: dict[str, Any]) -> None:
    result = _record(
        session,
        setup,
        points=[PointInput(nominal="0,5", tolerance="0,1", tolerance_kind="abs", as_found="0,6")],
        calibrated_on="2026-11-20",
        valid_until="",
    )
    [point] = session.execute(
        select(CalibrationPoint).where(CalibrationPoint.calibration_id == result.id)
    ).scalars()
    assert (point.nominal, point.tolerance, point.as_found) == (0.5, 0.1, 0.6)
    assert result.as_found_passed is True  # 0.6 − 0.5 = 0.1: on the boundary, inclusive
    assert result.valid_until is None


def test_at_least_one_point_and_valid_after_the_calibration(
    session: Session, setup: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as caught:
        _record(session, setup, points=[], valid_until=date(2026, 11, 20))
    assert caught.value.errors == {
        "points": "Enter at least one calibration point.",
        "valid_until": "The certificate must be valid after the calibration date.",
    }


def test_too_large_and_empty_files_are_refused(session: Session, setup: dict[str, Any]) -> None:
    store: CertificateStore = setup["store"]
    big = PDF + b"0" * store.max_bytes
    for data, message in (
        (big, "The certificate file is too large: at most 1 MB is accepted."),
        (b"", "The certificate file is empty."),
    ):
        with pytest.raises(ValidationError) as caught:
            _record(session, setup, certificate=CertificateUpload("big.pdf", data))
        assert caught.value.errors == {"certificate": message}
    assert _count(session, CalibrationResult) == 0
    assert _files(store) == []


def test_a_failed_transaction_leaves_no_file_behind(
    session: Session, setup: dict[str, Any]
) -> None:
    item = setup["item"]
    # Somebody else saves the item meanwhile: our flag for review hits a stale version.
    session.execute(
        text("UPDATE equipment SET version = version + 1 WHERE id = :id"), {"id": item.id}
    )
    with pytest.raises(Conflict):
        _record(
            session,
            setup,
            points=_points((1.5, 1.0)),
            certificate=CertificateUpload("c.png", PNG),
        )
    assert _files(setup["store"]) == []
    assert _count(session, CalibrationResult) == 0
    assert _count(session, CalibrationPoint) == 0


def test_another_agency_is_not_found(session: Session, setup: dict[str, Any]) -> None:
    foreign = make_calibration(session, setup["foreign"])
    scope = setup["officer_scope"]
    with pytest.raises(NotFound):
        get_calibration(session, scope, foreign.id)
    with pytest.raises(NotFound):
        certificate_for_download(session, scope, foreign.id, setup["store"])
    with pytest.raises(NotFound):
        update_calibration(session, scope, foreign.id, version=1, laboratory="Mine now")
    with pytest.raises(NotFound):
        _record(session, setup, equipment_id=setup["foreign"].id, scope=scope)
    with pytest.raises(NotFound):
        list_calibrations(session, scope, equipment_id=setup["foreign"].id)
    assert session.get_one(CalibrationResult, foreign.id).laboratory != "Mine now"


def test_list_is_scoped_paged_and_counted_in_two_queries(
    session: Session, setup: dict[str, Any]
) -> None:
    for day in range(1, 6):
        make_calibration(session, setup["item"], calibrated_on=date(2025, 1, day))
    make_calibration(session, setup["foreign"], calibrated_on=date(2025, 2, 1))
    statements: list[str] = []

    def _log(*args: Any) -> None:
        statements.append(args[2])

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", _log)
    try:
        page = list_calibrations(session, setup["officer_scope"], page=2, per_page=2)
    finally:
        event.remove(connection, "before_cursor_execute", _log)
    assert len(statements) == 2
    assert page.total == 5
    assert [row.result.calibrated_on.day for row in page.items] == [3, 2]
    assert {row.inventory_no for row in page.items} == {"VSAT-PRD-0001"}
    everything = list_calibrations(session, EVERYTHING, per_page=10)
    assert everything.total == 6
    assert everything.items[0].inventory_no == "MUIT-PRD-0001"  # the newest first
    one = list_calibrations(session, EVERYTHING, equipment_id=setup["foreign"].id)
    assert one.total == 1
    with pytest.raises(ValidationError) as caught:
        list_calibrations(session, EVERYTHING, page=0, per_page=1000)
    assert set(caught.value.errors) == {"page", "per_page"}


def test_corrections_need_the_version_that_was_read(
    session: Session, setup: dict[str, Any]
) -> None:
    result = _record(session, setup)
    assert result.version == 1
    update_calibration(
        session, EVERYTHING, result.id, version=1, certificate_no="FTMC-JSM-2026-118"
    )
    assert session.get_one(CalibrationResult, result.id).version == 2
    # A second user still holding version 1 is refused, and nothing of theirs is written.
    with pytest.raises(Conflict):
        update_calibration(session, EVERYTHING, result.id, version=1, laboratory="Other lab")
    stored = session.get_one(CalibrationResult, result.id)
    assert (stored.certificate_no, stored.laboratory) == (
        "FTMC-JSM-2026-118",
        "FTMC ionising radiation metrology laboratory",
    )
    with pytest.raises(ValidationError) as caught:
        update_calibration(
            session, EVERYTHING, result.id, version=2, laboratory="", valid_until="2020-01-01"
        )
    assert set(caught.value.errors) == {"laboratory", "valid_until"}
    update_calibration(session, EVERYTHING, result.id, version=2, valid_until=None)
    assert session.get_one(CalibrationResult, result.id).valid_until is None


def test_no_certificate_file_is_not_found(session: Session, setup: dict[str, Any]) -> None:
    result = _record(session, setup)
    with pytest.raises(NotFound):
        certificate_for_download(session, EVERYTHING, result.id, setup["store"])


def test_file_kinds_are_recognised_by_content_not_name() -> None:
    assert sniff(PDF).mimetype == "application/pdf"  # type: ignore[union-attr]
    assert sniff(PNG).mimetype == "image/png"  # type: ignore[union-attr]
    assert sniff(b"\xff\xd8\xff\xe0JFIF").mimetype == "image/jpeg"  # type: ignore[union-attr]
    assert sniff(b"GIF89a") is None
    assert sniff(b"<!doctype html>") is None
    pdf = sniff(PDF)
    assert pdf is not None
    assert download_name("report.html", pdf) == "report.html.pdf"
    assert download_name("../../etc/passwd", pdf) == "passwd.pdf"
    assert (
        download_name("Kalibravimo sertifikatas Ž-7.PDF", pdf) == "Kalibravimo sertifikatas Ž-7.PDF"
    )
    assert download_name('a"b\r\n.pdf', pdf) == "ab.pdf"
    assert download_name("", pdf) == "certificate.pdf"
    assert download_name("x" * 300 + ".pdf", pdf) == "x" * 251 + ".pdf"
