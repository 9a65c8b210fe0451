"""The API tokens section of the account page: create (the secret is shown once), list, revoke."""

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import ApiToken
from equiplan.services.api_tokens import create_token, hash_secret
from tests.conftest import csrf_token, sign_in
from tests.web.conftest import World

_SECRET = re.compile(r'id="new-token-secret" type="text" value="(eqp_[A-Za-z0-9_-]+)"')


def _create(client: FlaskClient, name: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/account/tokens", data={"name": name, "csrf_token": csrf_token(client, "/account")}
    )


def _session_contents(app: Flask, client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return str(serializer.loads(cookie.value))


def test_a_new_token_is_shown_once_and_only_its_hash_is_kept(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    user = world.users["viewer"]
    sign_in(client, user)
    page = client.get("/account").get_data(as_text=True)
    assert "API tokens" in page
    assert "You have no API tokens." in page

    response = _create(client, "Nightly export")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    match = _SECRET.search(html)
    assert match, html
    secret = match.group(1)
    assert html.count(secret) == 1
    assert "it is shown only this once" in html
    token = session.execute(select(ApiToken).where(ApiToken.user_id == user.id)).scalar_one()
    assert (token.name, token.token_hash) == ("Nightly export", hash_secret(secret))
    # Not flashed, not in the session: the next page knows the token only by its name.
    assert secret not in _session_contents(app, client)
    later = client.get("/account").get_data(as_text=True)
    assert secret not in later
    assert "new-token-secret" not in later
    assert "Nightly export" in later
    assert "Never" in later  # not used yet
    assert (
        client.get("/api/v1/dashboard", headers={"Authorization": f"Bearer {secret}"}).json["total"]
        == 1
    )  # the viewer's agency (VSAT) has one item


def test_a_token_needs_a_name(client: FlaskClient, world: World, session: Session) -> None:
    sign_in(client, world.users["planner"])
    for name in ("", "   ", "x" * 101):
        response = _create(client, name)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert "new-token-secret" not in html
        assert "is-invalid" in html
    assert session.execute(select(ApiToken)).first() is None


def test_creating_needs_a_csrf_token(client: FlaskClient, world: World, session: Session) -> None:
    sign_in(client, world.users["planner"])
    response = client.post("/account/tokens", data={"name": "forged"})
    assert response.status_code == 400
    assert session.execute(select(ApiToken)).first() is None


def test_the_list_shows_only_the_users_own_tokens(
    client: FlaskClient, world: World, session: Session
) -> None:
    create_token(session, world.users["admin"], "admin's script")
    create_token(session, world.users["technician"], "technician's script")
    sign_in(client, world.users["technician"])
    page = client.get("/account").get_data(as_text=True)
    assert "technician&#39;s script" in page
    assert "admin&#39;s script" not in page


def test_revoking_a_token(client: FlaskClient, world: World, session: Session) -> None:
    user = world.users["officer"]
    token, secret = create_token(session, user, "old script")
    sign_in(client, user)
    page = client.get("/account").get_data(as_text=True)
    assert f'action="/account/tokens/{token.id}/revoke"' in page
    assert "This cannot be undone." in page
    response = client.post(
        f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client, "/account")}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/account#api-tokens"
    page = client.get("/account").get_data(as_text=True)
    assert "Token “old script” revoked: it no longer works." in page
    assert "Revoked" in page
    assert f'action="/account/tokens/{token.id}/revoke"' not in page  # nothing left to revoke
    session.expire_all()
    assert session.get(ApiToken, token.id).revoked_at is not None  # type: ignore[union-attr]
    refused = client.get("/api/v1/dashboard", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401


def test_revoking_needs_a_csrf_token(client: FlaskClient, world: World, session: Session) -> None:
    user = world.users["officer"]
    token, _ = create_token(session, user, "script")
    sign_in(client, user)
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 400
    session.expire_all()
    assert session.get(ApiToken, token.id).revoked_at is None  # type: ignore[union-attr]


def test_another_users_token_is_not_found(
    client: FlaskClient, world: World, session: Session
) -> None:
    token, secret = create_token(session, world.users["admin"], "admin's script")
    sign_in(client, world.users["planner"])
    for token_id in (token.id, 999_999):
        response = client.post(
            f"/account/tokens/{token_id}/revoke",
            data={"csrf_token": csrf_token(client, "/account")},
        )
        assert response.status_code == 404
    session.expire_all()
    assert session.get(ApiToken, token.id).revoked_at is None  # type: ignore[union-attr]
    ok = client.get("/api/v1/dashboard", headers={"Authorization": f"Bearer {secret}"})
    assert ok.status_code == 200


def test_the_section_is_in_lithuanian(client: FlaskClient, world: World) -> None:
    user = world.users["technician"]
    sign_in(client, user)
    client.post("/locale", data={"locale": "lt", "csrf_token": csrf_token(client, "/account")})
    page = client.get("/account").get_data(as_text=True)
    assert "API prieigos raktai" in page
    assert "Neturite API prieigos raktų." in page
