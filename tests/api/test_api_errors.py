"""Everything that goes wrong under /api/v1 is a problem document that says what to fix:
bodies that are not JSON objects, wrong content types, missing credentials, unknown paths and
methods, a browser session without its CSRF token. The client checks each against the
OpenAPI document (tests/api/conformance.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import Site
from tests.api.conftest import Caller
from tests.conftest import csrf_token, sign_in
from tests.web.conftest import World

Role = Callable[[str], Caller]
SITE = {"code": "KEN", "name_en": "Kena", "name_lt": "Kena", "site_type": "rail_crossing"}


def _site(world: World) -> dict[str, object]:
    return {**SITE, "agency_id": world.vsat.id}


@pytest.mark.parametrize(
    ("data", "content_type", "status", "detail"),
    [
        ("code=KEN", "application/x-www-form-urlencoded", 415, "Content-Type: application/json"),
        ("{'code': 'KEN'}", "application/json", 400, "The body is not valid JSON"),
        ('{"code": NaN}', "application/json", 400, "The body is not valid JSON"),
        ('["KEN"]', "application/json", 400, "The body must be a JSON object."),
        ("", "application/json", 400, "The body must be a JSON object."),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(
    as_role: Role, session: Session, data: str, content_type: str, status: int, detail: str
) -> None:
    response = as_role("admin").send("POST", "/api/v1/sites", data=data, content_type=content_type)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert detail in response.json["detail"]
    assert session.execute(select(Site).where(Site.code == "KEN")).first() is None


def test_a_json_flavoured_content_type_is_json(
    as_role: Role, world: World, session: Session
) -> None:
    med = session.execute(select(Site).where(Site.code == "MED")).scalar_one()
    response = as_role("admin").send(
        "PATCH",
        f"/api/v1/sites/{med.id}",
        data='{"version": 1, "criticality": 5}',
        content_type="application/merge-patch+json",
    )
    assert response.status_code == 200, response.json
    assert response.json["criticality"] == 5


def test_without_credentials_every_collection_answers_401_with_a_challenge(
    client: FlaskClient,
) -> None:
    for path in ("equipment", "sites", "types", "work-orders", "calibrations"):
        response = client.get(f"/api/v1/{path}")
        assert response.status_code == 401, path
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_token_on_a_write_is_401_and_writes_nothing(
    client: FlaskClient, world: World, session: Session
) -> None:
    response = client.post(
        "/api/v1/sites", json=_site(world), headers={"Authorization": "Bearer eqp_nope"}
    )
    assert response.status_code == 401
    assert session.execute(select(Site).where(Site.code == "KEN")).first() is None


def test_unknown_paths_and_methods_are_problems(as_role: Role, world: World) -> None:
    admin = as_role("admin")
    missing = admin.get("/api/v1/budgets")
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"
    not_allowed = admin.send("DELETE", f"/api/v1/equipment/{world.vsat_item.id}")
    assert not_allowed.status_code == 405
    assert not_allowed.mimetype == "application/problem+json"


def test_a_browser_session_writes_only_with_its_csrf_token(
    client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, world.users["admin"])
    refused = client.post("/api/v1/sites", json=_site(world))
    assert refused.status_code == 400
    assert refused.mimetype == "application/problem+json"
    assert "CSRF" in refused.json["detail"]
    accepted = client.post(
        "/api/v1/sites", json=_site(world), headers={"X-CSRFToken": csrf_token(client, "/")}
    )
    assert accepted.status_code == 201, accepted.json


def test_messages_are_in_the_callers_language(
    caller: Callable[..., Caller], world: World, session: Session
) -> None:
    admin = world.users["admin"]
    admin.locale = "lt"
    session.commit()
    response = caller(admin).get("/api/v1/sites", agency_id="x")
    assert response.status_code == 400
    assert response.json["errors"] == {"agency_id": "Netinkamas skaičius: x."}


def test_the_lists_envelope_is_the_same_everywhere(as_role: Role) -> None:
    for path in ("equipment", "sites", "types", "work-orders", "calibrations"):
        body = as_role("planner").get(f"/api/v1/{path}", per_page=25, page=2).json
        assert set(body) == {"items", "total", "page", "per_page"}, path
        assert (body["page"], body["per_page"]) == (2, 25), path


def test_a_body_larger_than_the_server_takes_is_a_413(
    app: Flask, as_role: Role, world: World
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = as_role("admin").post("/api/v1/sites", {**_site(world), "name_en": "x" * 2000})
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
