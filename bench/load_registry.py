"""Benchmark: latency of the equipment register pages and API under concurrent clients.

    .venv/bin/python bench/load_registry.py [--database-url postgresql://postgres@127.0.0.1:5432/equiplan_bench]
        [--reuse] [--equipment 20000] [--requests 200] [--clients 8] [--workers 2] [--threads 4]
        [--no-officer] [--no-analyze]

Without --reuse the database is dropped and created anew; with --reuse it is kept (created when
missing), migrated, and seeded only when it holds fewer synthetic items than --equipment; then the
planner statistics are refreshed (VACUUM ANALYZE), as autovacuum would after a bulk load. The app
runs under gunicorn on a free loopback port with a temporary instance folder. HTML pages are read
signed in through the real login form, the API with a personal token. Prints the median and p95
latency of every endpoint and their ratios to a trivial endpoint of the same app (/api/v1/health),
against the target of issue 3: p95 within 5x the trivial endpoint's p95 and under 150 ms. Asserts
nothing; exit code 2 for bad flags or an unreachable database."""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlencode

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from equiplan.db import normalise_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cli import BenchParser, checked, database_options, fail  # noqa: E402

BIN = Path(sys.executable).parent
EQUIPLAN = str(BIN / "equiplan")
GUNICORN = str(BIN / "gunicorn")
PROG = "load_registry"
SYNTHETIC_PREFIX = "SYN-"
# Benchmark accounts; the password only guards a throw-away benchmark database.
ADMIN_EMAIL = "bench-admin@bench.equiplan.lt"
OFFICER_EMAIL = "bench-officer@bench.equiplan.lt"
PASSWORD = "bench-password-not-secret"  # noqa: S105
TRIVIAL = "/api/v1/health"
TARGET_RATIO = 5.0
TARGET_P95_MS = 150.0
DETAIL_IDS = 50  # detail requests rotate over this many items with the longest histories
# Part of an inventory number, as an officer would type it: 100 synthetic items match.
SEARCH = "syn-0123"
WARMUP_ROUNDS = 2  # requests per client and endpoint before measuring
TIMEOUT = 60  # seconds; a request that takes longer is counted as an error


def _fail(message: str) -> NoReturn:
    fail(PROG, message)


def _options(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = BenchParser(prog=PROG, description=(__doc__ or "").splitlines()[0])
    database_options(parser)
    parser.add_argument("--requests", type=int, default=200, help="measured requests per endpoint")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument(
        "--officer",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure the list and detail as an officer of the largest agency",
    )
    parser.add_argument(
        "--analyze",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="refresh the planner statistics (VACUUM ANALYZE) before measuring",
    )
    names = ("equipment", "requests", "clients", "workers", "threads")
    return checked(parser, parser.parse_args(argv), names)


# --- the database ---------------------------------------------------------------------------


def _prepare_database(url: str, reuse: bool) -> None:
    parsed = make_url(normalise_url(url))
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            ).first()
            if exists and not reuse:
                conn.execute(text(f'DROP DATABASE "{parsed.database}" WITH (FORCE)'))
            if not exists or not reuse:
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    except OperationalError as error:
        _fail(f"PostgreSQL is unreachable at {parsed.render_as_string()}: {error.orig}")
    finally:
        admin.dispose()


