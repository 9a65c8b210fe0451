"""Stored results as the result pages read them: an ended run's parsed result is kept (a few,
least recently used dropped first) with what the pages derive from it; a run still running is
read afresh; a run without a result is a NotFound."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import update
from sqlmodel import Session

from equiplan.models import OptimisationRun, utcnow
from equiplan.services import optimisation_runs as runs
from equiplan.services.errors import NotFound
from equiplan.services.result_views import RESULTS_KEPT, result_view
from tests.run_fixtures import example_result, make_finished_run, make_run, make_scenario


def _read(session: Session, run_id: int) -> OptimisationRun:
    session.expire_all()
    return runs.get_run(session, run_id)


def test_an_ended_runs_result_is_parsed_once_and_kept(app: Flask, session: Session) -> None:
    scenario = make_scenario(session)
    run = make_finished_run(session, scenario, finished_at=utcnow())
    with app.app_context():
        first = result_view(session, _read(session, run.id))
        assert first.result["plan"]["objective"] == example_result()["plan"]["objective"]
        assert result_view(session, _read(session, run.id)) is first
        calls: list[int] = []
        for _ in range(3):
            assert first.derived("figure", lambda: calls.append(1) or 42) == 42
        assert calls == [1]
        # Another app (another process) reads it afresh.
        other = Flask("other")
        with other.app_context():
            assert result_view(session, _read(session, run.id)) is not first


def test_the_least_recently_used_result_is_dropped(app: Flask, session: Session) -> None:
    scenario = make_scenario(session)
    ended = [
        make_finished_run(session, scenario, finished_at=utcnow()) for _ in range(RESULTS_KEPT + 1)
    ]
    with app.app_context():
        views = [result_view(session, _read(session, run.id)) for run in ended]
        # The first was dropped to keep the last RESULTS_KEPT; those are still kept.
        assert result_view(session, _read(session, ended[0].id)) is not views[0]
        assert result_view(session, _read(session, ended[-1].id)) is views[-1]


def test_a_run_still_running_is_read_afresh(app: Flask, session: Session) -> None:
    scenario = make_scenario(session)
    run = make_finished_run(session, scenario)
    session.execute(
        update(OptimisationRun).where(OptimisationRun.id == run.id).values(status="running")
    )
    session.commit()
    with app.app_context():
        first = result_view(session, _read(session, run.id))
        changed = example_result()
        changed["plan"]["objective"] = 123.0
        session.execute(
            update(OptimisationRun).where(OptimisationRun.id == run.id).values(result=changed)
        )
        session.commit()
        again = result_view(session, _read(session, run.id))
        assert again is not first
        assert again.result["plan"]["objective"] == 123.0


@pytest.mark.parametrize("status", ["queued", "running", "failed"])
def test_a_run_without_a_result_is_not_found(app: Flask, session: Session, status: str) -> None:
    run = make_run(session, make_scenario(session), status=status)
    with app.app_context(), pytest.raises(NotFound):
        result_view(session, _read(session, run.id))


def test_lists_do_not_look_again_for_the_result_of_a_run_cancelled_before_any_plan(
    session: Session,
) -> None:
    from sqlalchemy import Text, cast, event, select

    cancelled = make_run(session, make_scenario(session), status="cancelled")
    stored = session.scalar(
        select(cast(OptimisationRun.result, Text)).where(OptimisationRun.id == cancelled.id)
    )
    assert stored == "null"  # how the ORM stores a missing result
    statements: list[str] = []
    connection = session.connection()

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", seen)
    try:
        session.expire_all()
        [listed] = runs.list_runs(session).items
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    assert listed.id == cancelled.id
    assert listed.summary is None
    loads = [
        s for s in statements if s.lstrip().upper().startswith("SELECT OPTIMISATION_RUN.RESULT")
    ]
    assert loads == []
