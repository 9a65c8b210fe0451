"""Registering, editing, moving and decommissioning equipment: every rule, scope and
optimistic locking, on SQLite and PostgreSQL."""

from datetime import date

import pytest
from sqlalchemy import func, select

from equiplan.models import AuditEvent, Equipment, Schedule
from equiplan.services import equipment_write, input_fields
from equiplan.services.errors import Conflict, NotFound, ValidationError
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
CALIBRATION = {
    "kind": "calibration",
    "interval_value": 12,
    "interval_unit": "months",
    "anchor": "fixed",
    "lead_days": 30,
    "grace_days": 14,
}


@pytest.fixture
def fleet(session):  # type: ignore[no-untyped-def]
    vsat, customs = make_agency(session, "VSAT"), make_agency(session, "MUIT", kind="customs")
    prd = make_type(session, "PRD", default_schedules=[CALIBRATION])
    model = make_model(session, prd, manufacturer="Thermo", name="RadEye PRD")
    return {
        "vsat": vsat,
        "customs": customs,
        "model": model,
        "med": make_site(session, vsat, code="MED"),
        "sal": make_site(session, vsat, code="SAL"),
        "customs_site": make_site(session, customs, code="VLN"),
        "officer": Scope(agency_id=vsat.id, all_agencies=False),
        "centre": Scope.everything(),
    }


def _raw(fleet, **fields):  # type: ignore[no-untyped-def]
    return {
        "inventory_no": "VSAT-PRD-0100",
        "serial_no": "RE-100",
        "model_id": str(fleet["model"].id),
        "site_id": str(fleet["med"].id),
        "status": "in_service",
        "acquired_on": "2025-05-01",
        "commissioned_on": "2025-06-01",
        "funding_source": "eu",
        "acquisition_cost_cents": "150000",
        "condition": "good",
        "notes": "shift B",
        **fields,
    }


def _count(session, model=Equipment) -> int:  # type: ignore[no-untyped-def]
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_an_officer_registers_for_their_agency_with_the_type_schedules(session, fleet) -> None:
    item = equipment_write.register_equipment(session, fleet["officer"], _raw(fleet), TODAY)
    assert item.agency_id == fleet["vsat"].id
    assert (item.commissioned_on, item.acquisition_cost_cents) == (date(2025, 6, 1), 150_000)
    schedules = session.execute(select(Schedule).where(Schedule.equipment_id == item.id)).all()
    assert [(s.kind, s.next_due, s.grace_ends_on) for (s,) in schedules] == [
        ("calibration", date(2026, 6, 1), date(2026, 6, 15))
    ]
    created = session.execute(
        select(AuditEvent).where(AuditEvent.entity == "equipment", AuditEvent.entity_id == item.id)
    ).scalar_one()
    assert created.action == "create"


def test_every_problem_is_reported_by_field_and_nothing_is_written(session, fleet) -> None:
    make_equipment(session, fleet["vsat"], fleet["model"], inventory_no="TAKEN", serial_no="S1")
    before = _count(session)
    raw = _raw(
        fleet,
        inventory_no="taken",  # case-insensitively taken
        serial_no="S1",  # same model, same serial
        site_id=str(fleet["customs_site"].id),  # not the officer's
        agency_id=str(fleet["customs"].id),  # not the officer's
        status="melted",
        acquired_on="2025-13-01",
        acquisition_cost_cents="-5",
        condition="",
        colour="red",
    )
    with pytest.raises(ValidationError) as caught:
        equipment_write.register_equipment(session, fleet["officer"], raw, TODAY)
    assert set(caught.value.errors) == {
        "inventory_no",
        "serial_no",
        "site_id",
        "agency_id",
        "status",
        "acquired_on",
        "acquisition_cost_cents",
        "condition",
        "colour",
    }
    assert "YYYY-MM-DD" in caught.value.errors["acquired_on"]
    session.rollback()
    assert _count(session) == before
    assert _count(session, Schedule) == 0


def test_required_fields_and_date_order(session, fleet) -> None:
    raw = _raw(fleet, inventory_no=" ", model_id="", commissioned_on="2025-04-30")
    with pytest.raises(ValidationError) as caught:
        equipment_write.register_equipment(session, fleet["centre"], raw, TODAY)
    assert set(caught.value.errors) == {"inventory_no", "model_id", "agency_id", "commissioned_on"}


def test_an_edit_from_a_stale_version_is_a_conflict_and_loses_nothing(session, fleet) -> None:
    item = make_equipment(session, fleet["vsat"], fleet["model"], fleet["med"], notes="first")
    loaded = item.version
    equipment_write.update_equipment(
        session, fleet["officer"], item.id, version=loaded, raw={"notes": "second"}
    )
    assert item.version == loaded + 1
    with pytest.raises(Conflict):
        equipment_write.update_equipment(
            session, fleet["officer"], item.id, version=loaded, raw={"notes": "third"}
        )
    session.rollback()
    assert session.get(Equipment, item.id).notes == "second"


