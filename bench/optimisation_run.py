"""Benchmark: one optimisation run end to end, as the scheduler executes it, on the synthetic
fleet (services/run_execution.py: portfolio, solve with the heartbeat, stored result).

    .venv/bin/python bench/optimisation_run.py [--database-url postgresql://postgres@127.0.0.1:5432/equiplan_bench]
        [--time-limit 30] [--workers 2] [--horizon 10] [--budget-share 1.1] [--agency CODE]

Reads the benchmark database as it is (seed it with bench/plan_generation.py or
kpi_report.py first). Makes a scenario of every type (and every agency, or --agency) over
--horizon years whose yearly total budget is --budget-share times the cost of keeping every
item, queues a run and executes it exactly like the scheduler's queued-work job, all inside one
transaction that is rolled back at the end: nothing is left in the database. Prints the items,
the run's status, time to build the portfolio, solve time, total time, the heartbeats written,
objective, bound, gap, the size of the stored result (JSON) and the time to render its headline
figures and explanations (what the results page does). Asserts nothing; exit code 2 for bad
flags or an unreachable database.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cli import BenchParser, checked, fail  # noqa: E402

from equiplan.db import normalise_url  # noqa: E402
from equiplan.models import BudgetScenario, OptimisationRun, utcnow  # noqa: E402
from equiplan.services.background_work import pick_up_queued_work, register_runner  # noqa: E402
from equiplan.services.plan_explanations import deferred_items  # noqa: E402
from equiplan.services.plan_generation import build_portfolio  # noqa: E402
from equiplan.services.plan_results import actions_by_year, summary  # noqa: E402
from equiplan.services.run_execution import execute_run  # noqa: E402

PROG = "optimisation_run"


def _options(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = BenchParser(prog=PROG, description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--database-url", default="postgresql://postgres@127.0.0.1:5432/equiplan_bench"
    )
    parser.add_argument("--time-limit", type=int, default=30, help="seconds for the solver")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--horizon", type=int, default=10, help="years planned (1-30)")
    parser.add_argument(
        "--budget-share", type=float, default=1.1, help="budget / cost of keeping everything"
    )
    parser.add_argument("--agency", default=None, help="one agency's items only")
    options = checked(parser, parser.parse_args(argv), ("time_limit", "workers", "horizon"))
    if not 0 < options.budget_share < 100:
        fail(PROG, f"--budget-share must be positive, not {options.budget_share}")
    return options


def _scenario(session: Session, options: argparse.Namespace) -> BudgetScenario:
    first_year = date.today().year + 1
    scenario = BudgetScenario(
        name=f"bench optimisation run {time.time_ns()}",
        first_year=first_year,
        horizon_years=options.horizon,
        # Large enough not to bind while the cost of keeping everything is measured.
        budgets={"total": [10**15] * options.horizon},
        agency_codes=[options.agency] if options.agency else [],
    )
    session.add(scenario)
    session.commit()
    keep = build_portfolio(session, scenario)
    per_year = [0.0] * options.horizon
    for item in keep.document["items"]:
        for t, cost in enumerate(item["options"][0]["cost"]):
            per_year[t] += cost
    scenario.budgets = {"total": [round(c * options.budget_share * 100) for c in per_year]}
    session.commit()
    return scenario


def main(argv: Sequence[str] | None = None) -> None:
    options = _options(argv)
    engine = create_engine(normalise_url(options.database_url))
    try:
        connection = engine.connect()
    except Exception as error:  # noqa: BLE001 - any reason the server cannot be reached
        fail(PROG, f"cannot reach {options.database_url}: {type(error).__name__}")
    outer = connection.begin()
    session = Session(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    try:
        register_runner("optimisation", execute_run)
        scenario = _scenario(session, options)
        started = time.perf_counter()
        build_portfolio(session, scenario)
        build_seconds = time.perf_counter() - started
        run = OptimisationRun(
            scenario_id=scenario.id,  # type: ignore[arg-type]
            time_limit_seconds=options.time_limit,
            workers=options.workers,
        )
        session.add(run)
        session.commit()
        started = time.perf_counter()
        pick_up_queued_work(session, utcnow())
        total_seconds = time.perf_counter() - started
        session.expire_all()
        stored = session.get_one(OptimisationRun, run.id)
        _report(stored, build_seconds, total_seconds)
    finally:
        session.close()
        outer.rollback()
        connection.close()
        engine.dispose()


def _report(run: OptimisationRun, build_seconds: float, total_seconds: float) -> None:
    result: Any = run.result
    print(f"status                {run.status} {run.error or ''}".rstrip())
    if result is None:
        return
    plan = result["plan"]
    size = len(json.dumps(result, separators=(",", ":")).encode())
    started = time.perf_counter()
    figures = summary(result)
    years = actions_by_year(result)
    deferred = deferred_items(result)
    render_seconds = time.perf_counter() - started
    print(f"items                 {figures.items:,}")
    print(f"build portfolio       {build_seconds:.2f} s (one build, measured apart)")
    print(f"solve (wall)          {plan['wall_seconds']:.2f} s, limit {run.time_limit_seconds} s")
    print(f"run total             {total_seconds:.2f} s (build + solve + result + writes)")
    print(f"solver status         {plan['status']}")
    print(f"objective / bound     {plan['objective']:.4f} / {plan['bound']:.4f}")
    print(f"gap                   {(plan['gap'] or 0) * 100:.4f} %")
    print(
        f"greedy / do nothing   {figures.greedy_objective:.4f} / {figures.do_nothing_objective:.4f}"
    )
    print(f"actions / deferred    {sum(len(y.actions) for y in years):,} / {len(deferred):,}")
    print(f"stored result         {size / 1e6:.1f} MB of JSON")
    print(f"results page figures  {render_seconds:.2f} s (summary, actions, explanations)")


if __name__ == "__main__":
    main()
