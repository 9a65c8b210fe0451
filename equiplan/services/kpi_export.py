"""The KPI page's table as a file: the subject and its breakdown rows, each in the window and in
the previous one, with every figure as a plain number.

It flattens the report as /api/v1/kpis returns it (api/kpis.py `report_json`), so the file and
the API cannot disagree; the columns are the JSON's names (the backlog's buckets become one
column each). Text that a spreadsheet would run as a formula is neutralised by `spreadsheet`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from equiplan.domain.kpi import BACKLOG_BUCKETS
from equiplan.services.spreadsheet import write_csv, write_xlsx

GROUP_COLUMNS = ("level", "id", "code", "name_en", "name_lt")
WINDOW_COLUMNS = ("window", "from", "to")
WINDOWS = (("current", "window"), ("previous", "previous_window"))  # figures key, window key


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
