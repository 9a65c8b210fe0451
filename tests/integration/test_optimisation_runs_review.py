"""Regression tests of the runs review on SQLite and PostgreSQL: lists never load a run's
result, a cancel never overwrites a run the scheduler just claimed, failure reasons are
recorded as codes, a run ended by the orphan check stops solving, and a stopping scheduler
ends its running solve at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import inspect, update
from sqlmodel import Session

from equiplan.models import OptimisationRun, utcnow
from equiplan.services import optimisation_runs as runs
from equiplan.services import run_errors, run_progress
from equiplan.services.background_work import (
    ORPHANED_AFTER,
    allow_work,
    pick_up_queued_work,
    register_runner,
    stop_running_work,
)
from equiplan.services.plan_summary import result_summary
from equiplan.services.run_execution import execute_run
from equiplan.services.run_progress import RunMonitor
from tests.factories import make_agency
from tests.run_fixtures import Planned, make_finished_run, make_planned_fleet, make_run


@pytest.fixture(autouse=True)
def _runner() -> Iterator[None]:
    register_runner("optimisation", execute_run)
    yield
    allow_work()  # a test that stops the work must not leave it stopped


@pytest.fixture
def planned(session: Session) -> Planned:
    return make_planned_fleet(session, make_agency(session, "VSAT"))


def _other_session(session: Session) -> Session:
    """A second session on the test's database (as the scheduler's would be)."""
    return Session(
        bind=session.get_bind(), expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


def _fresh(session: Session, run_id: int) -> OptimisationRun:
    session.expire_all()
    return session.get_one(OptimisationRun, run_id)


def _run_by_the_scheduler(app: Flask, session: Session, planned: Planned) -> OptimisationRun:
    """A run of the planned scenario, queued and executed as the scheduler's job does it."""
    run = runs.queue_run(session, planned.scenario.id, requested_by_id=None)
    with app.app_context():  # as the scheduler's jobs run
        pick_up_queued_work(session, utcnow())
    return _fresh(session, run.id)  # type: ignore[arg-type]


def _result_loaded(run: OptimisationRun) -> bool:
    return "result" not in inspect(run).unloaded


def test_lists_of_runs_never_load_their_results(session: Session, planned: Planned) -> None:
    finished = make_finished_run(session, planned.scenario, sweep_key="s1")
    second = make_finished_run(session, planned.scenario, sweep_key="s1", budget_factor=1.2)
    queued = make_run(session, planned.scenario)
    session.expunge_all()  # as a new request: nothing in the identity map yet

    page = runs.list_runs(session)
    assert {run.id for run in page.items} == {finished.id, second.id, queued.id}
    assert not any(_result_loaded(run) for run in page.items)
    assert [run.summary is not None for run in page.items] == [False, True, True]
    session.expunge_all()
    assert not any(_result_loaded(run) for run in runs.sweep_runs(session, "s1"))
    session.expunge_all()
    compared = runs.runs_by_ids(session, [finished.id, second.id])  # type: ignore[list-item]
    assert not any(_result_loaded(run) for run in compared)
    session.expunge_all()
    assert not _result_loaded(runs.get_run(session, finished.id))  # type: ignore[arg-type]
    session.expunge_all()
    assert runs.get_run(session, finished.id, with_result=True).result is not None  # type: ignore[arg-type]


def test_a_run_finished_before_summaries_gets_one_when_first_listed(
    session: Session, planned: Planned
) -> None:
    legacy = make_finished_run(session, planned.scenario, summary=None)
    session.expunge_all()
    listed = runs.list_runs(session).items[0]
    assert listed.summary == result_summary(legacy.result)  # type: ignore[arg-type]
    assert _fresh(session, legacy.id).summary == listed.summary  # type: ignore[arg-type]