def _equiplan(args: list[str], env: dict[str, str]) -> str:
    """Run an `equiplan` command; its own one-line error ends the benchmark."""
    done = subprocess.run([EQUIPLAN, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit code {done.returncode}"]
        _fail(f"equiplan {args[0]} {args[1]}: {lines[-1]}")
    return done.stdout


def _synthetic_items(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM equipment WHERE inventory_no LIKE :prefix"),
                {"prefix": f"{SYNTHETIC_PREFIX}%"},
            ).scalar_one()
        )


def _ensure_user(
    engine: Engine, env: dict[str, str], email: str, role: str, agency: str | None
) -> None:
    with engine.connect() as conn:
        if conn.execute(text("SELECT 1 FROM app_user WHERE email = :e"), {"e": email}).first():
            return
    args = ["user", "create", "--email", email, "--role", role, "--locale", "en"]
    args += ["--name", f"Benchmark {role}", "--password", PASSWORD]
    _equiplan([*args, *(["--agency", agency] if agency else [])], env)


@dataclass(frozen=True)
class Targets:
    """What the requests ask for, chosen from the data so that filters match real rows."""

    type_id: int
    detail_ids: list[int]
    officer_agency: str
    officer_detail_ids: list[int]


def _longest_histories(conn: Connection, agency_code: str | None) -> list[int]:
    rows = conn.execute(
        text(
            "SELECT e.id FROM equipment e JOIN agency a ON a.id = e.agency_id "
            "JOIN work_order w ON w.equipment_id = e.id "
            "WHERE e.inventory_no LIKE :prefix "
            "AND (CAST(:agency AS text) IS NULL OR a.code = :agency) "
            "GROUP BY e.id ORDER BY count(*) DESC, e.id LIMIT :n"
        ),
        {"prefix": f"{SYNTHETIC_PREFIX}%", "agency": agency_code, "n": DETAIL_IDS},
    )
    return [row[0] for row in rows]


def _targets(engine: Engine) -> Targets:
    with engine.connect() as conn:
        type_id = conn.execute(
            text(
                "SELECT m.type_id FROM equipment e JOIN equipment_model m ON m.id = e.model_id "
                "GROUP BY m.type_id ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar_one()
        agency = conn.execute(
            text(
                "SELECT a.code FROM equipment e JOIN agency a ON a.id = e.agency_id "
                "GROUP BY a.code ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar_one()
        return Targets(
            type_id=type_id,
            detail_ids=_longest_histories(conn, None),
            officer_agency=agency,
            officer_detail_ids=_longest_histories(conn, agency),
        )


# --- the server -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(env: dict[str, str], workers: int, threads: int, log: Path) -> Iterator[int]:
    """gunicorn serving the app on a free loopback port; stopped whatever happens."""
    port = _free_port()
    command = [GUNICORN, "--workers", str(workers), "--threads", str(threads)]
    command += ["--bind", f"127.0.0.1:{port}", "equiplan:create_app()"]
    with log.open("w") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                tail = log.read_text().strip().splitlines()[-1:] or ["no output"]
                _fail(f"gunicorn exited with code {process.returncode}: {tail[0]}")
            probe = _Client(port)
            try:
                if probe.get(TRIVIAL)[0] == 200:
                    break
            except (OSError, http.client.HTTPException):
                pass
            finally:
                probe.close()
            if time.monotonic() > deadline:
                tail = log.read_text().strip().splitlines()[-1:] or ["no output"]
                _fail(f"gunicorn did not answer within 60 s: {tail[0]}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the clients ----------------------------------------------------------------------------


class _Client:
    """One keep-alive connection, as one browser tab or API script would hold."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.headers = {"Accept-Language": "en", **(headers or {})}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)

    def get(self, path: str) -> tuple[int, float, bytes]:
        """Status, milliseconds to the last byte of the body, and the body."""
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.connection.request("GET", path, headers=self.headers)
                response = self.connection.getresponse()
                body = response.read()
            except (http.client.HTTPException, ConnectionError):
                # The server closed an idle keep-alive connection: reconnect and time again.
                self.connection.close()
                if attempt == 2:
                    raise
                continue
            return response.status, (time.perf_counter() - started) * 1000, body
        raise AssertionError("unreachable")

    def reconnect(self) -> None:
        self.connection.close()
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)

    def close(self) -> None:
        self.connection.close()


def _cookie(response: http.client.HTTPResponse) -> str:
    values = [h.split(";", 1)[0] for h in response.headers.get_all("Set-Cookie") or []]
    return "; ".join(values)


def _sign_in(port: int, email: str) -> str:
    """Sign in through the login form (with its CSRF token); returns the Cookie header."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request("GET", "/login")
        response = connection.getresponse()
        page = response.read().decode()
        cookie = _cookie(response)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if not found:
            _fail("the login page carries no CSRF token")
        form = urlencode({"csrf_token": found.group(1), "email": email, "password": PASSWORD})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        connection.request("POST", "/login", body=form, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 302:
            _fail(f"signing in as {email} answered {response.status}, not a redirect")
        return _cookie(response) or cookie
    finally:
        connection.close()


@dataclass
class Result:
    label: str
    timings: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)  # "500": 3, "timeout": 1
    unavailable: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.timings)

    @property
    def p95(self) -> float:
        ordered = sorted(self.timings)
        return ordered[max(0, round(0.95 * len(ordered)) - 1)]  # nearest rank


def _timed(client: _Client, path: str) -> tuple[str, float]:
    """("200", ms) or ("timeout", ms): a slow or broken answer is a figure, not a crash."""
    started = time.perf_counter()
    try:
        status, ms, _ = client.get(path)
    except (OSError, http.client.HTTPException) as error:
        client.reconnect()
        kind = "timeout" if isinstance(error, TimeoutError) else type(error).__name__
        return kind, (time.perf_counter() - started) * 1000
    return str(status), ms


def _measure(label: str, clients: list[_Client], paths: list[str], requests: int) -> Result:
    """`requests` GETs cycling over `paths`, shared by the clients running at the same time."""
    result = Result(label)
    for client, path in zip(clients * WARMUP_ROUNDS, itertools.cycle(paths)):
        _timed(client, path)
    lock = threading.Lock()
    numbers = iter(range(requests))
    start = threading.Barrier(len(clients))

    def run(client: _Client) -> None:
        start.wait()
        while True:
            with lock:
                n = next(numbers, None)
            if n is None:
                return
            status, ms = _timed(client, paths[n % len(paths)])
            with lock:
                result.timings.append(ms)
                if status != "200":
                    result.errors[status] = result.errors.get(status, 0) + 1

    threads = [threading.Thread(target=run, args=(client,), daemon=True) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result


def _query(path: str, **args: object) -> str:
    return f"{path}?{urlencode(args)}"


def _plan(targets: Targets) -> list[tuple[str, str, list[str]]]:
    """(label, credentials, paths) of every measured endpoint after the trivial one."""
    filtered = {"type_id": targets.type_id, "status": "in_service", "operational": "no"}
    plan = [
        ("list", "admin", ["/equipment"]),
        ("list filtered", "admin", [_query("/equipment", **filtered)]),
        ("list search", "admin", [_query("/equipment", search=SEARCH)]),
        ("list by next due", "admin", [_query("/equipment", sort="next_due")]),
        ("list due in 30 d", "admin", [_query("/equipment", due_within_days=30)]),
        ("list page 200", "admin", [_query("/equipment", page=200)]),
        ("detail", "admin", [f"/equipment/{i}" for i in targets.detail_ids]),
        ("api list", "token", ["/api/v1/equipment"]),
        ("api list filtered", "token", [_query("/api/v1/equipment", **filtered)]),
    ]
    if targets.officer_detail_ids:
        plan += [
            (f"officer list ({targets.officer_agency})", "officer", ["/equipment"]),
            (
                f"officer detail ({targets.officer_agency})",
                "officer",
                [f"/equipment/{i}" for i in targets.officer_detail_ids],
            ),
        ]
    return plan


# --- the report -----------------------------------------------------------------------------


def _verdict(result: Result, trivial: Result) -> str:
    failures = []
    if result.p95 > TARGET_RATIO * trivial.p95:
        failures.append(f">{TARGET_RATIO:g}x trivial")
    if result.p95 >= TARGET_P95_MS:
        failures.append(f">={TARGET_P95_MS:g} ms")
    if result.errors:
        failures.append(
            "errors " + ", ".join(f"{n}x {s}" for s, n in sorted(result.errors.items()))
        )
    return "FAIL " + "; ".join(failures) if failures else "pass"


def _row(result: Result, trivial: Result) -> str:
    if result.unavailable:
        return f"{result.label:<28} {'—':>10} {'—':>8} {'—':>9} {'—':>9}  {result.unavailable}"
    verdict = "(reference)" if result is trivial else _verdict(result, trivial)
    return (
        f"{result.label:<28} {result.median:>10.1f} {result.p95:>8.1f} "
        f"{result.median / trivial.median:>9.1f} {result.p95 / trivial.p95:>9.1f}  {verdict}"
    )


def _prepare(options: argparse.Namespace, env: dict[str, str]) -> tuple[Targets, str]:
    """Migrate, seed when needed, refresh the statistics, create the benchmark accounts."""
    _equiplan(["db", "upgrade"], env)
    engine = create_engine(normalise_url(options.database_url), isolation_level="AUTOCOMMIT")
    try:
        existing = _synthetic_items(engine)
        if existing < options.equipment:
            started = time.perf_counter()
            _equiplan(["seed", "synthetic", "--equipment", str(options.equipment)], env)
            print(f"seeded          {time.perf_counter() - started:.0f} s")
        if options.analyze:
            # The seed writes ~900,000 rows at once (and migrations may rewrite rows); until
            # the planner has statistics and the visibility map is current it picks plans
            # that take minutes. Autovacuum would do this in time, but may be off.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        targets = _targets(engine)
        _ensure_user(engine, env, ADMIN_EMAIL, "admin", None)
        if options.officer:
            _ensure_user(engine, env, OFFICER_EMAIL, "officer", targets.officer_agency)
        else:
            targets = replace(targets, officer_detail_ids=[])
        created = _equiplan(["token", "create", "--email", ADMIN_EMAIL, "--name", "bench"], env)
        print(f"synthetic items {_synthetic_items(engine):,}")
    finally:
        engine.dispose()
    return targets, created.strip().splitlines()[-1]


def main(argv: Sequence[str] | None = None) -> None:
    options = _options(argv)
    _prepare_database(options.database_url, options.reuse)
    print(f"database        {make_url(options.database_url).render_as_string()}")
    with tempfile.TemporaryDirectory(prefix="equiplan-bench-") as instance:
        env = {
            **os.environ,
            "EQUIPLAN_DATABASE_URL": options.database_url,
            "EQUIPLAN_INSTANCE_PATH": instance,
            "EQUIPLAN_LOG_LEVEL": "WARNING",
        }
        targets, token = _prepare(options, env)
        print(f"statistics      {'VACUUM ANALYZE run' if options.analyze else 'left as they are'}")
        print(
            f"server          gunicorn, {options.workers} workers x {options.threads} threads; "
            f"{options.clients} clients, {options.requests} requests per endpoint"
        )
        print(f"load average    {os.getloadavg()[0]:.1f} before")
        print()
        print(
            f"{'endpoint':<28} {'median ms':>10} {'p95 ms':>8} {'med/triv':>9} {'p95/triv':>9}"
            "  target: p95 <= 5x trivial and < 150 ms"
        )
        log = Path(instance) / "gunicorn.log"
        with _server(env, options.workers, options.threads, log) as port:
            credentials = {
                "anonymous": {},
                "admin": {"Cookie": _sign_in(port, ADMIN_EMAIL)},
                "token": {"Authorization": f"Bearer {token}"},
            }
            if options.officer:
                credentials["officer"] = {"Cookie": _sign_in(port, OFFICER_EMAIL)}
            pools = {
                who: [_Client(port, headers) for _ in range(options.clients)]
                for who, headers in credentials.items()
            }
            try:
                trivial = _measure(
                    f"trivial {TRIVIAL}", pools["anonymous"], [TRIVIAL], options.requests
                )
                print(_row(trivial, trivial), flush=True)
                for label, who, paths in _plan(targets):
                    status, _ = _timed(pools[who][0], paths[0])
                    if label.startswith("api") and status in {"404", "405"}:
                        result = Result(label, unavailable=f"not available yet ({status})")
                    else:
                        result = _measure(label, pools[who], paths, options.requests)
                    print(_row(result, trivial), flush=True)
            finally:
                for pool in pools.values():
                    for client in pool:
                        client.close()
        print(f"\nload average    {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
