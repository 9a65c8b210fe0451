"""The reminder sweep on SQLite and PostgreSQL: who gets which reminder, once; what is no longer
due is never sent; digest readers wait for their digest; the SQL rule agrees with the domain's."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, event, func, select
from sqlmodel import Session

from equiplan import create_app
from equiplan.db import get_db, session_scope, upgrade
from equiplan.domain.reminders import (
    Stage,
    repair_bounds,
    repair_stages,
    schedule_bounds,
    schedule_reminded,
    schedule_stages,
)
from equiplan.models import Equipment, Notification, OutboxMessage, Schedule, WorkOrder
from equiplan.services.reminder_sweep import (
    repair_reminded_clause,
    repair_stage_clause,
    schedule_reminded_clause,
    schedule_stage_clause,
)
from equiplan.services.reminders import (
    ReminderSettings,
    find_due_reminders,
    reminder_settings,
    send_digests,
    sweep_reminders,
)
from equiplan.services.schedule_completion import set_next_due
from equiplan.services.schedules import pause_schedule, resume_schedule
from equiplan.services.scoping import Scope
from tests.factories import (
    make_agency,
    make_equipment,
    make_model,
    make_schedule,
    make_type,
    make_user,
    make_work_order,
)

NOW = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # 06:00 in Vilnius
TODAY = date(2026, 11, 21)
SETTINGS = ReminderSettings(
    timezone="Europe/Vilnius",
    base_url="https://equiplan.example.lt",
    default_locale="lt",
    escalation_days=(7, 14),
    repair_escalation_hours=(24, 72),
)


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def people(session: Session) -> dict[str, Any]:
    vsat = make_agency(
        session,
        "VSAT",
        name_en="State Border Guard Service",
        name_lt="Valstybės sienos apsaugos tarnyba",
        focal_point_email="focal@vsat.lt",
    )
    customs = make_agency(session, "MUIT", kind="customs")
    return {
        "vsat": vsat,
        "customs": customs,
        "officer_en": make_user(session, "officer", vsat, email="jonas@vsat.lt", locale="en"),
        "officer_lt": make_user(session, "officer", vsat, email="ona@vsat.lt", locale="lt"),
        "retired": make_user(session, "officer", vsat, email="old@vsat.lt", active=False),
        "viewer": make_user(session, "viewer", vsat, email="boss@vsat.lt"),
        "customs_officer": make_user(session, "officer", customs, email="petras@muit.lt"),
        "tech_en": make_user(session, "technician", email="tech.a@nssc.lt", locale="en"),
        "tech_lt": make_user(session, "technician", email="tech.b@nssc.lt", locale="lt"),
        "tech_gone": make_user(session, "technician", email="tech.c@nssc.lt", active=False),
        "admin": make_user(session, "admin", email="admin@nssc.lt"),
        "model": make_model(session, make_type(session, "PRD")),
    }


def _item(session: Session, people: dict[str, Any], number: str, **fields: Any) -> Equipment:
    agency = fields.pop("agency", people["vsat"])
    return make_equipment(session, agency, people["model"], inventory_no=number, **fields)


def _reminders(session: Session) -> set[tuple[str, str, str, str]]:
    """(inventory no., stage, recipient, status) of every notification."""
    rows = session.execute(
        select(Equipment.inventory_no, Notification.stage, Notification.recipient_email)
        .add_columns(Notification.status)
        .select_from(Notification)
        .outerjoin(Schedule, Schedule.id == Notification.schedule_id)
        .outerjoin(WorkOrder, WorkOrder.id == Notification.work_order_id)
        .join(
            Equipment,
            Equipment.id == func.coalesce(Schedule.equipment_id, WorkOrder.equipment_id),
        )
    )
    return {tuple(row) for row in rows}  # type: ignore[misc]


def _outbox(session: Session) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_each_stage_reaches_its_audience(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    coming = _item(session, people, "VSAT-PRD-0001")
    make_schedule(session, coming, date(2026, 12, 21), lead_days=30, grace_days=14)
    due = _item(session, people, "VSAT-PRD-0002")
    make_schedule(session, due, TODAY, lead_days=30, grace_days=14)
    forgotten = _item(session, people, "VSAT-PRD-0003")
    make_schedule(session, forgotten, date(2026, 10, 1), lead_days=30, grace_days=14)
    _item(session, people, "MUIT-PRD-0001", agency=people["customs"])  # nothing due

    report = sweep_reminders(session, SETTINGS, NOW)

    officers = ("jonas@vsat.lt", "ona@vsat.lt")
    expected = {
        *(("VSAT-PRD-0001", "lead", who, "queued") for who in officers),
        *(("VSAT-PRD-0002", "due", who, "queued") for who in officers),
        *(("VSAT-PRD-0003", "overdue", who, "queued") for who in officers),
        ("VSAT-PRD-0003", "escalation_1", "focal@vsat.lt", "queued"),
        ("VSAT-PRD-0003", "escalation_2", "tech.a@nssc.lt", "queued"),
        ("VSAT-PRD-0003", "escalation_2", "tech.b@nssc.lt", "queued"),
    }
    assert _reminders(session) == expected
    assert str(report) == (
        "new reminders 9 (lead 2, due 2, overdue 2, escalation_1 1, escalation_2 2); "
        "emails queued 9, obsolete 0"
    )
    sent = {(m.to_addr, m.subject, m.locale) for m in _outbox(session)}
    assert ("jonas@vsat.lt", "Calibration due in 30 days: VSAT-PRD-0001", "en") in sent
    assert ("jonas@vsat.lt", "Calibration due today: VSAT-PRD-0002", "en") in sent
    assert ("jonas@vsat.lt", "Calibration overdue by 37 days: VSAT-PRD-0003", "en") in sent
    assert (
        "tech.a@nssc.lt",
        "Escalated to you: Calibration overdue by 37 days: VSAT-PRD-0003",
        "en",
    ) in sent
    assert {(m.to_addr, m.locale) for m in _outbox(session)} >= {
        ("ona@vsat.lt", "lt"),
        ("tech.b@nssc.lt", "lt"),
        ("focal@vsat.lt", "lt"),
    }
    message = next(m for m in _outbox(session) if m.subject.endswith("VSAT-PRD-0003"))
    assert f"https://equiplan.example.lt/equipment/{forgotten.id}" in message.body_text
    assert message.created_at == message.next_attempt_at == NOW
    # Every queued row points at its own email.
    rows = session.scalars(select(Notification)).all()
    assert len({row.outbox_id for row in rows}) == len(rows) == len(_outbox(session))


def test_sweeping_again_sends_nothing_twice(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    item = _item(session, people, "VSAT-PRD-0001")
    make_schedule(session, item, date(2026, 10, 1), lead_days=30, grace_days=14)
    make_work_order(
        session, item, status="in_progress", target_restore_at=NOW - timedelta(hours=100)
    )
    sweep_reminders(session, SETTINGS, NOW)
    first_rows, first_outbox = _reminders(session), len(_outbox(session))
    again = sweep_reminders(session, SETTINGS, NOW)
    later = sweep_reminders(session, SETTINGS, NOW + timedelta(hours=5))
    assert _reminders(session) == first_rows
    assert len(_outbox(session)) == first_outbox == 10
    assert (
        str(again)
        == str(later)
        == (
            "new reminders 0 (lead 0, due 0, overdue 0, escalation_1 0, escalation_2 0); "
            "emails queued 0, obsolete 0"
        )
    )


def test_paused_schedules_and_decommissioned_items_are_not_reminded_of(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    paused = _item(session, people, "VSAT-PRD-0001")
    make_schedule(session, paused, date(2026, 10, 1), active=False)
    retired = _item(session, people, "VSAT-PRD-0002", status="decommissioned")
    make_schedule(session, retired, date(2026, 10, 1))
    make_work_order(session, retired, status="open", target_restore_at=NOW - timedelta(days=9))
    in_repair = _item(session, people, "VSAT-PRD-0003", status="in_repair")
    make_schedule(session, in_repair, TODAY, lead_days=0, grace_days=0)
    sweep_reminders(session, SETTINGS, NOW)
    assert {(number, stage) for number, stage, _who, _status in _reminders(session)} == {
        ("VSAT-PRD-0003", "due")
    }


def test_work_re_dated_before_its_email_is_written_is_not_sent(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    item = _item(session, people, "VSAT-PRD-0001")
    schedule = make_schedule(session, item, TODAY, lead_days=30, grace_days=14)
    # A sweep that stopped after finding the reminders (a crash, or the process was stopped).
    find_due_reminders(session, SETTINGS, NOW)
    assert {status for *_rest, status in _reminders(session)} == {"pending"}
    set_next_due(schedule, date(2026, 12, 10))
    session.commit()

    report = sweep_reminders(session, SETTINGS, NOW + timedelta(minutes=5))

    officers = ("jonas@vsat.lt", "ona@vsat.lt")
    assert _reminders(session) == {
        *(("VSAT-PRD-0001", "due", who, "obsolete") for who in officers),
        *(("VSAT-PRD-0001", "lead", who, "queued") for who in officers),
    }
    assert (report.queued, report.obsolete) == (2, 2)
    english = next(m for m in _outbox(session) if m.to_addr == "jonas@vsat.lt")
    assert english.subject == "Calibration due in 19 days: VSAT-PRD-0001"


def test_a_closed_repair_is_not_reminded_of(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    item = _item(session, people, "VSAT-RPM-0001", status="in_repair")
    order = make_work_order(
        session, item, status="in_progress", target_restore_at=NOW - timedelta(hours=2)
    )
    find_due_reminders(session, SETTINGS, NOW)
    order.status = "done"
    session.commit()
    report = sweep_reminders(session, SETTINGS, NOW)
    assert (report.queued, report.obsolete) == (0, 2)
    assert _outbox(session) == []


def test_repairs_escalate_by_hours_and_are_dated_by_the_local_day_of_the_target(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    item = _item(session, people, "VSAT-RPM-0001", status="in_repair")
    # 23:30 UTC on 19 November is 01:30 on 20 November in Vilnius.
    target = datetime(2026, 11, 19, 23, 30, tzinfo=UTC)
    order = make_work_order(session, item, status="open", target_restore_at=target)
    stages_at = {}
    for hours in (0, 1, 25, 73):
        sweep_reminders(session, SETTINGS, target + timedelta(hours=hours))
        stages_at[hours] = {stage for _n, stage, _w, _s in _reminders(session)}
    assert stages_at == {
        0: set(),
        1: {"overdue"},
        25: {"overdue", "escalation_1"},
        73: {"overdue", "escalation_1", "escalation_2"},
    }
    rows = session.scalars(select(Notification)).all()
    assert {(row.work_order_id, row.due_date) for row in rows} == {(order.id, date(2026, 11, 20))}
    subjects = {m.to_addr: m.subject for m in _outbox(session)}
    assert subjects["jonas@vsat.lt"] == "Repair overdue by 1 h: VSAT-RPM-0001"
    assert subjects["tech.a@nssc.lt"] == "Escalated to you: Repair overdue by 3 days: VSAT-RPM-0001"
    body = next(m for m in _outbox(session) if m.to_addr == "jonas@vsat.lt").body_text
    assert f"https://equiplan.example.lt/work-orders/{order.id}" in body


def test_digest_readers_get_no_single_emails_and_one_digest(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    reader = people["officer_en"]
    reader.digest_opt_in = True
    session.commit()
    for number, due in (("VSAT-PRD-0001", TODAY), ("VSAT-PRD-0002", date(2026, 10, 1))):
        make_schedule(session, _item(session, people, number), due, lead_days=30, grace_days=14)
    done = _item(session, people, "VSAT-PRD-0003")
    done_schedule = make_schedule(session, done, date(2026, 12, 1), lead_days=30, grace_days=0)

    sweep_reminders(session, SETTINGS, NOW)
    assert "jonas@vsat.lt" not in {m.to_addr for m in _outbox(session)}
    waiting = {(n, s) for n, s, who, status in _reminders(session) if who == "jonas@vsat.lt"}
    assert waiting == {
        ("VSAT-PRD-0001", "due"),
        ("VSAT-PRD-0002", "overdue"),
        ("VSAT-PRD-0003", "lead"),
    }
    # The work on one item is done before the digest goes out.
    set_next_due(done_schedule, date(2027, 12, 1))
    session.commit()

    report = send_digests(session, SETTINGS, NOW + timedelta(hours=1))
    assert str(report) == "digests queued 1 (2 reminders), obsolete 1"
    digests = [m for m in _outbox(session) if m.to_addr == "jonas@vsat.lt"]
    assert len(digests) == 1
    digest = digests[0]
    assert (digest.subject, digest.locale) == ("Daily reminder digest (2)", "en")
    # Most urgent first: the overdue item before the one due today; the completed one left out.
    text = digest.body_text
    assert text.index("VSAT-PRD-0002") < text.index("VSAT-PRD-0001")
    assert "VSAT-PRD-0003" not in text
    mine = session.scalars(
        select(Notification).where(Notification.recipient_email == "jonas@vsat.lt")
    ).all()
    assert sorted((n.status, n.outbox_id) for n in mine) == sorted(
        [("digest", digest.id), ("digest", digest.id), ("obsolete", None)]
    )
    # Nothing pending any more: the next digest sends nothing.
    assert send_digests(session, SETTINGS, NOW + timedelta(days=1)).digests == 0


def test_a_digest_reader_with_nothing_pending_gets_nothing(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    people["officer_en"].digest_opt_in = True
    session.commit()
    assert send_digests(session, SETTINGS, NOW).digests == 0
    assert _outbox(session) == []


def test_a_focal_point_without_an_account_gets_the_default_language(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    make_schedule(session, _item(session, people, "VSAT-PRD-0001"), date(2026, 11, 1), grace_days=0)
    english = ReminderSettings(**{**SETTINGS.__dict__, "default_locale": "en"})
    sweep_reminders(session, english, NOW)
    focal = [m for m in _outbox(session) if m.to_addr == "focal@vsat.lt"]
    assert [(m.locale, m.subject) for m in focal] == [
        ("en", "Escalated to you: Calibration overdue by 20 days: VSAT-PRD-0001")
    ]
    assert "ask the NSSC system administrator" in focal[0].body_text
    assert "/account" not in focal[0].body_text
    row = session.scalars(select(Notification).where(Notification.stage == "escalation_1")).one()
    assert row.user_id is None


def test_a_focal_point_with_an_account_gets_it_as_that_user(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    chief = make_user(session, "viewer", people["vsat"], email="focal@vsat.lt", locale="en")
    make_schedule(session, _item(session, people, "VSAT-PRD-0001"), date(2026, 11, 1), grace_days=0)
    sweep_reminders(session, SETTINGS, NOW)  # the default language is Lithuanian
    row = session.scalars(select(Notification).where(Notification.stage == "escalation_1")).one()
    assert row.user_id == chief.id
    focal = [m for m in _outbox(session) if m.to_addr == "focal@vsat.lt"]
    assert [m.locale for m in focal] == ["en"]
    assert "https://equiplan.example.lt/account" in focal[0].body_text


def test_settings_come_from_the_app_configuration(app: Flask) -> None:
    settings = reminder_settings(app.config)
    assert settings.escalation_days == (7, 14)
    assert settings.repair_escalation_hours == (24, 72)
    assert (settings.timezone, settings.default_locale) == ("Europe/Vilnius", "lt")


def test_the_writer_reads_in_batches_without_a_query_per_reminder(
    session: Session, connection: Connection, people: dict[str, Any], app_context: None
) -> None:
    def statements_to_write(items: int, first: int) -> int:
        for n in range(items):
            item = _item(session, people, f"VSAT-PRD-{first + n:04d}")
            session.add(
                Schedule(
                    equipment_id=item.id,
                    kind="calibration",
                    interval_value=1,
                    interval_unit="years",
                    lead_days=0,
                    grace_days=0,
                    next_due=TODAY,
                    grace_ends_on=TODAY,
                    remind_from=TODAY,
                )
            )
        session.commit()
        find_due_reminders(session, SETTINGS, NOW)
        seen: list[str] = []

        def count(*args: Any) -> None:
            # Reads only: writing N emails is N rows (one INSERT each on SQLite).
            if args[2].lstrip().upper().startswith("SELECT"):
                seen.append(args[2])

        event.listen(connection, "before_cursor_execute", count)
        try:
            report = sweep_reminders(session, SETTINGS, NOW)
        finally:
            event.remove(connection, "before_cursor_execute", count)
        assert report.queued == 2 * items  # two officers
        return len(seen)

    few = statements_to_write(3, 1)
    many = statements_to_write(150, 100)  # 300 emails: two batches of at most 200
    # The late repairs, then one claim and one joined read per batch of 200, then the
    # final empty claim: two batches read two more times, whatever their size.
    assert (few, many) == (4, 6)


def _stored(schedule: Schedule) -> Schedule:
    set_next_due(schedule, schedule.next_due)  # the stored dates, as every writer keeps them
    return schedule


def test_the_sql_rule_agrees_with_the_domain_rule(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    in_service = _item(session, people, "VSAT-PRD-0001")
    retired = _item(session, people, "VSAT-PRD-0002", status="decommissioned")
    offsets = (-40, -25, -22, -16, -15, -9, -8, -7, -1, 0, 1, 2, 7, 8, 30, 31)
    for item, active in ((in_service, True), (in_service, False), (retired, True)):
        for offset in offsets:
            for lead in (0, 1, 7, 30):
                for grace in (0, 1, 7):
                    session.add(
                        _stored(
                            Schedule(
                                equipment_id=item.id,
                                kind="calibration",
                                interval_value=1,
                                interval_unit="years",
                                lead_days=lead,
                                grace_days=grace,
                                active=active,
                                next_due=TODAY + timedelta(days=offset),
                                grace_ends_on=TODAY,
                                remind_from=TODAY,
                            )
                        )
                    )
    session.commit()

    def domain_stages(row: Any, day: date) -> set[Stage]:
        if not schedule_reminded(row.active, row.status):
            return set()
        return set(schedule_stages(row.next_due, row.lead_days, row.grace_days, day, (7, 14)))

    for day in (TODAY + timedelta(days=d) for d in (-8, -1, 0, 1, 6, 15)):
        bounds = schedule_bounds(day, (7, 14))
        clauses = [
            (schedule_reminded_clause() & schedule_stage_clause(stage, bounds)).label(stage.value)
            for stage in Stage
        ]
        rows = session.execute(
            select(Schedule.id, Schedule.next_due, Schedule.lead_days, Schedule.grace_days)
            .add_columns(Schedule.active, Equipment.status, *clauses)
            .join(Equipment, Equipment.id == Schedule.equipment_id)
        ).all()
        assert len(rows) == 3 * len(offsets) * 4 * 3
        for row in rows:
            sql = {stage for stage in Stage if getattr(row, stage.value)}
            assert sql == domain_stages(row, day), (day, row)

    # The sweep itself: every (schedule, stage) it found is exactly what the domain says.
    find_due_reminders(session, SETTINGS, NOW)
    found = {
        tuple(r) for r in session.execute(select(Notification.schedule_id, Notification.stage))
    }
    expected = set()
    for schedule in session.scalars(select(Schedule)):
        item = in_service if schedule.equipment_id == in_service.id else retired
        row = type("Row", (), {**schedule.model_dump(), "status": item.status})
        expected |= {(schedule.id, stage.value) for stage in domain_stages(row, TODAY)}
    assert found == expected
    assert {stage for _id, stage in found} == {stage.value for stage in Stage}


def test_the_sql_repair_rule_agrees_with_the_domain_rule(
    session: Session, people: dict[str, Any]
) -> None:
    item = _item(session, people, "VSAT-RPM-0001", status="in_repair")
    retired = _item(session, people, "VSAT-RPM-0002", status="decommissioned")
    hours = (-5, 0, 1, 24, 25, 72, 73, 200)
    for status in ("open", "in_progress", "done", "cancelled"):
        for offset in hours:
            make_work_order(
                session, item, status=status, target_restore_at=NOW - timedelta(hours=offset)
            )
    make_work_order(session, retired, status="open", target_restore_at=NOW - timedelta(days=9))
    make_work_order(session, item, status="open", kind="preventive")
    bounds = repair_bounds(NOW, (24, 72))
    clauses = [
        (repair_reminded_clause() & repair_stage_clause(stage, bounds)).label(stage.value)
        for stage in (Stage.OVERDUE, Stage.ESCALATION_1, Stage.ESCALATION_2)
    ]
    rows = session.execute(
        select(WorkOrder.status, WorkOrder.kind, WorkOrder.target_restore_at, Equipment.status)
        .add_columns(*clauses)
        .join(Equipment, Equipment.id == WorkOrder.equipment_id)
    ).all()
    assert len(rows) == 4 * len(hours) + 2
    for status, kind, target, item_status, *flags in rows:
        sql = {
            s
            for s, flag in zip(("overdue", "escalation_1", "escalation_2"), flags, strict=True)
            if flag
        }
        reminded = (
            kind == "corrective"
            and status in ("open", "in_progress")
            and target is not None
            and item_status != "decommissioned"
        )
        domain = {s.value for s in repair_stages(target, NOW, (24, 72))} if reminded else set()
        assert sql == domain, (status, target, item_status)


def test_a_repair_no_longer_late_waits_until_it_is_late_again(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    item = _item(session, people, "VSAT-RPM-0001", status="in_repair")
    order = make_work_order(
        session, item, status="open", target_restore_at=NOW - timedelta(hours=2)
    )
    find_due_reminders(session, SETTINGS, NOW)
    # The downtime start was corrected: the target is now tomorrow.
    order.target_restore_at = NOW + timedelta(days=1)
    session.commit()
    waiting = sweep_reminders(session, SETTINGS, NOW)
    assert (waiting.queued, waiting.obsolete) == (0, 0)
    assert {status for *_rest, status in _reminders(session)} == {"pending"}
    late_again = sweep_reminders(session, SETTINGS, NOW + timedelta(days=1, hours=1))
    assert late_again.queued == 2
    assert {m.subject for m in _outbox(session)} >= {"Repair overdue by 1 h: VSAT-RPM-0001"}


def _mine(session: Session, address: str) -> list[tuple[str, str]]:
    """(subject, status of its reminders) of every email to `address`."""
    found = []
    for message in _outbox(session):
        if message.to_addr == address:
            statuses = session.scalars(
                select(Notification.status).where(Notification.outbox_id == message.id)
            ).all()
            found.append((message.subject, ",".join(sorted(set(statuses)))))
    return found


def test_an_item_moved_to_another_agency_is_not_told_to_its_old_agency(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    reader = people["officer_en"]  # jonas@vsat.lt reads a daily digest
    reader.digest_opt_in = True
    item = _item(session, people, "VSAT-PRD-0001")
    make_schedule(session, item, TODAY, lead_days=30, grace_days=14)
    sweep_reminders(session, SETTINGS, NOW)  # the due reminder waits for jonas's digest
    # An administrator moves the item to the customs before the digest goes out.
    item.agency_id = people["customs"].id
    session.commit()

    report = send_digests(session, SETTINGS, NOW + timedelta(hours=1))

    assert (report.digests, report.obsolete) == (0, 1)
    assert _mine(session, "jonas@vsat.lt") == []
    # The customs officers hear of it from the next sweep, in their agency's name.
    sweep_reminders(session, SETTINGS, NOW + timedelta(hours=1, minutes=5))
    assert _mine(session, "petras@muit.lt") == [("Calibration due today: VSAT-PRD-0001", "queued")]
    # ona (single emails) was told at once, while the item was still VSAT's.
    assert {m.to_addr for m in _outbox(session)} == {"ona@vsat.lt", "petras@muit.lt"}
    body = next(m for m in _outbox(session) if m.to_addr == "petras@muit.lt").body_text
    assert "State Border Guard Service" not in body


def test_recipients_who_left_the_audience_before_the_email_is_written_get_nothing(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    item = _item(session, people, "VSAT-PRD-0001")
    make_schedule(session, item, date(2026, 10, 1), lead_days=30, grace_days=14)
    found = find_due_reminders(session, SETTINGS, NOW)  # then the sweep stopped
    assert (found[Stage.OVERDUE], found[Stage.ESCALATION_1], found[Stage.ESCALATION_2]) == (
        2,
        1,
        2,
    )
    people["vsat"].focal_point_email = "Pasienis@vsat.lt"  # a new focal point
    people["officer_lt"].agency_id = people["customs"].id  # ona moved to the customs
    people["tech_en"].role = "planner"  # tech.a is no longer a technician
    session.commit()

    report = sweep_reminders(session, SETTINGS, NOW + timedelta(minutes=5))

    assert {m.to_addr for m in _outbox(session)} == {
        "jonas@vsat.lt",
        "Pasienis@vsat.lt",  # the first escalation, to the focal point as it is now
        "tech.b@nssc.lt",
    }
    assert (report.queued, report.obsolete) == (3, 3)
    by_status = {(stage, who, status) for _n, stage, who, status in _reminders(session)}
    assert by_status == {
        ("overdue", "jonas@vsat.lt", "queued"),
        ("overdue", "ona@vsat.lt", "obsolete"),
        ("escalation_1", "focal@vsat.lt", "obsolete"),
        ("escalation_1", "Pasienis@vsat.lt", "queued"),  # found by the same sweep
        ("escalation_2", "tech.a@nssc.lt", "obsolete"),
        ("escalation_2", "tech.b@nssc.lt", "queued"),
    }


def test_a_deactivated_focal_point_account_does_not_silence_the_focal_point(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    chief = make_user(session, "viewer", people["vsat"], email="focal@vsat.lt", locale="en")
    make_schedule(session, _item(session, people, "VSAT-PRD-0001"), date(2026, 11, 1), grace_days=0)
    find_due_reminders(session, SETTINGS, NOW)
    chief.active = False  # the person left; the address is still the agency's focal point
    session.commit()
    sweep_reminders(session, SETTINGS, NOW)
    focal = [m for m in _outbox(session) if m.to_addr == "focal@vsat.lt"]
    assert [m.subject for m in focal] == [
        "Escalated to you: Calibration overdue by 20 days: VSAT-PRD-0001"
    ]
    assert "/account" not in focal[0].body_text  # no profile to point to any more
    assert "ask the NSSC system administrator" in focal[0].body_text


def test_a_paused_schedule_s_reminders_wait_and_go_out_once_it_is_resumed(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    people["officer_lt"].digest_opt_in = True  # ona reads a digest; jonas gets single emails
    item = _item(session, people, "VSAT-PRD-0001")
    schedule = make_schedule(session, item, TODAY, lead_days=30, grace_days=14)
    find_due_reminders(session, SETTINGS, NOW)  # both due reminders pending
    pause_schedule(session, Scope.everything(), schedule.id, version=schedule.version)

    paused_sweep = sweep_reminders(session, SETTINGS, NOW + timedelta(minutes=5))
    paused_digest = send_digests(session, SETTINGS, NOW + timedelta(hours=1))
    assert (paused_sweep.queued, paused_sweep.obsolete) == (0, 0)
    assert (paused_digest.digests, paused_digest.obsolete) == (0, 0)
    assert {status for *_rest, status in _reminders(session)} == {"pending"}
    assert _outbox(session) == []

    later = NOW + timedelta(days=1)
    resume_schedule(session, Scope.everything(), schedule.id, version=schedule.version)
    sweep_reminders(session, SETTINGS, later)
    send_digests(session, SETTINGS, later + timedelta(hours=1))
    send_digests(session, SETTINGS, later + timedelta(days=1, hours=1))  # nothing new
    assert _mine(session, "jonas@vsat.lt") == [
        ("Calibration due, on time until Dec 5, 2026: VSAT-PRD-0001", "queued")
    ]
    assert [status for _subject, status in _mine(session, "ona@vsat.lt")] == ["digest"]
    assert {status for *_rest, status in _reminders(session)} == {"queued", "digest"}


def test_work_re_dated_while_paused_is_not_reminded_of_for_the_old_date(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    item = _item(session, people, "VSAT-PRD-0001")
    schedule = make_schedule(session, item, TODAY, lead_days=30, grace_days=14)
    find_due_reminders(session, SETTINGS, NOW)
    schedule.active = False
    session.commit()
    assert sweep_reminders(session, SETTINGS, NOW).obsolete == 0  # waiting
    set_next_due(schedule, date(2027, 3, 1))
    schedule.active = True
    session.commit()
    report = sweep_reminders(session, SETTINGS, NOW + timedelta(minutes=5))
    assert (report.queued, report.obsolete) == (0, 2)
    assert _outbox(session) == []


def test_reminders_of_a_decommissioned_item_or_a_deactivated_user_are_dropped(
    session: Session, people: dict[str, Any], app_context: None
) -> None:
    retired = _item(session, people, "VSAT-PRD-0001")
    make_schedule(session, retired, TODAY, lead_days=30, grace_days=14)
    make_schedule(session, _item(session, people, "VSAT-PRD-0002"), TODAY)
    find_due_reminders(session, SETTINGS, NOW)
    # Both for good: a decommissioned item cannot return to the fleet, and a reactivated
    # officer is reminded of what is still due by the sweeps after.
    retired.status = "decommissioned"
    people["officer_lt"].active = False
    session.commit()
    report = sweep_reminders(session, SETTINGS, NOW)
    assert (report.queued, report.obsolete) == (1, 3)
    assert {(m.to_addr, m.subject) for m in _outbox(session)} == {
        ("jonas@vsat.lt", "Calibration due today: VSAT-PRD-0002")
    }


def test_sweeps_running_at_once_send_each_reminder_once(
    empty_database_url: str, tmp_path: Path
) -> None:
    upgrade(empty_database_url)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": empty_database_url,
            "SECRET_KEY": "test",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    with session_scope(app) as session:
        agency = make_agency(session, "VSAT", focal_point_email="focal@vsat.lt")
        for email in ("jonas@vsat.lt", "ona@vsat.lt"):
            make_user(session, "officer", agency, email=email)
        model = make_model(session)
        for n in range(120):
            item = make_equipment(session, agency, model, inventory_no=f"VSAT-PRD-{n:04d}")
            session.add(
                Schedule(
                    equipment_id=item.id,
                    kind="calibration",
                    interval_value=1,
                    interval_unit="years",
                    lead_days=0,
                    grace_days=0,
                    next_due=TODAY - timedelta(days=n % 20),
                    grace_ends_on=TODAY - timedelta(days=n % 20),
                    remind_from=TODAY - timedelta(days=n % 20),
                )
            )
        session.commit()

    def sweep(_n: int) -> int:
        with app.app_context(), session_scope(app) as own:
            return sweep_reminders(own, SETTINGS, NOW).queued

    with ThreadPoolExecutor(max_workers=4) as pool:
        queued = list(pool.map(sweep, range(4)))
    with session_scope(app) as session:
        rows = session.scalars(select(Notification)).all()
        outbox = session.scalars(select(OutboxMessage)).all()
    get_db(app).engine.dispose()
    # 120 items × 2 officers, plus the focal point for the 72 items 8 or more days late.
    assert sum(queued) == len(rows) == len(outbox) == 240 + 72
    assert {row.status for row in rows} == {"queued"}
    assert len({row.outbox_id for row in rows}) == len(rows)
    assert len({(m.to_addr, m.subject) for m in outbox}) == len(outbox)
