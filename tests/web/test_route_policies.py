"""Every route declares a role policy, and every role gets exactly what the policy says:
allowed, forbidden (403), or 404 for another agency's object. New routes must be added to
ROUTES, or the first test fails."""

from __future__ import annotations

import importlib
import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import object_session

from equiplan.domain.roles import ALL_ROLES
from equiplan.models import Agency, Equipment, EquipmentModel, User
from equiplan.services.api_tokens import create_token
from equiplan.web.policy import PUBLIC, policy_of
from tests.conftest import csrf_token, sign_in
from tests.factories import make_calibration
from tests.web.conftest import World
from tests.web.route_table import (
    EDITORS,
    EVERYONE,
    ROLES,
    WORK_ORDER_WRITERS,
    Route,
)

ROUTES: dict[str, Route] = {
    "static": Route("GET", lambda w: "/static/equiplan.css", PUBLIC),
    "bootstrap.static": Route("GET", lambda w: "/bootstrap/static/css/bootstrap.min.css", PUBLIC),
    "auth.login": Route("GET", lambda w: "/login", PUBLIC),
    "auth.logout": Route("POST", lambda w: "/logout", EVERYONE, form=lambda w: {}),
    "account.profile": Route("GET", lambda w: "/account", EVERYONE),
    "account.change_locale": Route(
        "POST", lambda w: "/locale", PUBLIC, form=lambda w: {"locale": "en"}
    ),
    "dashboard.index": Route("GET", lambda w: "/", EVERYONE),
    "dashboard.agencies": Route("GET", lambda w: "/agencies", EVERYONE),
    "dashboard.agency": Route(
        "GET",
        lambda w: f"/agencies/{w.vsat.id}",
        EVERYONE,
        foreign_path=lambda w: f"/agencies/{w.customs.id}",
    ),
    "api.health": Route("GET", lambda w: "/api/v1/health", PUBLIC),
    "api.dashboard": Route("GET", lambda w: "/api/v1/dashboard", EVERYONE),
    "equipment.index": Route("GET", lambda w: "/equipment", EVERYONE),
    "equipment.detail": Route(
        "GET",
        lambda w: f"/equipment/{w.vsat_item.id}",
        EVERYONE,
        foreign_path=lambda w: f"/equipment/{w.customs_item.id}",
    ),
    "account.create_token": Route(
        "POST", lambda w: "/account/tokens", EVERYONE, form=lambda w: {"name": "matrix"}
    ),
    "account.revoke_token": Route(
        "POST",
        lambda w: "/account/tokens/1/revoke",
        EVERYONE,
        form=lambda w: {},
        own_path=lambda w, user: f"/account/tokens/{_own_token_id(user)}/revoke",
    ),
    # --- equipment register: register, edit, decommission, move ---
    "equipment.register": Route("GET", lambda w: "/equipment/new", EDITORS),
    "equipment.edit": Route(
        "GET",
        lambda w: f"/equipment/{w.vsat_item.id}/edit",
        EDITORS,
        foreign_path=lambda w: f"/equipment/{w.customs_item.id}/edit",
    ),
    "equipment.move": Route(
        "GET",
        lambda w: f"/equipment/{w.vsat_item.id}/move",
        EDITORS,
        foreign_path=lambda w: f"/equipment/{w.customs_item.id}/move",
    ),
    "equipment.decommission": Route(
        "GET",
        lambda w: f"/equipment/{w.vsat_item.id}/decommission",
        EDITORS,
        foreign_path=lambda w: f"/equipment/{w.customs_item.id}/decommission",
    ),
    # --- work orders ---
    "work_orders.index": Route("GET", lambda w: "/work-orders", EVERYONE),
    "work_orders.detail": Route(
        "GET",
        lambda w: _work_order_path(w.vsat_item),
        EVERYONE,
        foreign_path=lambda w: _work_order_path(w.customs_item),
    ),
    "work_orders.new": Route(
        "GET",
        lambda w: f"/equipment/{w.vsat_item.id}/work-orders/new?kind=corrective",
        WORK_ORDER_WRITERS,
        foreign_path=lambda w: f"/equipment/{w.customs_item.id}/work-orders/new?kind=corrective",
    ),
    "work_orders.edit": Route(
        "GET",
        lambda w: _work_order_path(w.vsat_item, "/edit"),
        WORK_ORDER_WRITERS,
        foreign_path=lambda w: _work_order_path(w.customs_item, "/edit"),
    ),
    "work_orders.close": Route(
        "GET",
        lambda w: _work_order_path(w.vsat_item, "/close"),
        WORK_ORDER_WRITERS,
        foreign_path=lambda w: _work_order_path(w.customs_item, "/close"),
    ),
    # Start and cancel redirect on success, so the matrix cannot expect its 200 for another
    # agency's order; tests/web/test_work_order_pages.py checks their 404s.
    "work_orders.start": Route(
        "POST",
        lambda w: _work_order_path(w.vsat_item, "/start"),
        WORK_ORDER_WRITERS,
        form=lambda w: {"version": "1"},
    ),
    "work_orders.cancel": Route(
        "POST",
        lambda w: _work_order_path(w.vsat_item, "/cancel"),
        WORK_ORDER_WRITERS,
        form=lambda w: {"version": "1", "reason": "matrix"},
    ),
    # --- calibrations ---
    "calibrations.new": Route(
        "POST",
        lambda w: f"/equipment/{w.vsat_item.id}/calibrations/new",
        frozenset({"admin", "technician"}),
        form=lambda w: {
            "laboratory": "Matrix laboratory",
            "certificate_no": "M-1",
            "calibrated_on": "2025-06-01",
            "valid_until": "2026-06-01",
            "points-0-quantity": "dose_rate_cs137",
            "points-0-unit": "µSv/h",
            "points-0-nominal": "10",
            "points-0-tolerance": "20",
            "points-0-tolerance_kind": "pct",
            "points-0-as_found": "10.1",
            "certificate": (io.BytesIO(b"%PDF-1.4\n%matrix\n"), "matrix.pdf"),
        },
    ),
    "calibrations.detail": Route(
        "GET",
        lambda w: f"/calibrations/{make_calibration(object_session(w.vsat_item), w.vsat_item).id}",
        EVERYONE,
        foreign_path=lambda w: (
            f"/calibrations/{make_calibration(object_session(w.vsat_item), w.customs_item).id}"
        ),
    ),
    "calibrations.edit": Route(
        "GET",
        lambda w: (
            f"/calibrations/{make_calibration(object_session(w.vsat_item), w.vsat_item).id}/edit"
        ),
        frozenset({"admin", "technician"}),
        foreign_path=lambda w: (
            f"/calibrations/{make_calibration(object_session(w.vsat_item), w.customs_item).id}/edit"
        ),
    ),
    # Without a stored file (the matrix cannot reach the app's certificate folder) the route
    # redirects to the calibration; tests/web/test_calibration_pages.py downloads real files
    # and checks the 404 for another agency's officer and viewer.
    "calibrations.certificate": Route(
        "GET",
        lambda w: (
            f"/calibrations/{make_calibration(object_session(w.vsat_item), w.vsat_item).id}"
            "/certificate"
        ),
        EVERYONE,
    ),
    # --- import and export ---
    "transfer.export": Route("GET", lambda w: "/equipment/export.csv?status=in_service", EVERYONE),
    "transfer.template": Route("GET", lambda w: "/equipment/import/template.xlsx", EVERYONE),
    "transfer.upload": Route(
        "POST", lambda w: "/equipment/import", EDITORS, form=lambda w: _import_file(w)
    ),
    "transfer.commit": Route(
        "POST",
        lambda w: "/equipment/import/commit",
        EDITORS,
        form=lambda w: {"upload": "0" * 32},
        ok_statuses=(400,),
    ),
    # --- JSON API ---
    "api.openapi": Route("GET", lambda w: "/api/v1/openapi.json", PUBLIC),
    "api.list_equipment": Route("GET", lambda w: "/api/v1/equipment", EVERYONE),
    "api.get_equipment": Route(
        "GET",
        lambda w: f"/api/v1/equipment/{w.vsat_item.id}",
        EVERYONE,
        foreign_path=lambda w: f"/api/v1/equipment/{w.customs_item.id}",
    ),
    "api.create_equipment": Route(
        "POST",
        lambda w: "/api/v1/equipment",
        EDITORS,
        json=lambda w: {
            "inventory_no": "API-M-1",
            "serial_no": "API-SN-1",
            "model_id": w.vsat_item.model_id,
            "agency_id": w.vsat.id,
        },
        ok_statuses=(201,),
    ),
    "api.update_equipment": Route(
        "PATCH",
        lambda w: f"/api/v1/equipment/{w.vsat_item.id}",
        EDITORS,
        foreign_path=lambda w: f"/api/v1/equipment/{w.customs_item.id}",
        json=lambda w: {"version": 1, "notes": "matrix"},
    ),
    "api.decommission_equipment": Route(
        "POST",
        lambda w: f"/api/v1/equipment/{w.vsat_item.id}/decommission",
        EDITORS,
        foreign_path=lambda w: f"/api/v1/equipment/{w.customs_item.id}/decommission",
        json=lambda w: {"version": 1, "reason": "matrix"},
    ),
    "api.list_sites": Route("GET", lambda w: "/api/v1/sites", EVERYONE),
    "api.get_site": Route(
        "GET",
        lambda w: f"/api/v1/sites/{_api_site(w.vsat)}",
        EVERYONE,
        foreign_path=lambda w: f"/api/v1/sites/{_api_site(w.customs)}",
    ),
    "api.create_site": Route(
        "POST",
        lambda w: "/api/v1/sites",
        frozenset({"admin"}),
        json=lambda w: {
            "agency_id": w.vsat.id,
            "code": "API-M",
            "name_en": "Matrix",
            "name_lt": "Matrica",
            "site_type": "seaport",
        },
        ok_statuses=(201,),
    ),
    "api.update_site": Route(
        "PATCH",
        lambda w: f"/api/v1/sites/{_api_site(w.vsat)}",
        frozenset({"admin"}),
        foreign_path=lambda w: f"/api/v1/sites/{_api_site(w.customs)}",
        json=lambda w: {"version": 1, "criticality": 4},
    ),
    "api.list_types": Route("GET", lambda w: "/api/v1/types", EVERYONE),
    "api.get_type": Route("GET", lambda w: f"/api/v1/types/{_api_type(w)}", EVERYONE),
    "api.create_type": Route(
        "POST",
        lambda w: "/api/v1/types",
        frozenset({"admin"}),
        json=lambda w: {
            "code": "API-M",
            "name_en": "Matrix",
            "name_lt": "Matrica",
            "design_life_years": 10,
            "prior_mtbf_hours": 10_000,
            "prior_mttr_hours": 4,
            "logistics_delay_hours": 48,
            "weibull_beta": 2.5,
            "weibull_eta_factor": 1.2,
        },
        ok_statuses=(201,),
    ),
    "api.update_type": Route(
        "PATCH",
        lambda w: f"/api/v1/types/{_api_type(w)}",
        frozenset({"admin"}),
        json=lambda w: {"version": 1, "design_life_years": 12},
    ),
    "api.list_work_orders": Route("GET", lambda w: "/api/v1/work-orders", EVERYONE),
    "api.get_work_order": Route(
        "GET",
        lambda w: _api_work_order(w.vsat_item),
        EVERYONE,
        foreign_path=lambda w: _api_work_order(w.customs_item),
    ),
    "api.create_work_order": Route(
        "POST",
        lambda w: "/api/v1/work-orders",
        WORK_ORDER_WRITERS,
        json=lambda w: {"equipment_id": w.vsat_item.id, "kind": "inspection"},
        ok_statuses=(201,),
    ),
    "api.update_work_order": Route(
        "PATCH",
        lambda w: _api_work_order(w.vsat_item),
        WORK_ORDER_WRITERS,
        foreign_path=lambda w: _api_work_order(w.customs_item),
        json=lambda w: {"version": 1, "notes": "matrix"},
    ),
    "api.start_work_order": Route(
        "POST",
        lambda w: _api_work_order(w.vsat_item, "/start"),
        WORK_ORDER_WRITERS,
        foreign_path=lambda w: _api_work_order(w.customs_item, "/start"),
        json=lambda w: {"version": 1},
    ),
    "api.close_work_order": Route(
        "POST",
        lambda w: _api_work_order(w.vsat_item, "/close"),
        WORK_ORDER_WRITERS,
        foreign_path=lambda w: _api_work_order(w.customs_item, "/close"),
        json=lambda w: {"version": 1, "completed_at": _api_now(), "result": "pass"},
    ),
    "api.cancel_work_order": Route(
        "POST",
        lambda w: _api_work_order(w.vsat_item, "/cancel"),
        WORK_ORDER_WRITERS,
        foreign_path=lambda w: _api_work_order(w.customs_item, "/cancel"),
        json=lambda w: {"version": 1, "reason": "matrix"},
    ),
    "api.list_calibrations": Route("GET", lambda w: "/api/v1/calibrations", EVERYONE),
    "api.get_calibration": Route(
        "GET",
        lambda w: _api_calibration(w.vsat_item),
        EVERYONE,
        foreign_path=lambda w: _api_calibration(w.customs_item),
    ),
    "api.create_calibration": Route(
        "POST",
        lambda w: "/api/v1/calibrations",
        frozenset({"admin", "technician"}),
        json=lambda w: {
            "equipment_id": w.vsat_item.id,
            "laboratory": "Matrix laboratory",
            "certificate_no": "M-1",
            "calibrated_on": "2025-06-01",
            "points": [{"nominal": 10, "tolerance": 20, "as_found": 10.1}],
        },
        ok_statuses=(201,),
    ),
    "api.update_calibration": Route(
        "PATCH",
        lambda w: _api_calibration(w.vsat_item),
        frozenset({"admin", "technician"}),
        foreign_path=lambda w: _api_calibration(w.customs_item),
        json=lambda w: {"version": 1, "certificate_no": "M-2"},
    ),
}
for _area in sorted(Path(__file__).parent.glob("routes_*.py")):
    ROUTES.update(importlib.import_module(f"tests.web.{_area.stem}").ROUTES)


