"""The `equiplan` command: a Flask CLI group (so `flask --app equiplan ...` works too).

Wrong arguments and bad input end with a one-line message on stderr and exit code 2.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from alembic.util.exc import CommandError as AlembicCommandError
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from flask_babel import force_locale
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError

from equiplan.cli_optimise import optimise_command
from equiplan.config import ConfigError
from equiplan.db import session_scope, upgrade
from equiplan.services.audit import acting_as
from equiplan.services.errors import ServiceError, ValidationError

db_cli = AppGroup("db", help="Database schema.")
seed_cli = AppGroup("seed", help="Demo and benchmark data.")
user_cli = AppGroup("user", help="User accounts.")
token_cli = AppGroup("token", help="Personal API tokens.")
import_cli = AppGroup("import", help="Import data from files.")


@db_cli.command("upgrade")
@click.option(
    "--revision", default="head", show_default=True, help="Alembic revision to migrate to."
)
def db_upgrade(revision: str) -> None:
    """Apply the migrations to the configured database."""
    logging.getLogger("alembic").setLevel(logging.WARNING)  # errors stay one line
    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database is at revision {revision}.")


@seed_cli.command("demo")
def seed_demo_command() -> None:
    """Load the Lithuanian demo fleet and the demo users (idempotent)."""
    from equiplan.services.seeding import seed_demo

    started = time.perf_counter()
    with session_scope() as session, acting_as(None, "seed"), force_locale("en"):
        created = seed_demo(session)
    summary = (
        ", ".join(f"{name} {count}" for name, count in created.items() if count) or "nothing new"
    )
    click.echo(f"Demo data loaded in {time.perf_counter() - started:.1f} s: {summary}.")
    if created.get("app_user"):
        click.echo(
            "WARNING: demo accounts with the published password 'equiplan-demo' were created "
            "(admin@demo.lt and others). Never load demo data into a production database.",
            err=True,
        )


@seed_cli.command("synthetic")
@click.option(
    "--equipment", type=click.IntRange(1, 200_000), required=True, help="Number of items."
)
@click.option("--seed", "random_seed", type=int, default=0, show_default=True, help="Random seed.")
def seed_synthetic_command(equipment: int, random_seed: int) -> None:
    """Generate a national-scale data set for benchmarks."""
    from equiplan.services.seeding import seed_synthetic

    started = time.perf_counter()
    with session_scope() as session, acting_as(None, "seed"), force_locale("en"):
        created = seed_synthetic(
            session,
            equipment=equipment,
            seed=random_seed,
            progress=lambda msg: click.echo(f"  {msg}"),
        )
    summary = (
        ", ".join(f"{name} {count}" for name, count in created.items() if count) or "nothing new"
    )
    click.echo(f"Synthetic data generated in {time.perf_counter() - started:.1f} s: {summary}.")


@user_cli.command("create")
@click.option("--email", required=True, help="Sign-in email address.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "planner", "technician", "officer", "viewer"]),
    help="What the user may do.",
)
@click.option(
    "--agency", "agency_code", default=None, help="Agency code (required for officer and viewer)."
)
@click.option("--name", default="", help="Display name.")
@click.option("--locale", type=click.Choice(["lt", "en"]), default="lt", show_default=True)
@click.password_option("--password", help="Prompted for when not given.")
def user_create(
    email: str, role: str, agency_code: str | None, name: str, locale: str, password: str
) -> None:
    """Create a user; the password is prompted for (twice)."""
    from equiplan.services.users import create_user

    with session_scope() as session, acting_as(None, "cli"), force_locale("en"):
        try:
            user = create_user(
                session,
                email=email,
                password=password,
                role=role,
                agency_code=agency_code,
                name=name,
                locale=locale,
            )
        except ValidationError as error:
            raise click.UsageError(
                "; ".join(f"{field}: {msg}" for field, msg in error.errors.items())
            ) from None
        click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@token_cli.command("create")
@click.option("--email", required=True, help="Sign-in email address of the token's owner.")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
def token_create(email: str, name: str) -> None:
    """Create a personal API token and print it: on the last line, shown only this once."""
    from equiplan.services.api_tokens import create_token
    from equiplan.services.users import find_user

    with session_scope() as session, acting_as(None, "cli"), force_locale("en"):
        user = find_user(session, email)
        if user is None:
            raise click.UsageError(f"no user with the email {email.strip()}")
        if not user.active:
            # Its tokens would never authenticate; say so instead of printing a dead one.
            raise click.UsageError(f"the account {user.email} is deactivated")
        try:
            token, secret = create_token(session, user, name)
        except ValidationError as error:
            raise click.UsageError(
                "; ".join(f"{field}: {msg}" for field, msg in error.errors.items())
            ) from None
        click.echo(f"Created API token {token.name!r} (id {token.id}) for {user.email}:")
        # Alone on the last line, so that scripts can take it with `tail -n 1`.
        click.echo(secret)


@import_cli.command("equipment")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--agency", "agency_code", default=None, help="Agency of rows that leave it blank.")
@click.option("--dry-run", is_flag=True, help="Check the file and report; import nothing.")
def import_equipment(file: Path, agency_code: str | None, dry_run: bool) -> None:
    """Import an inventory from a CSV or XLSX file: every row, or nothing.

    Problems are printed on stderr as `row N, column C: message`, and the exit code is 2.
    """
    from equiplan.services.clock import local_today
    from equiplan.services.equipment_import import ImportRejected, commit_import, preview_import
    from equiplan.services.scoping import Scope

    content = file.read_bytes()
    with session_scope() as session, acting_as(None, "cli"), force_locale("en"):
        try:
            if dry_run:
                preview = preview_import(
                    session,
                    Scope.everything(),
                    content=content,
                    filename=file.name,
                    agency_code=agency_code,
                )
                problems, count = preview.problems, len(preview.rows)
            else:
                items = commit_import(
                    session,
                    Scope.everything(),
                    content=content,
                    filename=file.name,
                    agency_code=agency_code,
                    today=local_today(current_app.config["TIMEZONE"]),
                )
                problems, count = [], len(items)
        except ImportRejected as rejected:
            problems, count = rejected.problems, 0
        except ValidationError as error:
            raise click.UsageError(
                "; ".join(f"{field}: {msg}" for field, msg in error.errors.items())
            ) from None
    if problems:
        for problem in problems:
            click.echo(f"row {problem.row}, column {problem.column}: {problem.message}", err=True)
        click.echo(f"equiplan: error: {len(problems)} problems; nothing was imported", err=True)
        raise click.exceptions.Exit(2)
    click.echo(f"would import {count} items" if dry_run else f"imported {count} items")


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=5000, show_default=True, help="Port."
)
@click.option(
    "--reload",
    is_flag=True,
    help="Restart when the code changes (development; jobs still run once).",
)
def serve(host: str, port: int, reload: bool) -> None:
    """Run the all-in-one embedded server (web app and background jobs in one process)."""
    from werkzeug.serving import run_simple

    from equiplan.scheduler import run_as_leader_or_standby

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()
    # The jobs run in this process, started here (never in create_app). Under the reloader the
    # watching parent only restarts the child, so only the child (WERKZEUG_RUN_MAIN) runs them;
    # and the leader lock makes sure a second `serve` on the same database does not run them too.
    if not reload or os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        jobs = threading.Thread(
            target=run_as_leader_or_standby,
            args=(app, stop),
            kwargs={"say": _say},
            name="equiplan-scheduler",
            daemon=True,
        )
        jobs.start()
    click.echo(f"equiplan serving on http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=reload, use_debugger=False)
    finally:
        stop.set()


@click.command("scheduler")
@with_appcontext
@click.option("--once", is_flag=True, help="Run every job once and exit.")
@click.option(
    "--now", "now_text", default=None, help="With --once: run as of this ISO-8601 moment."
)
def scheduler_command(once: bool, now_text: str | None) -> None:
    """Run the background jobs (reminders, digest, outbox, status counts, queued work).

    Several may run against one PostgreSQL database: one leads, the others wait and take over
    within seconds when the leader stops.
    """
    from equiplan.scheduler import run_as_leader_or_standby, run_once

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if now_text is not None and not once:
        raise click.UsageError("--now is only allowed with --once")
    if once:
        now = _parse_moment(now_text) if now_text else None
        for job_id, outcome in run_once(app, now).items():
            click.echo(f"{job_id}: {outcome}")
        return
    stop = threading.Event()
    # SIGTERM (systemd, docker stop) ends the process cleanly: the running job finishes first.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    click.echo("equiplan scheduler running (Ctrl+C to stop)")
    try:
        run_as_leader_or_standby(app, stop, say=_say)
    except KeyboardInterrupt:
        stop.set()


def _say(message: str) -> None:
    click.echo(f"equiplan scheduler: {message}")


def _parse_moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"not an ISO-8601 moment: {text!r}", param_hint="--now") from None
    return (
        moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))
    )


def register_commands(app: Flask) -> None:
    for command in (
        db_cli,
        seed_cli,
        user_cli,
        token_cli,
        import_cli,
        serve,
        scheduler_command,
        optimise_command,
    ):
        app.cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: one-line errors, exit code 2 for bad arguments or input."""
    from equiplan.app import create_app

    group = FlaskGroup(
        name="equiplan", create_app=create_app, help="equiplan — equipment lifecycle planner."
    )
    # Built into the group (not only the app's commands): it runs without loading the app.
    group.add_command(optimise_command)
    try:
        code = group.main(
            args=list(argv) if argv is not None else None,
            prog_name="equiplan",
            standalone_mode=False,
        )
    except click.UsageError as error:
        # One line, whatever click would have printed over several.
        click.echo(f"equiplan: error: {' '.join(error.format_message().split())}", err=True)
        sys.exit(2)
    except (ServiceError, ConfigError, AlembicCommandError) as error:
        click.echo(f"equiplan: error: {' '.join(str(error).split())}", err=True)
        sys.exit(2)
    except ArgumentError as error:
        click.echo(
            f"equiplan: error: EQUIPLAN_DATABASE_URL: {' '.join(str(error).split())}", err=True
        )
        sys.exit(2)
    except (OperationalError, ProgrammingError) as error:
        # Unreachable server or a schema that is not there (yet): say so in one line.
        reason = " ".join(str(error.orig).split())[:300]
        hint = "is the database running, and was `equiplan db upgrade` run?"
        click.echo(f"equiplan: error: database: {reason} ({hint})", err=True)
        sys.exit(2)
    except click.ClickException as error:
        click.echo(f"equiplan: error: {error.format_message()}", err=True)
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        click.echo("equiplan: aborted", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
