"""The migrations build the whole schema on an empty database and match the models exactly."""

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from equiplan.db import alembic_config, make_engine, upgrade
from equiplan.models import metadata
from tests.conftest import postgres_url


@pytest.fixture
def empty_database_url(backend: str, tmp_path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database with nothing in it (not the shared, already migrated test database)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    request.getfixturevalue("postgres_engine")  # skips or fails like every PostgreSQL test
    url = make_url(postgres_url())
    scratch = f"{url.database}_migrations"
    admin = make_engine(
        url.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}"'))
        conn.execute(text(f'CREATE DATABASE "{scratch}"'))
    try:
        yield url.set(database=scratch).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_head_creates_every_table_without_drift(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    engine: Engine = make_engine(empty_database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(metadata.tables) <= tables
    # alembic check raises when the models and the migrated schema differ in any way.
    command.check(alembic_config(empty_database_url))


def test_downgrade_to_base_and_up_again(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    command.downgrade(alembic_config(empty_database_url), "base")
    engine = make_engine(empty_database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(empty_database_url)


def test_audit_table_is_append_only_in_the_database(session) -> None:  # type: ignore[no-untyped-def]
    session.execute(
        text(
            "INSERT INTO audit_event (at, origin, entity, action, changes) "
            "VALUES (CURRENT_TIMESTAMP, 'test', 'x', 'create', '{}')"
        )
    )
    for statement in ("UPDATE audit_event SET entity = 'y'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text(statement))
