"""Configuration: defaults, then `EQUIPLAN_*` environment variables, then explicit overrides."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

# Every setting an operator may change, with its default. The README lists the same names.
ENV_SETTINGS: dict[str, Any] = {
    "DATABASE_URL": None,  # default: sqlite:///<instance>/equiplan.db
    "SECRET_KEY": None,  # default: generated once into <instance>/secret_key
    "SMTP_URL": None,  # unset: mail is written to <instance>/outbox
    "MAIL_FROM": "equiplan@localhost",
    "BASE_URL": "http://127.0.0.1:5000",
    "TIMEZONE": "Europe/Vilnius",
    "DEFAULT_LOCALE": "lt",
    "SECURE_COOKIES": False,
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_LIMIT_PER_ACCOUNT": "5 per minute;20 per hour",
    "LOGIN_LIMIT_PER_ADDRESS": "20 per minute;200 per hour",
    "LOG_LEVEL": "INFO",
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (0: none).
    "TRUSTED_PROXIES": "0",
    "CERTIFICATE_DIR": None,  # default: <instance>/certificates (outside the web root)
    "UPLOAD_MAX_MB": "10",  # largest calibration certificate file, in megabytes
    # Overdue scheduled work escalates to the agency focal point, then to NSSC technicians,
    # this many days after it became overdue.
    "ESCALATION_DAYS": "7,14",
    # Repairs past their target restore time escalate the same way after this many hours.
    "REPAIR_ESCALATION_HOURS": "24,72",
    "DIGEST_TIME": "07:00",  # local time of the daily digest
    # How often the scheduler's jobs run, in seconds.
    "SWEEP_EVERY_SECONDS": "300",  # reminder sweep
    "OUTBOX_EVERY_SECONDS": "30",  # outbox delivery
    "STATUS_EVERY_SECONDS": "900",  # operational-status counts
    "QUEUE_EVERY_SECONDS": "10",  # pickup of queued long-running work
    "SMTP_CONNECTIONS": "4",  # parallel SMTP connections for outbox delivery (PostgreSQL)
}
JOB_INTERVAL_SETTINGS = (
    "SWEEP_EVERY_SECONDS",
    "OUTBOX_EVERY_SECONDS",
    "STATUS_EVERY_SECONDS",
    "QUEUE_EVERY_SECONDS",
)

SUPPORTED_LOCALES = ("lt", "en")


class ConfigError(ValueError):
    """A setting has a value equiplan cannot use."""


def _coerce(default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return raw


def load_config(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping for an instance folder."""
    instance_path.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {}
    for name, default in ENV_SETTINGS.items():
        raw = os.environ.get(f"EQUIPLAN_{name}")
        values[name] = default if raw is None or raw == "" else _coerce(default, raw)
    values.update(overrides or {})

    if not values.get("DATABASE_URL"):
        values["DATABASE_URL"] = f"sqlite:///{instance_path / 'equiplan.db'}"
    if not values.get("SECRET_KEY"):
        values["SECRET_KEY"] = _instance_secret(instance_path)
    if not str(values["TRUSTED_PROXIES"]).isdigit():
        raise ConfigError(
            f"EQUIPLAN_TRUSTED_PROXIES must be a whole number, not {values['TRUSTED_PROXIES']!r}"
        )
    values["TRUSTED_PROXIES"] = int(values["TRUSTED_PROXIES"])
    upload_max = str(values["UPLOAD_MAX_MB"]).strip()
    if not upload_max.isdigit() or int(upload_max) < 1:
        raise ConfigError(
            f"EQUIPLAN_UPLOAD_MAX_MB must be a whole number of megabytes (at least 1), "
            f"not {values['UPLOAD_MAX_MB']!r}"
        )
    values["UPLOAD_MAX_MB"] = int(upload_max)
    values["ESCALATION_DAYS"] = _two_delays("ESCALATION_DAYS", values["ESCALATION_DAYS"])
    values["REPAIR_ESCALATION_HOURS"] = _two_delays(
        "REPAIR_ESCALATION_HOURS", values["REPAIR_ESCALATION_HOURS"]
    )
    values["DIGEST_TIME"] = _clock_time("DIGEST_TIME", values["DIGEST_TIME"])
    for name in JOB_INTERVAL_SETTINGS:
        raw = str(values[name]).strip()
        if not raw.isdigit() or not 1 <= int(raw) <= 86400:
            raise ConfigError(
                f"EQUIPLAN_{name} must be a whole number of seconds from 1 to 86400, "
                f"not {values[name]!r}"
            )
        values[name] = int(raw)
    connections = str(values["SMTP_CONNECTIONS"]).strip()
    if not connections.isdigit() or not 1 <= int(connections) <= 16:
        raise ConfigError(
            f"EQUIPLAN_SMTP_CONNECTIONS must be a whole number from 1 to 16, "
            f"not {values['SMTP_CONNECTIONS']!r}"
        )
    values["SMTP_CONNECTIONS"] = int(connections)
    if not values.get("CERTIFICATE_DIR"):
        values["CERTIFICATE_DIR"] = str(instance_path / "certificates")
    if values["DEFAULT_LOCALE"] not in SUPPORTED_LOCALES:
        raise ConfigError(
            f"EQUIPLAN_DEFAULT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)}, "
            f"not {values['DEFAULT_LOCALE']!r}"
        )

    values.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(values["SECURE_COOKIES"]),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=bool(values["SECURE_COOKIES"]),
        # "Keep me signed in" lasts two weeks, not Flask-Login's default year.
        REMEMBER_COOKIE_DURATION=timedelta(days=14),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        BOOTSTRAP_SERVE_LOCAL=True,
        BABEL_DEFAULT_LOCALE=values["DEFAULT_LOCALE"],
        BABEL_DEFAULT_TIMEZONE=values["TIMEZONE"],
        # The largest upload plus room for the other fields of its form; a bigger request is
        # refused (413) before it is read.
        MAX_CONTENT_LENGTH=(values["UPLOAD_MAX_MB"] + 1) * 1024 * 1024,
        OUTBOX_DIR=str(instance_path / "outbox"),
    )
    values.setdefault("WTF_CSRF_ENABLED", True)
    # A form's token lasts as long as a sign-in (Flask-WTF's default is an hour): a planner
    # may spend longer on a scenario form, and a refused token costs the typed input.
    values.setdefault(
        "WTF_CSRF_TIME_LIMIT", int(values["PERMANENT_SESSION_LIFETIME"].total_seconds())
    )
    values.setdefault("RATELIMIT_ENABLED", True)
    return values


