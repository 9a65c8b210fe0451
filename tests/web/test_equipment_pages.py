"""The register pages as users see them."""

import re

from flask.testing import FlaskClient

from tests.conftest import sign_in
from tests.factories import open_downtime
from tests.web.conftest import World


def _count(html: str) -> str:
    match = re.search(r'data-testid="count">([^<]*)<', html)
    assert match, "no count on the page"
    return match.group(1)


def test_officer_lists_only_their_agency(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["officer"])
    html = client.get("/equipment").get_data(as_text=True)
    assert world.vsat_item.inventory_no in html
    assert world.customs_item.inventory_no not in html
    assert _count(html) == "1 items match."
    # The agency filter is not offered to agency roles (they have one agency).
    assert 'id="agency_id"' not in html


def test_centre_roles_list_every_agency_and_filter(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["technician"])
    html = client.get("/equipment").get_data(as_text=True)
    assert _count(html) == "2 items match."
    for status in ("in_service", "out_of_service", "in_repair", "in_storage", "decommissioned"):
        assert f'<option value="{status}"' in html, status
    filtered = client.get(f"/equipment?agency_id={world.customs.id}").get_data(as_text=True)
    assert world.customs_item.inventory_no in filtered
    assert world.vsat_item.inventory_no not in filtered


def test_bad_filters_are_explained_with_a_400(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["admin"])
    response = client.get("/equipment?status=lost&sort=password_hash")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Unknown status: lost." in html
    assert "Cannot sort by password_hash." in html
    assert _count(html) == "2 items match."  # the rest of the page still works


def test_empty_result_is_helpful(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["admin"])
    html = client.get("/equipment?search=no-such-thing").get_data(as_text=True)
    assert "No equipment matches these filters." in html


def test_detail_shows_why_an_item_is_not_operational(
    client: FlaskClient, world: World, session
) -> None:  # type: ignore[no-untyped-def]
    open_downtime(session, world.vsat_item)
    sign_in(client, world.users["officer"])
    html = client.get(f"/equipment/{world.vsat_item.id}").get_data(as_text=True)
    assert "Not operational" in html
    assert "a repair with open downtime" in html
    assert "Repair" in html  # the work order in the history


def test_another_agencys_item_is_a_404(client: FlaskClient, world: World) -> None:
    sign_in(client, world.customs_officer)
    assert client.get(f"/equipment/{world.vsat_item.id}").status_code == 404
    assert client.get(f"/equipment/{world.customs_item.id}").status_code == 200
