"""/api/v1/due: what is due in the caller's scope, with the web list's filters, paged. Every
response is checked against the OpenAPI document by the client (tests/api/conformance.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from equiplan.services.clock import local_today
from tests.api.conftest import Caller
from tests.factories import make_schedule, make_work_order
from tests.web.conftest import World

Role = Callable[[str], Caller]


def test_the_due_list_is_scoped_and_says_what_each_row_is(
    as_role: Role, world: World, session: Session
) -> None:
    today = local_today("Europe/Vilnius")
    overdue = make_schedule(session, world.vsat_item, today - timedelta(days=30), grace_days=7)
    target = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    repair = make_work_order(session, world.vsat_item, target_restore_at=target)
    theirs = make_schedule(session, world.customs_item, today + timedelta(days=1))

    response = as_role("officer").get("/api/v1/due")
    assert response.status_code == 200
    body = response.json
    assert (body["total"], body["page"], body["per_page"]) == (2, 1, 50)
    first, second = body["items"]
    assert first == {
        "source": "schedule",
        "schedule_id": overdue.id,
        "work_order_id": None,
        "equipment_id": world.vsat_item.id,
        "inventory_no": world.vsat_item.inventory_no,
        "type_code": first["type_code"],
        "site_code": None,
        "site_name_en": None,
        "site_name_lt": None,
        "agency_code": "VSAT",
        "kind": "calibration",
        "due_date": (today - timedelta(days=30)).isoformat(),
        "target_restore_at": None,
        "grace_ends_on": (today - timedelta(days=23)).isoformat(),
        "state": "overdue",
    }
    assert (second["source"], second["work_order_id"], second["kind"]) == (
        "repair",
        repair.id,
        "repair",
    )
    assert second["state"] == "upcoming"
    assert datetime.fromisoformat(second["target_restore_at"]) == target

    everything = as_role("viewer").get("/api/v1/due")
    assert theirs.id not in [row["schedule_id"] for row in everything.json["items"]]
    centre = as_role("planner").get("/api/v1/due", agency_id=world.customs.id)
    assert [row["schedule_id"] for row in centre.json["items"]] == [theirs.id]


def test_filters_and_pages(as_role: Role, world: World, session: Session) -> None:
    today = local_today("Europe/Vilnius")
    for offset in range(30):
        make_schedule(session, world.vsat_item, today + timedelta(days=offset), kind="inspection")
    make_work_order(
        session, world.vsat_item, target_restore_at=datetime.now(UTC) - timedelta(hours=1)
    )
    technician = as_role("technician")
    page = technician.get("/api/v1/due", per_page=25, page=2)
    assert page.json["total"] == 31
    assert len(page.json["items"]) == 6
    assert technician.get("/api/v1/due", window=7).json["total"] == 9
    assert technician.get("/api/v1/due", kind="repair").json["total"] == 1
    overdue = technician.get("/api/v1/due", state="overdue").json
    assert [row["state"] for row in overdue["items"]] == ["overdue"]
    day = (today + timedelta(days=3)).isoformat()
    assert [row["due_date"] for row in technician.get("/api/v1/due", day=day).json["items"]] == [
        day
    ]


def test_bad_arguments_are_a_400_naming_each(as_role: Role) -> None:
    response = as_role("viewer").get(
        "/api/v1/due", window=12, kind="teleport", per_page=7, sort="due", day="soon"
    )
    assert response.status_code == 400
    assert set(response.json["errors"]) == {"window", "kind", "per_page", "sort", "day"}


def test_the_api_needs_credentials(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/due")
    assert response.status_code == 401