def _import_file(world: World) -> dict[str, object]:
    """A one-row inventory of VSAT's (the matrix's officer's agency) to preview."""
    session = object_session(world.vsat_item)
    assert session is not None
    model = session.get(EquipmentModel, world.vsat_item.model_id)
    assert model is not None
    text = (
        f"Inventory no.,Serial no.,Manufacturer,Model,Agency\nM-1,SN-M-1,Acme,{model.name},VSAT\n"
    )
    return {"file": (io.BytesIO(text.encode()), "matrix.csv")}


def _work_order_path(item: Equipment, suffix: str = "") -> str:
    """The path of a new open work order on `item` (made in the world's session)."""
    from tests.factories import make_work_order

    session = object_session(item)
    assert session is not None
    return f"/work-orders/{make_work_order(session, item).id}{suffix}"  # type: ignore[arg-type]


def _api_site(agency: Agency) -> int:
    """The id of a new site of `agency` (made in the world's session)."""
    from tests.factories import make_site

    session = object_session(agency)
    assert session is not None
    return make_site(session, agency).id  # type: ignore[arg-type,return-value]


def _api_type(world: World) -> int:
    """The id of the type of the world's VSAT item."""
    session = object_session(world.vsat_item)
    assert session is not None
    return session.get_one(EquipmentModel, world.vsat_item.model_id).type_id


