"""The reminder and digest emails, in Lithuanian and English, against reviewed snapshots.

The snapshots live in tests/snapshots/email/ (<case>.<locale>.txt: subject and text part;
<case>.<locale>.html: the HTML part). After an intended change, rewrite them with
EQUIPLAN_UPDATE_SNAPSHOTS=1 and review the diff; a missing snapshot fails unless that is set.
"""

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from equiplan import create_app
from equiplan.domain.reminders import Stage
from equiplan.services.reminder_facts import ReminderFacts
from equiplan.services.reminder_mail import RenderedMail, render_digest, render_reminder
from equiplan.services.reminders import ReminderSettings

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots" / "email"
NOW = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # 06:00 in Vilnius
SETTINGS = ReminderSettings(
    timezone="Europe/Vilnius",
    base_url="https://equiplan.nssc.lt",
    default_locale="lt",
    escalation_days=(7, 14),
    repair_escalation_hours=(24, 72),
)

BASE = ReminderFacts(
    notification_id=1,
    stage=Stage.LEAD,
    due_date=date(2026, 12, 21),
    recipient_email="jonas.petraitis@vsat.lt",
    user_id=7,
    recipient_name="Jonas Petraitis",
    recipient_active=True,
    locale="en",
    account_email="jonas.petraitis@vsat.lt",
    account_role="officer",
    account_agency_id=5,
    kind="calibration",
    schedule_id=31,
    schedule_active=True,
    next_due=date(2026, 12, 21),
    grace_ends_on=date(2027, 1, 4),
    work_order_id=None,
    work_status=None,
    target_restore_at=None,
    equipment_id=412,
    inventory_no="VSAT-PRD-0012",
    equipment_status="in_service",
    type_name_en="Personal radiation detector",
    type_name_lt="Asmeninis radiacijos detektorius",
    model_name="Thermo Fisher RadEye PRD",
    site_name_en="Medininkai road border crossing",
    site_name_lt="Medininkų pasienio kontrolės punktas",
    agency_name_en="State Border Guard Service",
    agency_name_lt="Valstybės sienos apsaugos tarnyba",
    agency_id=5,
    focal_point_email="pasienis@vsat.lt",
)


def _scheduled(
    stage: Stage, kind: str, due: date, grace_days: int, **changes: Any
) -> ReminderFacts:
    grace_end = due + timedelta(days=grace_days)
    return replace(
        BASE,
        stage=stage,
        kind=kind,
        due_date=due,
        next_due=due,
        grace_ends_on=grace_end,
        **changes,
    )


def _repair(stage: Stage, hours_late: float, **changes: Any) -> ReminderFacts:
    return replace(
        BASE,
        stage=stage,
        kind="corrective",
        schedule_id=None,
        next_due=None,
        grace_ends_on=None,
        work_order_id=2051,
        work_status="in_progress",
        target_restore_at=NOW - timedelta(hours=hours_late),
        due_date=(NOW - timedelta(hours=hours_late)).date(),
        equipment_id=77,
        inventory_no="VSAT-RPM-0003",
        equipment_status="in_repair",
        type_name_en="Radiation portal monitor",
        type_name_lt="Radiacinės kontrolės vartai",
        model_name="Rapiscan TSA VM-250",
        **changes,
    )


FOCAL_POINT = {
    "recipient_email": "pasienis@vsat.lt",
    "user_id": None,
    "recipient_name": "",
    "account_email": None,
    "account_role": None,
    "account_agency_id": None,
}
TECHNICIAN = {
    "recipient_email": "tomas@nssc.lt",
    "user_id": 3,
    "recipient_name": "Tomas",
    "account_email": "tomas@nssc.lt",
    "account_role": "technician",
    "account_agency_id": None,
}
TODAY = date(2026, 11, 21)

