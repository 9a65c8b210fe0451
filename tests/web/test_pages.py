"""Pages: dashboard scope, agency pages, error pages, security headers, languages."""

import re

from flask import Flask
from flask.testing import FlaskClient

from equiplan.web.policy import signed_in
from tests.conftest import csrf_token, sign_in
from tests.web.conftest import World


def test_officer_sees_only_their_agency(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["officer"])
    page = client.get("/").get_data(as_text=True)
    assert "VSAT" in page
    assert "MUIT" not in page
    agencies = client.get("/agencies").get_data(as_text=True)
    assert f"/agencies/{world.vsat.id}" in agencies
    assert f"/agencies/{world.customs.id}" not in agencies


def test_centre_roles_see_every_agency(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["technician"])
    page = client.get("/").get_data(as_text=True)
    assert "VSAT" in page
    assert "MUIT" in page


def test_agency_page_lists_its_sites(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["viewer"])
    page = client.get(f"/agencies/{world.vsat.id}").get_data(as_text=True)
    assert "MED" in page


def test_another_agencys_object_is_the_friendly_404(client: FlaskClient, world: World) -> None:
    sign_in(client, world.customs_officer)
    foreign = client.get(f"/agencies/{world.vsat.id}")
    missing = client.get("/agencies/999999")
    assert foreign.status_code == missing.status_code == 404
    # Identical but for the page's own address (the language form returns to it).
    foreign_page = foreign.get_data(as_text=True).replace(
        f"/agencies/{world.vsat.id}", "/agencies/X"
    )
    assert foreign_page == missing.get_data(as_text=True).replace("/agencies/999999", "/agencies/X")
    assert "Back to the dashboard" in foreign.get_data(as_text=True)


def test_forbidden_is_a_friendly_403(app: Flask, client: FlaskClient, world: World) -> None:
    from equiplan.domain.roles import Role
    from equiplan.web.policy import roles

    app.add_url_rule("/admin-only", "admin_only", roles(Role.ADMIN)(lambda: "ok"))
    sign_in(client, world.users["viewer"])
    response = client.get("/admin-only")
    assert response.status_code == 403
    assert "You may not open this page" in response.get_data(as_text=True)


def test_unexpected_errors_are_a_friendly_500(
    app: Flask, client: FlaskClient, world: World
) -> None:
    def broken() -> str:
        raise RuntimeError("boom")

    app.add_url_rule("/broken", "broken", signed_in(broken))
    app.add_url_rule("/api/v1/broken", "api_broken", signed_in(broken))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    sign_in(client, world.users["admin"])
    page = client.get("/broken")
    assert page.status_code == 500
    assert "Something went wrong on our side" in page.get_data(as_text=True)
    assert "boom" not in page.get_data(as_text=True)
    api = client.get("/api/v1/broken")
    assert api.status_code == 500
    assert api.json == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "",
    }


def test_security_headers_and_no_inline_script_or_style(client: FlaskClient, world: World) -> None:
    for path in ("/login",):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
    for path in ("/api/v1/health", "/api/v1/nope", "/static/equiplan.css", "/nope"):
        response = client.get(path)
        response.close()
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
    sign_in(client, world.users["admin"])
    for path in ("/", "/agencies", f"/agencies/{world.vsat.id}", "/account", "/nope"):
        html = client.get(path).get_data(as_text=True)
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], path
        assert " style=" not in html, path
        assert "cdn" not in html.lower(), path


def test_language_follows_the_user_and_can_be_switched(client: FlaskClient, world: World) -> None:
    officer = world.users["officer"]
    officer_locale_before = officer.locale
    assert officer_locale_before == "en"
    sign_in(client, officer)
    assert '<h1 class="h3 mb-1">Dashboard</h1>' in client.get("/").get_data(as_text=True)
    response = client.post(
        "/locale", data={"locale": "lt", "next": "/", "csrf_token": csrf_token(client, "/")}
    )
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert '<h1 class="h3 mb-1">Suvestinė</h1>' in page
    assert '<html lang="lt">' in page
    # Saved on the account: a new browser session gets Lithuanian too.
    other = client.application.test_client()
    sign_in(other, officer)
    assert "Suvestinė" in other.get("/").get_data(as_text=True)


def test_language_before_sign_in_comes_from_the_browser_or_the_choice(client: FlaskClient) -> None:
    assert "Prisijungti" in client.get("/login", headers={"Accept-Language": "lt"}).get_data(
        as_text=True
    )
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "en-GB,en"}).get_data(
        as_text=True
    )
    client.post("/locale", data={"locale": "lt", "csrf_token": csrf_token(client)})
    assert "Prisijungti" in client.get("/login", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )


def test_empty_scope_has_a_helpful_dashboard(client: FlaskClient, session) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import make_agency, make_user

    lonely = make_user(session, "viewer", make_agency(session, "EMPTY"))
    sign_in(client, lonely)
    assert "No equipment is registered in your scope yet." in client.get("/").get_data(as_text=True)
