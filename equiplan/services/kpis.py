"""Reliability and maintenance KPIs of a scope, an agency, a site, a type, a model or one item,
over a window and the window before it, with a breakdown by the level's children.

The formulas are domain/kpi.py's (published in docs/formulas.md); the sums they need come from
SQL aggregates (kpi_aggregates.py), one query per kind of record grouped by the children, so the
cost does not grow with the number of items or work orders in Python. Agency scoping goes
through scoping.py: officers and viewers see their agency's devices only, and another agency's
agency, site or item is NotFound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, Float, String, case, func, literal, null, select
from sqlalchemy.sql import Subquery
from sqlmodel import Session

from equiplan.domain.kpi import Counts, Kpis, Window, total
from equiplan.models import Agency, Equipment, EquipmentModel, EquipmentType, Site
from equiplan.services.clock import DEFAULT_TIMEZONE, local_today
from equiplan.services.errors import NotFound
from equiplan.services.kpi_aggregates import GroupKey, grouped_counts
from equiplan.services.kpi_links import LinkWindow, RecordLink, record_links
from equiplan.services.kpi_periods import Period, Periods
from equiplan.services.kpi_query import KpiQuery
from equiplan.services.kpi_sql import install_kpi_functions, midnight_hours
from equiplan.services.scoping import Scope, get_scoped, scoped

# The child level shown under each level (an agency has two breakdowns).
CHILDREN: dict[str, tuple[str, ...]] = {
    "scope": ("agency",),
    "agency": ("site", "type"),
    "site": ("item",),
    "type": ("model",),
    "model": ("item",),
    "item": (),
}
# Far outside any window, in epoch hours: "no commissioning date" / "not decommissioned".
FAR_PAST, FAR_FUTURE = -1.0e9, 1.0e9


@dataclass(frozen=True)
class KpiRow:
    """The figures of one group (the subject, or one of its children) in both windows."""

    level: str
    id: int | None  # None: the whole scope, or the devices of an agency at no site
    code: str
    name_en: str
    name_lt: str
    current: Kpis
    previous: Kpis
    agency_id: int | None = None  # for links: the agency the group belongs to, when one
    window: LinkWindow | None = None  # for links: the current window

    @property
    def links(self) -> dict[str, RecordLink]:
        return record_links(self.level, self.id, self.agency_id, self.window)


@dataclass(frozen=True)
class Breakdown:
    level: str  # the children's level: agency, site, type, model or item
    rows: list[KpiRow]


@dataclass(frozen=True)
class KpiReport:
    """Figures of `subject` over `window` (and `previous_window`, for trend arrows), with one
    breakdown per child level; `start`/`end` are the window's moments (end: at most `as_of`)."""

    query: KpiQuery
    subject: KpiRow
    window: Window
    previous_window: Window
    start: datetime
    end: datetime
    previous_start: datetime
    previous_end: datetime
    as_of: datetime
    breakdowns: tuple[Breakdown, ...] = field(default_factory=tuple)

    @property
    def current(self) -> Kpis:
        return self.subject.current

    @property
    def previous(self) -> Kpis:
        return self.subject.previous


# --- the group's devices --------------------------------------------------------------------


def _keys(level: str) -> tuple[Any, Any]:
    """The breakdown keys (k1, k2) of a level's children."""
    return {
        "scope": (Equipment.agency_id, null()),
        "agency": (Equipment.site_id, EquipmentModel.type_id),
        "site": (Equipment.id, null()),
        "type": (Equipment.model_id, null()),
        "model": (Equipment.id, null()),
        "item": (Equipment.id, null()),
    }[level]


def _narrow(level: str, object_id: int | None) -> list[ColumnElement[bool]]:
    column = {
        "agency": Equipment.agency_id,
        "site": Equipment.site_id,
        "type": EquipmentModel.type_id,
        "model": Equipment.model_id,
        "item": Equipment.id,
    }.get(level)
    return [] if column is None else [column == object_id]