def test_a_solved_run_stores_its_summary_without_the_greedy_choices(
    session: Session, planned: Planned
) -> None:
    run = runs.queue_run(session, planned.scenario.id, requested_by_id=None, workers=1)
    pick_up_queued_work(session, utcnow())
    stored = _fresh(session, run.id)  # type: ignore[arg-type]
    assert stored.status == "done", stored.error
    assert stored.result is not None
    assert stored.summary == result_summary(stored.result)
    assert "choices" not in stored.result["plan"]["baselines"]["greedy"]
    assert stored.result["availability"]["greedy"] is not None


def test_a_cancel_does_not_overwrite_a_run_just_claimed(session: Session, planned: Planned) -> None:
    run = make_run(session, planned.scenario)
    assert runs.get_run(session, run.id).status == "queued"  # type: ignore[arg-type]
    # The scheduler claims it in its own session while this one holds the stale copy.
    scheduler = _other_session(session)
    try:
        scheduler.execute(
            update(OptimisationRun)
            .where(OptimisationRun.id == run.id)  # type: ignore[arg-type]
            .values(status="running", started_at=utcnow(), heartbeat_at=utcnow())
        )
        scheduler.commit()
    finally:
        scheduler.close()

    cancelled = runs.request_cancel(session, run.id)  # type: ignore[arg-type]

    assert (cancelled.status, cancelled.cancel_requested) == ("running", True)
    stored = _fresh(session, run.id)  # type: ignore[arg-type]
    assert (stored.status, stored.cancel_requested, stored.finished_at) == ("running", True, None)


def test_cancelling_a_sweep_ends_its_queued_runs_and_leaves_finished_ones(
    session: Session, planned: Planned
) -> None:
    queued = runs.queue_sweep(session, planned.scenario.id, requested_by_id=None, points=3)
    key = queued[0].sweep_key
    assert key is not None
    finished = make_finished_run(session, planned.scenario, sweep_key=key)
    assert runs.cancel_sweep(session, key) == 3
    statuses = {run.id: run.status for run in runs.sweep_runs(session, key)}
    assert statuses.pop(finished.id) == "done"
    assert set(statuses.values()) == {"cancelled"}


def test_an_orphaned_run_records_the_reason_as_a_code(session: Session, planned: Planned) -> None:
    long_ago = utcnow() - ORPHANED_AFTER - timedelta(minutes=1)
    run = make_run(
        session, planned.scenario, status="running", started_at=long_ago, heartbeat_at=long_ago
    )
    pick_up_queued_work(session, utcnow())
    stored = _fresh(session, run.id)  # type: ignore[arg-type]
    assert stored.status == "failed"
    assert stored.error_code == run_errors.ORPHANED
    assert stored.error_params == {"since": f"{long_ago:%Y-%m-%d %H:%M}"}
    assert stored.error is not None
    assert stored.error.startswith("The process running it stopped")


def test_an_input_problem_is_stored_in_english_and_shown_translated(
    app: Flask, session: Session, planned: Planned
) -> None:
    planned.scenario.type_codes = ["NO-SUCH-TYPE"]
    session.commit()
    stored = _run_by_the_scheduler(app, session, planned)
    assert (stored.status, stored.error_code) == ("failed", run_errors.INPUT)
    # Kept in every language whatever the scheduler's language, and shown in the reader's.
    scope = "No equipment is in this scenario's scope: widen its agencies or types."
    kept = (stored.error_params or {})["message"]
    assert kept["en"] == scope
    assert "apimt" in kept["lt"]
    assert stored.error == f"The scenario cannot be planned: {scope}"
    with app.test_request_context(), force_locale("lt"):
        shown = run_errors.error_text(stored.error_code, stored.error_params, stored.error)
    assert "apimt" in shown  # the Lithuanian catalogue's text of the same message
    assert scope not in shown


