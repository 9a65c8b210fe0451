"""What the KPI page and the dashboard show of one group's figures: each figure's value in both
windows as text, its trend against the previous window, the records it comes from, and its
formula in words (short forms of docs/formulas.md, sections 3 and 4)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import format_currency, format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from equiplan.domain.kpi import BACKLOG_BUCKETS, Kpis, Mtbf
from equiplan.services.kpis import KpiRow

HIGHER, LOWER = "higher", "lower"  # which way a figure is better (None: neither)
DASH = "—"
# Differences smaller than this are rounding, not a change.
_SAME = 1e-9
# The figures of the dashboard's headline, in its order.
HEADLINE = ("availability", "mtbf", "mttr", "compliance", "backlog", "pass_rate")


@dataclass(frozen=True)
class Trend:
    """The change from the previous window: an arrow, what it means, and its tone (for CSS)."""

    arrow: str  # ↑ ↓ =
    text: str  # better, worse, higher, lower, unchanged (translated)
    tone: str  # better, worse or neutral


@dataclass(frozen=True)
class Shown:
    """A figure as text, with a short note (e.g. "no failures", "34 of 40")."""

    text: str
    note: str = ""


@dataclass(frozen=True)
class FigureLine:
    """One figure of a group: both windows' values, the trend, its records and its formula."""

    key: str
    label: str
    current: Shown
    previous: Shown
    trend: Trend | None
    url: str
    formula: str


# --- formatting -----------------------------------------------------------------------------


