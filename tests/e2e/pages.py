"""Shared steps of the browser tests: a fresh browser profile that records every problem,
and signing in through the real form."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

DEMO_PASSWORD = "equiplan-demo"


def new_page(
    browser: Any,
    problems: list[str],
    locale: str = "lt-LT",
    storage_state: dict[str, Any] | None = None,
) -> Any:
    """A fresh browser profile (no cookies, or those of `storage_state`) that appends console
    errors, uncaught exceptions and HTTP answers >= 400 to `problems`."""
    context = browser.new_context(
        locale=locale, viewport={"width": 1280, "height": 900}, storage_state=storage_state
    )
    context.set_default_timeout(10_000)
    page = context.new_page()

    def on_console(message: Any) -> None:
        if message.type == "error":
            problems.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on(
        "response",
        lambda r: problems.append(f"HTTP {r.status} for {r.url}") if r.status >= 400 else None,
    )
    return page


def sign_in(page: Any, base_url: str, email: str) -> None:
    """Sign in with a demo account through the login form."""
    page.goto(f"{base_url}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base_url}/")


def signed_in_state(browser: Any, base_url: str, email: str) -> dict[str, Any]:
    """The cookies of one sign-in through the login form, for several browser profiles to
    share: the form lets an account try only a few times a minute (LOGIN_LIMIT_PER_ACCOUNT)."""
    context = browser.new_context()
    try:
        sign_in(context.new_page(), base_url, email)
        return dict(context.storage_state())
    finally:
        context.close()


def query_one(database: Path, sql: str, *params: Any) -> Any:
    """One row straight from the live server's SQLite database (read-only)."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        return connection.execute(sql, params).fetchone()
