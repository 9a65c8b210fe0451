"""The KPI page's table as a file: the subject and its breakdown rows, each in the window and in
the previous one, with every figure as a plain number.

`report_json` is the report as plain data, the shape /api/v1/kpis returns; the file flattens
that same data, so the file and the API cannot disagree; the columns are the JSON's names (the
backlog's buckets become one column each). Text that a spreadsheet would run as a formula is
neutralised by `spreadsheet`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from equiplan.domain.kpi import BACKLOG_BUCKETS, Kpis, Window
from equiplan.services.kpis import KpiReport, KpiRow
from equiplan.services.spreadsheet import write_csv, write_xlsx

GROUP_COLUMNS = ("level", "id", "code", "name_en", "name_lt")
WINDOW_COLUMNS = ("window", "from", "to")
WINDOWS = (("current", "window"), ("previous", "previous_window"))  # figures key, window key


def figures(kpis: Kpis) -> dict[str, Any]:
    """One group's figures over one window as JSON."""
    c, mtbf = kpis.counts, kpis.mtbf
    return {
        "devices": c.items,
        "calendar_hours": c.calendar_hours,
        "downtime_hours": c.downtime_hours,
        "failures": c.failures,
        "mtbf_hours": mtbf.hours if mtbf else None,
        "mtbf_is_lower_bound": bool(mtbf and mtbf.lower_bound),
        "mttr_hours": kpis.mttr_hours,
        "availability": kpis.availability,
        "scheduled_due": c.scheduled_due,
        "scheduled_on_time": c.scheduled_on_time,
        "on_time_compliance": kpis.on_time_compliance,
        "backlog": [
            {"from_days": low, "to_days": high, "count": count}
            for (low, high), count in zip(BACKLOG_BUCKETS, c.backlog, strict=True)
        ],
        "backlog_total": kpis.backlog_total,
        "calibrations": c.calibrations,
        "calibrations_passed": c.calibrations_passed,
        "calibration_pass_rate": kpis.calibration_pass_rate,
        "drift_points": c.drift_points,
        "mean_drift_share": kpis.mean_drift_share,
        "devices_aged": c.aged_items,
        "mean_age_years": kpis.mean_age_years,
        "mean_life_used": kpis.mean_life_used,
        "past_design_life": c.past_design_life,
        "share_past_design_life": kpis.share_past_design_life,
        "cost_cents": c.cost_cents,
        "cost_per_year_cents": kpis.cost_per_year_cents,
    }


def _group(row: KpiRow) -> dict[str, Any]:
    return {
        "level": row.level,
        "id": row.id,
        "code": row.code,
        "name_en": row.name_en,
        "name_lt": row.name_lt,
        "current": figures(row.current),
        "previous": figures(row.previous),
    }


def _window(window: Window, start: Any, end: Any) -> dict[str, Any]:
    return {
        "from": window.first_day.isoformat(),
        "to": window.last_day.isoformat(),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "years": window.years,
    }


def report_json(found: KpiReport) -> dict[str, Any]:
    """The whole report as JSON (the KpiReport schema)."""
    return {
        **_group(found.subject),
        "window": _window(found.window, found.start, found.end),
        "previous_window": _window(found.previous_window, found.previous_start, found.previous_end),
        "as_of": found.as_of.isoformat(),
        "breakdowns": [
            {"level": b.level, "rows": [_group(row) for row in b.rows]} for b in found.breakdowns
        ],
    }


def backlog_column(low: int, high: int | None) -> str:
    """The column of one backlog bucket: backlog_1_30 … backlog_366_plus."""
    return f"backlog_{low}_{high}" if high is not None else f"backlog_{low}_plus"


def _figure_columns(figures: Mapping[str, Any]) -> list[str]:
    columns: list[str] = []
    for key in figures:
        if key == "backlog":
            columns += [backlog_column(low, high) for low, high in BACKLOG_BUCKETS]
        else:
            columns.append(key)
    return columns


def _figure_cells(figures: Mapping[str, Any]) -> list[Any]:
    cells: list[Any] = []
    for key, value in figures.items():
        if key == "backlog":
            cells += [bucket["count"] for bucket in value]
        else:
            cells.append(value)
    return cells


def _groups(report: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield report
    for breakdown in report["breakdowns"]:
        yield from breakdown["rows"]


def kpi_table(report: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of a report in the KpiReport JSON shape: the subject first, then
    each breakdown's rows; each group's current window, then its previous one."""
    header = [
        *GROUP_COLUMNS,
        *WINDOW_COLUMNS,
        *_figure_columns(report["current"]),
    ]
    rows: list[list[Any]] = []
    for group in _groups(report):
        for figures_key, window_key in WINDOWS:
            window = report[window_key]
            rows.append(
                [
                    *(group[column] for column in GROUP_COLUMNS),
                    figures_key,
                    window["from"],
                    window["to"],
                    *_figure_cells(group[figures_key]),
                ]
            )
    return header, rows


def export_kpis(report: Mapping[str, Any], file_format: str, sheet_title: str = "KPIs") -> bytes:
    """The report as CSV (UTF-8 with a byte-order mark) or XLSX (one sheet)."""
    header, rows = kpi_table(report)
    if file_format == "csv":
        return write_csv(header, rows)
    return write_xlsx([(sheet_title, header, rows)])
