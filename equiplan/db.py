"""Database engine and sessions: one engine per app, one session per app context.

SQLite gets the pragmas it needs to behave like a real database (foreign keys, WAL, a busy
timeout) and explicit BEGIN handling so that SAVEPOINTs work (the test suite relies on them).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from equiplan.resources import resource_path

# The execution option that begin_read_only sets on a session's connection.
READ_ONLY_OPTION = "equiplan_read_only"


def normalise_url(url: str) -> str:
    """Accept the usual `postgresql://` spelling and use the psycopg 3 driver for it."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; for SQLite, install the pragmas and transaction handling."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (SAVEPOINT support).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
        # SQLite's own lower() folds ASCII only; searches must find "Šalčininkai" by "šalč"
        # as on PostgreSQL.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front: a transaction that read first and then
        # writes would otherwise fail at once ("database is locked") whenever another
        # connection committed in between, which busy_timeout cannot help with. A transaction
        # declared read-only (begin_read_only) takes no lock: in WAL mode it reads a snapshot.
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN DEFERRED")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def begin_read_only(session: Session) -> None:
    """Start the session's next transaction as one that only reads: on SQLite it then does not
    take the write lock (it would block every other writer and request until it ends). Call
    it with no transaction open (with one open it changes nothing); the transaction must not
    write. No effect on PostgreSQL."""
    if not session.in_transaction():
        session.connection(execution_options={READ_ONLY_OPTION: True})


class Database:
    """The app's database: an engine and, in tests, an optional outer connection to bind to."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self.bind: Engine | Connection = self.engine

    def new_session(self) -> Session:
        # create_savepoint: when bound to a test's outer transaction, a service's commit only
        # releases a SAVEPOINT and the test rolls everything back at the end.
        return Session(
            bind=self.bind, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


def init_app(app: Flask) -> None:
    """Attach a Database to the app and close the request's session at teardown."""
    app.extensions["equiplan.db"] = Database(app.config["DATABASE_URL"])

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def get_db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["equiplan.db"]  # type: ignore[no-any-return]


def get_session() -> Session:
    """The session of the current app context (created on first use)."""
    if "db_session" not in g:
        g.db_session = get_db().new_session()
    return g.db_session  # type: ignore[no-any-return]


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A standalone session for CLI commands and background jobs."""
    session = get_db(app).new_session()
    try:
        yield session
    finally:
        session.close()


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resource_path("migrations")))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Run the Alembic migrations up to `revision`."""
    command.upgrade(alembic_config(url), revision)
