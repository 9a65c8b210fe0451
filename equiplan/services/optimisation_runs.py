"""Optimisation runs: queue a run (or a budget sweep of runs) for a scenario, cancel it, list
and read runs.

A web or API request only writes a queued row; the scheduler's queued-work job
(background_work.pick_up_queued_work) claims it and runs it with run_execution.execute_run.

Cancelling a queued run ends it at once; a running one gets `cancel_requested`, its solver
stops at the next check and the run ends "cancelled", keeping the best plan found so far.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import false, func, select, update
from sqlmodel import Session

from equiplan.models import BudgetScenario, OptimisationRun, utcnow
from equiplan.models.planning import RUN_STATUSES
from equiplan.services import input_fields
from equiplan.services.errors import Conflict, NotFound, ValidationError
from equiplan.services.paging import Page
from equiplan.services.plan_summary import LIST_OPTIONS, fill_missing_summaries
from equiplan.services.work_order_input import FieldErrors

TIME_LIMIT_RANGE = (5, 3600)  # seconds
WORKERS_RANGE = (1, 8)
SEED_RANGE = (0, 2**31 - 1)
DEFAULT_TIME_LIMIT, DEFAULT_WORKERS, DEFAULT_SEED = 30, 2, 0
# A budget sweep: the scenario's budgets times each factor, from LOW to HIGH percent.
SWEEP_PERCENT_RANGE = (10, 300)
SWEEP_POINTS_RANGE = (2, 21)
DEFAULT_SWEEP = (50, 150, 11)
FINISHED = ("done", "failed", "cancelled")
# How lists of runs sort; runs without a figure (queued, failed) come last either way.
RUN_SORTS: dict[str, Any] = {
    "created": OptimisationRun.created_at,
    "status": OptimisationRun.status,
    "budget": OptimisationRun.budget_factor,
    "objective": OptimisationRun.objective,
    "gap": OptimisationRun.gap,
}
DEFAULT_RUN_SORT = "created"  # newest first

_PARSERS: dict[str, Callable[[Any], int]] = {
    "time_limit_seconds": input_fields.whole_in_range(*TIME_LIMIT_RANGE),
    "workers": input_fields.whole_in_range(*WORKERS_RANGE),
    "seed": input_fields.whole_in_range(*SEED_RANGE),
}
_SWEEP_PARSERS: dict[str, Callable[[Any], int]] = {
    "low_percent": input_fields.whole_in_range(*SWEEP_PERCENT_RANGE),
    "high_percent": input_fields.whole_in_range(*SWEEP_PERCENT_RANGE),
    "points": input_fields.whole_in_range(*SWEEP_POINTS_RANGE),
}


# --- reads ----------------------------------------------------------------------------------


def get_run(session: Session, run_id: int, *, with_result: bool = False) -> OptimisationRun:
    """One run, or NotFound. Its result (megabytes) is loaded only `with_result`."""
    options = () if with_result else LIST_OPTIONS
    run = session.get(OptimisationRun, run_id, options=options)
    if run is None:
        raise NotFound(f"OptimisationRun {run_id}")
    if not with_result:
        fill_missing_summaries(session, [run])
    return run


def get_scenario(session: Session, scenario_id: int, *, lock: bool = False) -> BudgetScenario:
    """The scenario a run is for, or NotFound. With `lock`, its row is locked until commit, so
    a run cannot be queued while the scenario is being deleted (delete locks it too)."""
    scenario = session.get(BudgetScenario, scenario_id, with_for_update=lock or None)
    if scenario is None:
        raise NotFound(f"BudgetScenario {scenario_id}")
    return scenario


def list_runs(
    session: Session,
    *,
    scenario_id: int | None = None,
    sweep_key: str | None = None,
    status: str | None = None,
    sort: str = DEFAULT_RUN_SORT,
    descending: bool = True,
    page: int = 1,
    per_page: int = 50,
) -> Page[OptimisationRun]:
    """One page of runs, optionally of one scenario, one sweep or one status, sorted by `sort`
    (see RUN_SORTS; default newest first)."""
    errors: FieldErrors = {}
    if status is not None and status not in RUN_STATUSES:
        errors["status"] = _l("Choose one of: %(choices)s.", choices=", ".join(RUN_STATUSES))
    if sort not in RUN_SORTS:
        errors["sort"] = _l("Choose one of: %(choices)s.", choices=", ".join(RUN_SORTS))
    if errors:
        raise ValidationError(errors)
    conditions = []
    if scenario_id is not None:
        conditions.append(OptimisationRun.scenario_id == scenario_id)
    if sweep_key is not None:
        # A key with NUL matches nothing (PostgreSQL would fail the query instead).
        conditions.append(
            OptimisationRun.sweep_key == sweep_key if "\x00" not in sweep_key else false()
        )
    if status is not None:
        conditions.append(OptimisationRun.status == status)
    column = RUN_SORTS[sort]
    order = (column.desc() if descending else column.asc()).nulls_last()
    newest = OptimisationRun.id.desc()  # type: ignore[union-attr]
    total = session.execute(
        select(func.count()).select_from(OptimisationRun).where(*conditions)
    ).scalar_one()
    rows = session.execute(
        select(OptimisationRun)
        .options(*LIST_OPTIONS)
        .where(*conditions)
        .order_by(order, newest)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).scalars()
    items = list(rows)
    fill_missing_summaries(session, items)
    return Page(items=items, total=total, page=page, per_page=per_page)


def scenario_choices(session: Session) -> list[tuple[int, str]]:
    """Every scenario's id and name, by name: the scenario filter of a list of runs."""
    rows = session.execute(
        select(BudgetScenario.id, BudgetScenario.name).order_by(
            BudgetScenario.name, BudgetScenario.id
        )
    )
    return [(int(row.id), str(row.name)) for row in rows]