def _api_work_order(item: Equipment, suffix: str = "") -> str:
    """The API path of a new open inspection of `item` (closable without a failure code)."""
    from tests.factories import make_work_order

    session = object_session(item)
    assert session is not None
    order = make_work_order(session, item, kind="inspection")  # type: ignore[arg-type]
    return f"/api/v1/work-orders/{order.id}{suffix}"


def _api_calibration(item: Equipment) -> str:
    """The API path of a new calibration of `item`."""
    session = object_session(item)
    assert session is not None
    return f"/api/v1/calibrations/{make_calibration(session, item).id}"  # type: ignore[arg-type]


def _api_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _own_token_id(user: User) -> int:
    session = object_session(user)  # the test's session, which made the world
    assert session is not None
    token, _ = create_token(session, user, "matrix")  # type: ignore[arg-type]
    return token.id  # type: ignore[return-value]


def _request(  # type: ignore[no-untyped-def]
    client: FlaskClient,
    route: Route,
    world: World,
    path: str | None = None,
    user: User | None = None,
):
    if path is None and route.own_path and user is not None:
        path = route.own_path(world, user)
    url = path or route.path(world)
    if route.method == "GET":
        response = client.get(url)
    elif route.json is not None:
        response = client.open(
            url,
            method=route.method,
            json=route.json(world),
            headers={"X-CSRFToken": csrf_token(client, "/login")},
        )
    else:
        data = {
            **(route.form(world) if route.form else {}),
            "csrf_token": csrf_token(client, "/login"),
        }
        response = client.post(url, data=data)
    response.close()
    return response