def test_an_edit_keeps_its_own_inventory_number_and_checks_others(session, fleet) -> None:
    item = make_equipment(session, fleet["vsat"], fleet["model"], inventory_no="A-1")
    make_equipment(session, fleet["vsat"], fleet["model"], inventory_no="A-2")
    updated = equipment_write.update_equipment(
        session, fleet["centre"], item.id, version=item.version, raw={"inventory_no": "A-1"}
    )
    assert updated.inventory_no == "A-1"
    with pytest.raises(ValidationError) as caught:
        equipment_write.update_equipment(
            session, fleet["centre"], item.id, version=item.version, raw={"inventory_no": "a-2"}
        )
    assert list(caught.value.errors) == ["inventory_no"]


def test_another_agencys_item_is_not_found(session, fleet) -> None:
    foreign = make_equipment(session, fleet["customs"], fleet["model"])
    with pytest.raises(NotFound):
        equipment_write.update_equipment(
            session, fleet["officer"], foreign.id, version=foreign.version, raw={"notes": "x"}
        )
    with pytest.raises(NotFound):
        equipment_write.move_equipment(
            session, fleet["officer"], foreign.id, version=1, site_id=fleet["med"].id
        )


def test_moving_between_sites(session, fleet) -> None:
    item = make_equipment(session, fleet["vsat"], fleet["model"], fleet["med"])
    moved = equipment_write.move_equipment(
        session, fleet["officer"], item.id, version=item.version, site_id=str(fleet["sal"].id)
    )
    assert moved.site_id == fleet["sal"].id
    event = (
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.entity == "equipment", AuditEvent.entity_id == item.id)
            .order_by(AuditEvent.id.desc())
        )
        .scalars()
        .first()
    )
    assert event.changes["site_id"] == [fleet["med"].id, fleet["sal"].id]
    for site_id in (fleet["sal"].id, "", fleet["customs_site"].id):
        with pytest.raises(ValidationError) as caught:
            equipment_write.move_equipment(
                session, fleet["officer"], item.id, version=moved.version, site_id=site_id
            )
        assert list(caught.value.errors) == ["site_id"]


def test_decommissioning_needs_a_reason_stops_schedules_and_freezes_the_item(
    session, fleet
) -> None:
    item = make_equipment(session, fleet["vsat"], fleet["model"], commissioned_on=date(2019, 1, 1))
    schedule = make_schedule(session, item, date(2027, 1, 1))
    with pytest.raises(ValidationError) as caught:
        equipment_write.decommission_equipment(
            session,
            fleet["officer"],
            item.id,
            version=item.version,
            reason=" ",
            on="2027-01-01",
            today=TODAY,
        )
    assert set(caught.value.errors) == {"reason", "decommissioned_on"}
    session.rollback()
    done = equipment_write.decommission_equipment(
        session,
        fleet["officer"],
        item.id,
        version=item.version,
        reason="beyond repair",
        on="",
        today=TODAY,
    )
    assert (done.status, done.decommissioned_on, done.decommission_reason) == (
        "decommissioned",
        TODAY,
        "beyond repair",
    )
    assert session.get(Schedule, schedule.id).active is False
    with pytest.raises(ValidationError):
        equipment_write.update_equipment(
            session, fleet["officer"], item.id, version=done.version, raw={"notes": "x"}
        )


def test_euro_amounts_are_parsed_to_cents() -> None:
    assert input_fields.euros("1 234,50") == 123_450
    assert input_fields.euros("") == 0
    for bad, message in (
        ("12.345", "At most two decimal places."),
        ("-1", "Enter zero or more."),
        ("abc", "Not an amount of euros."),
        ("NaN", "Not an amount of euros."),
        ("1e20", "That amount is too large."),
    ):
        with pytest.raises(ValueError, match=message):
            input_fields.euros(bad)


def test_an_item_stands_only_at_a_site_of_its_own_agency(session, fleet) -> None:  # type: ignore[no-untyped-def]
    item = make_equipment(session, fleet["vsat"], fleet["model"], fleet["med"])
    with pytest.raises(ValidationError) as moved:
        equipment_write.move_equipment(
            session,
            fleet["centre"],
            item.id,
            version=item.version,
            site_id=fleet["customs_site"].id,
        )
    assert moved.value.errors == {"site_id": "This site belongs to another agency."}
    with pytest.raises(ValidationError) as handed_over:
        equipment_write.update_equipment(
            session,
            fleet["centre"],
            item.id,
            version=item.version,
            raw={"agency_id": fleet["customs"].id},  # the VSAT site would stay
        )
    assert list(handed_over.value.errors) == ["site_id"]
    done = equipment_write.update_equipment(
        session,
        fleet["centre"],
        item.id,
        version=item.version,
        raw={"agency_id": fleet["customs"].id, "site_id": fleet["customs_site"].id},
    )
    assert (done.agency_id, done.site_id) == (fleet["customs"].id, fleet["customs_site"].id)


def test_numbers_are_one_line_of_text() -> None:
    parse = equipment_write.FIELD_PARSERS["inventory_no"]
    assert parse("  PRD-0012 ") == "PRD-0012"
    for bad in ("PRD-1\nX-Evil: 1", "PRD\r1", "PRD\t1", "PRD\x001"):
        with pytest.raises(ValueError, match="One line of text"):
            parse(bad)
    # Notes keep their line breaks.
    assert equipment_write.FIELD_PARSERS["notes"]("line one\nline two") == "line one\nline two"
