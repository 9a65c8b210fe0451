"""A finished run's stored result as the result pages, the plan files and the API read it.

A whole fleet's plan is about 17 MB of JSON: parsing it takes most of a second, and the tables
and explanations derived from it as long again. An ended run's result never changes, so the
app keeps the last few parsed results (RESULTS_KEPT), with what the pages derived from them
(`ResultView.derived`: one agency's tables, the XLSX in one language), and paging through a
plan, opening an item or downloading the workbook reads them from memory. Kept per app (one
per process), keyed by the run's id, status and end time; a run still running is read afresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import OptimisationRun
from equiplan.services.errors import NotFound

RESULTS_KEPT = 2
ENDED = ("done", "failed", "cancelled")
_EXTENSION = "equiplan.result_views"

T = TypeVar("T")


@dataclass
class ResultView:
    """A run's id and its stored result (read-only: shared by the requests of a process)."""

    id: int
    result: Mapping[str, Any]
    _derived: dict[Hashable, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def derived(self, key: Hashable, compute: Callable[[], T]) -> T:
        """What `compute` derives from the result, computed once per view and `key`."""
        with self._lock:
            if key in self._derived:
                return self._derived[key]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            return self._derived.setdefault(key, value)  # type: ignore[no-any-return]


class _Kept:
    """The last few views, least recently used dropped first; safe across threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._views: OrderedDict[Hashable, ResultView] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> ResultView | None:
        with self._lock:
            view = self._views.get(key)
            if view is not None:
                self._views.move_to_end(key)
            return view

    def put(self, key: Hashable, view: ResultView) -> None:
        with self._lock:
            self._views[key] = view
            self._views.move_to_end(key)
            while len(self._views) > self._size:
                self._views.popitem(last=False)


def _kept() -> _Kept | None:
    if not has_app_context():
        return None
    return current_app.extensions.setdefault(_EXTENSION, _Kept(RESULTS_KEPT))  # type: ignore[no-any-return]


def result_view(session: Session, run: OptimisationRun) -> ResultView:
    """The stored result of `run` (read without its result column), or NotFound while it has
    none (queued, running, failed, cancelled before any plan)."""
    assert run.id is not None
    key = (run.id, run.status, run.finished_at)
    kept = _kept() if run.status in ENDED else None
    view = kept.get(key) if kept is not None else None
    if view is not None:
        return view
    result = session.scalar(select(OptimisationRun.result).where(OptimisationRun.id == run.id))
    if not result:
        raise NotFound(f"result of OptimisationRun {run.id}")
    view = ResultView(run.id, result)
    if kept is not None:
        kept.put(key, view)
    return view