def test_every_route_declares_a_policy_and_is_in_the_matrix(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    undeclared = sorted(e for e in endpoints if policy_of(app, e) is None)
    assert undeclared == [], "routes without a role policy"
    assert sorted(endpoints - set(ROUTES)) == [], "routes missing from the route x role matrix"
    assert sorted(set(ROUTES) - endpoints) == [], "matrix lists routes that no longer exist"
    for endpoint, route in ROUTES.items():
        declared = policy_of(app, endpoint)
        expected = PUBLIC if route.allowed == PUBLIC else frozenset(route.allowed)
        assert (
            declared if declared == PUBLIC else frozenset(str(r) for r in declared)
        ) == expected, endpoint


def test_a_route_without_policy_is_refused(app: Flask, client: FlaskClient) -> None:
    app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    response = client.get("/undeclared")
    assert response.status_code == 403
    assert "secret" not in response.get_data(as_text=True)


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_anonymous_visitors(client: FlaskClient, world: World, endpoint: str) -> None:
    route = ROUTES[endpoint]
    response = _request(client, route, world)
    if route.allowed == PUBLIC:
        assert response.status_code in (200, 302), endpoint
        assert "/login?next=" not in response.headers.get("Location", "")
    elif endpoint.startswith("api."):
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_each_role_against_each_route(
    client: FlaskClient, world: World, endpoint: str, role: str
) -> None:
    route = ROUTES[endpoint]
    sign_in(client, world.users[role])
    response = _request(client, route, world, user=world.users[role])
    allowed = route.allowed == PUBLIC or role in route.allowed
    if allowed:
        assert response.status_code in route.ok_statuses, (
            f"{role} {endpoint}: {response.status_code}"
        )
        assert "/login" not in response.headers.get("Location", "") or endpoint == "auth.logout"
    else:
        assert response.status_code == 403, f"{role} {endpoint}: {response.status_code}"
    if route.foreign_path and allowed:
        foreign = _request(client, route, world, route.foreign_path(world))
        expected = 404 if role in ("officer", "viewer") else 200
        assert foreign.status_code == expected, f"{role} {endpoint} foreign: {foreign.status_code}"


def test_all_roles_are_covered() -> None:
    assert {str(r) for r in ALL_ROLES} == set(ROLES)
