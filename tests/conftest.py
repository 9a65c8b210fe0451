"""Shared fixtures: migrated databases (SQLite always, PostgreSQL when available), a SAVEPOINT per
test, the app bound to the test's transaction, and helpers to sign in.

PostgreSQL comes from EQUIPLAN_TEST_DATABASE_URL (default: the local server's equiplan_test
database, created if missing). With EQUIPLAN_REQUIRE_POSTGRES=1, or CI=true as every CI service
sets it, a missing server is an error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from equiplan import create_app
from equiplan.db import get_db, make_engine, normalise_url, upgrade
from equiplan.extensions import limiter
from equiplan.models import User
from tests.factories import TEST_PASSWORD

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/equiplan_test"
SKIPPED_PARTS: dict[str, str] = {}


YES = {"1", "true", "yes"}


def part_required(variable: str) -> str | None:
    """Why a part of the suite must run here (so that its absence fails, not skips): the
    setting that asks for it, `variable` or CI (on CI every part is required); None if none."""
    for name in (variable, "CI"):
        if os.environ.get(name, "").strip().lower() in YES:
            return f"{name}={os.environ[name]}"
    return None


def postgres_url() -> str:
    return normalise_url(os.environ.get("EQUIPLAN_TEST_DATABASE_URL") or DEFAULT_PG_URL)


def _ensure_pg_database(url: str) -> None:
    """Create the test database when the server is there but the database is not."""
    parsed = make_url(url)
    admin = make_engine(
        parsed.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
            ).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()


def _reset_pg_schema(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    url = postgres_url()
    try:
        _ensure_pg_database(url)
        engine = make_engine(url)
        _reset_pg_schema(engine)
    except Exception as error:  # noqa: BLE001 - any failure to reach the server
        where = make_url(url).render_as_string()
        reason = f"PostgreSQL not available at {where}: {type(error).__name__}"
        required = part_required("EQUIPLAN_REQUIRE_POSTGRES")
        if required:
            pytest.fail(f"{reason} ({required})")
        SKIPPED_PARTS["PostgreSQL"] = reason
        pytest.skip(reason)
    upgrade(url)
    yield engine
    engine.dispose()


@pytest.fixture
def backend() -> str:
    """Web and API tests run on SQLite; integration tests override this with both backends."""
    return os.environ.get("EQUIPLAN_TEST_BACKEND", "sqlite")


@pytest.fixture
def engine(request: pytest.FixtureRequest, backend: str) -> Engine:
    return request.getfixturevalue(
        "postgres_engine" if backend == "postgresql" else "sqlite_engine"
    )


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """One outer transaction per test, rolled back at the end: tests never see each other."""
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    if outer.is_active:
        outer.rollback()
    conn.close()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    with Session(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    ) as s:
        yield s


@pytest.fixture
def app(engine: Engine, connection: Connection, tmp_path: Path) -> Flask:
    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    database = get_db(application)
    database.engine.dispose()
    database.bind = connection
    limiter.reset()
    # No app context is held open here: each request must get its own (own `g`, own session).
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token from a rendered form (the session cookie carries its twin)."""
    response = client.get(path, follow_redirects=True)
    match = _CSRF.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def sign_in(client: FlaskClient, user: User, password: str = TEST_PASSWORD) -> None:
    """Sign in through the real form (CSRF and all)."""
    token = csrf_token(client)
    response = client.post(
        "/login", data={"email": user.email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """Say plainly which parts of the suite did not run on this machine."""
    from tests.e2e_support import BROWSER_SKIP

    parts = dict(SKIPPED_PARTS)
    if BROWSER_SKIP:
        parts["browser (Chromium)"] = BROWSER_SKIP[0]
    if parts:
        terminalreporter.section("parts of the suite skipped on this machine")
        for part, reason in parts.items():
            terminalreporter.write_line(f"{part}: {reason}")
