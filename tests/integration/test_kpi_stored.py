"""What the KPI figures read instead of computing at read time, on both backends: the drift
stored with each calibration (kept right when a late entry arrives), the on-time outcome stored
when scheduled work is closed (by the local date), the backlog's "open at a moment" on orders
completed a little before they were opened, and the planner settings and indexes on
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from equiplan.models import CalibrationPoint, CalibrationResult, WorkOrder
from equiplan.services.calibrations import CertificateStore, PointInput, record_calibration
from equiplan.services.kpi_on_time import store_on_time
from equiplan.services.kpi_query import KpiQuery
from equiplan.services.kpi_sql import install_kpi_functions
from equiplan.services.kpis import kpi_report
from equiplan.services.scoping import Scope
from equiplan.services.work_orders import close_work_order
from tests.factories import (
    make_agency,
    make_equipment,
    make_schedule,
    make_work_order,
)

EVERYTHING = Scope.everything()
ZONE = "Europe/Vilnius"
TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _calibrate(
    session: Session, item: Any, store: CertificateStore, day: date, found: float, left: float
) -> CalibrationResult:
    """One point, 10 µSv/h ± 20 % (an allowed deviation of 2)."""
    return record_calibration(
        session,
        EVERYTHING,
        equipment_id=item.id,
        recorded_by_id=None,
        laboratory="FTMC",
        certificate_no=f"C-{day.isoformat()}",
        calibrated_on=day,
        valid_until=day + timedelta(days=365),
        points=[PointInput(nominal=10, tolerance=20, as_found=found, as_left=left)],
        certificate_store=store,
        work_order_id="new",
        today=TODAY,
        timezone=ZONE,
    )


def _drift_of(session: Session, result: CalibrationResult) -> tuple[float | None, int, float]:
    session.expire_all()
    point = session.execute(
        select(CalibrationPoint).where(CalibrationPoint.calibration_id == result.id)
    ).scalar_one()
    stored = session.get_one(CalibrationResult, result.id)
    return point.drift, stored.drift_points, stored.drift_share_total


def test_drift_is_stored_and_a_late_entry_corrects_the_one_after_it(
    session: Session, tmp_path: Path
) -> None:
    item = make_equipment(session, make_agency(session, "VSAT"))
    store = CertificateStore(tmp_path / "certificates", max_bytes=1024 * 1024)
    first = _calibrate(session, item, store, date(2025, 1, 10), 10.2, 10.0)
    assert _drift_of(session, first) == (None, 0, 0.0)  # nothing before it
    third = _calibrate(session, item, store, date(2025, 6, 10), 10.5, 10.5)
    drift, points, total = _drift_of(session, third)
    assert drift == pytest.approx(0.25)  # |10.5 − 10.0| of 2
    assert (points, total) == (1, pytest.approx(0.25))

    # Entered late, dated between them: the June calibration now compares with it.
    second = _calibrate(session, item, store, date(2025, 3, 10), 9.9, 10.4)
    assert _drift_of(session, second)[0] == pytest.approx(0.05)  # |9.9 − 10.0| of 2
    drift, points, total = _drift_of(session, third)
    assert drift == pytest.approx(0.05)  # |10.5 − 10.4| of 2
    assert (points, total) == (1, pytest.approx(0.05))

    found = kpi_report(
        session,
        EVERYTHING,
        KpiQuery(window="custom", first_day=date(2025, 1, 1), last_day=date(2025, 12, 31)),
        NOW,
        timezone=ZONE,
    )
    assert found.current.counts.drift_points == 2
    assert found.current.mean_drift_share == pytest.approx(0.05)


@pytest.fixture
def scheduled(session: Session) -> dict[str, Any]:
    item = make_equipment(session, make_agency(session, "VSAT"))
    schedule = make_schedule(
        session, item, date(2026, 5, 10), kind="preventive", grace_days=3, interval_unit="years"
    )
    return {"item": item, "schedule": schedule}


def _open_due(session: Session, s: dict[str, Any], due: date, **fields: Any) -> WorkOrder:
    return make_work_order(
        session,
        s["item"],
        kind="preventive",
        schedule_id=s["schedule"].id,
        due_date=due,
        opened_at=datetime(2026, 5, 1, tzinfo=UTC),
        **fields,
    )


@pytest.mark.parametrize(
    ("completed_at", "expected"),
    [
        # 23:00 in Vilnius on 13 May: 3 days after the due date, within the grace.
        (datetime(2026, 5, 13, 20, tzinfo=UTC), True),
        # Still 13 May in UTC, but 00:30 on 14 May in Vilnius: a day too late.
        (datetime(2026, 5, 13, 21, 30, tzinfo=UTC), False),
        # 4 days early is as off time as 4 days late.
        (datetime(2026, 5, 6, 9, tzinfo=UTC), False),
    ],
)
def test_closing_scheduled_work_stores_whether_it_was_on_time_by_the_local_date(
    session: Session, scheduled: dict[str, Any], completed_at: datetime, expected: bool
) -> None:
    order = _open_due(session, scheduled, date(2026, 5, 10))
    closed = close_work_order(
        session,
        EVERYTHING,
        order.id,
        version=order.version,
        completed_at=completed_at,
        result="pass",
        timezone=ZONE,
        now=NOW,
    )
    assert closed.completed_on_time is expected
    # The same rule in bulk (seeded data) gives the same answer.
    closed.completed_on_time = None
    session.commit()
    store_on_time(session, [scheduled["item"].id], ZONE)
    session.expire_all()
    assert session.get_one(WorkOrder, order.id).completed_on_time is expected


def test_work_without_a_schedule_has_no_on_time_outcome(session: Session) -> None:
    item = make_equipment(session, make_agency(session, "VSAT"))
    order = make_work_order(session, item, kind="inspection", due_date=date(2026, 5, 10))
    closed = close_work_order(
        session,
        EVERYTHING,
        order.id,
        version=order.version,
        completed_at=datetime(2026, 5, 10, 9, tzinfo=UTC),
        result="pass",
        timezone=ZONE,
        now=NOW,
    )
    assert closed.completed_on_time is None


def test_recording_a_calibration_judges_its_scheduled_order(
    session: Session, tmp_path: Path
) -> None:
    item = make_equipment(session, make_agency(session, "VSAT"))
    make_schedule(session, item, date(2020, 1, 1), grace_days=14)  # long overdue
    store = CertificateStore(tmp_path / "certificates", max_bytes=1024 * 1024)
    result = _calibrate(session, item, store, date(2026, 5, 20), 10.1, 10.1)
    order = session.get_one(WorkOrder, result.work_order_id)
    assert (order.due_date, order.completed_on_time) == (date(2020, 1, 1), False)


def test_work_completed_a_little_before_it_was_opened_was_never_open(
    session: Session, scheduled: dict[str, Any]
) -> None:
    """Forms allow a completion time up to a minute before the opening: the backlog's
    "open at the window's end" must count it as never open, not fail."""
    opened = datetime(2025, 12, 31, 21, 59, 50, tzinfo=UTC)  # 10 s before the year ends
    make_work_order(
        session,
        scheduled["item"],
        kind="preventive",
        status="done",
        due_date=date(2025, 6, 1),
        opened_at=opened,
        completed_at=opened - timedelta(seconds=30),
    )
    make_work_order(  # open across the window's end and past due: in the backlog
        session,
        scheduled["item"],
        kind="preventive",
        status="done",
        due_date=date(2025, 6, 1),
        opened_at=datetime(2025, 6, 1, tzinfo=UTC),
        completed_at=datetime(2026, 1, 5, tzinfo=UTC),
    )
    found = kpi_report(
        session,
        EVERYTHING,
        KpiQuery(window="custom", first_day=date(2025, 1, 1), last_day=date(2025, 12, 31)),
        NOW,
        timezone=ZONE,
    )
    assert found.current.backlog_total == 1


def test_postgresql_plans_kpi_queries_for_their_dates_and_reads_the_kpi_indexes(
    session: Session, backend: str
) -> None:
    install_kpi_functions(session)
    if backend != "postgresql":
        return  # SQLite has no plan cache, no GiST and no extended statistics
    setting = session.execute(text("SHOW plan_cache_mode")).scalar_one()
    assert setting == "force_custom_plan"
    session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(
        row[0]
        for row in session.execute(
            text(
                "EXPLAIN SELECT id FROM work_order WHERE status <> 'cancelled' "
                "AND (due_date IS NOT NULL OR target_restore_at IS NOT NULL) "
                "AND tstzrange(opened_at, CASE WHEN completed_at < opened_at THEN opened_at "
                "ELSE completed_at END, '(]') @> now()"
            )
        )
    )
    assert "pgonly_work_order_open_span" in plan
    statistics = session.execute(
        text("SELECT stxname FROM pg_statistic_ext WHERE stxname LIKE 'pgonly_%'")
    ).scalars()
    assert list(statistics) == ["pgonly_work_order_failure_moment"]
