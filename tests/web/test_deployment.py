"""Settings an operator turns on in production: HTTPS-only cookies and HSTS, a reverse proxy in
front (client address from X-Forwarded-For for throttling), the instance secret."""

import os
import stat
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm.exc import StaleDataError

from equiplan import create_app
from equiplan.config import ConfigError
from equiplan.db import get_db
from equiplan.web.policy import signed_in
from tests.conftest import csrf_token, sign_in
from tests.factories import TEST_PASSWORD
from tests.web.conftest import World


@pytest.fixture
def production_app(
    monkeypatch: pytest.MonkeyPatch, app: Flask, connection, tmp_path: Path
) -> Flask:  # type: ignore[no-untyped-def]
    """The test app as an operator would configure it through the environment."""
    monkeypatch.setenv("EQUIPLAN_SECURE_COOKIES", "1")
    monkeypatch.setenv("EQUIPLAN_TRUSTED_PROXIES", "1")
    configured = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "INSTANCE_PATH": str(tmp_path / "prod"),
        }
    )
    get_db(configured).engine.dispose()
    get_db(configured).bind = connection
    return configured


def _login(client: FlaskClient, email: str, password: str, forwarded_for: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "https://equiplan.example/login")
    return client.post(
        "https://equiplan.example/login",
        data={"email": email, "password": password, "csrf_token": token},
        headers={
            "X-Forwarded-For": forwarded_for,
            "X-Forwarded-Proto": "https",
            "Referer": "https://equiplan.example/login",
        },
        environ_base={"REMOTE_ADDR": "10.0.0.254"},
    )


def test_secure_cookies_and_hsts_from_the_environment(production_app: Flask, world: World) -> None:
    client = production_app.test_client()
    response = _login(client, world.users["viewer"].email, TEST_PASSWORD, "192.0.2.10")
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "Secure" in session_cookie
    assert "HttpOnly" in session_cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_remember_me_cookie_is_protected_and_short_lived(
    production_app: Flask, world: World
) -> None:
    client = production_app.test_client()
    token = csrf_token(client, "https://equiplan.example/login")
    response = client.post(
        "https://equiplan.example/login",
        data={
            "email": world.users["viewer"].email,
            "password": TEST_PASSWORD,
            "csrf_token": token,
            "remember": "y",
        },
        headers={"X-Forwarded-Proto": "https", "Referer": "https://equiplan.example/login"},
    )
    remember = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")
    )
    assert "Secure" in remember
    assert "HttpOnly" in remember
    assert "SameSite=Lax" in remember
    assert production_app.config["REMEMBER_COOKIE_DURATION"].days == 14


def test_throttle_counts_the_client_behind_the_proxy(production_app: Flask, world: World) -> None:
    client = production_app.test_client()
    # Twenty-one different clients behind one proxy are not one client...
    statuses = [
        _login(client, f"u{i}@test.lt", "bad-password", f"192.0.2.{i}").status_code
        for i in range(21)
    ]
    assert 429 not in statuses
    # ...but one client is still throttled by its own address.
    own = [
        _login(client, f"v{i}@test.lt", "bad-password", "198.51.100.7").status_code
        for i in range(21)
    ]
    assert own[-1] == 429


def test_without_trusted_proxies_forwarded_headers_are_ignored(
    client: FlaskClient, world: World
) -> None:
    # A client cannot dodge the per-address throttle by inventing X-Forwarded-For values.
    statuses = []
    for i in range(21):
        token = csrf_token(client)
        statuses.append(
            client.post(
                "/login",
                data={"email": f"w{i}@test.lt", "password": "bad-password", "csrf_token": token},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
                environ_base={"REMOTE_ADDR": "10.1.1.1"},
            ).status_code
        )
    assert statuses[-1] == 429


def test_bad_settings_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EQUIPLAN_TRUSTED_PROXIES", "two")
    with pytest.raises(ConfigError, match="EQUIPLAN_TRUSTED_PROXIES"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_instance_secret_is_private_and_stable(tmp_path: Path) -> None:
    first = create_app(
        {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    )
    second = create_app(
        {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    )
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_a_stale_write_is_a_409_not_a_500(app: Flask, client: FlaskClient, world: World) -> None:
    def stale() -> str:
        raise StaleDataError(
            "UPDATE statement on table 'equipment' expected to update 1 row(s); 0 were matched."
        )

    app.add_url_rule("/stale", "stale", signed_in(stale))
    app.add_url_rule("/api/v1/stale", "api_stale", signed_in(stale))
    sign_in(client, world.users["admin"])
    page = client.get("/stale")
    assert page.status_code == 409
    assert "Somebody else changed this record" in page.get_data(as_text=True)
    api = client.get("/api/v1/stale")
    assert (api.status_code, api.json["title"]) == (409, "Conflict")
