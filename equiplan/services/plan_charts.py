"""The charts of a run's results page (Plotly through web/chart_figures, each with its table):
spend against budget per year and agency, and expected availability per year against doing
nothing and the greedy plan. Read from the stored result (plan_results)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from equiplan.services.kpi_chart_data import ChartData, Column, Series


def _years(result: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(year) for year in result["periods"])


def spend_chart(result: Mapping[str, Any]) -> ChartData:
    """Spend per year stacked by agency, with the total budget as a line."""
    years = _years(result)
    series = [
        Series(code, years, tuple(values)) for code, values in result["spend_by_agency"].items()
    ]
    total_budget = result["budgets"].get("total")
    if total_budget is not None:
        series.append(
            Series(_l("Total budget"), years, tuple(total_budget), kind="line", highlight=True)
        )
    columns = (Column(_l("Year"), "text"), *(Column(s.name, "euro") for s in series))
    rows = tuple((year, *(s.y[t] for s in series)) for t, year in enumerate(years))
    return ChartData(
        key="spend",
        title=_l("Spend against budget per year"),
        x_title=_l("Year"),
        y_title=_l("Euros"),
        y_format="euro",
        series=tuple(series),
        columns=columns,
        rows=rows,
        note=_l("Bars: the plan's cost per agency (actions, upkeep and expected repairs)."),
        stacked=True,
    )


def availability_chart(result: Mapping[str, Any]) -> ChartData:
    """Mean expected availability per year: the plan, doing nothing and the greedy plan."""
    years = _years(result)
    found = result["availability"]
    labels = {"plan": _l("This plan"), "do_nothing": _l("Do nothing"), "greedy": _l("Greedy")}
    series = tuple(
        Series(labels[key], years, tuple(found[key]), kind="line", highlight=key == "plan")
        for key in ("plan", "do_nothing", "greedy")
        if found.get(key)
    )
    columns = (Column(_l("Year"), "text"), *(Column(s.name, "percent") for s in series))
    rows = tuple((year, *(s.y[t] for s in series)) for t, year in enumerate(years))
    return ChartData(
        key="availability",
        title=_l("Expected availability per year"),
        x_title=_l("Year"),
        y_title=_l("Mean expected availability"),
        y_format="percent",
        series=series,
        columns=columns,
        rows=rows,
        note=_l("The mean over the items in scope, from the reliability model."),
    )
