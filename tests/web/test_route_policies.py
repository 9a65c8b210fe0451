"""Every route declares a role policy, and every role gets exactly what the policy says:
allowed, forbidden (403), or 404 for another agency's object. New routes must be added to
ROUTES, or the first test fails."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import object_session

from equiplan.domain.roles import ALL_ROLES
from equiplan.models import User
from equiplan.services.api_tokens import create_token
from equiplan.web.policy import PUBLIC, policy_of
from tests.conftest import csrf_token, sign_in
from tests.web.conftest import World

ROLES = ("admin", "planner", "technician", "officer", "viewer")
EVERYONE = frozenset(ROLES)
EDITORS = frozenset({"admin", "officer"})


@dataclass(frozen=True)
class Route:
    method: str
    path: Callable[[World], str]
    allowed: frozenset[str] | str
    # For routes about one agency's object: the path to another agency's object, which
    # officers and viewers must get as 404.
    foreign_path: Callable[[World], str] | None = None
    form: Callable[[World], dict[str, str]] | None = None
    # For routes about the signed-in user's own object (their API tokens): the path to one of
    # theirs, used instead of `path` when somebody is signed in.
    own_path: Callable[[World, User], str] | None = None


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
    # --- calibrations ---
    # --- import and export ---
    # --- JSON API ---
}


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
        assert response.status_code in (200, 302), f"{role} {endpoint}: {response.status_code}"
        assert "/login" not in response.headers.get("Location", "") or endpoint == "auth.logout"
    else:
        assert response.status_code == 403, f"{role} {endpoint}: {response.status_code}"
    if route.foreign_path and allowed:
        foreign = _request(client, route, world, route.foreign_path(world))
        expected = 404 if role in ("officer", "viewer") else 200
        assert foreign.status_code == expected, f"{role} {endpoint} foreign: {foreign.status_code}"


def test_all_roles_are_covered() -> None:
    assert {str(r) for r in ALL_ROLES} == set(ROLES)
