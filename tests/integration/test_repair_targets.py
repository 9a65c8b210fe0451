"""Repairs have a target restore time: set when a fault is reported, from the criticality of the
item's site; moved when the downtime start is corrected; kept once the order is closed."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from equiplan.domain.repairs import restore_target
from equiplan.models import Equipment, Site, WorkOrder
from equiplan.services.repair_targets import restore_status
from equiplan.services.scoping import Scope
from equiplan.services.seeding import seed_demo
from equiplan.services.work_orders import (
    cancel_work_order,
    close_work_order,
    list_work_orders,
    open_work_order,
    update_work_order,
    work_order_detail,
)
from tests.factories import (
    make_agency,
    make_equipment,
    make_failure_code,
    make_site,
    make_user,
    make_work_order,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DOWN = NOW - timedelta(hours=3)
EVERYTHING = Scope.everything()


@pytest.fixture
def place(session):  # type: ignore[no-untyped-def]
    vsat = make_agency(session, "VSAT")
    make_failure_code(session, "DET")
    return {
        "vsat": vsat,
        "crossing": make_site(session, vsat, criticality=5),
        "quiet": make_site(session, vsat, criticality=1),
        "closed": make_site(session, vsat, criticality=5, status="closed"),
        "paused": make_site(session, vsat, criticality=4, status="temporarily_closed"),
        "technician": make_user(session, "technician"),
    }


def _report(session, place, site, **fields) -> WorkOrder:  # type: ignore[no-untyped-def]
    item = make_equipment(session, place["vsat"], site=site)
    values = {
        "equipment_id": item.id,
        "kind": "corrective",
        "opened_by_id": place["technician"].id,
        "symptom": "No gamma alarm",
        "downtime_start": DOWN,
        "now": NOW,
        **fields,
    }
    return open_work_order(session, EVERYTHING, **values)


@pytest.mark.parametrize(
    ("site", "hours"),
    [("crossing", 48), ("quiet", 480), ("closed", 720), ("paused", 720), (None, 720)],
)
def test_the_target_follows_the_site(session, place, site, hours) -> None:  # type: ignore[no-untyped-def]
    order = _report(session, place, place[site] if site else None)
    session.expire_all()
    stored = session.get_one(WorkOrder, order.id)
    assert stored.target_restore_at == DOWN + timedelta(hours=hours)


def test_without_a_downtime_start_the_clock_runs_from_the_report(session, place) -> None:  # type: ignore[no-untyped-def]
    order = _report(session, place, place["crossing"], downtime_start=None)
    assert order.target_restore_at == NOW + timedelta(hours=48)


@pytest.mark.parametrize("kind", ["inspection", "preventive", "firmware_update"])
def test_other_work_has_no_target(session, place, kind) -> None:  # type: ignore[no-untyped-def]
    order = _report(session, place, place["crossing"], kind=kind, symptom="")
    session.expire_all()
    assert session.get_one(WorkOrder, order.id).target_restore_at is None
    assert work_order_detail(session, EVERYTHING, order.id, NOW).restore is None


def test_a_corrected_downtime_start_moves_the_target(session, place) -> None:  # type: ignore[no-untyped-def]
    order = _report(session, place, place["crossing"])
    earlier = DOWN - timedelta(hours=20)
    update_work_order(
        session, EVERYTHING, order.id, version=order.version, downtime_start=earlier, now=NOW
    )
    session.expire_all()
    stored = session.get_one(WorkOrder, order.id)
    assert stored.target_restore_at == earlier + timedelta(hours=48)
    # Cleared: from the report again.
    update_work_order(
        session, EVERYTHING, order.id, version=stored.version, downtime_start=None, now=NOW
    )
    session.expire_all()
    assert session.get_one(WorkOrder, order.id).target_restore_at == NOW + timedelta(hours=48)


def test_other_edits_keep_the_target(session, place) -> None:  # type: ignore[no-untyped-def]
    order = _report(session, place, place["crossing"])
    # The site becomes less critical later: the promise made when the fault was reported holds
    # until the downtime start itself is corrected.
    place["crossing"].criticality = 1
    session.commit()
    update_work_order(
        session,
        EVERYTHING,
        order.id,
        version=order.version,
        symptom="No alarm, detector 2",
        downtime_start=DOWN,
        now=NOW,
    )
    session.expire_all()
    assert session.get_one(WorkOrder, order.id).target_restore_at == DOWN + timedelta(hours=48)


def test_closing_or_cancelling_keeps_the_target_as_history(session, place) -> None:  # type: ignore[no-untyped-def]
    done = _report(session, place, place["crossing"])
    close_work_order(
        session,
        EVERYTHING,
        done.id,
        version=done.version,
        completed_at=NOW,
        downtime_end=NOW,
        result="pass",
        failure_code="DET",
        now=NOW,
    )
    dropped = _report(session, place, place["quiet"])
    cancel_work_order(session, EVERYTHING, dropped.id, version=dropped.version, reason="twice")
    session.expire_all()
    closed = session.get_one(WorkOrder, done.id)
    assert (closed.status, closed.target_restore_at) == ("done", DOWN + timedelta(hours=48))
    cancelled = session.get_one(WorkOrder, dropped.id)
    assert (cancelled.status, cancelled.target_restore_at) == (
        "cancelled",
        DOWN + timedelta(hours=480),
    )
    # A closed order's target is no longer a deadline: no late/due status.
    assert work_order_detail(session, EVERYTHING, done.id, NOW + timedelta(days=9)).restore is None


def test_late_and_due_in_whole_hours(session, place) -> None:  # type: ignore[no-untyped-def]
    order = _report(session, place, place["crossing"])  # target: DOWN + 48 h = NOW + 45 h
    due = work_order_detail(session, EVERYTHING, order.id, NOW).restore
    assert due is not None
    assert (due.late, due.hours, due.urgent) == (False, 45, False)
    soon = restore_status(order, NOW + timedelta(hours=44, minutes=30))
    assert soon is not None
    assert (soon.late, soon.hours, soon.urgent) == (False, 1, True)
    at_target = restore_status(order, NOW + timedelta(hours=45))
    assert at_target is not None
    assert at_target.late is False
    late = work_order_detail(
        session, EVERYTHING, order.id, NOW + timedelta(hours=47, minutes=10)
    ).restore
    assert late is not None
    assert (late.late, late.hours) == (True, 2)


def test_the_list_shows_where_each_repair_stands(session, place) -> None:  # type: ignore[no-untyped-def]
    late = _report(session, place, place["crossing"], downtime_start=NOW - timedelta(hours=50))
    on_time = _report(session, place, place["quiet"])
    planned = make_work_order(
        session, make_equipment(session, place["vsat"]), kind="inspection", opened_at=NOW
    )
    rows = {row.order.id: row for row in list_work_orders(session, EVERYTHING, now=NOW).items}
    assert rows[late.id].restore is not None
    assert (rows[late.id].restore.late, rows[late.id].restore.hours) == (True, 2)
    assert rows[on_time.id].restore is not None
    assert rows[on_time.id].restore.late is False
    assert rows[planned.id].restore is None


def test_the_demo_repairs_carry_their_targets(session) -> None:  # type: ignore[no-untyped-def]
    seed_demo(session, today=date(2025, 6, 2))
    rows = session.execute(
        select(WorkOrder, Site)
        .join(Equipment, Equipment.id == WorkOrder.equipment_id)
        .outerjoin(Site, Site.id == Equipment.site_id)
        .where(WorkOrder.kind == "corrective")
    ).all()
    unfinished = [order for order, _ in rows if order.status in ("open", "in_progress")]
    assert unfinished, "the demo has repairs still open"
    for order, site in rows:
        assert order.target_restore_at is not None, order.id
        assert order.downtime_start is not None
        if order.status in ("open", "in_progress"):
            # Still broken today, at a site as it is today.
            assert order.target_restore_at == restore_target(
                order.downtime_start,
                site.criticality if site else None,
                site_open=site is not None and site.status == "open",
            )
    assert (
        session.execute(
            select(func.count())
            .select_from(WorkOrder)
            .where(WorkOrder.kind != "corrective", WorkOrder.target_restore_at.is_not(None))
        ).scalar_one()
        == 0
    )
