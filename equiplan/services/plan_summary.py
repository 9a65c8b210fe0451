"""The small summary of a finished run, stored beside its result in `run.summary`.

A result holds the whole plan (megabytes for a national fleet); lists of runs, the compare page
and a budget sweep's curve need only a few figures per run. The runner writes both at once;
every list query defers the `result` column (LIST_OPTIONS) and reads the summary instead.
Runs that ended before the summary existed (migration 0011) get theirs computed once from
their result, the first time a list shows them (`fill_missing_summaries`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import defer
from sqlmodel import Session

from equiplan.models import OptimisationRun
from equiplan.services.plan_explanations import deferred_items
from equiplan.services.plan_results import Summary, summary

# Load runs without their result: what every list of runs uses.
LIST_OPTIONS = (defer(OptimisationRun.result),)  # type: ignore[arg-type]


@dataclass(frozen=True)
class StoredSummary:
    """The headline figures of a run, its number of deferred items and the plan's mean
    expected availability per year (the compare chart's line)."""

    figures: Summary
    deferred: int
    periods: list[int]
    availability_per_year: list[float]


def result_summary(result: Mapping[str, Any]) -> dict[str, Any]:
    """The summary stored in `run.summary` for a result (JSON; a few hundred bytes)."""
    return {
        "figures": asdict(summary(result)),
        "deferred": len(deferred_items(result)),
        "periods": list(result["periods"]),
        "availability_per_year": list(result["availability"]["plan"]),
    }


def read_summary(stored: Mapping[str, Any] | None) -> StoredSummary | None:
    """The stored summary as objects; None for a run without a result."""
    if not stored:
        return None
    return StoredSummary(
        figures=Summary(**stored["figures"]),
        deferred=int(stored["deferred"]),
        periods=[int(year) for year in stored["periods"]],
        availability_per_year=[float(v) for v in stored["availability_per_year"]],
    )


# A figure every current summary has: one stored without it is recomputed once (the
# baselines' feasibility, added after the first summaries were stored).
LATEST_FIGURE = "greedy_feasible"


def _outdated(stored: Mapping[str, Any] | None) -> bool:
    return not stored or LATEST_FIGURE not in (stored.get("figures") or {})


def fill_missing_summaries(session: Session, runs: Sequence[OptimisationRun]) -> None:
    """Store the summary of runs that have a result but none yet (ended before migration
    0011) or one without the latest figures, loading their results one at a time. Runs with
    a current summary cost nothing here."""
    candidates = [
        run.id for run in runs if _outdated(run.summary) and run.status in ("done", "cancelled")
    ]
    if not candidates:
        return
    # The ORM stores a missing result as JSON null (a run cancelled before any plan): such
    # runs never get a summary, so they are left out here, or every list would look again.
    with_result = session.scalars(
        select(OptimisationRun.id).where(
            OptimisationRun.id.in_(candidates),  # type: ignore[union-attr]
            OptimisationRun.result.is_not(None),  # type: ignore[union-attr]
            cast(OptimisationRun.result, Text) != "null",
        )
    ).all()
    by_id = {run.id: run for run in runs}
    for run_id in with_result:
        result = session.scalar(
            select(OptimisationRun.result).where(OptimisationRun.id == run_id)  # type: ignore[arg-type]
        )
        if not result:
            continue
        # Derived book-keeping: the audit trail ignores the summary field.
        by_id[run_id].summary = result_summary(result)
    session.commit()
