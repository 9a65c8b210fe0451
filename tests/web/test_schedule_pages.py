"""The schedule pages as users see them: add a schedule from the item page, change it, pause and
resume it; bad input and stale versions; who sees the buttons; agency isolation."""

from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import Equipment, Schedule
from equiplan.services.clock import local_today
from tests.conftest import csrf_token, sign_in
from tests.factories import make_schedule
from tests.web.conftest import World


def _post(client: FlaskClient, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/equipment")})


def _schedules(session: Session, item: Equipment) -> list[Schedule]:
    session.expire_all()
    return list(
        session.execute(
            select(Schedule).where(Schedule.equipment_id == item.id).order_by(Schedule.id)
        ).scalars()
    )


def _field_error(html: str, message: str) -> bool:
    return f'<div class="invalid-feedback">{message}</div>' in html


def _item_page(client: FlaskClient, item: Equipment) -> str:
    return client.get(f"/equipment/{item.id}").get_data(as_text=True)


def test_an_officer_adds_a_schedule_from_the_item_page(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    item = world.vsat_item
    sign_in(client, world.users["officer"])
    new_path = f"/equipment/{item.id}/schedules/new"
    assert f'href="{new_path}"' in _item_page(client, item)
    form = client.get(new_path).get_data(as_text=True)
    # Labelled fields with their help, and the common plan filled in.
    for label in ("Kind of work", "Every", "Counted from", "Next due", "Lead days", "Grace days"):
        assert label in form
    assert '<label class="form-label" for="anchor">' in form
    assert 'aria-describedby="anchor-help"' in form
    assert "From the last completion: the next due date counts from the day" in form
    assert "Reminders start this many days before the due date" in form
    assert "The work still counts as on time this many days after the due date" in form
    assert 'name="interval_value" pattern="[0-9]*" type="text" value="12"' in form
    assert '<option selected value="months">' in form

    response = _post(
        client,
        new_path,
        {
            "kind": "source_check",
            "interval_value": "3",
            "interval_unit": "months",
            "anchor": "completion",
            "next_due": "",
            "lead_days": "7",
            "grace_days": "5",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == f"/equipment/{item.id}"
    [schedule] = _schedules(session, item)
    with app.app_context():
        today = local_today(app.config["TIMEZONE"])
    month = today.month + 3
    expected = date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    assert schedule.next_due.replace(day=1) == expected  # one interval from today
    assert (schedule.kind, schedule.anchor, schedule.lead_days, schedule.grace_days) == (
        "source_check",
        "completion",
        7,
        5,
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Schedule added." in page
    row = page[page.index(f'data-testid="schedule-{schedule.id}"') :]
    row = row[: row.index("</tr>")]
    assert "Source check" in row
    assert "the last completion" in row
    assert "3 months" in row
    assert f'href="/schedules/{schedule.id}/edit"' in row
    assert f'action="/schedules/{schedule.id}/pause"' in row


def test_bad_input_is_explained_next_to_the_field_and_nothing_is_written(
    client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, world.users["technician"])
    response = _post(
        client,
        f"/equipment/{world.vsat_item.id}/schedules/new",
        {
            "kind": "calibration",
            "interval_value": "700",
            "interval_unit": "months",
            "anchor": "fixed",
            "next_due": "2026-02-30",
            "lead_days": "-3",
            "grace_days": "",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert _field_error(html, "Give a number from 1 to 600.")
    assert _field_error(html, "Not a date; use YYYY-MM-DD.")
    assert _field_error(html, "Give a number from 0 to 365.")
    assert _field_error(html, "This field is required.")
    assert 'value="700"' in html  # the input is kept
    assert _schedules(session, world.vsat_item) == []


def test_editing_keeps_the_input_when_somebody_else_saved_first(
    client: FlaskClient, world: World, session: Session
) -> None:
    schedule = make_schedule(session, world.vsat_item, date(2026, 6, 1))
    sign_in(client, world.users["officer"])
    path = f"/schedules/{schedule.id}/edit"
    page = client.get(path).get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in page
    assert 'value="2026-06-01"' in page
    assert 'name="kind"' not in page  # the kind of work stays what it is
    fields = {
        "interval_value": "6",
        "interval_unit": "months",
        "anchor": "fixed",
        "next_due": "2026-07-15",
        "lead_days": "21",
        "grace_days": "10",
    }
    # Somebody else saves first.
    schedule.lead_days = 45
    session.add(schedule)
    session.commit()
    response = _post(client, path, {**fields, "version": "1"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Somebody else changed this schedule while you were editing." in html
    assert 'value="2026-07-15"' in html
    assert 'value="21"' in html
    [stored] = _schedules(session, world.vsat_item)
    assert (stored.lead_days, stored.next_due, stored.version) == (45, date(2026, 6, 1), 2)

    response = _post(client, path, {**fields, "version": "2"})
    assert response.status_code == 302, response.get_data(as_text=True)
    [stored] = _schedules(session, world.vsat_item)
    assert (stored.next_due, stored.remind_from, stored.grace_ends_on) == (
        date(2026, 7, 15),
        date(2026, 6, 24),
        date(2026, 7, 25),
    )
    assert "Schedule saved." in client.get(response.headers["Location"]).get_data(as_text=True)

    response = _post(client, path, {**fields, "version": "3", "lead_days": "many"})
    assert response.status_code == 400
    assert _field_error(response.get_data(as_text=True), "Give a whole number.")


def test_pause_and_resume_from_the_item_page(
    client: FlaskClient, world: World, session: Session
) -> None:
    item = world.vsat_item
    schedule = make_schedule(session, item, date(2026, 6, 1))
    sign_in(client, world.users["technician"])
    response = _post(client, f"/schedules/{schedule.id}/pause", {"version": "1"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/equipment/{item.id}"
    [stored] = _schedules(session, item)
    assert (stored.active, stored.version) == (False, 2)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Schedule paused: no reminders are sent" in page
    row = page[page.index(f'data-testid="schedule-{schedule.id}"') :]
    row = row[: row.index("</tr>")]
    assert 'class="text-muted"' in row
    assert ">Paused</span>" in row
    assert f'action="/schedules/{schedule.id}/resume"' in row
    assert 'name="version" value="2"' in row
    session.expire_all()
    assert session.get_one(Equipment, item.id).next_due is None

    # A second browser tab still shows version 1: nothing changes, the page says why.
    stale = _post(client, f"/schedules/{schedule.id}/resume", {"version": "1"})
    assert stale.status_code == 409
    assert "Nothing was changed" in stale.get_data(as_text=True)
    assert _schedules(session, item)[0].active is False
    resumed = _post(client, f"/schedules/{schedule.id}/resume", {"version": "2"})
    assert resumed.status_code == 302
    assert _schedules(session, item)[0].active is True
    session.expire_all()
    assert session.get_one(Equipment, item.id).next_due == date(2026, 6, 1)

    # Without the form's CSRF token nothing happens.
    forged = client.post(f"/schedules/{schedule.id}/pause", data={"version": "3"})
    assert forged.status_code == 400
    assert _schedules(session, item)[0].active is True


@pytest.mark.parametrize("role", ["viewer", "planner"])
def test_readers_see_schedules_without_controls(
    client: FlaskClient, world: World, session: Session, role: str
) -> None:
    schedule = make_schedule(session, world.vsat_item, date(2026, 6, 1), lead_days=14)
    sign_in(client, world.users[role])
    page = _item_page(client, world.vsat_item)
    assert f'data-testid="schedule-{schedule.id}"' in page
    assert "the previous due date" in page
    assert "add-schedule" not in page
    assert f"/schedules/{schedule.id}/edit" not in page
    assert f"/schedules/{schedule.id}/pause" not in page
    response = _post(client, f"/schedules/{schedule.id}/pause", {"version": "1"})
    assert response.status_code == 403
    assert client.get(f"/equipment/{world.vsat_item.id}/schedules/new").status_code == 403
    assert _schedules(session, world.vsat_item)[0].active is True


def test_another_agencys_officer_gets_404_everywhere(
    client: FlaskClient, world: World, session: Session
) -> None:
    schedule = make_schedule(session, world.vsat_item, date(2026, 6, 1))
    paused = make_schedule(session, world.vsat_item, date(2026, 7, 1), active=False)
    sign_in(client, world.customs_officer)
    assert client.get(f"/equipment/{world.vsat_item.id}/schedules/new").status_code == 404
    assert client.get(f"/schedules/{schedule.id}/edit").status_code == 404
    for path in (
        f"/equipment/{world.vsat_item.id}/schedules/new",
        f"/schedules/{schedule.id}/edit",
        f"/schedules/{schedule.id}/pause",
        f"/schedules/{paused.id}/resume",
    ):
        response = _post(
            client, path, {"version": "1", "kind": "preventive", "interval_value": "1"}
        )
        assert response.status_code == 404, path
    stored = _schedules(session, world.vsat_item)
    assert [(s.active, s.version) for s in stored] == [(True, 1), (False, 1)]


def test_a_decommissioned_item_offers_no_schedule_controls(
    client: FlaskClient, world: World, session: Session
) -> None:
    item = world.vsat_item
    schedule = make_schedule(session, item, date(2026, 6, 1), active=False)
    item.status = "decommissioned"
    session.add(item)
    session.commit()
    sign_in(client, world.users["admin"])
    page = _item_page(client, item)
    assert "add-schedule" not in page
    assert f"/schedules/{schedule.id}/resume" not in page
    response = _post(client, f"/schedules/{schedule.id}/resume", {"version": "1"})
    assert response.status_code == 400
    assert "This item is decommissioned; it takes no more work." in response.get_data(as_text=True)
    response = _post(
        client,
        f"/equipment/{item.id}/schedules/new",
        {"kind": "preventive", "interval_value": "1", "interval_unit": "years"},
    )
    assert response.status_code == 400
    assert "This item is decommissioned" in response.get_data(as_text=True)
