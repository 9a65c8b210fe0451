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


def test_scenario_names_that_clash_in_case_are_told_apart_before_the_index(
    empty_database_url: str,
) -> None:
    # Only a race could have stored "Lanes" beside "LANES"; 0012 renames the later ones
    # before it makes names unique ignoring case.
    upgrade(empty_database_url, "0011")
    engine = make_engine(empty_database_url)
    insert = text(
        "INSERT INTO budget_scenario (name, description, first_year, horizon_years, "
        "inflation_pct, carry_over, budgets, requirements, agency_codes, type_codes, "
        "site_weights, created_at, version) VALUES (:name, '', 2027, 1, 0, false, '{}', "
        "'{}', '[]', '[]', '{}', CURRENT_TIMESTAMP, 1)"
    )
    try:
        with engine.begin() as connection:
            for name in ("Lanes", "LANES", "lanes (2)", "lanes", "L" * 200, "l" * 200):
                connection.execute(insert, {"name": name})
        upgrade(empty_database_url)
        with engine.begin() as connection:
            names = [
                n
                for (n,) in connection.execute(text("SELECT name FROM budget_scenario ORDER BY id"))
            ]
            # Cut to the column's 200 characters where the number would not fit.
            assert names == [
                "Lanes",
                "LANES (3)",
                "lanes (2)",
                "lanes (4)",
                "L" * 200,
                "l" * 196 + " (2)",
            ]
            with pytest.raises(DBAPIError), connection.begin_nested():
                connection.execute(insert, {"name": "lAnEs"})
    finally:
        engine.dispose()
