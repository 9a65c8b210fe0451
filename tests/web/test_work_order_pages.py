"""The work-order pages as users see them: report a fault from the item page, close it, start,
cancel, edit; conflicts and bad input; the list; agency isolation."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import Equipment, Schedule, WorkOrder
from tests.conftest import csrf_token, sign_in
from tests.factories import make_failure_code, make_schedule, make_work_order
from tests.web.conftest import World

VILNIUS = ZoneInfo("Europe/Vilnius")


@pytest.fixture
def codes(session: Session) -> None:
    detector = make_failure_code(session, "DET", name_en="Detector")
    sensitivity = make_failure_code(session, "DET-SENS", detector, name_en="Loss of sensitivity")
    cause = make_failure_code(session, "DET-SENS-HV", sensitivity, name_en="High-voltage drift")
    make_failure_code(session, "DET-SENS-HV-ADJ", cause, name_en="High voltage readjusted")
    make_failure_code(session, "PWR", name_en="Power supply")


def _local_now() -> str:
    return datetime.now(VILNIUS).strftime("%Y-%m-%dT%H:%M")


def _post(client: FlaskClient, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/work-orders")})


def _orders(session: Session, item: Equipment) -> list[WorkOrder]:
    session.expire_all()
    return list(
        session.execute(select(WorkOrder).where(WorkOrder.equipment_id == item.id)).scalars()
    )


def _field_error(html: str, message: str) -> bool:
    return f'<div class="invalid-feedback">{message}</div>' in html


def test_an_officer_reports_a_fault_and_a_technician_closes_it(
    app: Flask, client: FlaskClient, world: World, session: Session, codes: None
) -> None:
    item = world.vsat_item
    sign_in(client, world.users["officer"])
    item_page = client.get(f"/equipment/{item.id}").get_data(as_text=True)
    new_path = f"/equipment/{item.id}/work-orders/new?kind=corrective"
    assert f'href="{new_path}"' in item_page
    assert "Report a fault" in item_page
    form = client.get(new_path).get_data(as_text=True)
    # The seeded hierarchy, grouped by class; downtime starts now, in local time.
    assert '<optgroup label="DET — Detector">' in form
    assert '<option value="DET-SENS-HV-ADJ">' in form
    shown = re.search(r'name="downtime_start" type="datetime-local" value="([^"]+)"', form)
    assert shown, "downtime start is not prefilled"
    typed = datetime.strptime(shown.group(1), "%Y-%m-%dT%H:%M").replace(tzinfo=VILNIUS)
    assert abs((datetime.now(UTC) - typed).total_seconds()) < 120
    assert "Local time (Europe/Vilnius)." in form

    response = _post(
        client,
        new_path,
        {
            "symptom": "No gamma alarm with the check source",
            "failure_code": "DET-SENS",
            "downtime_start": "2026-07-15T10:30",
            "notes": "Lane 3 closed",
        },
    )
    assert response.status_code == 302
    [order] = _orders(session, item)
    assert response.headers["Location"] == f"/work-orders/{order.id}"
    assert (order.kind, order.status, order.symptom) == (
        "corrective",
        "open",
        "No gamma alarm with the check source",
    )
    # Typed as Vilnius summer time (UTC+3), stored as UTC.
    assert order.downtime_start == datetime(2026, 7, 15, 7, 30, tzinfo=UTC)
    assert order.opened_by_id == world.users["officer"].id

    detail = client.get(f"/work-orders/{order.id}").get_data(as_text=True)
    assert f"Work order {order.id}: Repair" in detail
    assert "still down" in detail
    assert "<code>DET-SENS</code> Loss of sensitivity" in detail
    item_page = client.get(f"/equipment/{item.id}").get_data(as_text=True)
    assert "a repair with open downtime" in item_page
    assert f'href="/work-orders/{order.id}"' in item_page  # the history links to it

    client = app.test_client()  # the technician, in another browser
    sign_in(client, world.users["technician"])
    close_page = client.get(f"/work-orders/{order.id}/close").get_data(as_text=True)
    assert 'name="downtime_end"' in close_page
    assert '<option value="DET-SENS" selected>' in close_page
    response = _post(
        client,
        f"/work-orders/{order.id}/close",
        {
            "version": str(order.version),
            "completed_at": _local_now(),
            "result": "pass",
            "cause": "High voltage drifted",
            "remedy": "Readjusted the high voltage",
            "downtime_end": _local_now(),
            "failure_code": "DET-SENS-HV-ADJ",
            "labour_hours": "1,5",
            "parts_cost": "12,50",
            "external_cost": "1 200.00",
            "notes": "Lane 3 open again",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    [order] = _orders(session, item)
    assert (order.status, order.result, order.remedy) == (
        "done",
        "pass",
        "Readjusted the high voltage",
    )
    assert (order.parts_cost_cents, order.external_cost_cents) == (1250, 120_000)
    assert str(order.labour_hours) == "1.50"
    assert order.downtime_end is not None
    detail = client.get(f"/work-orders/{order.id}").get_data(as_text=True)
    assert "€1,212.50" in detail  # the total, in the user's language (English here)
    assert "Readjusted the high voltage" in detail
    assert "work-order-actions" not in detail  # nothing more to do
    assert "a repair with open downtime" not in client.get(f"/equipment/{item.id}").get_data(
        as_text=True
    )


def test_bad_input_is_explained_next_to_the_field_and_nothing_is_written(
    client: FlaskClient, world: World, session: Session, codes: None
) -> None:
    sign_in(client, world.users["technician"])
    path = f"/equipment/{world.vsat_item.id}/work-orders/new?kind=corrective"
    response = _post(
        client, path, {"symptom": "", "failure_code": "DET", "downtime_start": "2099-01-01T00:00"}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert _field_error(html, "Describe what is wrong with the item.")
    assert _field_error(html, "This time is in the future.")
    assert '<option value="DET" selected>' in html  # the input is kept
    assert _orders(session, world.vsat_item) == []

    order = make_work_order(
        session, world.vsat_item, downtime_start=datetime(2026, 1, 1, tzinfo=UTC)
    )
    response = _post(
        client,
        f"/work-orders/{order.id}/close",
        {
            "version": "1",
            "completed_at": _local_now(),
            "result": "",
            "downtime_end": "",
            "failure_code": "",
            "parts_cost": "12.345",
            "external_cost": "lots",
            "labour_hours": "-2",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for message in (
        "Choose the result of the work.",
        "Downtime started on this work order: say when the item was back in operation.",
        "A repair can only be closed as done with a failure code.",
        "At most two decimal places.",
        "Not an amount of euros.",
        "Enter zero or more.",
    ):
        assert _field_error(html, message), message
    assert 'value="12.345"' in html
    [stored] = _orders(session, world.vsat_item)
    assert (stored.status, stored.version) == ("open", 1)


def test_a_stale_version_keeps_the_input_and_answers_409(
    client: FlaskClient, world: World, session: Session, codes: None
) -> None:
    order = make_work_order(session, world.vsat_item, symptom="Display dead")
    sign_in(client, world.users["officer"])
    edit_page = client.get(f"/work-orders/{order.id}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in edit_page
    # Somebody else saves first.
    order.notes = "Changed elsewhere"
    session.add(order)
    session.commit()
    response = _post(
        client,
        f"/work-orders/{order.id}/edit",
        {"version": "1", "symptom": "Display dead after a fall", "due_date": "", "notes": "mine"},
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Somebody else changed this work order while you were editing." in html
    assert "your input is kept below" in html
    assert "Display dead after a fall" in html
    response = _post(
        client,
        f"/work-orders/{order.id}/close",
        {"version": "1", "completed_at": _local_now(), "result": "pass", "cause": "Cable"},
    )
    assert response.status_code == 409
    assert "Cable" in response.get_data(as_text=True)
    response = _post(client, f"/work-orders/{order.id}/start", {"version": "1"})
    assert response.status_code == 409
    assert "Nothing was changed" in response.get_data(as_text=True)
    [stored] = _orders(session, world.vsat_item)
    assert (stored.status, stored.symptom, stored.notes) == (
        "open",
        "Display dead",
        "Changed elsewhere",
    )


def test_start_edit_and_cancel(
    client: FlaskClient, world: World, session: Session, codes: None
) -> None:
    order = make_work_order(session, world.vsat_item, symptom="Noisy", opened_at=datetime.now(UTC))
    sign_in(client, world.users["technician"])
    detail = client.get(f"/work-orders/{order.id}").get_data(as_text=True)
    assert "Start work" in detail
    assert "Cancel work order…" in detail
    assert _post(client, f"/work-orders/{order.id}/start", {"version": "1"}).status_code == 302
    [stored] = _orders(session, world.vsat_item)
    assert stored.status == "in_progress"
    assert stored.technician_id == world.users["technician"].id
    detail = client.get(f"/work-orders/{order.id}").get_data(as_text=True)
    assert "Start work" not in detail
    response = _post(
        client,
        f"/work-orders/{order.id}/edit",
        {
            "version": "2",
            "symptom": "Noisy background",
            "failure_code": "PWR",
            "downtime_start": "",
            "due_date": "2026-12-01",
            "technician_id": str(world.users["officer"].id),
            "notes": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    [stored] = _orders(session, world.vsat_item)
    assert (stored.symptom, stored.technician_id, str(stored.due_date)) == (
        "Noisy background",
        world.users["officer"].id,
        "2026-12-01",
    )
    response = _post(
        client, f"/work-orders/{order.id}/cancel", {"version": "3", "reason": "Duplicate"}
    )
    assert response.status_code == 302
    [stored] = _orders(session, world.vsat_item)
    assert (stored.status, stored.notes) == ("cancelled", "Cancelled: Duplicate")
    detail = client.get(f"/work-orders/{order.id}").get_data(as_text=True)
    assert "Cancelled" in detail
    # A closed order offers no forms any more; its pages lead back to it.
    for page in ("close", "edit"):
        response = client.get(f"/work-orders/{order.id}/{page}")
        assert response.status_code == 302
        assert response.headers["Location"] == f"/work-orders/{order.id}"
    # Closed orders cannot be started again (a hand-made POST is refused with the reason).
    response = _post(client, f"/work-orders/{order.id}/start", {"version": "4"})
    assert response.status_code == 400
    assert "This work order is already closed." in response.get_data(as_text=True)


def test_new_scheduled_work_is_tied_to_its_schedule_and_closing_advances_it(
    client: FlaskClient, world: World, session: Session
) -> None:
    schedule = make_schedule(
        session,
        world.vsat_item,
        datetime(2026, 12, 1).date(),
        kind="source_check",
        interval_value=1,
    )
    sign_in(client, world.users["officer"])
    form = client.get(f"/equipment/{world.vsat_item.id}/work-orders/new").get_data(as_text=True)
    assert '<option value="source_check">' in form
    assert '<option value="corrective">' not in form  # faults are reported with their own form
    response = _post(
        client,
        f"/equipment/{world.vsat_item.id}/work-orders/new",
        {"kind": "source_check", "due_date": "", "notes": "Monthly check"},
    )
    assert response.status_code == 302
    [order] = _orders(session, world.vsat_item)
    assert (order.kind, order.schedule_id, str(order.due_date)) == (
        "source_check",
        schedule.id,
        "2026-12-01",
    )
    close_page = client.get(f"/work-orders/{order.id}/close").get_data(as_text=True)
    assert 'name="downtime_end"' not in close_page  # no downtime was recorded
    response = _post(
        client,
        f"/work-orders/{order.id}/close",
        {"version": "1", "completed_at": _local_now(), "result": "pass", "failure_code": ""},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    advanced = session.get(Schedule, schedule.id)
    assert advanced is not None
    assert advanced.last_completed == datetime.now(VILNIUS).date()
    assert str(advanced.next_due) == "2027-01-01"


def test_the_list_is_scoped_filtered_and_counted(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    make_work_order(session, world.vsat_item, symptom="VSAT lane silent")
    make_work_order(session, world.vsat_item, kind="upgrade", status="done")
    make_work_order(session, world.customs_item, symptom="Customs van noisy")

    def count(html: str) -> str:
        match = re.search(r'data-testid="count">([^<]*)<', html)
        assert match
        return match.group(1)

    sign_in(client, world.users["viewer"])
    html = client.get("/work-orders").get_data(as_text=True)
    assert count(html) == "Matching work orders: 1"  # open work of their own agency
    assert "VSAT lane silent" in html
    assert "Customs van noisy" not in html
    assert 'id="agency_id"' not in html
    assert "Report a fault" not in client.get(f"/equipment/{world.vsat_item.id}").get_data(
        as_text=True
    )
    assert count(client.get("/work-orders?status=all").get_data(as_text=True)) == (
        "Matching work orders: 2"
    )

    client = app.test_client()
    sign_in(client, world.users["planner"])
    html = client.get("/work-orders").get_data(as_text=True)
    assert count(html) == "Matching work orders: 2"
    assert 'id="agency_id"' in html
    filtered = client.get(f"/work-orders?agency_id={world.customs.id}&search=NOISY")
    assert "Customs van noisy" in filtered.get_data(as_text=True)
    assert count(filtered.get_data(as_text=True)) == "Matching work orders: 1"
    empty = client.get("/work-orders?kind=relocation").get_data(as_text=True)
    assert "No work orders match these filters." in empty
    bad = client.get("/work-orders?status=lost&sort=password_hash")
    assert bad.status_code == 400
    assert "Unknown status: lost." in bad.get_data(as_text=True)
    assert count(bad.get_data(as_text=True)) == "Matching work orders: 2"
    # The planner reads but does not act.
    detail = client.get(f"/work-orders/{_orders(session, world.vsat_item)[0].id}")
    assert "work-order-actions" not in detail.get_data(as_text=True)


def test_another_agencys_work_orders_are_missing(
    client: FlaskClient, world: World, session: Session
) -> None:
    foreign = make_work_order(session, world.vsat_item)
    sign_in(client, world.customs_officer)
    for path in ("", "/edit", "/close"):
        assert client.get(f"/work-orders/{foreign.id}{path}").status_code == 404
    for action in ("start", "cancel", "close", "edit"):
        response = _post(client, f"/work-orders/{foreign.id}/{action}", {"version": "1"})
        assert response.status_code == 404, action
    new_path = f"/equipment/{world.vsat_item.id}/work-orders/new?kind=corrective"
    assert client.get(new_path).status_code == 404
    assert _post(client, new_path, {"symptom": "x"}).status_code == 404
    [stored] = _orders(session, world.vsat_item)
    assert (stored.status, stored.version) == ("open", 1)
