"""Which scheduler process runs the jobs: one leader, any number of standbys.

On PostgreSQL the leader holds a session-level advisory lock on its own connection. When the
leader dies, the server closes that connection and releases the lock, and a standby that asks
once a second gets it. On SQLite (one machine) an exclusive `flock` on a file beside the
database does the same: the kernel releases it when the process ends, however it ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import zlib
from pathlib import Path
from typing import Protocol

from flask import Flask
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from equiplan.db import make_engine

# One fixed key per database (advisory locks are per database, so two equiplan databases on
# one server do not block each other).
ADVISORY_KEY = zlib.crc32(b"equiplan-scheduler-leader")
# A leader whose machine or network dies without closing its connection would keep the lock
# until the server notices; TCP keepalives on both ends make that seconds, not hours.
KEEPALIVE_CONNECT_ARGS = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
}
SERVER_KEEPALIVES = (
    "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3"
)


class Leadership(Protocol):
    def acquire(self) -> bool:
        """Try to become the leader without waiting; True when this process leads."""

    def held(self) -> bool:
        """Whether this process still leads (False once the lock is lost)."""

    def release(self) -> None:
        """Stop leading (a standby may take over)."""

    def close(self) -> None:
        """Release everything this object holds."""


class AdvisoryLockLeadership:
    """PostgreSQL: `pg_try_advisory_lock` on a dedicated connection."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url, poolclass=NullPool, connect_args=KEEPALIVE_CONNECT_ARGS)
        self.connection: Connection | None = None

    def acquire(self) -> bool:
        try:
            if self.connection is None:
                self.connection = self.engine.connect()
                self.connection.exec_driver_sql(SERVER_KEEPALIVES)
            got = bool(
                self.connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
                ).scalar()
            )
            self.connection.commit()  # the lock is the session's, not the transaction's
        except DBAPIError:
            self._drop_connection()
            return False
        return got

    def held(self) -> bool:
        if self.connection is None:
            return False
        try:
            # The connection is alive and its session still holds the lock.
            holds = self.connection.execute(
                text(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                    "AND classid::bigint = 0 AND objid::bigint = :key "
                    "AND pid = pg_backend_pid() AND granted)"
                ),
                {"key": ADVISORY_KEY},
            ).scalar()
            self.connection.commit()
        except DBAPIError:
            self._drop_connection()
            return False
        return bool(holds)

    def release(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            self.connection.commit()
        except DBAPIError:
            self._drop_connection()

    def close(self) -> None:
        self._drop_connection()
        self.engine.dispose()

    def _drop_connection(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(DBAPIError):
                self.connection.close()
            self.connection = None


class FileLockLeadership:
    """SQLite: an exclusive, non-blocking `flock` on `<database>.scheduler.lock`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.descriptor: int | None = None

    def acquire(self) -> bool:
        if self.descriptor is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        self.descriptor = descriptor
        return True

    def held(self) -> bool:
        return self.descriptor is not None

    def release(self) -> None:
        if self.descriptor is not None:
            os.close(self.descriptor)  # closing drops the flock
            self.descriptor = None

    def close(self) -> None:
        self.release()


def leadership_for(app: Flask) -> Leadership:
    """The leader election that fits the app's database."""
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "postgresql":
        return AdvisoryLockLeadership(app.config["DATABASE_URL"])
    database = url.database
    if database and database != ":memory:":
        return FileLockLeadership(Path(f"{database}.scheduler.lock"))
    return FileLockLeadership(Path(app.instance_path) / "scheduler.lock")