def test_the_monitor_stops_the_solver_once_the_run_was_ended_elsewhere(
    session: Session, planned: Planned
) -> None:
    run = make_run(session, planned.scenario, status="running", started_at=utcnow())
    with RunMonitor(lambda: _other_session(session), run.id, 10, beat_every=3600) as monitor:  # type: ignore[arg-type]
        assert monitor.should_stop() is False
        # The orphan check (another process, after a long stall) reported it as failed.
        session.execute(
            update(OptimisationRun)
            .where(OptimisationRun.id == run.id)  # type: ignore[arg-type]
            .values(status="failed")
        )
        session.commit()
        monitor.beat()
        assert monitor.ended_elsewhere
        assert monitor.should_stop() is True
        assert monitor.cancel_seen is False


def test_the_monitor_of_a_running_solve_reports_other_orphaned_runs(
    session: Session, planned: Planned
) -> None:
    # The queued-work job is busy with this solve (one instance at a time): without the
    # monitor, a run whose process died would stay "running" until the solve ends.
    stale = utcnow() - timedelta(minutes=10)
    orphan = make_run(
        session, planned.scenario, status="running", started_at=stale, heartbeat_at=stale
    )
    run = make_run(session, planned.scenario, status="running", started_at=utcnow())
    with RunMonitor(lambda: _other_session(session), run.id, 10, beat_every=3600) as monitor:  # type: ignore[arg-type]
        assert monitor.check_orphans() == 1
        assert monitor.check_orphans() == 0
        assert monitor.should_stop() is False
    assert (_fresh(session, orphan.id).status, _fresh(session, orphan.id).error_code) == (  # type: ignore[arg-type]
        "failed",
        run_errors.ORPHANED,
    )
    assert _fresh(session, run.id).status == "running"  # type: ignore[arg-type]


def test_the_monitor_thread_checks_for_orphans_on_its_own_schedule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The beats and checks themselves are tested above against the database; here, how often
    # the monitor's thread makes them. Its clock moves a quarter of a second with each beat,
    # and only then: the schedule does not depend on how fast this machine runs the thread.
    clock = [0.0]
    monkeypatch.setattr(run_progress, "monotonic", lambda: clock[0])
    calls: list[str] = []
    enough = threading.Event()

    class Counting(RunMonitor):
        def beat(self) -> None:
            clock[0] += 0.25
            calls.append("beat")
            if calls.count("beat") == 13:
                enough.set()

        def check_orphans(self) -> int:
            calls.append("orphans")
            return 0

    with Counting(lambda: None, 1, 10, beat_every=0.001, orphan_check_every=0.9):  # type: ignore[arg-type,return-value]
        assert enough.wait(timeout=60), calls
    # The beat on entering, then the thread's: a check after the first beat that finds 0.9 s
    # of the clock gone since the last check (or since the monitor started), so after every
    # fourth beat, never before one.
    schedule = ["beat", "beat", "beat", "beat", "orphans"] * len(calls)
    assert calls == schedule[: len(calls)]
    assert calls.count("orphans") >= 3


def test_a_stopping_scheduler_ends_the_running_solve_as_interrupted(
    session: Session, planned: Planned
) -> None:
    settings = {"requested_by_id": None, "workers": 1, "time_limit_seconds": 600}
    # Unstopped, the CP-SAT search proves the LP's plan of this fleet optimal: no gap is left.
    solved = runs.queue_run(session, planned.scenario.id, **settings)
    pick_up_queued_work(session, utcnow())
    solved = _fresh(session, solved.id)  # type: ignore[arg-type]
    assert solved.status == "done"
    assert solved.gap == pytest.approx(0.0, abs=1e-9)

    def stopped_once_claimed(session: Session, run: OptimisationRun, now: datetime) -> None:
        stop_running_work()  # what scheduler.py does when the process is asked to stop
        execute_run(session, run, now)

    run = runs.queue_run(session, planned.scenario.id, **settings)
    register_runner("optimisation", stopped_once_claimed)
    try:
        pick_up_queued_work(session, utcnow())
    finally:
        register_runner("optimisation", execute_run)
    stored = _fresh(session, run.id)  # type: ignore[arg-type]
    assert (stored.status, stored.error_code) == ("failed", run_errors.INTERRUPTED)
    assert stored.result is None
    # Stopped at its first check, after the LP, not after its ten-minute time limit: the
    # gap to the LP's bound is still open, no search having run to close it.
    assert stored.gap is not None
    assert stored.gap > 0.01
    assert stored.bound is not None
    assert solved.bound is not None
    assert stored.bound > solved.bound


