"""The migrations build the whole schema on an empty database and match the models exactly."""

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from equiplan.db import alembic_config, make_engine, upgrade
from equiplan.models import metadata


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


def test_postgresql_searches_equipment_through_trigram_indexes(
    empty_database_url: str, backend: str
) -> None:
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            indexes = {
                name
                for (name,) in connection.execute(
                    text("SELECT indexname FROM pg_indexes WHERE tablename = 'equipment'")
                    if backend == "postgresql"
                    else text("SELECT name FROM sqlite_master WHERE tbl_name = 'equipment'")
                )
            }
            trigram = {
                "trgm_equipment_inventory_no",
                "trgm_equipment_serial_no",
                "trgm_equipment_notes",
            }
            if backend != "postgresql":
                assert not indexes & trigram  # SQLite has no trigrams; it scans
                return
            assert trigram <= indexes
            connection.execute(text("SET enable_seqscan = off"))
            plan = "\n".join(
                row[0]
                for row in connection.execute(
                    text(
                        "EXPLAIN SELECT id FROM equipment WHERE lower(inventory_no) LIKE '%syn-01%'"
                        " OR lower(serial_no) LIKE '%syn-01%' OR lower(notes) LIKE '%syn-01%'"
                    )
                )
            )
            for name in trigram:
                assert name in plan, plan
    finally:
        engine.dispose()
