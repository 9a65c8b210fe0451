"""Real scheduler processes against a real database and a real SMTP server (aiosmtpd):
killed in the middle of a sweep, two of them competing for leadership, and the embedded server
under the reloader. Nothing may be lost and nothing sent twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from equiplan.db import make_engine, upgrade
from equiplan.models import (
    Agency,
    Equipment,
    EquipmentModel,
    EquipmentType,
    Notification,
    OutboxMessage,
    Schedule,
    SchedulerJob,
    Site,
    User,
)
from equiplan.services.schedule_completion import set_next_due
from tests.smtp_server import Sink, free_port, smtp_server

EQUIPLAN = str(Path(sys.executable).parent / "equiplan")
# 06:00 in Vilnius on the day the fleet's calibrations fall due.
NOW_ISO = "2026-11-21T06:00:00+02:00"
DUE = date(2026, 11, 21)
WAIT = 60.0  # seconds any single expectation may take before the test gives up


def _wait_for(what: str, condition: Callable[[], bool], timeout: float = WAIT) -> float:
    """Poll `condition` until it holds; return how long it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for: {what}")
        time.sleep(0.02)
    return time.monotonic() - started


def _env(database_url: str, smtp_port: int, folder: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EQUIPLAN_")}
    env.update(
        EQUIPLAN_DATABASE_URL=database_url,
        EQUIPLAN_INSTANCE_PATH=str(folder / "instance"),
        EQUIPLAN_SECRET_KEY="process-test",
        EQUIPLAN_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
        EQUIPLAN_MAIL_FROM="equiplan@nssc.lt",
        PYTHONUNBUFFERED="1",
        **{f"EQUIPLAN_{name}": value for name, value in settings.items()},
    )
    return env


@dataclass
class Process:
    """A child process whose merged output is collected line by line."""

    popen: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, args: list[str], env: dict[str, str]) -> Process:
        popen = subprocess.Popen(
            [EQUIPLAN, *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: the reloader's child goes with it
        )
        process = cls(popen)
        threading.Thread(target=process._read, daemon=True).start()
        return process

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))

    def said(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

    def output(self) -> str:
        return "\n".join(self.lines[-60:])

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
        self.popen.wait(timeout=20)
        if self.popen.stdout is not None:
            self.popen.stdout.close()


@contextmanager
def running(args: list[str], env: dict[str, str]) -> Iterator[Process]:
    process = Process.start(args, env)
    try:
        yield process
    finally:
        process.kill()


def _add_fleet(engine: Engine, items: int, officers: int = 2, prefix: str = "PRD") -> None:
    """An agency with `officers` officers and `items` items whose calibration is due today."""
    with Session(engine) as session:
        agency = session.scalar(select(Agency).where(Agency.code == "VSAT"))
        if agency is None:
            agency = Agency(
                code="VSAT", name_en="State Border Guard", name_lt="VSAT", kind="border_guard"
            )
            session.add(agency)
            session.flush()
            site = Site(
                agency_id=agency.id,
                code="MED",
                name_en="Medininkai",
                name_lt="Medininkai",
                site_type="road_crossing",
                criticality=5,
            )
            kind = EquipmentType(
                code="PRD",
                name_en="PRD",
                name_lt="PRD",
                design_life_years=6,
                prior_mtbf_hours=30000,
                prior_mttr_hours=1,
                logistics_delay_hours=336,
                weibull_beta=2.5,
                weibull_eta_factor=1.1,
            )
            session.add_all([site, kind])
            session.flush()
            session.add(EquipmentModel(type_id=kind.id, manufacturer="Acme", name="P-1"))
            session.add_all(
                User(
                    email=f"officer{n}@vsat.lt",
                    name=f"Officer {n}",
                    role="officer",
                    agency_id=agency.id,
                    password_hash="x",
                    locale="lt" if n % 2 else "en",
                )
                for n in range(officers)
            )
            session.flush()
        model = session.scalars(select(EquipmentModel)).first()
        site = session.scalars(select(Site)).first()
        assert model is not None
        assert site is not None
        equipment = [
            Equipment(
                inventory_no=f"{prefix}-{n:05d}",
                serial_no=f"{prefix}{n:06d}",
                agency_id=agency.id,
                model_id=model.id,
                site_id=site.id,
                status="in_service",
                commissioned_on=date(2020, 1, 1),
            )
            for n in range(items)
        ]
        session.add_all(equipment)
        session.flush()
        for item in equipment:
            schedule = Schedule(
                equipment_id=item.id,
                kind="calibration",
                interval_value=12,
                interval_unit="months",
                anchor="fixed",
                lead_days=30,
                grace_days=14,
            )
            set_next_due(schedule, DUE)
            session.add(schedule)
        session.commit()


def _count(engine: Engine, model: type, *where: object) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _delivered(sink: Sink) -> list[tuple[str, str]]:
    return [(str(m["To"]), str(m["Message-ID"])) for m in list(sink.received)]


@pytest.fixture
def database(empty_database_url: str) -> Iterator[tuple[str, Engine]]:
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    yield empty_database_url, engine
    engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_killed_in_the_middle_of_a_sweep_loses_nothing_and_sends_nothing_twice(
    database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = database
    items, officers = 1500, 2
    _add_fleet(engine, items, officers)
    expected = items * officers  # the "due" stage for each item, to each officer
    with smtp_server() as (port, sink):
        env = _env(url, port, tmp_path)
        first = Process.start(["scheduler", "--once", "--now", NOW_ISO], env)
        # The sweep commits its emails in batches; kill it once some, not all, are written.
        _wait_for(
            "the first batches of reminder emails",
            lambda: _count(engine, OutboxMessage) > 0 or first.popen.poll() is not None,
        )
        first.kill()
        written = _count(engine, OutboxMessage)
        assert 0 < written < expected, (
            f"not killed mid-sweep: {written} of {expected}\n{first.output()}"
        )
        assert sink.received == []  # delivery comes after the sweep: nothing went out yet

        again = subprocess.run(
            [EQUIPLAN, "scheduler", "--once", "--now", NOW_ISO],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert again.returncode == 0, again.stdout + again.stderr
        _wait_for("every email to arrive", lambda: len(sink.received) >= expected, timeout=30)

    assert _count(engine, Notification) == expected
    assert _count(engine, Notification, Notification.status == "queued") == expected
    with Session(engine) as session:
        outbox_ids = session.scalars(select(Notification.outbox_id)).all()
    assert len(set(outbox_ids)) == expected
    assert None not in outbox_ids
    assert _count(engine, OutboxMessage) == expected
    assert _count(engine, OutboxMessage, OutboxMessage.status == "sent") == expected
    delivered = _delivered(sink)
    assert len(delivered) == expected
    assert len({message_id for _to, message_id in delivered}) == expected
    # Each officer got exactly one reminder per item.
    per_officer = {to: 0 for to, _ in delivered}
    for to, _ in delivered:
        per_officer[to] += 1
    assert per_officer == {f"officer{n}@vsat.lt": items for n in range(officers)}


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_schedulers_one_leads_the_other_takes_over_and_nothing_is_sent_twice(
    database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = database
    _add_fleet(engine, 10, officers=2, prefix="RIID")
    fast = {
        "SWEEP_EVERY_SECONDS": "1",
        "OUTBOX_EVERY_SECONDS": "1",
        "STATUS_EVERY_SECONDS": "3600",
        "QUEUE_EVERY_SECONDS": "3600",
    }
    with smtp_server() as (port, sink):
        env = _env(url, port, tmp_path, **fast)
        with running(["scheduler"], env) as first:
            _wait_for("the first scheduler to lead", lambda: first.said("leader:") == 1)
            with running(["scheduler"], env) as second:
                _wait_for("the second to stand by", lambda: second.said("standby:") == 1)
                _wait_for("the first reminders", lambda: len(sink.received) >= 20)
                with Session(engine) as session:
                    sweep = session.get_one(SchedulerJob, "reminder-sweep")
                    assert sweep.last_runner.endswith(f":{first.popen.pid}")
                    runs_before = sweep.runs
                assert second.said("job ") == 0, second.output()

                first.kill()  # SIGKILL: no goodbye, the server drops its connection
                took = _wait_for("the standby to take over", lambda: second.said("leader:") == 1)
                assert took < 10, f"takeover took {took:.1f} s"
                _add_fleet(engine, 5, officers=2, prefix="BRD")
                _wait_for("the new leader's reminders", lambda: len(sink.received) >= 30)

                # A few more sweeps and flushes by the new leader change nothing.
                def more_sweeps() -> bool:
                    with Session(engine) as session:
                        row = session.get_one(SchedulerJob, "reminder-sweep")
                        return row.runs >= runs_before + 3 and row.last_runner.endswith(
                            f":{second.popen.pid}"
                        )

                _wait_for("three more sweeps by the new leader", more_sweeps)
                second.kill(signal.SIGTERM)
                assert second.popen.returncode == 0, second.output()

    delivered = _delivered(sink)
    assert len(delivered) == 30 == _count(engine, Notification)
    assert len({message_id for _to, message_id in delivered}) == 30


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_embedded_server_runs_the_jobs_once_even_under_the_reloader(
    database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, _engine = database
    env = _env(url, free_port(), tmp_path)
    env.pop("EQUIPLAN_SMTP_URL")  # the embedded default: mail into the instance outbox
    with running(["serve", "--reload", "--port", str(free_port())], env) as server:
        _wait_for("the jobs to start", lambda: server.said("leader:") >= 1)
        _wait_for("the first job runs", lambda: server.said("job ") >= 1)
        # The reloader's watching parent does not run jobs: one leader, no standby.
        assert server.said("leader:") == 1, server.output()
        assert server.said("standby:") == 0, server.output()
        with running(["serve", "--port", str(free_port())], env) as second:
            _wait_for(
                "a second server on the same file to stand by", lambda: second.said("standby:") == 1
            )
            assert second.said("leader:") == 0
