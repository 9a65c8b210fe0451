"""Today's date where the centre works (due dates are local calendar days)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

# The app's default time zone (config TIMEZONE), for services called without the app's own.
DEFAULT_TIMEZONE = "Europe/Vilnius"


def local_today(timezone: str, now: datetime | None = None) -> date:
    """The calendar date in `timezone` at `now` (default: the current moment)."""
    moment = now or datetime.now(ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo(timezone)).date()
