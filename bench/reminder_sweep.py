"""Benchmark: the reminder sweep over the synthetic fleet, and outbox delivery to a local SMTP sink.

    .venv/bin/python bench/reminder_sweep.py [--database-url postgresql://postgres@127.0.0.1:5432/equiplan_bench]
        [--reuse] [--equipment 20000] [--officers 3] [--deliver 3000]

Loads the synthetic data set into PostgreSQL like load_registry.py (dropped and created anew unless
--reuse; seeded when items are missing; VACUUM ANALYZE), gives every agency --officers officers and
a focal-point address and adds three NSSC technicians, then clears earlier reminders and outbox rows
of this benchmark database and measures, as of the current moment:

1. the first sweep's search (one INSERT ... SELECT per stage over all schedules and open repairs):
   seconds, reminders found;
2. writing those reminders' emails into the outbox: seconds, emails per second;
3. a repeated sweep with nothing new (the cost of every sweep of the day): seconds;
4. the next morning's sweep (one day later: what one day brings), search and writing: seconds;
5. delivery of --deliver outbox messages through SMTP to aiosmtpd's sink (its own process, on
   loopback): emails per second.

Targets of issue 4: a full sweep under 2 s; delivery at least 200 emails/s. Prints figures, asserts
nothing; exit code 2 for bad flags or an unreachable database.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import NoReturn

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cli import BenchParser, checked, database_options, fail  # noqa: E402
from load_registry import (  # noqa: E402  (a sibling script, not a package)
    _equiplan,
    _prepare_database,
    _synthetic_items,
)

from equiplan import create_app  # noqa: E402
from equiplan.db import get_db, normalise_url, session_scope, upgrade  # noqa: E402
from equiplan.models import utcnow  # noqa: E402
from equiplan.services.mail import MailSettings, deliver_outbox_in_parallel  # noqa: E402
from equiplan.services.reminders import (  # noqa: E402
    find_due_reminders,
    reminder_settings,
    sweep_reminders,
    write_single_reminders,
)

PROG = "reminder_sweep"
TARGET_SWEEP_SECONDS = 2.0
TARGET_DELIVERY_PER_SECOND = 200.0
BENCH_DOMAIN = "bench.equiplan.lt"


def _fail(message: str) -> NoReturn:
    fail(PROG, message)


def _options(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = BenchParser(prog=PROG, description=(__doc__ or "").splitlines()[0])
    database_options(parser)
    parser.add_argument("--officers", type=int, default=3, help="officers per agency")
    parser.add_argument("--deliver", type=int, default=3000, help="emails to deliver via SMTP")
    return checked(parser, parser.parse_args(argv), ("equipment", "officers", "deliver"))


def _prepare(options: argparse.Namespace) -> str:
    url = normalise_url(options.database_url)
    _prepare_database(url, options.reuse)
    upgrade(url)
    engine = create_engine(url)
    env = {**os.environ, "EQUIPLAN_DATABASE_URL": url}
    if _synthetic_items(engine) < options.equipment:
        print(f"seeding {options.equipment:,} synthetic items (about a minute) ...", flush=True)
        _equiplan(["seed", "synthetic", "--equipment", str(options.equipment)], env)
    with engine.begin() as conn:
        # This benchmark's own recipients and a clean slate of reminders (benchmark database only).
        conn.execute(text("DELETE FROM notification"))
        conn.execute(text("DELETE FROM outbox_message"))
        conn.execute(text("DELETE FROM app_user WHERE email LIKE :d"), {"d": f"%@{BENCH_DOMAIN}"})
        conn.execute(
            text("UPDATE agency SET focal_point_email = 'focal-' || lower(code) || :d"),
            {"d": f"@{BENCH_DOMAIN}"},
        )
        agencies = conn.execute(text("SELECT id, code FROM agency WHERE NOT is_nssc")).all()
        people = [
            (
                f"officer{n}-{code.lower()}@{BENCH_DOMAIN}",
                "officer",
                agency_id,
                "lt" if n % 2 else "en",
            )
            for agency_id, code in agencies
            for n in range(options.officers)
        ] + [(f"technician{n}@{BENCH_DOMAIN}", "technician", None, "lt") for n in range(3)]
        for email, role, agency_id, locale in people:
            conn.execute(
                text(
                    "INSERT INTO app_user (email, name, password_hash, role, agency_id, locale, "
                    "digest_opt_in, active, created_at, version) VALUES (:e, :e, '!', :r, :a, "
                    ":l, false, true, now(), 1)"
                ),
                {"e": email, "r": role, "a": agency_id, "l": locale},
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    counts = {}
    with engine.connect() as conn:
        for table in ("equipment", "schedule", "work_order", "app_user"):
            counts[table] = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    engine.dispose()
    print(
        "data: "
        + ", ".join(f"{table} {count:,}" for table, count in counts.items())
        + f"; {len(agencies)} agencies x {options.officers} officers, 3 technicians"
    )
    return url


def _timed(step):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    outcome = step()
    return outcome, time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> None:
    options = _options(argv)
    url = _prepare(options)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with TemporaryDirectory() as instance:
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": instance})
        settings = reminder_settings(app.config)
        now = utcnow()
        with app.app_context(), session_scope(app) as session:
            found, find_s = _timed(lambda: find_due_reminders(session, settings, now))
            total = sum(found.values())
            by_stage = ", ".join(f"{stage.value} {count:,}" for stage, count in found.items())
            print(f"1. first sweep, search:   {find_s:7.2f} s  {total:,} reminders ({by_stage})")
            (queued, obsolete), write_s = _timed(
                lambda: write_single_reminders(session, settings, now)
            )
            rate = queued / write_s if write_s else 0.0
            print(f"2. writing their emails:  {write_s:7.2f} s  {queued:,} emails, {rate:,.0f}/s")
            report, again_s = _timed(lambda: sweep_reminders(session, settings, now))
            verdict = "meets" if again_s < TARGET_SWEEP_SECONDS else "MISSES"
            print(
                f"3. repeated sweep:        {again_s:7.2f} s  ({report}) "
                f"[{verdict} the {TARGET_SWEEP_SECONDS:.0f} s target]"
            )
            tomorrow = now + timedelta(days=1)
            found, next_find_s = _timed(lambda: find_due_reminders(session, settings, tomorrow))
            (queued, _), next_write_s = _timed(
                lambda: write_single_reminders(session, settings, tomorrow)
            )
            next_s = next_find_s + next_write_s
            verdict = "meets" if next_s < TARGET_SWEEP_SECONDS else "MISSES"
            print(
                f"4. next morning's sweep:  {next_s:7.2f} s  search {next_find_s:.2f} s "
                f"({sum(found.values()):,} new reminders), writing {next_write_s:.2f} s "
                f"({queued:,} emails) [{verdict} the {TARGET_SWEEP_SECONDS:.0f} s target]"
            )
            _deliver(session, options.deliver, instance, tomorrow, app)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def _deliver(session, count: int, instance: str, now, app) -> None:  # type: ignore[no-untyped-def]
    new_session = get_db(app).new_session
    # Deliver exactly `count` messages: park the rest (benchmark database only).
    session.execute(
        text(
            "UPDATE outbox_message SET status = 'failed' WHERE status = 'queued' AND id NOT IN "
            "(SELECT id FROM outbox_message WHERE status = 'queued' ORDER BY id LIMIT :n)"
        ),
        {"n": count},
    )
    session.commit()
    with _smtp_sink() as port:
        settings = MailSettings(
            smtp_url=f"smtp://127.0.0.1:{port}",
            mail_from="equiplan@nssc.lt",
            outbox_dir=Path(instance) / "outbox",
        )
        report, seconds = _timed(
            lambda: deliver_outbox_in_parallel(
                new_session, settings, now, connections=app.config["SMTP_CONNECTIONS"]
            )
        )
    rate = report.sent / seconds if seconds else 0.0
    verdict = "meets" if rate >= TARGET_DELIVERY_PER_SECOND else "MISSES"
    print(
        f"5. delivery over SMTP ({app.config['SMTP_CONNECTIONS']} connections): "
        f"{seconds:.2f} s, {report.sent:,} accepted by the sink, "
        f"{report.retried} retried, {report.failed} failed: {rate:,.0f}/s "
        f"[{verdict} the {TARGET_DELIVERY_PER_SECOND:.0f}/s target]"
    )


@contextmanager
def _smtp_sink() -> Iterator[int]:
    """aiosmtpd's discarding sink in its own process on a free loopback port (a server in this
    process would compete with the sender for the interpreter)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    sink = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-c",
            "aiosmtpd.handlers.Sink",
            "-l",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    _fail("the aiosmtpd sink did not start")
                time.sleep(0.05)
        yield port
    finally:
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    main()