def sweep_runs(session: Session, sweep_key: str) -> list[OptimisationRun]:
    """The runs of one budget sweep, by budget factor; NotFound when there are none."""
    if "\x00" in sweep_key:  # no key holds NUL; PostgreSQL would fail the query
        raise NotFound("sweep")
    runs = list(
        session.execute(
            select(OptimisationRun)
            .options(*LIST_OPTIONS)
            .where(OptimisationRun.sweep_key == sweep_key)
            .order_by(OptimisationRun.budget_factor, OptimisationRun.id)
        ).scalars()
    )
    if not runs:
        raise NotFound(f"sweep {sweep_key}")
    fill_missing_summaries(session, runs)
    return runs


def runs_by_ids(session: Session, run_ids: list[int]) -> list[OptimisationRun]:
    """The runs with these ids in the order given (NotFound if one is missing)."""
    found = {
        run.id: run
        for run in session.execute(
            select(OptimisationRun).options(*LIST_OPTIONS).where(OptimisationRun.id.in_(run_ids))  # type: ignore[union-attr]
        ).scalars()
    }
    missing = [run_id for run_id in run_ids if run_id not in found]
    if missing:
        raise NotFound(f"OptimisationRun {missing[0]}")
    ordered = [found[run_id] for run_id in run_ids]
    fill_missing_summaries(session, ordered)
    return ordered


def scenario_names(session: Session, scenario_ids: set[int]) -> dict[int, str]:
    """Scenario names by id, for lists of runs."""
    if not scenario_ids:
        return {}
    rows = session.execute(
        select(BudgetScenario.id, BudgetScenario.name).where(
            BudgetScenario.id.in_(scenario_ids)  # type: ignore[union-attr]
        )
    )
    return {row.id: row.name for row in rows}


# --- queueing and cancelling ----------------------------------------------------------------


def _solver_settings(given: Mapping[str, Any], errors: FieldErrors) -> dict[str, int]:
    defaults = {
        "time_limit_seconds": DEFAULT_TIME_LIMIT,
        "workers": DEFAULT_WORKERS,
        "seed": DEFAULT_SEED,
    }
    values: dict[str, int] = {}
    for name, parse in _PARSERS.items():
        raw = given.get(name)
        raw = defaults[name] if raw is None or raw == "" else raw
        parsed = errors.parse(name, parse, raw)
        if parsed is not None:
            values[name] = parsed
    return values


def queue_run(
    session: Session,
    scenario_id: int,
    *,
    requested_by_id: int | None,
    time_limit_seconds: Any = None,
    workers: Any = None,
    seed: Any = None,
) -> OptimisationRun:
    """Queue one run of the scenario with its budgets as planned (blank settings: defaults)."""
    scenario = get_scenario(session, scenario_id, lock=True)
    errors = FieldErrors()
    settings = _solver_settings(
        {"time_limit_seconds": time_limit_seconds, "workers": workers, "seed": seed}, errors
    )
    if errors.errors:
        raise ValidationError(errors.errors)
    run = OptimisationRun(scenario_id=scenario.id, requested_by_id=requested_by_id, **settings)  # type: ignore[arg-type]
    session.add(run)
    session.commit()
    return run


