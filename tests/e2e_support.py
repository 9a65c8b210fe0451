"""Shared state for reporting a skipped browser part in the terminal summary."""

BROWSER_SKIP: list[str] = []
