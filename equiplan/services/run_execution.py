"""The runner of queued optimisation runs, executed in the scheduler process (never in a web
request): build the scenario's portfolio, solve it with a live heartbeat
(run_progress.RunMonitor) and store in `run.result` everything the results pages need
(plan_results.stored_result), so they never rebuild the portfolio.

Registered as background_work's "optimisation" runner by equiplan/scheduler.py, which both
`equiplan serve` (embedded) and `equiplan scheduler` start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select, update
from sqlmodel import Session

from equiplan.db import begin_read_only
from equiplan.models import OptimisationRun, utcnow
from equiplan.services import run_errors
from equiplan.services.background_work import work_term
from equiplan.services.clock import DEFAULT_TIMEZONE, local_today
from equiplan.services.errors import ServiceError, ValidationError
from equiplan.services.optimisation_runs import get_scenario
from equiplan.services.plan_summary import result_summary
from equiplan.services.run_errors import RunError
from equiplan.services.run_progress import RunMonitor

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 2000


def _new_session_like(session: Session) -> Callable[[], Session]:
    """Sessions on the same database as `session`, each with its own connection (in tests,
    bound to the test's connection, a SAVEPOINT of its own)."""
    bind = session.get_bind()

    def open_session() -> Session:
        return Session(bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint")

    return open_session


def _finish(
    session: Session,
    run_id: int,
    status: str,
    *,
    error: RunError | None = None,
    result: dict[str, Any] | None = None,
    figures: Mapping[str, float | None] | None = None,
) -> None:
    """Record the outcome, unless somebody else already ended the run (the orphan check)."""
    run = session.execute(
        select(OptimisationRun).where(OptimisationRun.id == run_id).with_for_update()
    ).scalar_one()
    session.refresh(run)
    if run.status != "running":
        log.warning(
            "run %s ended as %s meanwhile; outcome %s not recorded", run_id, run.status, status
        )
        session.rollback()
        return
    run.status, run.finished_at = status, utcnow()
    if status != "failed":
        run.progress = 1.0
    if error is not None:
        run.error = error.english[:MAX_ERROR_LENGTH]
        run.error_code, run.error_params = error.code, error.params
    for name, value in (figures or {}).items():
        setattr(run, name, value)
    if result is not None:
        # The stored result can be megabytes: written beside the audited status change, not
        # copied into the audit trail; the small summary is what lists of runs read.
        session.execute(
            update(OptimisationRun)
            .where(OptimisationRun.id == run_id)  # type: ignore[arg-type]
            .values(result=result, summary=result_summary(result))
        )
    session.commit()


def execute_run(session: Session, run: OptimisationRun, now: datetime) -> None:
    """Run a claimed ("running") run to its end: build the portfolio, solve, store the result.

    Problems the planner can fix (nothing in scope, an infeasible input) end the run "failed"
    with the reason; so does an unexpected error, which is logged with its traceback.
    """
    run_id = run.id
    assert run_id is not None
    try:
        # In English: a problem the portfolio builder reports is stored in English and
        # translated when a page shows it (run_errors).
        with run_errors.in_english():
            outcome = _solve_run(session, run, now)
    except ValidationError as error:
        session.rollback()
        message = run_errors.kept_messages(error.messages.values())
        _finish(session, run_id, "failed", error=RunError(run_errors.INPUT, {"message": message}))
        return
    except ServiceError as error:
        session.rollback()
        message = run_errors.kept_message(str(error))
        _finish(session, run_id, "failed", error=RunError(run_errors.INPUT, {"message": message}))
        return
    except Exception as error:
        log.exception("optimisation run %s failed", run_id)
        session.rollback()
        reason = RunError(run_errors.UNEXPECTED, {"kind": type(error).__name__})
        _finish(session, run_id, "failed", error=reason)
        return
    try:
        _finish(
            session,
            run_id,
            outcome.status,
            error=outcome.error,
            result=outcome.result,
            figures=outcome.figures,
        )
    except Exception as error:
        # Storing the outcome failed (e.g. the database went away at commit): end the run
        # "failed" with the reason now, not "orphaned" minutes later.
        log.exception("optimisation run %s: storing its outcome failed", run_id)
        session.rollback()
        reason = RunError(run_errors.UNEXPECTED, {"kind": type(error).__name__})
        _finish(session, run_id, "failed", error=reason)


@dataclass(frozen=True)
class _Outcome:
    status: str
    result: dict[str, Any] | None
    figures: dict[str, Any]
    error: RunError | None = None


def _solve_run(session: Session, run: OptimisationRun, now: datetime) -> _Outcome:
    # Imported here: the planning modules pull in OR-Tools, which the web processes that only
    # queue runs never need.
    from equiplan.domain.optimiser import PortfolioError, parse_portfolio, solve
    from equiplan.services.plan_generation import build_portfolio
    from equiplan.services.plan_results import stored_result

    term = work_term()  # a stop of this term (shutdown, lost leadership) interrupts the run
    # The build only reads: on SQLite it must not hold the write lock that every other
    # request needs for the seconds a large fleet takes (begin_read_only).
    begin_read_only(session)
    scenario = get_scenario(session, run.scenario_id)
    generated = build_portfolio(
        session, scenario, budget_factor=run.budget_factor, today=planning_date(now)
    )
    try:
        portfolio = parse_portfolio(generated.document)
    except PortfolioError as error:
        raise ValidationError({"portfolio": str(error)}) from None
    scenario_facts = {
        "id": scenario.id,
        "name": scenario.name,
        "first_year": scenario.first_year,
        "horizon_years": scenario.horizon_years,
        "carry_over": scenario.carry_over,
    }
    settings = (run.id, float(run.time_limit_seconds), run.workers, run.seed)
    # No transaction may stay open during the solve: on SQLite it would hold the write lock
    # that the heartbeat and every web request need.
    session.commit()
    run_id, time_limit, workers, seed = settings
    assert run_id is not None
    with RunMonitor(_new_session_like(session), run_id, time_limit, term=term) as monitor:
        plan = solve(
            portfolio,
            time_limit=time_limit,
            workers=workers,
            seed=seed,
            progress=lambda p: monitor.report(p.incumbent, p.bound, p.elapsed),
            should_stop=monitor.should_stop,
        )
    plan_json = plan.to_json()
    stopped = bool(plan_json.get("stopped"))
    figures = {name: plan_json.get(name) for name in ("objective", "bound", "gap")}
    status, error = run_ending(
        plan_json,
        cancelled=monitor.cancel_seen and stopped,
        interrupted=stopped and monitor.interrupted,
    )
    if status in ("done", "cancelled") and _has_plan(plan_json):
        result = stored_result(generated, plan_json, scenario_facts, run.budget_factor)
        return _Outcome(status, result, figures)
    return _Outcome(status, None, figures, error)


def planning_date(now: datetime) -> date:
    """The date a run plans from: today in the app's time zone (as the scenario page's
    portfolio export), not the UTC date, which is yesterday's until 02:00 or 03:00 in Vilnius."""
    timezone = current_app.config["TIMEZONE"] if has_app_context() else DEFAULT_TIMEZONE
    return local_today(timezone, now)


def _has_plan(plan_json: Mapping[str, Any]) -> bool:
    return plan_json.get("status") in ("OPTIMAL", "FEASIBLE")


def run_ending(
    plan_json: Mapping[str, Any], *, cancelled: bool, interrupted: bool
) -> tuple[str, RunError | None]:
    """How a solved run ends: its status and, when it failed, why.

    - cancelled by a planner: "cancelled", keeping the best plan if there is one (a run
      cancelled before any plan was found is simply cancelled, with no error);
    - stopped because the process shuts down: "failed" (interrupted; not kept, the planner
      starts it again);
    - no plan meets the constraints: "failed" (infeasible, with the solver's reason);
    - the time ran out before any plan was found: "failed" (no plan);
    - otherwise "done".
    """
    if cancelled:
        return "cancelled", None
    if interrupted:
        return "failed", RunError(run_errors.INTERRUPTED, {})
    if plan_json.get("status") == "INFEASIBLE":
        reason = {"reason": plan_json.get("reason") or ""}
        if plan_json.get("reason_detail"):
            reason["detail"] = plan_json["reason_detail"]
        return "failed", RunError(run_errors.INFEASIBLE, reason)
    if not _has_plan(plan_json):
        status = plan_json.get("status") or "UNKNOWN"
        return "failed", RunError(run_errors.NO_PLAN, {"status": status})
    return "done", None
