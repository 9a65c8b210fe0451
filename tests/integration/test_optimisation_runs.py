"""Optimisation runs end to end on SQLite and PostgreSQL: a scenario's portfolio is queued,
picked up by the queued-work job, solved with a live heartbeat and stored with its results;
cancelled before or while it runs; reported when orphaned; failed with the reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import Session

from equiplan.models import AuditEvent, OptimisationRun, utcnow
from equiplan.services import optimisation_runs as runs
from equiplan.services.background_work import ORPHANED_AFTER, pick_up_queued_work, register_runner
from equiplan.services.errors import Conflict, ValidationError
from equiplan.services.plan_explanations import deferred_items, explain
from equiplan.services.plan_results import actions_by_year, summary
from equiplan.services.run_execution import execute_run
from equiplan.services.run_progress import RunMonitor
from tests.factories import make_agency
from tests.run_fixtures import HORIZON, Planned, make_planned_fleet, make_run


@pytest.fixture(autouse=True)
def _runner() -> None:
    # What `equiplan serve` and `equiplan scheduler` register when they import the scheduler.
    register_runner("optimisation", execute_run)


@pytest.fixture
def planned(session: Session) -> Planned:
    return make_planned_fleet(session, make_agency(session, "VSAT"))


def _stored(session: Session, run_id: int) -> OptimisationRun:
    session.expire_all()
    return session.get_one(OptimisationRun, run_id)


def test_a_queued_run_is_solved_by_the_queued_work_job(session: Session, planned: Planned) -> None:
    run = runs.queue_run(
        session, planned.scenario.id, requested_by_id=None, time_limit_seconds="5", workers=1
    )
    assert (run.status, run.progress, run.result) == ("queued", 0.0, None)

    report = pick_up_queued_work(session, utcnow())

    assert (report.started, report.waiting) == (1, 0)
    stored = _stored(session, run.id)
    assert stored.status == "done", stored.error
    assert stored.progress == 1.0
    assert stored.started_at
    assert stored.finished_at
    assert stored.heartbeat_at
    assert stored.objective is not None
    assert stored.bound is not None
    assert stored.bound >= stored.objective - 1e-6
    result = stored.result
    assert result is not None
    assert result["plan"]["format"] == "equiplan-plan/1"
    assert set(result["plan"]["choices"]) == {item.inventory_no for item in planned.items}
    assert result["periods"] == list(range(2027, 2027 + HORIZON))
    for key in ("plan", "do_nothing", "greedy"):
        assert len(result["availability"][key]) == HORIZON
    # Every action the table shows is one the plan chose, in a year of the horizon.
    chosen = {i: item["chosen"]["id"] for i, item in result["items"].items()}
    for year in actions_by_year(result):
        for action in year.actions:
            assert str(year.year) in chosen[action.item_id]
    figures = summary(result)
    assert figures.total_spend <= figures.total_budget + 0.01  # type: ignore[operator]
    assert figures.availability_plan >= figures.availability_do_nothing  # type: ignore[operator]
    # The status change is audited (the progress beats and the stored result are not).
    changes = session.scalars(
        select(AuditEvent.changes).where(
            AuditEvent.entity == "optimisation_run", AuditEvent.entity_id == run.id
        )
    ).all()
    assert any(c.get("status") == ["running", "done"] for c in changes)
    assert not any("result" in c or "progress" in c for c in changes)


def test_budget_too_small_defers_items_and_explains_why(session: Session, planned: Planned) -> None:
    run = runs.queue_run(session, planned.scenario.id, requested_by_id=None, workers=1)
    pick_up_queued_work(session, utcnow())
    result = _stored(session, run.id).result
    assert result is not None
    deferred = deferred_items(result)
    assert deferred, "with about one replacement's money, some items must wait"
    for found in deferred:
        assert found.value_gain > 0
        assert found.best_option != found.chosen_option
        # Money was the reason where a budget is tight; that money would fund it.
        if found.tight_budgets:
            assert found.extra_budget_total > 0
            assert all(t.budget == "total" for t in found.tight_budgets)
    assert explain(result, deferred[0].item_id) == deferred[0]


def test_a_queued_run_cancelled_before_it_starts_ends_at_once(
    session: Session, planned: Planned
) -> None:
    run = runs.queue_run(session, planned.scenario.id, requested_by_id=None)
    cancelled = runs.request_cancel(session, run.id)  # type: ignore[arg-type]
    assert (cancelled.status, cancelled.cancel_requested) == ("cancelled", True)
    assert cancelled.finished_at is not None
    assert pick_up_queued_work(session, utcnow()).started == 0
    with pytest.raises(Conflict):
        runs.request_cancel(session, run.id)  # type: ignore[arg-type]


def test_a_cancel_seen_by_the_solver_ends_the_run_cancelled(
    session: Session, planned: Planned
) -> None:
    run = make_run(session, planned.scenario, workers=1)
    # The planner's request lands as the scheduler claims the run: the first beat sees it.
    run.cancel_requested = True
    session.commit()
    pick_up_queued_work(session, utcnow())
    stored = _stored(session, run.id)  # type: ignore[arg-type]
    assert stored.status == "cancelled", stored.error
    assert stored.finished_at is not None
    if stored.result is not None:  # the best plan found before it stopped is kept
        assert stored.result["plan"]["stopped"] is True


def test_an_orphaned_run_is_reported_as_failed(session: Session, planned: Planned) -> None:
    long_ago = utcnow() - ORPHANED_AFTER - timedelta(minutes=1)
    run = make_run(
        session, planned.scenario, status="running", started_at=long_ago, heartbeat_at=long_ago
    )
    report = pick_up_queued_work(session, utcnow())
    assert report.orphaned == 1
    stored = _stored(session, run.id)  # type: ignore[arg-type]
    assert stored.status == "failed"
    assert "stopped" in (stored.error or "")


def test_a_scenario_with_nothing_in_scope_fails_with_the_reason(
    session: Session, planned: Planned
) -> None:
    planned.scenario.type_codes = ["NO-SUCH-TYPE"]
    session.commit()
    run = runs.queue_run(session, planned.scenario.id, requested_by_id=None)
    pick_up_queued_work(session, utcnow())
    stored = _stored(session, run.id)
    assert stored.status == "failed"
    assert "scope" in (stored.error or "")
    assert stored.result is None


def test_the_monitor_writes_progress_and_sees_a_cancel(session: Session, planned: Planned) -> None:
    run = make_run(session, planned.scenario, status="running", started_at=utcnow())
    bind = session.get_bind()

    def open_session() -> Session:
        return Session(bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint")

    # A beat interval longer than the test: only the explicit beats below write.
    with RunMonitor(open_session, run.id, time_limit=10, beat_every=3600) as monitor:  # type: ignore[arg-type]
        assert monitor.should_stop() is False
        monitor.report(incumbent=8.0, bound=10.0, elapsed=4.0)
        monitor.beat()
        stored = _stored(session, run.id)  # type: ignore[arg-type]
        assert (stored.progress, stored.objective, stored.bound) == (0.4, 8.0, 10.0)
        assert stored.gap == pytest.approx(0.2)
        assert stored.heartbeat_at is not None
        session.execute(
            update(OptimisationRun)
            .where(OptimisationRun.id == run.id)  # type: ignore[arg-type]
            .values(cancel_requested=True)
        )
        session.commit()
        monitor.report(incumbent=9.0, bound=10.0, elapsed=30.0)
        monitor.beat()
        assert monitor.should_stop() is True
    # Past the time limit the bar still stops short of the end until the run is recorded.
    assert _stored(session, run.id).progress == 0.99  # type: ignore[arg-type]


def test_a_budget_sweep_queues_one_run_per_level(session: Session, planned: Planned) -> None:
    queued = runs.queue_sweep(session, planned.scenario.id, requested_by_id=None)
    assert [r.budget_factor for r in queued] == [
        0.5,
        0.6,
        0.7,
        0.8,
        0.9,
        1.0,
        1.1,
        1.2,
        1.3,
        1.4,
        1.5,
    ]
    assert len({r.sweep_key for r in queued}) == 1
    assert [r.id for r in runs.sweep_runs(session, queued[0].sweep_key)] == [r.id for r in queued]  # type: ignore[arg-type]


def test_bad_settings_are_refused_with_a_message_per_field(
    session: Session, planned: Planned
) -> None:
    with pytest.raises(ValidationError) as caught:
        runs.queue_run(
            session, planned.scenario.id, requested_by_id=None, time_limit_seconds="0", workers="x"
        )
    assert set(caught.value.errors) == {"time_limit_seconds", "workers"}
    with pytest.raises(ValidationError) as sweep:
        runs.queue_sweep(
            session, planned.scenario.id, requested_by_id=None, low_percent=120, high_percent=80
        )
    assert set(sweep.value.errors) == {"high_percent"}
    assert session.scalars(select(OptimisationRun)).all() == []
