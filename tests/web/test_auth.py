"""Sign-in, sign-out, throttling, CSRF and session cookies."""

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token, sign_in
from tests.factories import TEST_PASSWORD
from tests.web.conftest import World


def _post_login(
    client: FlaskClient, email: str, password: str, address: str = "10.0.0.1", **extra: str
):  # type: ignore[no-untyped-def]
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, **extra},
        environ_base={"REMOTE_ADDR": address},
        headers={"Accept-Language": "en"},
    )


def test_sign_in_lands_on_the_dashboard_and_sign_out_ends_the_session(
    client: FlaskClient, world: World
) -> None:
    officer = world.users["officer"]
    response = _post_login(client, officer.email.upper(), TEST_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_wrong_password_gives_one_message_for_both_cases(client: FlaskClient, world: World) -> None:
    wrong_password = _post_login(client, world.users["admin"].email, "not-the-password")
    unknown_user = _post_login(client, "nobody@test.lt", "not-the-password")
    for response in (wrong_password, unknown_user):
        assert response.status_code == 400
        assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_next_parameter_cannot_redirect_off_site(client: FlaskClient, world: World) -> None:
    officer = world.users["officer"]
    assert (
        _post_login(client, officer.email, TEST_PASSWORD, next="https://evil.example/").headers[
            "Location"
        ]
        == "/"
    )
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert (
        _post_login(client, officer.email, TEST_PASSWORD, next="//evil.example").headers["Location"]
        == "/"
    )
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert (
        _post_login(client, officer.email, TEST_PASSWORD, next="/agencies").headers["Location"]
        == "/agencies"
    )


def test_sign_in_is_throttled_per_account(client: FlaskClient, world: World) -> None:
    email = world.users["planner"].email
    statuses = [
        _post_login(client, email, "bad-password", address=f"10.0.1.{i}").status_code
        for i in range(6)
    ]
    assert statuses == [400] * 5 + [429]
    # Even the right password is refused while the account is throttled.
    assert _post_login(client, email, TEST_PASSWORD, address="10.0.2.1").status_code == 429
    # Another account from another address is not affected.
    assert (
        _post_login(
            client, world.users["admin"].email, TEST_PASSWORD, address="10.0.3.1"
        ).status_code
        == 302
    )


def test_sign_in_is_throttled_per_address(client: FlaskClient, world: World) -> None:
    statuses = [
        _post_login(client, f"user{i}@test.lt", "bad-password", address="10.9.9.9").status_code
        for i in range(21)
    ]
    assert statuses[:20] == [400] * 20
    assert statuses[20] == 429
    assert "Too many attempts" in _post_login(
        client, "x@test.lt", "bad", address="10.9.9.9"
    ).get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login", {"email": "a@b.lt", "password": "x"}),
        ("/locale", {"locale": "en"}),
        ("/logout", {}),
    ],
)
def test_forms_without_a_csrf_token_are_refused(
    client: FlaskClient, world: World, path: str, data: dict
) -> None:  # type: ignore[type-arg]
    sign_in(client, world.users["admin"])
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "The form has expired or did not come from this site" in response.get_data(as_text=True)


def test_a_refused_token_is_explained_in_the_users_language(
    app: Flask, client: FlaskClient, world: World
) -> None:
    # Tokens last as long as a sign-in, not Flask-WTF's hour: a long form still saves.
    assert app.config["WTF_CSRF_TIME_LIMIT"] == 12 * 3600
    sign_in(client, world.users["admin"])
    client.post("/locale", data={"locale": "lt", "csrf_token": csrf_token(client, "/")})
    response = client.post("/locale", data={"locale": "en", "csrf_token": "stale"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Formos galiojimas baigėsi arba ji atsiųsta ne iš šios svetainės" in page
    assert "CSRF" not in page


def test_session_cookie_is_httponly_and_samesite(client: FlaskClient, world: World) -> None:
    response = _post_login(client, world.users["viewer"].email, TEST_PASSWORD)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_secure_cookies_when_configured(app: Flask, world: World) -> None:
    app.config["SESSION_COOKIE_SECURE"] = True
    client = app.test_client()
    response = _post_login(client, world.users["viewer"].email, TEST_PASSWORD)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Secure" in cookie
