"""Every create, update and delete of a domain row is in the audit trail."""

from sqlalchemy import select

from equiplan.models import AuditEvent
from equiplan.services.audit import acting_as, record_bulk
from tests.factories import make_agency, make_equipment, make_schedule, make_user


def _events(session, entity: str, entity_id: int) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.id)
        ).scalars()
    )


def test_create_update_delete_are_recorded_with_who_and_field_changes(session) -> None:  # type: ignore[no-untyped-def]
    agency = make_agency(session, "VSAT")
    actor = make_user(session, "admin")
    with acting_as(actor.id, "web"):
        item = make_equipment(session, agency, notes="new")
        item.notes = "moved to Medininkai"
        item.status = "in_repair"
        session.commit()
        session.delete(item)
        session.commit()

    created, updated, deleted = _events(session, "equipment", item.id)
    assert [created.action, updated.action, deleted.action] == ["create", "update", "delete"]
    assert {e.user_id for e in (created, updated, deleted)} == {actor.id}
    assert {e.origin for e in (created, updated, deleted)} == {"web"}
    assert {e.agency_id for e in (created, updated, deleted)} == {agency.id}
    assert created.changes["inventory_no"] == [None, item.inventory_no]
    assert updated.changes == {
        "notes": ["new", "moved to Medininkai"],
        "status": ["in_service", "in_repair"],
    }
    assert deleted.changes["serial_no"] == [item.serial_no, None]
    assert created.at.tzinfo is not None


def test_rows_owned_through_equipment_carry_the_agency(session) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    agency = make_agency(session)
    schedule = make_schedule(session, make_equipment(session, agency), date(2027, 1, 1))
    (event,) = _events(session, "schedule", schedule.id)
    assert event.agency_id == agency.id
    assert event.changes["next_due"] == [None, "2027-01-01"]


def test_secrets_are_redacted_and_bookkeeping_is_not_an_event(session) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session, "planner")
    (created,) = _events(session, "app_user", user.id)
    assert created.changes["password_hash"] == [None, "[redacted]"]
    user.password_hash = "changed"
    session.commit()
    from datetime import UTC, datetime

    user.last_login_at = datetime.now(UTC)
    session.commit()
    events = _events(session, "app_user", user.id)
    assert [e.action for e in events] == ["create", "update"]
    assert events[1].changes == {"password_hash": ["[redacted]", "[redacted]"]}


def test_without_an_actor_the_change_is_attributed_to_the_system(session) -> None:  # type: ignore[no-untyped-def]
    agency = make_agency(session)
    (event,) = _events(session, "agency", agency.id)
    assert (event.user_id, event.origin) == (None, "system")


def test_bulk_loads_record_one_event(session) -> None:  # type: ignore[no-untyped-def]
    with acting_as(None, "seed"):
        record_bulk(session, "work_order", 1234, {"source": "synthetic"})
        session.commit()
    event = session.execute(
        select(AuditEvent).where(AuditEvent.action == "bulk_create")
    ).scalar_one()
    assert event.origin == "seed"
    assert event.changes == {"count": [None, 1234], "source": [None, "synthetic"]}