def sweep_factors(low_percent: int, high_percent: int, points: int) -> list[float]:
    """`points` budget factors evenly spread from low to high percent (both included)."""
    step = (high_percent - low_percent) / (points - 1)
    return [round((low_percent + step * i) / 100, 4) for i in range(points)]


def queue_sweep(
    session: Session,
    scenario_id: int,
    *,
    requested_by_id: int | None,
    low_percent: Any = None,
    high_percent: Any = None,
    points: Any = None,
    time_limit_seconds: Any = None,
    workers: Any = None,
    seed: Any = None,
) -> list[OptimisationRun]:
    """Queue a budget sweep: one run per budget factor, sharing a new sweep key."""
    scenario = get_scenario(session, scenario_id, lock=True)
    errors = FieldErrors()
    settings = _solver_settings(
        {"time_limit_seconds": time_limit_seconds, "workers": workers, "seed": seed}, errors
    )
    given = {"low_percent": low_percent, "high_percent": high_percent, "points": points}
    sweep: dict[str, int] = {}
    for (name, parse), default in zip(_SWEEP_PARSERS.items(), DEFAULT_SWEEP, strict=True):
        raw = given[name]
        parsed = errors.parse(name, parse, default if raw is None or raw == "" else raw)
        if parsed is not None:
            sweep[name] = parsed
    if len(sweep) == 3 and sweep["high_percent"] <= sweep["low_percent"]:
        errors.add("high_percent", _l("Give a higher percentage than the lowest one."))
    if errors.errors:
        raise ValidationError(errors.errors)
    key = secrets.token_hex(8)
    runs = [
        OptimisationRun(
            scenario_id=scenario.id,  # type: ignore[arg-type]
            requested_by_id=requested_by_id,
            budget_factor=factor,
            sweep_key=key,
            **settings,
        )
        for factor in sweep_factors(sweep["low_percent"], sweep["high_percent"], sweep["points"])
    ]
    session.add_all(runs)
    session.commit()
    return runs


def _ended() -> Conflict:
    return Conflict(_l("This run has already ended; there is nothing to cancel."))


def request_cancel(session: Session, run_id: int) -> OptimisationRun:
    """Cancel a run: a queued one ends at once, a running one stops at the solver's next
    check. A finished run cannot be cancelled (Conflict).

    The row is read afresh (never the copy this session may hold already) and a queued run is
    ended by an UPDATE guarded by `status = 'queued'`: a run the scheduler claimed meanwhile
    keeps running and only gets the cancel request.
    """
    run = session.execute(
        select(OptimisationRun)
        .options(*LIST_OPTIONS)
        .where(OptimisationRun.id == run_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if run is None:
        raise NotFound(f"OptimisationRun {run_id}")
    if run.status in FINISHED:
        session.rollback()
        raise _ended()
    if run.status == "queued":
        now = utcnow()
        ended = session.execute(
            update(OptimisationRun)
            .where(OptimisationRun.id == run_id, OptimisationRun.status == "queued")  # type: ignore[arg-type]
            .values(status="cancelled", cancel_requested=True, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        if ended.rowcount == 1:  # type: ignore[attr-defined]
            # The same values through the ORM: the flush writes nothing new but records the
            # change in the audit trail.
            run.status, run.finished_at, run.cancel_requested = "cancelled", now, True
            session.commit()
            return run
        session.refresh(run)  # claimed (or ended) meanwhile
        if run.status in FINISHED:
            session.rollback()
            raise _ended()
    run.cancel_requested = True
    session.commit()
    return run


def cancel_sweep(session: Session, sweep_key: str) -> int:
    """Cancel every run of a budget sweep that has not ended (as request_cancel does for
    one); the number of runs cancelled or asked to stop. NotFound for an unknown sweep."""
    if "\x00" in sweep_key:  # no key holds NUL; PostgreSQL would fail the query
        raise NotFound("sweep")
    ids = list(
        session.scalars(
            select(OptimisationRun.id).where(OptimisationRun.sweep_key == sweep_key)  # type: ignore[arg-type]
        )
    )
    if not ids:
        raise NotFound(f"sweep {sweep_key}")
    cancelled = 0
    for run_id in ids:
        try:
            request_cancel(session, run_id)  # type: ignore[arg-type]
        except Conflict:
            continue  # ended already (or meanwhile): nothing to cancel there
        cancelled += 1
    return cancelled