def test_an_infeasible_run_keeps_the_solvers_reason_as_a_code_and_says_it_translated(
    app: Flask, session: Session, planned: Planned
) -> None:
    # One cent a year: even keeping every item overspends the first year.
    years = planned.scenario.horizon_years
    planned.scenario.budgets = {"total": [1] * years}
    session.commit()
    stored = _run_by_the_scheduler(app, session, planned)
    assert (stored.status, stored.error_code) == ("failed", run_errors.INFEASIBLE)
    params = stored.error_params or {}
    detail = params["detail"]
    first_year = str(planned.scenario.first_year)
    assert detail["code"] == "budget_period"
    assert detail["params"]["budget"] == "total"
    assert detail["params"]["period"] == first_year
    assert detail["params"]["limit"] == pytest.approx(0.01)
    assert detail["params"]["least"] > 0.01
    assert stored.error is not None
    assert f"budget 'total' cannot cover period {first_year}" in stored.error
    with app.test_request_context(), force_locale("lt"):
        shown = run_errors.error_text(stored.error_code, stored.error_params, stored.error)
    assert f"biudžetas „total“ negali padengti laikotarpio {first_year}" in shown
    assert "0,01" in shown  # the amount written the Lithuanian way
    assert "cannot cover" not in shown


def test_a_reason_stored_by_another_version_is_shown_as_stored(app: Flask) -> None:
    params = {"reason": "something new", "detail": {"code": "from-the-future", "params": {}}}
    broken = {"reason": "old words", "detail": {"code": "combined", "params": {"rows": "x"}}}
    with app.test_request_context():
        assert run_errors.error_text(run_errors.INFEASIBLE, params, None).endswith("something new")
        assert run_errors.error_text(run_errors.INFEASIBLE, broken, None).endswith("old words")


@pytest.mark.parametrize(
    "params",
    [
        {"detail": "not a mapping"},  # and no English sentence either
        {"reason": "kept", "detail": {"code": "budget_period", "params": {"least": 10**400}}},
        {"detail": {"code": "combined", "params": {"rows": [{"kind": "money"}]}}},
    ],
)
def test_a_stored_reason_of_any_shape_is_shown_without_an_error(
    app: Flask, params: dict[str, object]
) -> None:
    with app.test_request_context(), force_locale("en"):
        shown = run_errors.error_text(run_errors.INFEASIBLE, params, None)
    assert shown.startswith("No plan meets every budget and requirement:")


def test_an_input_problem_with_placeholders_is_shown_in_the_readers_language(
    app: Flask, session: Session, planned: Planned
) -> None:
    years = planned.scenario.horizon_years
    # A budget of the wrong length (the form refuses it; an older row or the API may not).
    planned.scenario.budgets = {**planned.scenario.budgets, "agency:VSAT": [100] * (years + 1)}
    session.commit()
    stored = _run_by_the_scheduler(app, session, planned)
    assert (stored.status, stored.error_code) == ("failed", run_errors.INPUT)
    assert stored.error is not None
    assert "Budget agency:VSAT needs one amount per year." in stored.error
    for language, expected in (
        ("lt", "Biudžetui agency:VSAT reikia po vieną sumą kiekvieniems metams."),
        ("en", "Budget agency:VSAT needs one amount per year."),
    ):
        with app.test_request_context(), force_locale(language):
            shown = run_errors.error_text(stored.error_code, stored.error_params, stored.error)
        assert expected in shown
