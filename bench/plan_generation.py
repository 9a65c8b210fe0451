"""Benchmark: a scenario becomes a portfolio (services/plan_generation.py) for the whole fleet.

    .venv/bin/python bench/plan_generation.py [--database-url postgresql://postgres@127.0.0.1:5432/equiplan_bench]
        [--reuse] [--equipment 20000] [--runs 3] [--horizon 10] [--no-migrate]

Prepares the synthetic data set like kpi_report.py (the database is dropped and created anew
unless --reuse; seeded when items are missing), then times `build_portfolio` for a scenario of
every agency and type over --horizon years from next year: the SQL inputs (`load_plan_inputs`,
a few grouped queries) and the whole build (inputs, options of every item, the document), and
the time to write the document as JSON. Prints the median, fastest and slowest of --runs runs
after one warm-up, the items, options and size of the document, and the peak memory of the
process. Asserts nothing; exit code 2 for bad flags or an unreachable database.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cli import BenchParser, checked, database_options  # noqa: E402
from load_registry import (  # noqa: E402  (a sibling script, not a package)
    _equiplan,
    _prepare_database,
    _synthetic_items,
)

from equiplan import create_app  # noqa: E402
from equiplan.db import normalise_url, session_scope, upgrade  # noqa: E402
from equiplan.models import BudgetScenario  # noqa: E402
from equiplan.services.plan_generation import build_portfolio, document_chunks  # noqa: E402
from equiplan.services.plan_inputs import load_plan_inputs  # noqa: E402

PROG = "plan_generation"


def _options(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = BenchParser(prog=PROG, description=(__doc__ or "").splitlines()[0])
    database_options(parser)
    parser.add_argument("--runs", type=int, default=3, help="measured runs")
    parser.add_argument("--horizon", type=int, default=10, help="years planned (1-30)")
    parser.add_argument(
        "--migrate",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="bring the schema up to date first (--no-migrate: read it as it is)",
    )
    options = checked(parser, parser.parse_args(argv), ("equipment", "runs", "horizon"))
    if options.horizon > 30:
        parser.error(f"--horizon must be at most 30, not {options.horizon}")
    return options


def _prepare(options: argparse.Namespace) -> str:
    url = normalise_url(options.database_url)
    _prepare_database(url, options.reuse)
    if options.migrate:
        upgrade(url)
    engine = create_engine(url)
    if _synthetic_items(engine) < options.equipment:
        print(f"seeding {options.equipment:,} synthetic items (about a minute) ...", flush=True)
        env = {**os.environ, "EQUIPLAN_DATABASE_URL": url}
        _equiplan(["seed", "synthetic", "--equipment", str(options.equipment)], env)
    with engine.connect() as conn:
        counts = {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("equipment", "work_order")
        }
    engine.dispose()
    print("data: " + ", ".join(f"{table} {count:,}" for table, count in counts.items()))
    return url


def _times(step: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """Seconds of `runs` calls of `step` after one warm-up call, and the last result."""
    result = step()
    found = []
    for _ in range(runs):
        # Let the previous result go first: freeing a big document is not part of making one.
        result = None
        gc.collect()
        started = time.perf_counter()
        result = step()
        found.append(time.perf_counter() - started)
    return found, result


def _line(label: str, found: list[float]) -> None:
    print(
        f"{label:44s} median {statistics.median(found):6.2f} s  "
        f"(fastest {min(found):.2f}, slowest {max(found):.2f})"
    )


def main(argv: Sequence[str] | None = None) -> None:
    options = _options(argv)
    url = _prepare(options)
    today = date.today()
    first_year, horizon = today.year + 1, options.horizon
    # Not stored: the benchmark writes nothing to the database.
    scenario = BudgetScenario(
        id=None,
        name="benchmark: whole fleet",
        first_year=first_year,
        horizon_years=horizon,
        inflation_pct=Decimal("3"),
        budgets={"total": [2_000_000_000] * horizon},
    )
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with TemporaryDirectory() as instance:
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": instance})
        with app.app_context(), session_scope(app) as session:
            inputs_times, inputs = _times(
                lambda: load_plan_inputs(
                    session, agency_codes=[], type_codes=[], first_year=first_year, today=today
                ),
                options.runs,
            )
            build_times, generated = _times(
                lambda: build_portfolio(session, scenario, today=today), options.runs
            )
            # What the export does: no contexts, then the compact JSON written piece by piece.
            download_times, streamed = _times(
                lambda: sum(
                    len(piece)
                    for piece in document_chunks(
                        build_portfolio(session, scenario, today=today, contexts=False).document
                    )
                ),
                options.runs,
            )
    json_times, body = _times(lambda: json.dumps(generated.document), options.runs)
    items = generated.document["items"]
    options_total = sum(len(item["options"]) for item in items)
    fitted = sum(1 for m in inputs.models.values() if m.parameters.source == "fitted")
    print(
        f"scenario: {len(items):,} items, {horizon} years from {first_year}, "
        f"{options_total:,} options ({options_total / len(items):.1f} per item), "
        f"{len(generated.document['requirements'])} default requirements, "
        f"{len(inputs.models)} models ({fitted} with wear-out fitted from the records)"
    )
    _line("inputs from the records (SQL + λ0, β, η)", inputs_times)
    _line("build_portfolio (inputs, options, document)", build_times)
    _line("document as JSON", json_times)
    _line("export download (no contexts, streamed compact JSON)", download_times)
    print(f"document: {len(body) / 1e6:.1f} MB of JSON, {streamed / 1e6:.1f} MB compact")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the process: {peak:.0f} MB")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
