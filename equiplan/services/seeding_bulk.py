"""Writing generated fleets fast: Core bulk inserts with ids reserved up front.

Hundreds of thousands of rows must load in minutes, so the fleet and its history bypass the ORM.
That also bypasses the ORM audit hook, so each table gets one `bulk_create` audit event instead.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlmodel import Session, SQLModel

from equiplan.models import CalibrationPoint, CalibrationResult, Equipment, Schedule, WorkOrder
from equiplan.services.audit import record_bulk
from equiplan.services.calibration_drift import store_drift
from equiplan.services.kpi_on_time import store_on_time
from equiplan.services.seeding_history import generate_item
from equiplan.services.seeding_specs import HistoryContext, ItemSpec
from equiplan.services.seeding_work import GeneratedItem, WorkRecord

CHUNK_ROWS = 5000
ITEMS_PER_BATCH = 500

# The fleet: Core bulk inserts, one bulk_create audit event per table instead.
BULK_TABLES = (
    "equipment",
    "schedule",
    "work_order",
    "calibration_result",
    "calibration_point",
)


def chunks(rows: list[Any], size: int) -> Iterator[list[Any]]:
    """`rows` in consecutive slices of at most `size`."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a `table=True` model."""
    return model.__table__


def write_fleet(
    session: Session,
    specs: Iterable[ItemSpec],
    context: HistoryContext,
    seed_prefix: str,
    counts: Counter[str],
    report: Callable[[str], None],
) -> None:
    """Generate each item's history and insert it, `ITEMS_PER_BATCH` items at a time.

    Every item draws from its own generator seeded by `seed_prefix` and its inventory number, so
    the data of one item does not depend on which others are written. Adds the rows written per
    table to `counts`."""
    batch: list[GeneratedItem] = []
    for spec in specs:
        batch.append(
            generate_item(spec, context, random.Random(f"{seed_prefix}:{spec.inventory_no}"))
        )
        if len(batch) == ITEMS_PER_BATCH:
            _write_batch(session, batch, counts)
            batch = []
            report(f"{counts['equipment']} items, {counts['work_order']} work orders written")
    if batch:
        _write_batch(session, batch, counts)


def record_bulk_events(session: Session, counts: Counter[str], detail: dict[str, Any]) -> None:
    """One `bulk_create` audit event per bulk-written table that got rows."""
    for table in BULK_TABLES:
        if counts[table]:
            record_bulk(session, table, counts[table], detail)


def _allocate_ids(session: Session, model: type[SQLModel], count: int) -> list[int]:
    """Reserve `count` primary keys, so that child rows can refer to rows before they are written.

    PostgreSQL hands them out from the table's sequence (safe under concurrency). SQLite has one
    writer at a time: a concurrent write after our read would make our insert fail, never collide.
    Explicit ids let the driver's fast executemany do the inserts (no RETURNING round trips).
    """
    if count == 0:
        return []
    table = table_of(model)
    if session.get_bind().dialect.name == "postgresql":
        query = text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)")
        return sorted(session.execute(query, {"t": table.name, "n": count}).scalars())
    start = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(start + 1, start + count + 1))


def _insert_with_ids(
    session: Session, model: type[SQLModel], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert `rows` with freshly allocated ids (set on the dicts too) and return the ids."""
    ids = _allocate_ids(session, model, len(rows))
    for row, id_ in zip(rows, ids, strict=True):
        row["id"] = id_
    _insert(session, model, rows)
    return ids


def _insert(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    for chunk in chunks(rows, CHUNK_ROWS):
        session.execute(insert(table_of(model)), chunk)


def _write_batch(session: Session, batch: list[GeneratedItem], counts: Counter[str]) -> None:
    """Insert a batch of generated items table by table, wiring the new ids into child rows."""
    equipment_ids = _insert_with_ids(session, Equipment, [item.equipment for item in batch])
    for item, equipment_id in zip(batch, equipment_ids, strict=True):
        for row in item.schedules:
            row["equipment_id"] = equipment_id
    schedule_ids = iter(
        _insert_with_ids(session, Schedule, [row for item in batch for row in item.schedules])
    )

    work: list[WorkRecord] = []
    for item, equipment_id in zip(batch, equipment_ids, strict=True):
        item_schedule_ids = [next(schedule_ids) for _ in item.schedules]
        for record in sorted(item.work, key=lambda r: r.row["opened_at"]):
            record.row["equipment_id"] = equipment_id
            if record.schedule_index is not None:
                record.row["schedule_id"] = item_schedule_ids[record.schedule_index]
            work.append(record)
    work_ids = _insert_with_ids(session, WorkOrder, [record.row for record in work])

    calibrations = []
    for record, work_id in zip(work, work_ids, strict=True):
        if record.calibration is not None:
            record.calibration.row.update(
                work_order_id=work_id, equipment_id=record.row["equipment_id"]
            )
            calibrations.append(record.calibration)
    calibration_ids = _insert_with_ids(session, CalibrationResult, [c.row for c in calibrations])
    points = []
    for calibration, calibration_id in zip(calibrations, calibration_ids, strict=True):
        for point in calibration.points:
            point["calibration_id"] = calibration_id
            points.append(point)
    _insert(session, CalibrationPoint, points)
    # What recording each calibration and closing each order would have stored.
    store_drift(session, equipment_ids)
    store_on_time(session, equipment_ids)  # in the demo's time zone (the app's default)

    counts["equipment"] += len(equipment_ids)
    counts["schedule"] += sum(len(item.schedules) for item in batch)
    counts["work_order"] += len(work_ids)
    counts["calibration_result"] += len(calibration_ids)
    counts["calibration_point"] += len(points)
