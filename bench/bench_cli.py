"""What the benchmark scripts' command lines share: one-line errors with exit code 2, and the
PostgreSQL benchmark database options."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/equiplan_bench"


def fail(prog: str, message: str) -> NoReturn:
    """One line on stderr and exit code 2, as for every bad input."""
    print(f"{prog}: error: {' '.join(message.split())}", file=sys.stderr)
    sys.exit(2)


class BenchParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        fail(self.prog, message)


def database_options(parser: argparse.ArgumentParser) -> None:
    """--database-url, --reuse and --equipment: the synthetic benchmark database."""
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--reuse", action="store_true", help="keep an existing database")
    parser.add_argument("--equipment", type=int, default=20_000, help="synthetic items")


def checked(
    parser: argparse.ArgumentParser, options: argparse.Namespace, positive: tuple[str, ...]
) -> argparse.Namespace:
    """The options, after checking that each of `positive` is at least 1 and the database URL
    names a PostgreSQL database."""
    for name in positive:
        if getattr(options, name) < 1:
            fail(parser.prog, f"--{name} must be at least 1, not {getattr(options, name)}")
    try:
        backend = make_url(options.database_url).get_backend_name()
    except ArgumentError:
        fail(parser.prog, f"--database-url: not a database URL: {options.database_url!r}")
    if backend != "postgresql":
        fail(parser.prog, f"--database-url must name a PostgreSQL database, not {backend}")
    return options
