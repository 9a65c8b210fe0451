"""Alembic environment: equiplan's metadata, batch mode on SQLite, timestamps as plain DateTime."""

from __future__ import annotations

import os
import warnings
from typing import Any

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.exc import SAWarning

import equiplan.models  # noqa: F401  (registers every table)
from equiplan.db import normalise_url
from equiplan.models.base import UTCDateTime, metadata

config = context.config
target_metadata = metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("EQUIPLAN_DATABASE_URL")
    if not url:
        raise RuntimeError(
            "no database URL: set EQUIPLAN_DATABASE_URL or use `equiplan db upgrade`"
        )
    return normalise_url(url)


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Migrations do not depend on our Python type: a UTC timestamp is a timezone-aware DateTime.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _include_name(name: str | None, type_: str, _parents: Any) -> bool:
    # Trigram search indexes, other PostgreSQL-only expression indexes (`pgonly_*`) and the
    # indexes on lower(column) (`lower_*`) exist only in the migrations: leave them out of the
    # comparison with the models.
    prefixes = ("trgm_", "pgonly_", "lower_")
    return not (type_ == "index" and name is not None and name.startswith(prefixes))


# SQLite cannot reflect an index on an expression (lower(name)); it says so, and the index is
# left out of the comparison anyway (above).
warnings.filterwarnings(
    "ignore", "Skipped unsupported reflection of expression-based index", SAWarning
)


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        include_name=_include_name,
        render_item=_render_item,
        render_as_batch=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _configure(connection=connectable)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
