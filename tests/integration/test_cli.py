"""The `equiplan` command: subprocesses for exit codes and messages; the runner for the rest."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from equiplan.models import User
from tests.factories import make_agency

EQUIPLAN = str(Path(sys.executable).parent / "equiplan")


def _run(
    *args: str, stdin: str = "", env_extra: dict[str, str] | None = None, cwd: Path | None = None
):  # type: ignore[no-untyped-def]
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [EQUIPLAN, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=cwd,
        check=False,
    )


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.mark.parametrize(
    "args",
    [
        ("no-such-command",),
        ("serve", "--port", "not-a-number"),
        ("user", "create", "--email", "a@b.lt"),
        ("user", "create", "--email", "a@b.lt", "--role", "boss", "--password", "long-enough-1"),
        ("seed", "synthetic", "--equipment", "0"),
        ("db", "upgrade", "--no-such-flag"),
        ("scheduler", "--once", "--now", "yesterday"),
        ("scheduler", "--now", "2026-11-21T08:00"),
        ("db", "upgrade", "--revision", "no-such-revision"),
        # The database was never migrated.
        ("user", "create", "--email", "a@b.lt", "--role", "admin", "--password", "long-enough-1"),
    ],
)
def test_wrong_arguments_give_one_line_and_exit_code_2(
    args: tuple[str, ...], database_url: str, tmp_path: Path
) -> None:
    result = _run(*args, env_extra={"EQUIPLAN_DATABASE_URL": database_url}, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("equiplan: error: ")
    assert "Traceback" not in result.stderr


def test_db_upgrade_then_user_create_prompts_for_the_password(
    database_url: str, tmp_path: Path
) -> None:
    env = {"EQUIPLAN_DATABASE_URL": database_url}
    assert _run("db", "upgrade", env_extra=env, cwd=tmp_path).returncode == 0
    result = _run(
        "user",
        "create",
        "--email",
        "Chief@NSSC.lt",
        "--role",
        "admin",
        stdin="long-enough-1\nlong-enough-1\n",
        env_extra=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Created admin chief@nssc.lt" in result.stdout
    again = _run(
        "user",
        "create",
        "--email",
        "chief@nssc.lt",
        "--role",
        "admin",
        "--password",
        "long-enough-1",
        env_extra=env,
        cwd=tmp_path,
    )
    assert again.returncode == 2
    assert again.stderr.strip() == "equiplan: error: email: A user with this email already exists."


def test_flask_cli_works_too(database_url: str, tmp_path: Path) -> None:
    flask = str(Path(sys.executable).parent / "flask")
    result = subprocess.run(
        [flask, "--app", "equiplan", "db", "upgrade"],
        capture_output=True,
        text=True,
        env={**os.environ, "EQUIPLAN_DATABASE_URL": database_url},
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Database is at revision head." in result.stdout


def test_user_create_in_process(app, session, runner) -> None:  # type: ignore[no-untyped-def]
    make_agency(session, "VSAT")
    result = runner.invoke(
        args=["user", "create", "--email", "o@vsat.lt", "--role", "officer", "--agency", "VSAT"],
        input="long-enough-1\nlong-enough-1\n",
    )
    assert result.exit_code == 0, result.output
    user = session.execute(select(User).where(User.email == "o@vsat.lt")).scalar_one()
    assert (user.role, user.agency_id is not None) == ("officer", True)
    bad = runner.invoke(
        args=[
            "user",
            "create",
            "--email",
            "v@vsat.lt",
            "--role",
            "viewer",
            "--password",
            "long-enough-1",
        ]
    )
    assert bad.exit_code == 2
    assert "Officers and viewers must belong to an agency." in bad.output
    assert session.execute(select(func.count(User.id))).scalar_one() == 1


def test_scheduler_once_delivers_the_outbox(app, session, runner) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from equiplan.models import OutboxMessage
    from equiplan.services.mail import queue_mail

    queue_mail(session, to="officer@vsat.lt", subject="Terminas", body_text="Tekstas")
    session.commit()
    result = runner.invoke(args=["scheduler", "--once", "--now", "2030-01-01T08:00"])
    assert result.exit_code == 0, result.output
    assert "outbox-flush: sent 1, retried 0, failed 0" in result.output
    assert session.execute(select(OutboxMessage.status)).scalars().all() == ["sent"]
    assert len(list(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))) == 1


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EQUIPLAN_DEFAULT_LOCALE": "de"}, "EQUIPLAN_DEFAULT_LOCALE must be one of lt, en"),
        ({"EQUIPLAN_DATABASE_URL": "nonsense"}, "EQUIPLAN_DATABASE_URL: Could not parse"),
        (
            {"EQUIPLAN_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"},
            "database: connection",
        ),
    ],
)
def test_bad_settings_give_one_line_and_exit_code_2(
    env: dict[str, str], message: str, tmp_path: Path
) -> None:
    result = _run(
        "db",
        "upgrade",
        env_extra={"EQUIPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", **env},
    )
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"equiplan: error: {message}"), line


def test_seed_demo_warns_about_demo_accounts(app, session, runner) -> None:  # type: ignore[no-untyped-def]
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    assert "WARNING: demo accounts" in first.stderr
    again = runner.invoke(args=["seed", "demo"])
    assert "nothing new" in again.stdout
    assert "WARNING" not in again.stderr


def test_token_create_prints_a_working_token_on_its_last_line(app, session, runner, client) -> None:  # type: ignore[no-untyped-def]
    from equiplan.models import ApiToken
    from tests.factories import make_equipment, make_user

    vsat = make_agency(session, "VSAT")
    make_equipment(session, vsat)
    make_equipment(session, make_agency(session, "MUIT"))
    officer = make_user(session, "officer", vsat, email="officer@vsat.lt")
    result = runner.invoke(args=["token", "create", "--email", "Officer@VSAT.lt", "--name", "ci"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("eqp_")
    token = session.execute(select(ApiToken)).scalar_one()
    assert (token.user_id, token.name) == (officer.id, "ci")
    response = client.get("/api/v1/dashboard", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert [group["key"] for group in response.json["by_agency"]] == ["VSAT"]  # the officer's
    # --name is optional.
    assert runner.invoke(args=["token", "create", "--email", "officer@vsat.lt"]).exit_code == 0


def test_token_create_for_an_unknown_or_deactivated_user_is_refused(app, session, runner) -> None:  # type: ignore[no-untyped-def]
    from equiplan.models import ApiToken
    from tests.factories import make_user

    make_user(session, "planner", email="gone@nssc.lt", active=False)
    for email, message in (
        ("nobody@nssc.lt", "no user with the email nobody@nssc.lt"),
        ("gone@nssc.lt", "the account gone@nssc.lt is deactivated"),
    ):
        result = runner.invoke(args=["token", "create", "--email", email])
        assert result.exit_code == 2
        assert message in result.output
    make_user(session, "planner", email="here@nssc.lt")
    nameless = runner.invoke(args=["token", "create", "--email", "here@nssc.lt", "--name", " "])
    assert nameless.exit_code == 2
    assert "name: Give the token a name." in nameless.output
    assert session.execute(select(ApiToken)).first() is None


def test_token_create_with_an_unknown_email_is_one_line_and_exit_code_2(
    database_url: str, tmp_path: Path
) -> None:
    env = {"EQUIPLAN_DATABASE_URL": database_url}
    assert _run("db", "upgrade", env_extra=env, cwd=tmp_path).returncode == 0
    result = _run("token", "create", "--email", "nobody@nssc.lt", env_extra=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "equiplan: error: no user with the email nobody@nssc.lt"
    assert result.stdout == ""
