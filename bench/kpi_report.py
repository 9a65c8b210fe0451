"""Benchmark: the KPI report (services/kpis.py) of the whole scope and of the largest agency.

    .venv/bin/python bench/kpi_report.py [--database-url postgresql://postgres@127.0.0.1:5432/equiplan_bench]
        [--reuse] [--equipment 20000] [--runs 7] [--no-analyze] [--lanes 2]

Prepares the synthetic data set in PostgreSQL like load_registry.py (dropped and created anew
unless --reuse; seeded when items are missing; VACUUM ANALYZE unless --no-analyze), then, as of
the current moment, times `kpi_report` as a centre user sees it (every agency) for the whole
scope and for the agency with the most items, over the last 12 months and the last 3 years
(each report also computes the previous window and the breakdown the page shows). Prints the
median, fastest and slowest of --runs runs after one warm-up, against the issue's 300 ms target,
the same four pages as the view renders them (report and template, for a centre user), the
dashboard's headline when computed and while reused, and the median time of each
aggregate query of the scope's 12-month and 3-year reports (the
KPI queries run with the planner settings of services/kpi_sql.py). `--lanes 1` runs the report's
queries one after another on one connection instead of on two at once (services/kpi_lanes.py).
Asserts nothing; exit code 2 for bad flags or an unreachable database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from flask_login import login_user
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
from equiplan.models import User, utcnow  # noqa: E402
from equiplan.services import kpi_lanes  # noqa: E402
from equiplan.services.clock import local_today  # noqa: E402
from equiplan.services.kpi_aggregates import FAMILIES  # noqa: E402
from equiplan.services.kpi_headline import HEADLINE_TTL, HeadlineCache, headline  # noqa: E402
from equiplan.services.kpi_query import KpiQuery  # noqa: E402
from equiplan.services.kpi_sql import install_kpi_functions  # noqa: E402
from equiplan.services.kpis import group_items, kpi_report, periods_for  # noqa: E402
from equiplan.services.scoping import Scope  # noqa: E402
from equiplan.web.kpis import index as kpis_page  # noqa: E402

PROG = "kpi_report"
TARGET_MS = 300.0


def _options(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = BenchParser(prog=PROG, description=(__doc__ or "").splitlines()[0])
    database_options(parser)
    parser.add_argument("--runs", type=int, default=7, help="measured runs per report")
    parser.add_argument(
        "--analyze",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="refresh the planner statistics (VACUUM ANALYZE) before measuring",
    )
    parser.add_argument(
        "--lanes",
        type=int,
        choices=(1, 2),
        default=kpi_lanes.LANES,
        help="connections a report's queries run on at once",
    )
    return checked(parser, parser.parse_args(argv), ("equipment", "runs"))


def _prepare(options: argparse.Namespace) -> tuple[str, int, str, int]:
    """The database URL, and the id, code and size of the agency with the most items."""
    url = normalise_url(options.database_url)
    _prepare_database(url, options.reuse)
    upgrade(url)
    engine = create_engine(url)
    if _synthetic_items(engine) < options.equipment:
        print(f"seeding {options.equipment:,} synthetic items (about a minute) ...", flush=True)
        env = {**os.environ, "EQUIPLAN_DATABASE_URL": url}
        _equiplan(["seed", "synthetic", "--equipment", str(options.equipment)], env)
    if options.analyze:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    with engine.connect() as conn:
        counts = {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("equipment", "work_order", "calibration_point")
        }
        agency_id, code, size = conn.execute(
            text(
                "SELECT a.id, a.code, count(*) FROM equipment e JOIN agency a "
                "ON a.id = e.agency_id GROUP BY a.id, a.code ORDER BY count(*) DESC LIMIT 1"
            )
        ).one()
    engine.dispose()
    print("data: " + ", ".join(f"{table} {count:,}" for table, count in counts.items()))
    return url, agency_id, code, size


def _times(step: Callable[[], Any], runs: int) -> list[float]:
    """Milliseconds of `runs` calls of `step`, after one warm-up call."""
    step()
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        found.append((time.perf_counter() - started) * 1000)
    return found


def main(argv: Sequence[str] | None = None) -> None:
    options = _options(argv)
    url, agency_id, agency_code, agency_size = _prepare(options)
    kpi_lanes.LANES = options.lanes
    print(f"load average before: {os.getloadavg()[0]:.2f}; lanes: {options.lanes}")
    agency = f"agency {agency_code} ({agency_size:,} items)"
    reports = [
        ("whole scope, last 12 months", KpiQuery()),
        ("whole scope, last 3 years", KpiQuery(window="3y")),
        (f"{agency}, 12 months", KpiQuery("agency", agency_id)),
        (f"{agency}, 3 years", KpiQuery("agency", agency_id, "3y")),
    ]
    with TemporaryDirectory() as instance:
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": instance})
        zone = app.config["TIMEZONE"]
        everything = Scope.everything()
        with app.app_context(), session_scope(app) as session:
            for label, query in reports:
                found = _times(
                    lambda q=query: kpi_report(session, everything, q, utcnow(), timezone=zone),
                    options.runs,
                )
                median = statistics.median(found)
                verdict = "meets" if median < TARGET_MS else "MISSES"
                print(
                    f"{label:42s} median {median:6.0f} ms  (fastest {min(found):.0f}, "
                    f"slowest {max(found):.0f}) [{verdict} the {TARGET_MS:.0f} ms target]"
                )
            # The pages as the view renders them (report and template) for a centre user who
            # is signed in without being stored (nothing is written to the database).
            reader = User(id=0, email="bench@nssc.lt", role="planner", password_hash="")  # noqa: S106 - never stored, never signs in
            for label, query in reports:
                args = "&".join(f"{k}={v}" for k, v in query.as_args().items() if v is not None)
                with app.test_request_context(f"/kpis?{args}"):
                    login_user(reader)
                    found = _times(lambda: kpis_page(), options.runs)
                median = statistics.median(found)
                verdict = "meets" if median < TARGET_MS else "MISSES"
                print(
                    f"{'page: ' + label:42s} median {median:6.0f} ms  (fastest {min(found):.0f}, "
                    f"slowest {max(found):.0f}) [{verdict} the {TARGET_MS:.0f} ms target]"
                )
            cache = HeadlineCache()
            started = time.perf_counter()
            headline(session, everything, utcnow(), zone, cache)
            first = (time.perf_counter() - started) * 1000
            again = statistics.median(
                _times(lambda: headline(session, everything, utcnow(), zone, cache), options.runs)
            )
            print(
                f"dashboard headline, whole scope: {first:.0f} ms when computed, then "
                f"{again:.2f} ms while reused ({HEADLINE_TTL.total_seconds() / 60:.0f} minutes)"
            )
            now = utcnow()
            for window, label in (("12m", "12-month"), ("3y", "3-year")):
                query = KpiQuery(window=window)
                periods = periods_for(query.window_for(local_today(zone, now)), now, zone)
                install_kpi_functions(session)
                items = group_items(everything, query, periods)
                print(f"the whole scope's {label} report, query by query (median):")
                for family in FAMILIES:
                    statement = family(items, periods)
                    found = _times(lambda s=statement: session.execute(s).all(), options.runs)
                    print(f"  {family.__name__:20s} {statistics.median(found):6.0f} ms")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