CASES: dict[str, ReminderFacts] = {
    "lead": _scheduled(Stage.LEAD, "calibration", date(2026, 12, 21), 14),
    "lead_tomorrow": _scheduled(Stage.LEAD, "performance_test", date(2026, 11, 22), 0),
    "due_today": _scheduled(Stage.DUE, "source_check", TODAY, 7),
    "due_in_grace": _scheduled(Stage.DUE, "preventive", date(2026, 11, 18), 14),
    "overdue": _scheduled(Stage.OVERDUE, "performance_test", date(2026, 11, 4), 14),
    "escalation_1": _scheduled(
        Stage.ESCALATION_1, "calibration", date(2026, 10, 20), 14, **FOCAL_POINT
    ),
    "escalation_2": _scheduled(
        Stage.ESCALATION_2, "inspection", date(2026, 10, 1), 7, site_name_en=None, **TECHNICIAN
    ),
    "repair_overdue": _repair(Stage.OVERDUE, 5),
    "repair_escalation_1": _repair(Stage.ESCALATION_1, 30.5, **FOCAL_POINT),
    "repair_escalation_2": _repair(Stage.ESCALATION_2, 100, **TECHNICIAN),
}
DIGEST = [
    replace(CASES["lead"], notification_id=11),
    replace(CASES["overdue"], notification_id=12),
    replace(CASES["repair_overdue"], notification_id=13),
    replace(CASES["due_today"], notification_id=14),
    # The same due date reminded twice (lead, then due): shown once, as due.
    replace(CASES["due_in_grace"], notification_id=15, stage=Stage.LEAD),
    replace(CASES["due_in_grace"], notification_id=16),
]


@pytest.fixture(scope="module")
def mail_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("mail")
    # Rendering needs no database; this one is never opened.
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "INSTANCE_PATH": str(folder / "instance"),
            "DATABASE_URL": f"sqlite:///{folder / 'unused.db'}",
        }
    )
    with app.app_context():
        yield app


def _check(name: str, rendered: RenderedMail) -> None:
    parts = {
        SNAPSHOTS / f"{name}.txt": f"Subject: {rendered.subject}\n\n{rendered.text}",
        SNAPSHOTS / f"{name}.html": rendered.html,
    }
    if os.environ.get("EQUIPLAN_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        for path, content in parts.items():
            path.write_text(content, encoding="utf-8")
        return
    for path, content in parts.items():
        assert path.exists(), f"no snapshot {path}: run with EQUIPLAN_UPDATE_SNAPSHOTS=1"
        assert content == path.read_text(encoding="utf-8"), f"{path.name} differs"


@pytest.mark.parametrize("locale", ["lt", "en"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_reminder_email(mail_app: Flask, case: str, locale: str) -> None:
    facts = replace(CASES[case], locale=locale)
    rendered = render_reminder(facts, NOW, SETTINGS)
    assert rendered.locale == locale
    _check(f"{case}.{locale}", rendered)


@pytest.mark.parametrize("locale", ["lt", "en"])
def test_digest_email(mail_app: Flask, locale: str) -> None:
    facts = [replace(f, locale=locale) for f in DIGEST]
    rendered = render_digest(facts, locale, NOW, SETTINGS)
    _check(f"digest.{locale}", rendered)


def test_the_html_part_escapes_what_people_typed(mail_app: Flask) -> None:
    facts = replace(CASES["lead"], model_name="<script>alert(1)</script> & Co")
    rendered = render_reminder(facts, NOW, SETTINGS)
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in rendered.html
    assert "<script>alert(1)</script> & Co" in rendered.text  # plain text stays plain


def test_english_subjects_in_plain_words(mail_app: Flask) -> None:
    subjects = {name: render_reminder(f, NOW, SETTINGS).subject for name, f in CASES.items()}
    assert subjects == {
        "lead": "Calibration due in 30 days: VSAT-PRD-0012",
        "lead_tomorrow": "Performance test due tomorrow: VSAT-PRD-0012",
        "due_today": "Source check due today: VSAT-PRD-0012",
        "due_in_grace": "Preventive maintenance due, on time until Dec 2, 2026: VSAT-PRD-0012",
        "overdue": "Performance test overdue by 3 days: VSAT-PRD-0012",
        "escalation_1": "Escalated to you: Calibration overdue by 18 days: VSAT-PRD-0012",
        "escalation_2": "Escalated to you: Inspection overdue by 44 days: VSAT-PRD-0012",
        "repair_overdue": "Repair overdue by 5 h: VSAT-RPM-0003",
        "repair_escalation_1": "Escalated to you: Repair overdue by 31 h: VSAT-RPM-0003",
        "repair_escalation_2": "Escalated to you: Repair overdue by 4 days: VSAT-RPM-0003",
    }
