"""Sixty days of reminders for a small fleet, day by day: the sweep at 06:00 and the digest at
07:00 local time, a calibration recorded on the morning it falls due. Every email that reaches
the outbox is compared with a list written by hand from the rules in docs/reminders.md."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import Equipment, Notification, OutboxMessage, Schedule, WorkOrder
from equiplan.services.calibrations import PointInput, record_calibration
from equiplan.services.reminders import ReminderSettings, send_digests, sweep_reminders
from equiplan.services.scoping import Scope
from tests.factories import (
    make_agency,
    make_equipment,
    make_model,
    make_schedule,
    make_site,
    make_type,
    make_user,
    make_work_order,
)

VILNIUS = ZoneInfo("Europe/Vilnius")
FIRST_DAY = date(2026, 11, 1)
DAYS = 60  # 1 November – 30 December 2026
SETTINGS = ReminderSettings(
    timezone="Europe/Vilnius",
    base_url="https://equiplan.nssc.lt",
    default_locale="lt",
    escalation_days=(7, 14),
    repair_escalation_hours=(24, 72),
)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=VILNIUS).astimezone(UTC)


def _fleet(session: Session) -> dict[str, Any]:
    vsat = make_agency(session, "VSAT", focal_point_email="pasienis@vsat.lt")  # no account
    muit = make_agency(session, "MUIT", kind="customs")  # no focal point
    make_user(session, "officer", vsat, email="jonas@vsat.lt", locale="en")
    make_user(session, "officer", vsat, email="rasa@vsat.lt", locale="lt", digest_opt_in=True)
    make_user(session, "officer", vsat, email="old@vsat.lt", active=False)
    make_user(session, "viewer", vsat, email="chief@vsat.lt")
    make_user(session, "officer", muit, email="ona@muit.lt", locale="lt")
    technician = make_user(session, "technician", email="tomas@nssc.lt", locale="en")
    make_user(session, "technician", email="lina@nssc.lt", locale="lt")
    model = make_model(session, make_type(session, "PRD"))
    crossing = make_site(session, vsat, code="MED", criticality=5)

    def item(agency: Any, number: str, **fields: Any) -> Equipment:
        return make_equipment(session, agency, model, inventory_no=number, **fields)

    calibrated = item(vsat, "VSAT-PRD-0001")
    make_schedule(session, calibrated, date(2026, 11, 20), lead_days=14, grace_days=7)
    lane = item(vsat, "VSAT-RPM-0002", site=crossing, status="in_repair")
    make_schedule(
        session,
        lane,
        date(2026, 11, 10),
        kind="source_check",
        interval_value=30,
        interval_unit="days",
        anchor="completion",
        lead_days=0,
        grace_days=0,
    )
    make_work_order(
        session,
        lane,
        status="in_progress",
        target_restore_at=datetime(2026, 11, 5, 10, 0, tzinfo=UTC),  # 12:00 in Vilnius
    )
    riid = item(muit, "MUIT-RIID-0003")
    make_schedule(session, riid, date(2026, 11, 15), lead_days=30, grace_days=14)
    spare = item(muit, "MUIT-PRD-0004")
    make_schedule(
        session,
        spare,
        date(2026, 12, 20),
        kind="preventive",
        interval_value=3,
        interval_unit="months",
        lead_days=7,
        grace_days=3,
    )
    paused = item(vsat, "VSAT-PRD-0005")
    make_schedule(session, paused, date(2026, 10, 1), active=False)
    retired = item(vsat, "VSAT-PRD-0006", status="decommissioned")
    make_schedule(session, retired, date(2026, 11, 10))
    later = item(vsat, "VSAT-PRD-0007")
    make_schedule(session, later, date(2027, 3, 1), lead_days=30)
    return {"calibrated": calibrated, "technician": technician}


def _calibrate(session: Session, fleet: dict[str, Any], day: date) -> None:
    record_calibration(
        session,
        Scope.everything(),
        equipment_id=fleet["calibrated"].id,
        recorded_by_id=fleet["technician"].id,
        laboratory="FTMC",
        certificate_no="FTMC-2026-0412",
        calibrated_on=day,
        valid_until=day.replace(year=day.year + 1),
        points=[PointInput(nominal=10, tolerance=20, as_found=10.4)],
        today=day,
    )


def _what(notification: Notification, session: Session) -> tuple[str, str, str]:
    """(stage, inventory no., work) of a notification."""
    if notification.work_order_id is not None:
        order = session.get(WorkOrder, notification.work_order_id)
        assert order is not None
        work, equipment_id = "repair", order.equipment_id
    else:
        schedule = session.get(Schedule, notification.schedule_id)
        assert schedule is not None
        work, equipment_id = schedule.kind, schedule.equipment_id
    item = session.get(Equipment, equipment_id)
    assert item is not None
    return notification.stage, item.inventory_no, work


@pytest.fixture
def replay(session: Session, app: Flask) -> dict[str, Any]:
    """Run the sixty days and collect what reached the outbox."""
    fleet = _fleet(session)
    with app.app_context():
        for offset in range(DAYS):
            day = FIRST_DAY + timedelta(days=offset)
            sweep_reminders(session, SETTINGS, _at(day, 6))
            if day == date(2026, 11, 20):
                _calibrate(session, fleet, day)  # at about 06:30, before the digest
            send_digests(session, SETTINGS, _at(day, 7))
    singles: list[tuple[str, str, str, str, str]] = []
    digests: list[tuple[str, str, list[tuple[str, str, str]]]] = []
    subjects: list[tuple[str, str, str]] = []
    for message in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
        day = message.created_at.astimezone(VILNIUS).strftime("%m-%d")
        rows = session.scalars(
            select(Notification).where(Notification.outbox_id == message.id)
        ).all()
        if len(rows) == 1 and rows[0].status == "queued":
            singles.append((day, message.to_addr, *_what(rows[0], session)))
        else:
            assert {row.status for row in rows} == {"digest"}
            digests.append((day, message.to_addr, sorted(_what(row, session) for row in rows)))
        if message.locale == "en":
            subjects.append((day, message.to_addr, message.subject))
    statuses = session.scalars(select(Notification.status)).all()
    return {"singles": singles, "digests": digests, "subjects": subjects, "statuses": statuses}


def test_sixty_days_of_reminders(replay: dict[str, Any]) -> None:
    # One replay per backend (it is the slow part), three checks.
    _check_single_reminders(replay)
    _check_digests(replay)
    _check_english_subjects(replay)


def _check_single_reminders(replay: dict[str, Any]) -> None:
    jonas, ona, focal = "jonas@vsat.lt", "ona@muit.lt", "pasienis@vsat.lt"
    tomas, lina = "tomas@nssc.lt", "lina@nssc.lt"
    calibrated, lane = "VSAT-PRD-0001", "VSAT-RPM-0002"
    riid, spare = "MUIT-RIID-0003", "MUIT-PRD-0004"
    assert replay["singles"] == [
        # Lead time began 16 October, before the first sweep: caught up on the first day.
        ("11-01", ona, "lead", riid, "calibration"),
        ("11-06", jonas, "lead", calibrated, "calibration"),  # 14 days before 20 Nov
        ("11-06", jonas, "overdue", lane, "repair"),  # target 5 Nov 12:00 passed
        ("11-07", focal, "escalation_1", lane, "repair"),  # 24 h after the target
        ("11-09", tomas, "escalation_2", lane, "repair"),  # 72 h after the target
        ("11-09", lina, "escalation_2", lane, "repair"),
        ("11-10", jonas, "due", lane, "source_check"),  # no lead time, no grace
        ("11-11", jonas, "overdue", lane, "source_check"),
        ("11-15", ona, "due", riid, "calibration"),
        ("11-18", focal, "escalation_1", lane, "source_check"),  # 8 days past the window
        ("11-20", jonas, "due", calibrated, "calibration"),  # then calibrated that morning
        ("11-25", tomas, "escalation_2", lane, "source_check"),  # 15 days past the window
        ("11-25", lina, "escalation_2", lane, "source_check"),
        ("11-30", ona, "overdue", riid, "calibration"),  # grace ended 29 Nov
        ("12-13", ona, "lead", spare, "preventive"),  # 7 days before 20 Dec
        # MUIT has no focal point: no first escalation; the NSSC 15 days past 29 Nov.
        ("12-14", tomas, "escalation_2", riid, "calibration"),
        ("12-14", lina, "escalation_2", riid, "calibration"),
        ("12-20", ona, "due", spare, "preventive"),
        ("12-24", ona, "overdue", spare, "preventive"),  # grace (3 days) ended 23 Dec
    ]


def _check_digests(replay: dict[str, Any]) -> None:
    rasa, calibrated, lane = "rasa@vsat.lt", "VSAT-PRD-0001", "VSAT-RPM-0002"
    assert replay["digests"] == [
        (
            "11-06",
            rasa,
            [("lead", calibrated, "calibration"), ("overdue", lane, "repair")],
        ),
        ("11-10", rasa, [("due", lane, "source_check")]),
        ("11-11", rasa, [("overdue", lane, "source_check")]),
        # 20 Nov: the calibration due that day was recorded before 07:00, so no digest.
    ]
    # That one reminder is the only one never sent; nothing is left waiting.
    assert sorted(replay["statuses"]).count("obsolete") == 1
    assert "pending" not in replay["statuses"]


def _check_english_subjects(replay: dict[str, Any]) -> None:
    jonas, tomas = "jonas@vsat.lt", "tomas@nssc.lt"
    assert replay["subjects"] == [
        ("11-06", jonas, "Calibration due in 14 days: VSAT-PRD-0001"),
        ("11-06", jonas, "Repair overdue by 18 h: VSAT-RPM-0002"),
        ("11-09", tomas, "Escalated to you: Repair overdue by 3 days: VSAT-RPM-0002"),
        ("11-10", jonas, "Source check due today: VSAT-RPM-0002"),
        ("11-11", jonas, "Source check overdue by 1 day: VSAT-RPM-0002"),
        ("11-20", jonas, "Calibration due today: VSAT-PRD-0001"),
        ("11-25", tomas, "Escalated to you: Source check overdue by 15 days: VSAT-RPM-0002"),
        ("12-14", tomas, "Escalated to you: Calibration overdue by 15 days: MUIT-RIID-0003"),
    ]
