"""Personal API tokens as bearer credentials: who they authenticate, what they are refused,
and that token requests are stateless (no cookies read or set, no CSRF token needed)."""

from collections.abc import Callable

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient
from flask_login import current_user
from sqlalchemy import select
from sqlmodel import Session
from werkzeug.wrappers import Response

from equiplan.db import get_session
from equiplan.models import ApiToken, AuditEvent, User
from equiplan.services.api_tokens import create_token, revoke_token
from equiplan.services.users import set_locale
from equiplan.web.policy import signed_in
from tests.conftest import csrf_token, sign_in
from tests.web.conftest import World


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _token(session: Session, user: User, name: str = "script") -> str:
    return create_token(session, user, name)[1]


def test_a_token_authenticates_as_its_user_with_their_scope(
    client: FlaskClient, world: World, session: Session
) -> None:
    secret = _token(session, world.customs_officer)
    response = client.get("/api/v1/dashboard", headers=_bearer(secret))
    assert response.status_code == 200
    assert [group["key"] for group in response.json["by_agency"]] == ["MUIT"]
    assert response.json["total"] == 1
    planner = client.get(
        "/api/v1/dashboard", headers=_bearer(_token(session, world.users["planner"]))
    )
    assert {group["key"] for group in planner.json["by_agency"]} == {"VSAT", "MUIT"}


def test_the_scheme_is_case_insensitive(
    client: FlaskClient, world: World, session: Session
) -> None:
    secret = _token(session, world.users["admin"])
    response = client.get("/api/v1/dashboard", headers={"Authorization": f"bearer {secret}"})
    assert response.status_code == 200


def test_using_a_token_records_when(client: FlaskClient, world: World, session: Session) -> None:
    token, secret = create_token(session, world.users["viewer"], "script")
    assert client.get("/api/v1/dashboard", headers=_bearer(secret)).status_code == 200
    session.expire_all()
    assert session.get(ApiToken, token.id).last_used_at is not None  # type: ignore[union-attr]


def test_without_credentials_the_api_answers_401(client: FlaskClient, world: World) -> None:
    response = client.get("/api/v1/dashboard")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def _revoked(session: Session, world: World) -> str:
    user = world.users["admin"]
    token, secret = create_token(session, user, "old")
    revoke_token(session, user, token.id)  # type: ignore[arg-type]
    return secret


def _deactivated(session: Session, world: World) -> str:
    user = world.users["technician"]
    secret = _token(session, user)
    user.active = False
    session.commit()
    return secret


BAD_TOKENS: dict[str, Callable[[Session, World], str]] = {
    "unknown": lambda session, world: "eqp_" + "A" * 43,
    "garbage": lambda session, world: "not-a-token",
    "empty": lambda session, world: "",
    "revoked": _revoked,
    "user deactivated": _deactivated,
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
@pytest.mark.parametrize("path", ["/api/v1/dashboard", "/api/v1/health"])
def test_a_bad_token_is_refused_even_with_a_signed_in_session(
    client: FlaskClient, world: World, session: Session, kind: str, path: str
) -> None:
    secret = BAD_TOKENS[kind](session, world)
    # A valid browser session rides along; it must not rescue the bad token.
    sign_in(client, world.users["planner"])
    assert client.get("/api/v1/dashboard").status_code == 200
    response = client.get(path, headers=_bearer(secret))
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["detail"] == "The API token is invalid or has been revoked."
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert "Set-Cookie" not in response.headers


def test_token_requests_never_set_a_cookie(
    client: FlaskClient, world: World, session: Session
) -> None:
    secret = _token(session, world.users["officer"])
    response = client.get("/api/v1/dashboard", headers=_bearer(secret))
    assert response.status_code == 200
    assert response.headers.getlist("Set-Cookie") == []
    assert client.get_cookie("session") is None
    # Nor does the token sign the browser in: without it the API still says 401.
    assert client.get("/api/v1/dashboard").status_code == 401


def test_a_token_request_ignores_the_session_cookie(
    client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, world.users["planner"])  # sees every agency
    secret = _token(session, world.customs_officer)  # sees only MUIT
    response = client.get("/api/v1/dashboard", headers=_bearer(secret))
    assert [group["key"] for group in response.json["by_agency"]] == ["MUIT"]
    assert response.headers.getlist("Set-Cookie") == []


def test_pages_ignore_bearer_tokens(client: FlaskClient, world: World, session: Session) -> None:
    secret = _token(session, world.users["admin"])
    response = client.get("/", headers=_bearer(secret))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_the_token_users_role_policy_still_applies(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    from equiplan.web.policy import roles

    app.add_url_rule("/api/v1/test-admin-only", "test_admin_only", roles("admin")(lambda: "ok"))
    viewer = client.get(
        "/api/v1/test-admin-only", headers=_bearer(_token(session, world.users["viewer"]))
    )
    assert viewer.status_code == 403
    assert viewer.mimetype == "application/problem+json"
    admin = client.get(
        "/api/v1/test-admin-only", headers=_bearer(_token(session, world.users["admin"]))
    )
    assert admin.status_code == 200


@pytest.fixture
def writing_endpoint(app: Flask) -> str:
    """A POST under /api/ that changes the caller's account (the API has none of its own yet)."""

    @signed_in
    def switch_to_lithuanian() -> Response:
        set_locale(get_session(), current_user._get_current_object(), "lt")
        return jsonify(locale="lt")

    app.add_url_rule("/api/v1/test-locale", "test_locale", switch_to_lithuanian, methods=["POST"])
    return "/api/v1/test-locale"


def test_token_requests_need_no_csrf_token_and_are_audited_as_api(
    client: FlaskClient, world: World, session: Session, writing_endpoint: str
) -> None:
    user = world.users["technician"]
    response = client.post(writing_endpoint, headers=_bearer(_token(session, user)))
    assert response.status_code == 200, response.get_data(as_text=True)
    event = session.execute(
        select(AuditEvent).where(AuditEvent.entity == "app_user", AuditEvent.action == "update")
    ).scalar_one()
    assert (event.user_id, event.origin, event.changes["locale"]) == (user.id, "api", ["en", "lt"])


def test_session_requests_to_the_api_still_need_a_csrf_token(
    client: FlaskClient, world: World, writing_endpoint: str
) -> None:
    sign_in(client, world.users["technician"])
    refused = client.post(writing_endpoint)
    assert refused.status_code == 400
    assert refused.mimetype == "application/problem+json"
    accepted = client.post(writing_endpoint, headers={"X-CSRFToken": csrf_token(client, "/")})
    assert accepted.status_code == 200


def test_a_remember_me_cookie_does_not_stand_in_for_the_token(
    client: FlaskClient, world: World, session: Session
) -> None:
    from tests.factories import TEST_PASSWORD

    planner = world.users["planner"]
    client.post(
        "/login",
        data={
            "email": planner.email,
            "password": TEST_PASSWORD,
            "remember": "y",
            "csrf_token": csrf_token(client),
        },
    )
    client.delete_cookie("session")
    assert client.get_cookie("remember_token") is not None
    assert client.get("/api/v1/dashboard").status_code == 200  # the cookie alone signs in
    client.delete_cookie("session")
    bad = client.get("/api/v1/dashboard", headers=_bearer("eqp_" + "B" * 43))
    assert bad.status_code == 401
    good = client.get("/api/v1/dashboard", headers=_bearer(_token(session, world.customs_officer)))
    assert [group["key"] for group in good.json["by_agency"]] == ["MUIT"]