def _two_delays(name: str, raw: Any) -> tuple[int, int]:
    """ "7,14" → (7, 14): the first and second escalation, the second not before the first."""
    if isinstance(raw, tuple):
        return raw
    parts = [part.strip() for part in str(raw).split(",")]
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise ConfigError(f"EQUIPLAN_{name} must be two whole numbers like '7,14', not {raw!r}")
    first, second = int(parts[0]), int(parts[1])
    if first > second:
        raise ConfigError(f"EQUIPLAN_{name}: the second delay must not be shorter than the first")
    return first, second


def _clock_time(name: str, raw: Any) -> str:
    """A local time of day as HH:MM (00:00–23:59)."""
    text = str(raw).strip()
    hours, _, minutes = text.partition(":")
    if not (
        hours.isdigit()
        and minutes.isdigit()
        and len(minutes) == 2
        and int(hours) < 24
        and int(minutes) < 60
    ):
        raise ConfigError(f"EQUIPLAN_{name} must be a time of day like '07:00', not {raw!r}")
    return f"{int(hours):02d}:{minutes}"


def _instance_secret(instance_path: Path) -> str:
    """Generate the session secret once per instance so sessions survive restarts."""
    path = instance_path / "secret_key"
    try:
        # O_EXCL: when several workers start at once, exactly one writes the key and all read
        # the same one; 0o600 from the start, never world-readable even for a moment.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
