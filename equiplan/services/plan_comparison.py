"""Runs side by side: the compare page (two or more runs) and a budget sweep's curve of
budget against availability, from the runs' stored summaries (plan_summary: never the full
results, which the list queries do not load)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from babel.numbers import format_percent
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from equiplan.models import OptimisationRun
from equiplan.services.kpi_chart_data import ChartData, Column, Series
from equiplan.services.plan_results import Summary
from equiplan.services.plan_summary import read_summary

MAX_COMPARED = 21


@dataclass(frozen=True)
class RunFigures:
    """A run with its headline figures (None until it has a result)."""

    run: OptimisationRun
    summary: Summary | None
    deferred: int | None


def run_figures(runs: Sequence[OptimisationRun]) -> list[RunFigures]:
    """Each run's headline figures and number of deferred items."""
    found = []
    for run in runs:
        stored = read_summary(run.summary)
        if stored is not None:
            found.append(RunFigures(run, stored.figures, stored.deferred))
        else:
            found.append(RunFigures(run, None, None))
    return found


def compare_chart(runs: Sequence[OptimisationRun]) -> ChartData:
    """Mean expected availability per year of each run's plan (runs with a result)."""
    with_result = [
        (run, stored) for run in runs if (stored := read_summary(run.summary)) is not None
    ]
    years = sorted({year for _run, stored in with_result for year in stored.periods})
    labels = tuple(str(year) for year in years)
    series = []
    for run, stored in with_result:
        by_year = dict(zip(stored.periods, stored.availability_per_year, strict=True))
        name = _l("Run %(id)s", id=run.id)
        series.append(Series(name, labels, tuple(by_year.get(y) for y in years), kind="line"))
    columns = (Column(_l("Year"), "text"), *(Column(s.name, "percent") for s in series))
    rows = tuple((label, *(s.y[t] for s in series)) for t, label in enumerate(labels))
    return ChartData(
        key="compare",
        title=_l("Expected availability per year, by run"),
        x_title=_l("Year"),
        y_title=_l("Mean expected availability"),
        y_format="percent",
        series=tuple(series),
        columns=columns,
        rows=rows,
    )


@dataclass(frozen=True)
class SweepPoint:
    run_id: int
    budget_factor: float
    status: str
    total_budget: float | None
    total_spend: float | None
    availability: float | None
    objective: float | None


def sweep_points(runs: Sequence[OptimisationRun]) -> list[SweepPoint]:
    """One point per run of the sweep, by budget factor."""
    points = []
    for run in runs:
        stored = read_summary(run.summary)
        found = stored.figures if stored else None
        points.append(
            SweepPoint(
                run_id=run.id,  # type: ignore[arg-type]
                budget_factor=run.budget_factor,
                status=run.status,
                total_budget=found.total_budget if found else None,
                total_spend=found.total_spend if found else None,
                availability=found.availability_plan if found else None,
                objective=found.objective if found else None,
            )
        )
    return points


def budget_percent(factor: float) -> str:
    """A budget factor as a percent in the page's language: whole when it is, else to two
    decimals at most (a sweep of 21 points over 100-110 % has them 0.5 % apart)."""
    # The locale's own pattern ("150%", "150 %"), its decimals kept rather than rounded away.
    return format_percent(round(factor, 4), locale=get_locale(), decimal_quantization=False)


def sweep_chart(points: Sequence[SweepPoint]) -> ChartData:
    """Budget against mean expected availability over the horizon: one point per finished run."""
    done = [p for p in points if p.availability is not None]
    labels = tuple(budget_percent(p.budget_factor) for p in done)
    curve = Series(
        _l("Mean expected availability"),
        labels,
        tuple(p.availability for p in done),
        kind="line",
        highlight=True,
    )
    columns = (
        Column(_l("Budget"), "text"),
        Column(_l("Total budget"), "euro"),
        Column(_l("Total spend"), "euro"),
        Column(_l("Mean expected availability"), "percent"),
    )
    rows = tuple(
        (label, p.total_budget, p.total_spend, p.availability)
        for label, p in zip(labels, done, strict=True)
    )
    return ChartData(
        key="sweep",
        title=_l("Budget against availability"),
        x_title=_l("Budget, percent of the scenario's"),
        y_title=_l("Mean expected availability"),
        y_format="percent",
        series=(curve,),
        columns=columns,
        rows=rows,
        note=_l("Each point is one run with every budget of the scenario scaled by its factor."),
    )
