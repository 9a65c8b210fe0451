"""The dashboard's headline KPIs (the whole scope over the last 12 months against the 12 before),
kept for a few minutes per scope so that loading the dashboard does not compute the national
report every time.

The figures move slowly (a year of history, compared with the year before), so a headline up
to `HEADLINE_TTL` old is shown as it was computed; the KPI page itself is always computed
afresh. One cache per app (kept in `app.extensions` by the web layer), keyed by what decides
the figures: the scope (agency, or every agency), the time zone and the local day.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from equiplan.services.clock import local_today
from equiplan.services.kpi_query import KpiQuery
from equiplan.services.kpis import KpiRow, kpi_report
from equiplan.services.scoping import Scope

HEADLINE_TTL = timedelta(minutes=5)
# Scopes are the agencies plus the whole centre: a few dozen at most.
MAX_SCOPES = 256

HeadlineKey = tuple[int | None, bool, str, str]


@dataclass
class HeadlineCache:
    """Headline figures by scope, each reused until it is `ttl` old (thread-safe)."""

    ttl: timedelta = HEADLINE_TTL
    max_entries: int = MAX_SCOPES
    _entries: OrderedDict[HeadlineKey, tuple[datetime, KpiRow]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: HeadlineKey, now: datetime, compute: Callable[[], KpiRow]) -> KpiRow:
        """The figures under `key` computed less than `ttl` before `now`, else `compute()`
        (outside the lock: two requests may both compute, neither waits for the other)."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None and timedelta(0) <= now - found[0] < self.ttl:
                self._entries.move_to_end(key)
                return found[1]
        fresh = compute()
        with self._lock:
            self._entries[key] = (now, fresh)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return fresh


def headline(
    session: Session, scope: Scope, now: datetime, timezone: str, cache: HeadlineCache
) -> KpiRow:
    """The scope's figures over the last 12 months (and the 12 before), from `cache` when
    they were computed less than its ttl ago."""
    key: HeadlineKey = (
        scope.agency_id,
        scope.all_agencies,
        timezone,
        local_today(timezone, now).isoformat(),
    )
    return cache.get(
        key,
        now,
        lambda: kpi_report(session, scope, KpiQuery(), now, timezone=timezone).subject,
    )
