"""Registering, editing, moving and decommissioning equipment through the pages."""

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import Equipment
from tests.conftest import csrf_token, sign_in
from tests.factories import make_site
from tests.web.conftest import World


def _form(client: FlaskClient, path: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf_token(client, path), **fields}


def test_an_officer_registers_an_item(client: FlaskClient, world: World, session: Session) -> None:
    sign_in(client, world.users["officer"])
    page = client.get("/equipment/new").get_data(as_text=True)
    assert 'name="agency_id"' not in page  # an officer registers for their own agency only
    data = _form(
        client,
        "/equipment/new",
        inventory_no="VSAT-PRD-0900",
        serial_no="RE-900",
        model_id=str(world.vsat_item.model_id),
        site_id="",
        status="in_service",
        condition="good",
        funding_source="national",
        acquisition_cost_eur="2 400,50",
        commissioned_on="2026-02-01",
    )
    response = client.post("/equipment/new", data=data)
    assert response.status_code == 302
    item = session.execute(
        select(Equipment).where(Equipment.inventory_no == "VSAT-PRD-0900")
    ).scalar_one()
    assert (item.agency_id, item.acquisition_cost_cents) == (world.vsat.id, 240_050)
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "VSAT-PRD-0900 registered." in detail


def test_bad_input_is_shown_next_to_each_field(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["admin"])
    data = _form(
        client,
        "/equipment/new",
        inventory_no=world.vsat_item.inventory_no,
        serial_no="X",
        model_id="",
        agency_id=str(world.customs.id),
        status="in_service",
        condition="good",
        funding_source="national",
        acquisition_cost_eur="12.345",
        commissioned_on="01/02/2026",
    )
    response = client.post("/equipment/new", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for message in (
        "This inventory number is already registered.",
        "This field is required.",
        "At most two decimal places.",
        "Not a date; use YYYY-MM-DD.",
    ):
        assert message in html
    assert html.count("invalid-feedback") >= 4
    assert 'value="X"' in html  # what the user typed is kept


def test_a_stale_edit_gets_a_conflict_and_keeps_the_input(
    client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, world.users["officer"])
    path = f"/equipment/{world.vsat_item.id}/edit"
    form = client.get(path).get_data(as_text=True)
    assert f'name="version" type="hidden" value="{world.vsat_item.version}"' in form
    loaded = str(world.vsat_item.version)
    world.vsat_item.notes = "changed by somebody else"
    session.commit()
    data = _form(
        client,
        path,
        inventory_no=world.vsat_item.inventory_no,
        serial_no=world.vsat_item.serial_no,
        model_id=str(world.vsat_item.model_id),
        status="in_repair",
        condition="fair",
        funding_source="national",
        acquisition_cost_eur="1000",
        notes="my careful notes",
        version=loaded,
    )
    response = client.post(path, data=data)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Somebody else changed this item" in html
    assert "my careful notes" in html
    session.refresh(world.vsat_item)
    assert world.vsat_item.notes == "changed by somebody else"
    data["version"] = str(world.vsat_item.version)
    assert client.post(path, data=data).status_code == 302
    session.refresh(world.vsat_item)
    assert (world.vsat_item.notes, world.vsat_item.status) == ("my careful notes", "in_repair")


def test_move_and_decommission(client: FlaskClient, world: World, session: Session) -> None:
    target = make_site(session, world.vsat, code="KEN")
    sign_in(client, world.users["officer"])
    item_id = world.vsat_item.id
    move = f"/equipment/{item_id}/move"
    assert "KEN" in client.get(move).get_data(as_text=True)
    moved = client.post(
        move, data=_form(client, move, site_id=str(target.id), version=str(world.vsat_item.version))
    )
    assert moved.status_code == 302
    session.refresh(world.vsat_item)
    assert world.vsat_item.site_id == target.id

    path = f"/equipment/{item_id}/decommission"
    missing = client.post(path, data=_form(client, path, reason="", version="2"))
    assert missing.status_code == 400
    assert "Say why the item is decommissioned." in missing.get_data(as_text=True)
    done = client.post(path, data=_form(client, path, reason="Dropped in the river", version="2"))
    assert done.status_code == 302
    detail = client.get(f"/equipment/{item_id}").get_data(as_text=True)
    assert "Dropped in the river" in detail
    assert 'data-testid="register-actions"' not in detail


def test_viewers_see_no_register_actions(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["viewer"])
    assert 'data-testid="register-equipment"' not in client.get("/equipment").get_data(as_text=True)
    detail = client.get(f"/equipment/{world.vsat_item.id}").get_data(as_text=True)
    assert 'data-testid="register-actions"' not in detail