def group_items(scope: Scope, query: KpiQuery, periods: Periods) -> Subquery:
    """The devices of the group with their keys and time in the fleet (dates, epoch hours)."""
    k1, k2 = _keys(query.level)
    zone = literal(periods.timezone, String)
    started = func.coalesce(Equipment.commissioned_on, Equipment.acquired_on)
    earliest = literal(periods.previous.window.first_day, Date)
    # Only a date inside the windows needs its local midnight: the others clip to the window.
    start_h = case(
        (started > earliest, midnight_hours(started, zone)), else_=literal(FAR_PAST, Float)
    )
    end_h = case(
        (
            Equipment.decommissioned_on.is_not(None),  # type: ignore[union-attr]
            midnight_hours(Equipment.decommissioned_on, zone),
        ),
        else_=literal(FAR_FUTURE, Float),
    )
    statement = select(
        Equipment.id.label("eq"),  # type: ignore[union-attr]
        k1.label("k1"),
        k2.label("k2"),
        Equipment.model_id.label("model_id"),
        started.label("start_day"),
        Equipment.decommissioned_on.label("end_day"),  # type: ignore[attr-defined]
        start_h.label("start_h"),
        end_h.label("end_h"),
    ).select_from(Equipment)
    if query.level in ("agency", "type"):  # the type is a key or the filter
        statement = statement.join(EquipmentModel, EquipmentModel.id == Equipment.model_id)
    statement = statement.where(*_narrow(query.level, query.id))
    return scoped(statement, Equipment, scope).subquery("items")


# --- labels ---------------------------------------------------------------------------------


Label = tuple[str, str, str, int | None]  # code, name_en, name_lt, agency_id


def _labels(session: Session, level: str, ids: list[Any]) -> dict[Any, Label]:
    """Code, names and agency of each child id (None: the devices at no site)."""
    wanted = [i for i in ids if i is not None]
    found: dict[Any, Label] = {}
    if wanted and level == "agency":
        rows = session.execute(
            select(Agency.id, Agency.code, Agency.name_en, Agency.name_lt, Agency.id).where(
                Agency.id.in_(wanted)  # type: ignore[union-attr]
            )
        )
    elif wanted and level == "site":
        rows = session.execute(
            select(Site.id, Site.code, Site.name_en, Site.name_lt, Site.agency_id).where(
                Site.id.in_(wanted)  # type: ignore[union-attr]
            )
        )
    elif wanted and level == "type":
        rows = session.execute(
            select(
                EquipmentType.id,
                EquipmentType.code,
                EquipmentType.name_en,
                EquipmentType.name_lt,
                null(),
            ).where(EquipmentType.id.in_(wanted))  # type: ignore[union-attr]
        )
    elif wanted and level == "model":
        name = EquipmentModel.manufacturer + " " + EquipmentModel.name
        rows = session.execute(
            select(EquipmentModel.id, EquipmentModel.name, name, name, null()).where(
                EquipmentModel.id.in_(wanted)  # type: ignore[union-attr]
            )
        )
    elif wanted and level == "item":
        name = EquipmentModel.manufacturer + " " + EquipmentModel.name
        rows = session.execute(
            select(Equipment.id, Equipment.inventory_no, name, name, Equipment.agency_id)
            .join(EquipmentModel, EquipmentModel.id == Equipment.model_id)
            .where(Equipment.id.in_(wanted))  # type: ignore[union-attr]
        )
    else:
        rows = iter(())  # type: ignore[assignment]
    for row in rows:
        found[row[0]] = (row[1], row[2], row[3], row[4])
    return found


def _subject(session: Session, scope: Scope, query: KpiQuery) -> Label:
    """The subject's code, names and agency; NotFound when it is missing or out of scope."""
    level, object_id = query.level, query.id
    if level == "scope":
        return ("", "", "", scope.agency_id)
    assert object_id is not None  # parse_kpi_query requires an id below the scope
    lookup: dict[str, Callable[[], Any]] = {
        "agency": lambda: get_scoped(session, Agency, object_id, scope),
        "site": lambda: get_scoped(session, Site, object_id, scope),
        "item": lambda: get_scoped(session, Equipment, object_id, scope),
        "type": lambda: session.get(EquipmentType, object_id),
        "model": lambda: session.get(EquipmentModel, object_id),
    }
    if lookup[level]() is None:
        raise NotFound(f"{level} {object_id}")
    return _labels(session, level, [object_id])[object_id]


