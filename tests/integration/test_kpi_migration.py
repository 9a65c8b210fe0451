"""Migration 0010 fills the stored drift and on-time outcomes of existing rows exactly as the
services store them for new ones (on both backends), and goes down again."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic import command
from sqlalchemy import text
from sqlmodel import Session

from equiplan.db import alembic_config, make_engine, upgrade
from tests.factories import (
    make_agency,
    make_calibration,
    make_equipment,
    make_schedule,
    make_work_order,
)

STORED = (
    "SELECT id, drift FROM calibration_point ORDER BY id",
    "SELECT id, drift_points, drift_share_total FROM calibration_result ORDER BY id",
    "SELECT id, completed_on_time FROM work_order ORDER BY id",
)


def _stored(session: Session) -> list[list[tuple[object, ...]]]:
    return [
        [
            tuple(round(v, 9) if isinstance(v, float) else v for v in row)
            for row in session.execute(text(query))
        ]
        for query in STORED
    ]


def _history(session: Session) -> None:
    item = make_equipment(session, make_agency(session, "VSAT"))
    points = ({"nominal": 10.0, "tolerance": 20.0, "as_found": 10.2, "as_left": 10.0},)
    make_calibration(session, item, points, calibrated_on=date(2025, 1, 10))
    drifted = ({"nominal": 10.0, "tolerance": 20.0, "as_found": 10.9},)
    make_calibration(session, item, drifted, calibrated_on=date(2025, 7, 10))
    schedule = make_schedule(session, item, date(2026, 5, 10), kind="preventive", grace_days=3)
    # 23:00 and 00:30 in Vilnius: 3 days after the due date (on time), then 4 (late).
    for completed in (datetime(2026, 5, 13, 20), datetime(2026, 5, 13, 21, 30)):
        make_work_order(
            session,
            item,
            kind="preventive",
            status="done",
            schedule_id=schedule.id,
            due_date=date(2026, 5, 10),
            completed_at=completed.replace(tzinfo=UTC),
        )


def test_0010_fills_existing_rows_as_the_services_store_new_ones(
    empty_database_url: str,
) -> None:
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with Session(engine) as session:
            _history(session)
            as_stored = _stored(session)
        # The services stored something to compare: a drift and both outcomes.
        assert as_stored[0][1][1] is not None
        assert [row[1] for row in as_stored[2]][-2:] == [True, False]

        config = alembic_config(empty_database_url)
        command.downgrade(config, "0009")
        with engine.connect() as connection:
            columns = connection.execute(text("SELECT * FROM work_order")).keys()
            assert "completed_on_time" not in columns
        command.upgrade(config, "head")
        with Session(engine) as session:
            assert _stored(session) == as_stored
    finally:
        engine.dispose()
