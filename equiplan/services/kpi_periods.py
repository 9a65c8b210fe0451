"""The two windows of a KPI report as SQL values, and the small SQL helpers the aggregate queries
share (kpi_aggregates.py and its siblings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, Float, Select, case, func, literal, select
from sqlalchemy.sql import Subquery

from equiplan.domain.kpi import Window
from equiplan.services.kpi_sql import greatest, hours_since_epoch, least


@dataclass(frozen=True)
class Period:
    """One window: its days and its moments (see domain Window.bounds), and `as_of`, the day
    its end-of-window figures (backlog, age) are counted on: its last day, or today for a
    window that has not ended yet."""

    window: Window
    start: datetime
    end: datetime
    as_of: date

    @property
    def start_h(self) -> ColumnElement[float]:
        return literal(hours_since_epoch(self.start), Float)

    @property
    def end_h(self) -> ColumnElement[float]:
        return literal(hours_since_epoch(self.end), Float)

    @property
    def first_day(self) -> ColumnElement[date]:
        return literal(self.window.first_day, Date)

    @property
    def last_day(self) -> ColumnElement[date]:
        return literal(self.window.last_day, Date)

    @property
    def as_of_day(self) -> ColumnElement[date]:
        return literal(self.as_of, Date)


@dataclass(frozen=True)
class Periods:
    current: Period
    previous: Period
    today: date
    timezone: str

    def both(self) -> tuple[tuple[str, Period], tuple[str, Period]]:
        return ("c", self.current), ("p", self.previous)


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def sum_if(condition: ColumnElement[bool], value: Any) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def grouped(items: Subquery, statement: Select[Any]) -> Select[Any]:
    return statement.group_by(items.c.k1, items.c.k2)


def tagged(items: Subquery, tag: ColumnElement[str], *columns: Any) -> Select[Any]:
    """Records that fall in one window or the other (the WHERE keeps them within both): one
    row per group and window, so each record's figures are computed once."""
    window = tag.label("w")
    return select(items.c.k1, items.c.k2, window, *columns).group_by(items.c.k1, items.c.k2, window)


def window_of(value: Any, current_start: Any) -> ColumnElement[str]:
    return case((value >= current_start, "c"), else_="p")


def in_service(items: Subquery, period: Period) -> tuple[Any, Any]:
    """The part of the window in which the device was in the fleet, in epoch hours."""
    return greatest(period.start_h, items.c.start_h), least(period.end_h, items.c.end_h)
