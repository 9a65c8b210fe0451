"""Configuration: defaults, then `EQUIPLAN_*` environment variables, then explicit overrides."""

from __future__ import annotations

import os
import secrets
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
}

SUPPORTED_LOCALES = ("lt", "en")


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
    if values["DEFAULT_LOCALE"] not in SUPPORTED_LOCALES:
        raise ValueError(
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
        BOOTSTRAP_SERVE_LOCAL=True,
        BABEL_DEFAULT_LOCALE=values["DEFAULT_LOCALE"],
        BABEL_DEFAULT_TIMEZONE=values["TIMEZONE"],
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        OUTBOX_DIR=str(instance_path / "outbox"),
    )
    values.setdefault("WTF_CSRF_ENABLED", True)
    values.setdefault("RATELIMIT_ENABLED", True)
    return values


def _instance_secret(instance_path: Path) -> str:
    """Generate the session secret once per instance so sessions survive restarts."""
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
