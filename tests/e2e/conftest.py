"""Browser end-to-end fixtures: a live `equiplan serve` on a demo-seeded SQLite file, and
Debian's Chromium driven by Playwright (never `playwright install`: nothing is downloaded).

Without Chromium (or Playwright) the browser tests are skipped and the reason is shown in the
terminal summary; with EQUIPLAN_REQUIRE_BROWSER=1, or CI=true as every CI service sets it, that
is a failure instead.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import part_required
from tests.e2e_support import BROWSER_SKIP

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 30.0  # seconds until /api/v1/health must answer
COMMAND_TIMEOUT = 600.0  # seconds for `db upgrade` and `seed demo`
SECRET_KEY = "e2e-secret-key-not-for-production"


def _unavailable(reason: str) -> None:
    """Fail (CI) or skip and remember why (everywhere else)."""
    required = part_required("EQUIPLAN_REQUIRE_BROWSER")
    if required:
        pytest.fail(f"{reason} ({required})")
    if reason not in BROWSER_SKIP:
        BROWSER_SKIP.append(reason)
    pytest.skip(reason)


# --- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium from Debian, shared by every browser test of the session."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _unavailable(f"Playwright cannot be imported: {error}")
    manager = sync_playwright().start()
    try:
        launched = manager.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
    except Exception as error:  # noqa: BLE001 - any reason Chromium does not start
        manager.stop()
        _unavailable(f"Chromium at {CHROMIUM} does not start: {str(error).splitlines()[0]}")
    yield launched
    launched.close()
    manager.stop()


# --- the live server ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(database_url: str) -> dict[str, str]:
    """The caller's environment (HOME, PATH, ...) without any EQUIPLAN_* setting of theirs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EQUIPLAN_")}
    env.update(
        EQUIPLAN_DATABASE_URL=database_url,
        # Keep the instance folder (secret, outbox) inside the test's temporary folder too.
        EQUIPLAN_INSTANCE_PATH=str(
            Path(database_url.removeprefix("sqlite:///")).parent / "instance"
        ),
        EQUIPLAN_SECRET_KEY=SECRET_KEY,
        EQUIPLAN_DEFAULT_LOCALE="lt",
        EQUIPLAN_LOG_LEVEL="WARNING",
        # The browser tests sign the same demo accounts in many times within a minute.
        EQUIPLAN_LOGIN_LIMIT_PER_ACCOUNT="100 per minute",
        # Queued optimisation runs start within a second, not the default ten.
        EQUIPLAN_QUEUE_EVERY_SECONDS="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
    )
    if result.returncode != 0:
        pytest.fail(
            f"`{' '.join(command[1:])}` exited with {result.returncode}:\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/api/v1/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@pytest.fixture(scope="session")
def e2e_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the demo data (`equiplan db upgrade`, `equiplan seed demo`)."""
    folder = tmp_path_factory.mktemp("e2e")
    path = folder / "e2e.db"
    env = _server_env(f"sqlite:///{path}")
    equiplan = str(Path(sys.executable).parent / "equiplan")
    _run([equiplan, "db", "upgrade"], env)
    _run([equiplan, "seed", "demo"], env)
    return path


@pytest.fixture(scope="session")
def live_server(e2e_database: Path) -> Iterator[str]:
    """`equiplan serve` on a free port; yields its base URL and stops it at the end."""
    port = _free_port()
    env = _server_env(f"sqlite:///{e2e_database}")
    equiplan = str(Path(sys.executable).parent / "equiplan")
    log_path = e2e_database.parent / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [equiplan, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _healthy(port):
            if process.poll() is not None or time.monotonic() > deadline:
                state = (
                    f"exited with {process.returncode}"
                    if process.returncode is not None
                    else f"did not answer within {SERVER_START_TIMEOUT:.0f} s"
                )
                pytest.fail(
                    f"equiplan serve {state}; its output:\n"
                    f"{log_path.read_text(errors='replace')[-4000:]}"
                )
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