def hours(value: float, digits: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return _("%(n)s h", n=format_decimal(value, format=pattern))


def share(value: float | None) -> str:
    return DASH if value is None else format_percent(value, format="#,##0.0%")


def count(value: int) -> str:
    return format_decimal(value)


def _of(part: int, whole: int) -> str:
    return _("%(part)s of %(whole)s", part=count(part), whole=count(whole)) if whole else ""


def show_mtbf(kpis: Kpis) -> Shown:
    """MTBF, honestly: with no failures a lower bound ("> N h"), never 0 or infinity."""
    found = kpis.mtbf
    if found is None:
        return Shown(DASH, _("no calendar time"))
    if found.lower_bound:
        return Shown("> " + hours(found.hours), _("no failures"))
    return Shown(hours(found.hours))


def show_mttr(kpis: Kpis) -> Shown:
    value = kpis.mttr_hours
    return Shown(DASH, _("no failures")) if value is None else Shown(hours(value, 1))


def show_availability(kpis: Kpis) -> Shown:
    return Shown(share(kpis.availability))


def show_backlog(kpis: Kpis) -> Shown:
    """The open work past due, with its age groups when there is any."""
    if not kpis.backlog_total:
        return Shown(count(0))
    parts = []
    for (low, high), number in zip(BACKLOG_BUCKETS, kpis.counts.backlog, strict=True):
        days = f"{low}–{high}" if high is not None else f"> {low - 1}"
        parts.append(_("%(days)s d: %(n)s", days=days, n=count(number)))
    return Shown(count(kpis.backlog_total), "; ".join(parts))


def show_cost(kpis: Kpis) -> Shown:
    return Shown(format_currency(kpis.cost_per_year_cents / 100, "EUR"))


def _years(value: float | None) -> str:
    return DASH if value is None else format_decimal(value, format="#,##0.0")


# --- the figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Figure:
    key: str
    label: Any  # lazy text
    value: Callable[[Kpis], float | None]  # compared for the trend
    show: Callable[[Kpis], Shown]
    better: str | None
    records: str  # key of KpiRow.links
    formula: Any  # lazy text


FIGURES: tuple[_Figure, ...] = (
    _Figure(
        "availability",
        _l("Operational availability Ao"),
        lambda k: k.availability,
        show_availability,
        HIGHER,
        "failures",
        _l("Ao = (C − D) / C: the share of the calendar time the devices were not down."),
    ),
    _Figure(
        "mtbf",
        _l("MTBF, mean time between failures"),
        lambda k: k.mtbf.hours if k.mtbf else None,
        show_mtbf,
        HIGHER,
        "failures",
        _l(
            "MTBF = (C − D) / n: operating hours per failure. With no failures it is shown as "
            "a lower bound, > C − D: the devices ran at least that long without failing."
        ),
    ),
    _Figure(
        "mttr",
        _l("MTTR, mean time to repair"),
        lambda k: k.mttr_hours,
        show_mttr,
        LOWER,
        "failures",
        _l("MTTR = D / n: hours of downtime per failure (from downtime, not labour hours)."),
    ),
    _Figure(
        "failures",
        _l("Failures n"),
        lambda k: k.counts.failures,
        lambda k: Shown(count(k.counts.failures)),
        LOWER,
        "failures",
        _l(
            "Repairs with a failure code, dated by the start of their downtime (or when they "
            "were reported), in the window."
        ),
    ),
    _Figure(
        "downtime",
        _l("Downtime D"),
        lambda k: k.counts.downtime_hours,
        lambda k: Shown(hours(k.counts.downtime_hours)),
        LOWER,
        "failures",
        _l(
            "Hours the devices were down for repair in the window; overlapping downtime "
            "counts once."
        ),
    ),
    _Figure(
        "calendar",
        _l("Calendar time C"),
        lambda k: k.counts.calendar_hours,
        lambda k: Shown(hours(k.counts.calendar_hours)),
        None,
        "items",
        _l(
            "Hours of the window for each device, from commissioning if later and to "
            "decommissioning if earlier, added up."
        ),
    ),
    _Figure(
        "devices",
        _l("Devices"),
        lambda k: k.counts.items,
        lambda k: Shown(count(k.counts.items)),
        None,
        "items",
        _l("Devices in the fleet for some of the window."),
    ),
    _Figure(
        "compliance",
        _l("On-time compliance"),
        lambda k: k.on_time_compliance,
        lambda k: Shown(
            share(k.on_time_compliance),
            _of(k.counts.scheduled_on_time, k.counts.scheduled_due),
        ),
        HIGHER,
        "compliance",
        _l(
            "The share of scheduled work due in the window that was done within its grace "
            "days either side of the due date; work still open past its grace window is late."
        ),
    ),
    _Figure(
        "backlog",
        _l("Backlog past due"),
        lambda k: k.backlog_total,
        show_backlog,
        LOWER,
        "backlog",
        _l(
            "Open work past its due date at the end of the window, by days past due: 1–30, "
            "31–90, 91–365 and more than 365."
        ),
    ),
    _Figure(
        "pass_rate",
        _l("Calibration pass rate"),
        lambda k: k.calibration_pass_rate,
        lambda k: Shown(
            share(k.calibration_pass_rate),
            _of(k.counts.calibrations_passed, k.counts.calibrations),
        ),
        HIGHER,
        "calibrations",
        _l(
            "The share of calibrations done in the window whose as-found readings were all "
            "within tolerance."
        ),
    ),
    _Figure(
        "drift",
        _l("Mean calibration drift"),
        lambda k: k.mean_drift_share,
        lambda k: Shown(share(k.mean_drift_share)),
        LOWER,
        "calibrations",
        _l(
            "The mean of |as found − previous as left| ÷ tolerance over the calibration "
            "points of the window: a quarter means a quarter of what the tolerance allows."
        ),
    ),
    _Figure(
        "age",
        _l("Mean age (years)"),
        lambda k: k.mean_age_years,
        lambda k: Shown(_years(k.mean_age_years)),
        None,
        "items",
        _l("Age on the window's last day (or today), from commissioning, in years of 365.25 days."),
    ),
    _Figure(
        "life_used",
        _l("Design life used"),
        lambda k: k.mean_life_used,
        lambda k: Shown(share(k.mean_life_used)),
        None,
        "items",
        _l("The mean of age ÷ the type's design life."),
    ),
    _Figure(
        "past_life",
        _l("Past design life"),
        lambda k: k.share_past_design_life,
        lambda k: Shown(
            share(k.share_past_design_life), _of(k.counts.past_design_life, k.counts.aged_items)
        ),
        LOWER,
        "items",
        _l("The share of devices older than their type's design life."),
    ),
    _Figure(
        "cost",
        _l("Maintenance cost per year"),
        lambda k: k.cost_per_year_cents,
        show_cost,
        None,
        "cost",
        _l(
            "Parts and external services of the work completed in the window, per year of "
            "the window (labour hours are not priced)."
        ),
    ),
)
_BY_KEY = {figure.key: figure for figure in FIGURES}


# --- trends ---------------------------------------------------------------------------------


def _trend(current: float | None, previous: float | None, better: str | None) -> Trend | None:
    if current is None or previous is None:
        return None
    if abs(current - previous) <= _SAME * max(1.0, abs(previous)):
        return Trend("=", _("unchanged"), "neutral")
    up = current > previous
    arrow = "↑" if up else "↓"
    if better is None:
        return Trend(arrow, _("higher") if up else _("lower"), "neutral")
    good = up == (better == HIGHER)
    return Trend(arrow, _("better") if good else _("worse"), "better" if good else "worse")


def mtbf_trend(current: Mtbf | None, previous: Mtbf | None) -> Trend | None:
    """MTBF's trend when a side is only a lower bound: said only when the bound decides it
    (no failures now, and the bound already above the previous MTBF, is better)."""
    if current is None or previous is None:
        return None
    if current.lower_bound == previous.lower_bound:
        return None if current.lower_bound else _trend(current.hours, previous.hours, HIGHER)
    if current.lower_bound and current.hours >= previous.hours:
        return Trend("↑", _("better"), "better")
    if previous.lower_bound and current.hours <= previous.hours:
        return Trend("↓", _("worse"), "worse")
    return None


def _line(figure: _Figure, row: KpiRow) -> FigureLine:
    if figure.key == "mtbf":
        trend = mtbf_trend(row.current.mtbf, row.previous.mtbf)
    else:
        trend = _trend(figure.value(row.current), figure.value(row.previous), figure.better)
    link = row.links[figure.records]
    return FigureLine(
        key=figure.key,
        label=str(figure.label),
        current=figure.show(row.current),
        previous=figure.show(row.previous),
        trend=trend,
        url=url_for(link.endpoint, **link.args),
        formula=str(figure.formula),
    )


def figure_lines(row: KpiRow, keys: Sequence[str] | None = None) -> list[FigureLine]:
    """The figures of `row` (all, or those of `keys` in that order), for a request."""
    chosen = FIGURES if keys is None else tuple(_BY_KEY[key] for key in keys)
    return [_line(figure, row) for figure in chosen]


# The breakdown tables' columns: a few figures per child, each as text.
BREAKDOWN_COLUMNS = ("devices", "availability", "mtbf", "mttr", "failures", "compliance")
BREAKDOWN_MORE = ("backlog", "pass_rate", "cost")


def breakdown_headers() -> list[str]:
    return [str(_BY_KEY[key].label) for key in (*BREAKDOWN_COLUMNS, *BREAKDOWN_MORE)]


def breakdown_cells(row: KpiRow) -> list[Shown]:
    """A child's figures in the current window, in the order of breakdown_headers() (the
    backlog without its age groups: the subject's line has them)."""
    cells = [_BY_KEY[key].show(row.current) for key in (*BREAKDOWN_COLUMNS, *BREAKDOWN_MORE)]
    return [
        Shown(cell.text) if key == "backlog" else cell
        for key, cell in zip((*BREAKDOWN_COLUMNS, *BREAKDOWN_MORE), cells, strict=True)
    ]
