"""Benchmark: time `equiplan seed synthetic` on a fresh database and print its size.

    .venv/bin/python bench/seed_synthetic.py [--equipment 20000] [--url postgresql://postgres@127.0.0.1/equiplan_bench]

The database named in --url is dropped and created anew (PostgreSQL) or replaced (SQLite file).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from equiplan.db import normalise_url

EQUIPLAN = str(Path(sys.executable).parent / "equiplan")
TABLES = (
    "equipment",
    "schedule",
    "work_order",
    "calibration_result",
    "calibration_point",
    "audit_event",
)


def _fresh_database(url: str) -> None:
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def _run(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([EQUIPLAN, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--equipment", type=int, default=20_000)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/equiplan_bench")
    options = parser.parse_args()

    _fresh_database(options.url)
    env = {**os.environ, "EQUIPLAN_DATABASE_URL": options.url}
    upgrade_seconds = _run(["db", "upgrade"], env)
    seed_seconds = _run(["seed", "synthetic", "--equipment", str(options.equipment)], env)

    engine = create_engine(normalise_url(options.url))
    with engine.connect() as conn:
        counts = {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in TABLES
        }
        if engine.dialect.name == "postgresql":
            size = conn.execute(
                text("SELECT pg_size_pretty(pg_database_size(current_database()))")
            ).scalar_one()
        else:
            size = f"{Path(str(engine.url.database)).stat().st_size / 1e6:.0f} MB"
    engine.dispose()

    print(f"database        {make_url(options.url).render_as_string()}")
    print(f"db upgrade      {upgrade_seconds:8.1f} s")
    print(f"seed synthetic  {seed_seconds:8.1f} s  ({options.equipment} items)")
    print(f"database size   {size:>8}")
    for table, count in counts.items():
        print(f"  {table:<18} {count:>10,}")


if __name__ == "__main__":
    main()