# --- the report -----------------------------------------------------------------------------


def _row(
    level: str,
    key: Any,
    label: Label,
    counts: tuple[Counts, Counts],
    years: float,
    window: LinkWindow | None,
) -> KpiRow:
    code, name_en, name_lt, agency_id = label
    return KpiRow(
        window=window,
        level=level,
        id=key,
        code=code,
        name_en=name_en,
        name_lt=name_lt,
        current=Kpis(counts[0], years),
        previous=Kpis(counts[1], years),
        agency_id=agency_id,
    )


def _roll_up(
    groups: dict[GroupKey, tuple[Counts, Counts]], position: int
) -> dict[Any, tuple[Counts, Counts]]:
    """The groups' counts added up by one part of their key (a handful of rows, not items)."""
    rolled: dict[Any, tuple[list[Counts], list[Counts]]] = {}
    for key, (current, previous) in groups.items():
        parts = rolled.setdefault(key[position], ([], []))
        parts[0].append(current)
        parts[1].append(previous)
    return {key: (total(c), total(p)) for key, (c, p) in rolled.items()}


def _breakdown(
    session: Session,
    level: str,
    rolled: dict[Any, tuple[Counts, Counts]],
    years: float,
    parent_agency: int | None,
    window: LinkWindow,
) -> Breakdown:
    labels = _labels(session, level, list(rolled))
    rows = []
    for key, counts in rolled.items():
        code, name_en, name_lt, agency_id = labels.get(key, ("", "", "", None))
        # Types and models belong to no agency: their rows link within the parent's.
        label = (code, name_en, name_lt, agency_id if agency_id is not None else parent_agency)
        rows.append(_row(level, key, label, counts, years, window))
    rows.sort(key=lambda row: (row.id is None, row.code, row.id or 0))
    return Breakdown(level, rows)


def periods_for(window: Window, now: datetime, timezone: str) -> Periods:
    """Both windows' days and moments as of `now`."""
    previous, today = window.previous(), local_today(timezone, now)
    return Periods(
        current=Period(window, *window.bounds(timezone, now), min(window.last_day, today)),
        previous=Period(previous, *previous.bounds(timezone, now), min(previous.last_day, today)),
        today=today,
        timezone=timezone,
    )


def kpi_report(
    session: Session,
    scope: Scope,
    query: KpiQuery,
    now: datetime,
    *,
    timezone: str = DEFAULT_TIMEZONE,
) -> KpiReport:
    """The KPIs of `query`'s level and id in `scope` as of `now` (see KpiReport).

    NotFound: the agency, site or item is missing or outside the scope, or the type or model
    does not exist. `timezone`: the app's TIMEZONE (windows are local calendar days)."""
    label = _subject(session, scope, query)
    window = query.window_for(local_today(timezone, now))
    periods = periods_for(window, now, timezone)
    install_kpi_functions(session)
    groups = grouped_counts(session, group_items(scope, query, periods), periods)
    years = window.years
    # The subject's agency, for links: the agency itself, or the one its site or item is in.
    agency_id = query.id if query.level == "agency" else label[3]
    linked = LinkWindow(window.first_day, window.last_day, periods.current.as_of)
    subject = _row(
        query.level, query.id, (*label[:3], agency_id), _sum(groups.values()), years, linked
    )
    breakdowns = tuple(
        _breakdown(session, child, _roll_up(groups, position), years, agency_id, linked)
        for position, child in enumerate(CHILDREN[query.level])
    )
    return KpiReport(
        query=query,
        subject=subject,
        window=window,
        previous_window=periods.previous.window,
        start=periods.current.start,
        end=periods.current.end,
        previous_start=periods.previous.start,
        previous_end=periods.previous.end,
        as_of=now,
        breakdowns=breakdowns,
    )


def _sum(pairs: Iterable[tuple[Counts, Counts]]) -> tuple[Counts, Counts]:
    """The current and previous counts of several groups, each added up."""
    both = list(pairs)
    return total([current for current, _ in both]), total([previous for _, previous in both])
