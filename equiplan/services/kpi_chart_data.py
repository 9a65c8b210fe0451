"""What a chart holds, and what a chart page asks for.

A `ChartData` is plain numbers with their labels: the series to draw and the same numbers as
table rows for the "show as table" view. The web layer turns it into a Plotly figure
(web/chart_figures.py); nothing here knows about Plotly or HTML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Float, String, case, func, literal, select
from sqlalchemy.sql import Subquery
from sqlmodel import Session

from equiplan.models import Agency, Equipment, EquipmentModel, EquipmentType
from equiplan.services.errors import NotFound
from equiplan.services.input_fields import whole_number
from equiplan.services.kpi_sql import midnight_hours
from equiplan.services.scoping import Scope, get_scoped, scoped

# How a number is shown in the table and on the axis.
Format = Literal["text", "int", "percent", "euro", "years", "decimal", "date"]
SeriesKind = Literal["bar", "line", "step"]
GROUPINGS = ("type", "agency")
# Outside any window, in epoch hours: "in the fleet since before the window" / "still in it".
FAR_PAST, FAR_FUTURE = -1.0e9, 1.0e9


@dataclass(frozen=True)
class Column:
    """A column of the table view: its heading and how its values are shown."""

    title: Any  # str or a lazy translation
    format: Format = "int"


@dataclass(frozen=True)
class Series:
    """One line or set of bars: x values (categories or numbers) and y values (None: no value,
    e.g. availability of a month without any item in the fleet)."""

    name: Any  # a code, or a lazy translation
    x: tuple[Any, ...]
    y: tuple[float | None, ...]
    kind: SeriesKind = "bar"
    highlight: bool = False  # the whole selection beside its parts: drawn heavier


@dataclass(frozen=True)
class Marker:
    """A labelled vertical line across the plot at position `x` of the x axis (for category
    axes, the category index; 3.5 lies between the fourth and fifth category)."""

    x: float
    label: Any


@dataclass(frozen=True)
class Fact:
    """A number shown beside the chart (e.g. the Weibull parameters and where they came from)."""

    label: Any
    value: Any
    format: Format = "text"


@dataclass(frozen=True)
class ChartData:
    """A chart's numbers: what to draw and the same numbers as a table."""

    key: str  # short and stable: the page's element ids are made from it
    title: Any
    x_title: Any
    y_title: Any
    y_format: Format
    series: tuple[Series, ...]
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: Any = ""  # what the reader must know to read it right (e.g. fitted or priors)
    stacked: bool = False
    x_is_category: bool = True
    markers: tuple[Marker, ...] = field(default=())
    facts: tuple[Fact, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.rows


@dataclass(frozen=True)
class ChartClock:
    """Today (local calendar date), now (UTC) and the time zone the calendar is kept in."""

    today: date
    now: datetime
    timezone: str


@dataclass(frozen=True)
class ChartFilter:
    """Which devices the charts are about (all of the scope, narrowed by agency, type and
    model) and how the yearly and monthly charts split them (by type or by agency)."""

    agency_id: int | None = None
    type_id: int | None = None
    model_id: int | None = None
    by: str = "type"


def parse_chart_filter(args: Mapping[str, str]) -> tuple[ChartFilter, dict[str, object]]:
    """The filter described by query-string `args`; unusable values are dropped and reported."""
    errors: dict[str, object] = {}

    def whole(name: str) -> int | None:
        try:
            return whole_number(args.get(name, ""))
        except ValueError as error:
            errors[name] = str(error)
            return None

    by = args.get("by", "").strip() or "type"
    if by not in GROUPINGS:
        errors["by"] = _l("Split the charts by type or by agency.")
        by = "type"
    found = ChartFilter(whole("agency_id"), whole("type_id"), whole("model_id"), by)
    return found, errors


def check_filter(session: Session, scope: Scope, chart_filter: ChartFilter) -> None:
    """NotFound for an agency outside the scope, or a type or model that does not exist."""
    if chart_filter.agency_id is not None:
        get_scoped(session, Agency, chart_filter.agency_id, scope)
    for model, object_id in (
        (EquipmentType, chart_filter.type_id),
        (EquipmentModel, chart_filter.model_id),
    ):
        if object_id is not None and session.get(model, object_id) is None:
            raise NotFound(f"{model.__name__} {object_id}")


@dataclass(frozen=True)
class FilterChoices:
    """What the chart page's filter form offers: the scope's agencies, every type and model."""

    agencies: list[Any]
    types: list[Any]
    models: list[Any]


def filter_choices(session: Session, scope: Scope) -> FilterChoices:
    """The agencies (of the scope), equipment types and models to filter the charts by."""
    agencies = scoped(select(Agency.id, Agency.code), Agency, scope).order_by(Agency.code)
    types = select(EquipmentType.id, EquipmentType.code).order_by(EquipmentType.code)
    models = (
        select(
            EquipmentModel.id,
            EquipmentModel.manufacturer,
            EquipmentModel.name,
            EquipmentType.code.label("type_code"),  # type: ignore[attr-defined]
        )
        .join(EquipmentType, EquipmentType.id == EquipmentModel.type_id)
        .order_by(EquipmentModel.manufacturer, EquipmentModel.name)
    )
    return FilterChoices(
        agencies=list(session.execute(agencies)),
        types=list(session.execute(types)),
        models=list(session.execute(models)),
    )


def group_column(by: str) -> Any:
    """The column that splits the devices into series: their type or their agency."""
    return EquipmentModel.type_id if by == "type" else Equipment.agency_id


def group_labels(session: Session, by: str) -> dict[int, str]:
    """Series names: the codes of the types or agencies (short, the same in both languages).
    Agencies are not scoped here: only the ids of the scope's devices are ever looked up."""
    model = EquipmentType if by == "type" else Agency
    return {row.id: row.code for row in session.execute(select(model.id, model.code))}  # type: ignore[attr-defined]


def items(
    scope: Scope,
    chart_filter: ChartFilter,
    clock: ChartClock,
    window_start: date,
    *,
    design_life: bool = False,
) -> Subquery:
    """The filtered devices of the scope with their series key `g`, type, model, time in the
    fleet (dates; and epoch hours, local midnights) and, if asked for, their type's design life
    (a join that costs time on every work order the callers join to it, hence optional).

    A device is in the fleet from commissioning (else acquisition) to decommissioning. Only a
    start inside the charted period needs its local midnight: earlier ones clip to the period.
    """
    zone = literal(clock.timezone, String)
    started = func.coalesce(Equipment.commissioned_on, Equipment.acquired_on)
    start_h = case(
        (started > literal(window_start, Date), midnight_hours(started, zone)),
        else_=literal(FAR_PAST, Float),
    )
    end_h = case(
        (
            Equipment.decommissioned_on.is_not(None),  # type: ignore[union-attr]
            midnight_hours(Equipment.decommissioned_on, zone),
        ),
        else_=literal(FAR_FUTURE, Float),
    )
    statement = (
        select(
            Equipment.id.label("eq"),  # type: ignore[union-attr]
            group_column(chart_filter.by).label("g"),
            EquipmentModel.type_id.label("type_id"),  # type: ignore[attr-defined]
            Equipment.model_id.label("model_id"),  # type: ignore[attr-defined]
            Equipment.status.label("status"),  # type: ignore[attr-defined]
            started.label("start_day"),
            Equipment.decommissioned_on.label("end_day"),  # type: ignore[attr-defined]
            start_h.label("start_h"),
            end_h.label("end_h"),
        )
        .select_from(Equipment)
        .join(EquipmentModel, EquipmentModel.id == Equipment.model_id)
    )
    if design_life:
        statement = statement.join(
            EquipmentType, EquipmentType.id == EquipmentModel.type_id
        ).add_columns(EquipmentType.design_life_years.label("design_life"))  # type: ignore[attr-defined]
    for column, value in (
        (Equipment.agency_id, chart_filter.agency_id),
        (EquipmentModel.type_id, chart_filter.type_id),
        (Equipment.model_id, chart_filter.model_id),
    ):
        if value is not None:
            statement = statement.where(column == value)
    return scoped(statement, Equipment, scope).subquery("items")


def grouped_series(
    x_values: Sequence[Any],
    values: Mapping[tuple[int, Any], float],
    labels: Mapping[int, str],
    kind: SeriesKind = "bar",
    missing: float | None = 0.0,
) -> tuple[Series, ...]:
    """One series per group key found in `values` ({(group, x): y}), named by `labels` and
    sorted by name, with `missing` where a group has no value for an x."""
    groups = sorted({group for group, _x in values}, key=lambda g: labels.get(g, str(g)))
    return tuple(
        Series(
            name=labels.get(group, str(group)),
            x=tuple(x_values),
            y=tuple(values.get((group, x), missing) for x in x_values),
            kind=kind,
        )
        for group in groups
    )


def series_table(
    x_column: Column, series: Sequence[Series], value_format: Format, total: Any = None
) -> tuple[tuple[Column, ...], tuple[tuple[Any, ...], ...]]:
    """The table view of series that share their x values: one row per x, one column per
    series, and a last column `total` (the sum across series) when a heading is given."""
    columns = [x_column, *(Column(s.name, value_format) for s in series)]
    if total is not None:
        columns.append(Column(total, value_format))
    rows = []
    for index, x in enumerate(series[0].x if series else ()):
        values = [s.y[index] for s in series]
        row: list[Any] = [x, *values]
        if total is not None:
            row.append(sum(v for v in values if v is not None))
        rows.append(tuple(row))
    return tuple(columns), tuple(rows)
