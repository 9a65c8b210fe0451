"""A ChartData as the page shows it: a Plotly figure (JSON for the page's data block, drawn by
static/charts.js) and the same numbers as a table, formatted for the reader's language.

The figure carries its title, axis titles and a text description (layout.meta) in the reader's
language; the page gives the plot `role="img"` with that description as its label, and the
table view is the accessible equivalent of the picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from flask_babel import format_currency, format_date, format_decimal, format_percent
from flask_babel import gettext as _
from markupsafe import Markup

from equiplan.services.kpi_chart_data import ChartData, Format, Series

HEIGHT = 380  # pixels; the page's CSS keeps the same room before the plot is drawn
# Decimal mark then thousands separator, as Plotly wants them.
SEPARATORS = {"lt": ", ", "en": ".,"}
# What the JSON must not contain inside a <script> element (it would end or confuse it).
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028"}


@dataclass(frozen=True)
class ChartTable:
    """The chart as text: caption (its title), the plot's label for screen readers, the note,
    the facts (label, value) and the table's headers and rows, all formatted."""

    caption: str
    label: str
    note: str
    facts: tuple[tuple[str, str], ...]
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class ChartView:
    """What the `chart` macro needs: the element id, the figure JSON and the table."""

    id: str
    figure_json: Markup
    table: ChartTable


def format_value(value: Any, value_format: Format) -> str:
    """A table cell in the reader's language; "—" for no value."""
    if value is None:
        return "—"
    if value_format == "int":
        return format_decimal(round(value))
    if value_format == "percent":
        return format_percent(value, "#,##0.0 %")
    if value_format == "euro":
        return format_currency(value, "EUR")
    if value_format in ("years", "decimal"):
        return format_decimal(value, "#,##0.00")
    if value_format == "date" and isinstance(value, date):
        return format_date(value)
    return str(value)


def describe(chart: ChartData) -> str:
    """The plot's text alternative: what it shows and where to find the numbers."""
    names = ", ".join(str(s.name) for s in chart.series)
    return _(
        "%(title)s: %(y)s against %(x)s for %(series)s. The numbers are in the table below.",
        title=str(chart.title),
        y=str(chart.y_title),
        x=str(chart.x_title),
        series=names,
    )


def _trace(series: Series, chart: ChartData) -> Any:
    name = str(series.name)
    if series.kind == "bar":
        return go.Bar(x=list(series.x), y=list(series.y), name=name)
    if series.kind == "step":
        return go.Scatter(
            x=list(series.x), y=list(series.y), name=name, mode="lines", line_shape="hv"
        )
    line = {"color": "#212529", "width": 3, "dash": "dash"} if series.highlight else None
    return go.Scatter(
        x=list(series.x),
        y=list(series.y),
        name=name,
        mode="lines+markers" if chart.x_is_category else "lines",
        connectgaps=False,
        line=line,
    )


def _y_axis(chart: ChartData) -> dict[str, Any]:
    axis: dict[str, Any] = {"title": {"text": str(chart.y_title)}, "rangemode": "tozero"}
    if chart.y_format == "percent":
        axis.update(tickformat=".0%", hoverformat=".1%")
        if not chart.x_is_category:  # a survival curve: the whole scale, 0 to 100 %
            axis.update(range=[0, 1.02])
        else:  # availability lives near the top: let the scale follow the data
            axis.pop("rangemode")
    elif chart.y_format == "euro":
        axis.update(tickformat=",.0f", hoverformat=",.2f", ticksuffix=" €")
    else:
        axis.update(tickformat=",d" if chart.y_format == "int" else ",.2f")
    return axis


def figure(chart: ChartData, locale: str) -> go.Figure:
    """The Plotly figure of `chart`, titled and described in the reader's language."""
    x_axis: dict[str, Any] = {"title": {"text": str(chart.x_title)}}
    if chart.x_is_category:
        # Years and months are names here, not numbers to be spaced (or printed as 2,025).
        x_axis["type"] = "category"
    layout: dict[str, Any] = {
        "title": {"text": str(chart.title), "x": 0, "xanchor": "left"},
        "xaxis": x_axis,
        "yaxis": _y_axis(chart),
        "height": HEIGHT,
        "margin": {"l": 64, "r": 24, "t": 56, "b": 48},
        # Shown for a single series too: its name (a type, an agency) is part of the message.
        "showlegend": True,
        "separators": SEPARATORS.get(locale, SEPARATORS["en"]),
        "template": "plotly_white",
        "hovermode": "x unified" if chart.x_is_category else "closest",
        "meta": {"description": describe(chart)},
    }
    if chart.stacked:
        layout["barmode"] = "stack"
    shapes, annotations = [], []
    for marker in chart.markers:
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": marker.x,
                "x1": marker.x,
                "y0": 0,
                "y1": 1,
                "line": {"dash": "dash", "color": "#6c757d", "width": 2},
            }
        )
        annotations.append(
            {
                "x": marker.x,
                "y": 1,
                "xref": "x",
                "yref": "paper",
                "text": str(marker.label),
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "bottom",
            }
        )
    layout.update(shapes=shapes, annotations=annotations)
    return go.Figure(data=[_trace(s, chart) for s in chart.series], layout=layout)


def figure_json(chart: ChartData, locale: str) -> Markup:
    """The figure as JSON that is safe inside `<script type="application/json">`."""
    text = pio.to_json(figure(chart, locale), validate=False, pretty=False)
    for character, escaped in _SCRIPT_ESCAPES.items():
        text = text.replace(character, escaped)
    return Markup(text)  # noqa: S704 - escaped above for a script element, not HTML text


def table(chart: ChartData) -> ChartTable:
    """The chart's numbers, formatted: the same rows as the plot draws."""
    return ChartTable(
        caption=str(chart.title),
        label=describe(chart),
        note=str(chart.note),
        facts=tuple((str(f.label), format_value(f.value, f.format)) for f in chart.facts),
        headers=tuple(str(c.title) for c in chart.columns),
        rows=tuple(
            tuple(
                format_value(value, column.format)
                for value, column in zip(row, chart.columns, strict=True)
            )
            for row in chart.rows
        ),
    )


def chart_view(chart: ChartData, locale: str, prefix: str = "chart") -> ChartView:
    """Everything the `chart` macro draws for one chart; element ids are `prefix-key`."""
    return ChartView(
        id=f"{prefix}-{chart.key}",
        figure_json=figure_json(chart, locale) if not chart.empty else Markup(""),
        table=table(chart),
    )
