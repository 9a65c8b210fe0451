"""Route × role matrix rows of the KPI page and its export (every signed-in role; another
agency's agency is a 404 for officers and viewers, like a missing one)."""

from __future__ import annotations

from tests.web.route_table import EVERYONE, Route

ROUTES: dict[str, Route] = {
    "kpis.index": Route(
        "GET",
        lambda w: f"/kpis?level=agency&id={w.vsat.id}",
        EVERYONE,
        foreign_path=lambda w: f"/kpis?level=agency&id={w.customs.id}",
    ),
    "kpis.export": Route(
        "GET",
        lambda w: f"/kpis/export.csv?level=item&id={w.vsat_item.id}",
        EVERYONE,
        foreign_path=lambda w: f"/kpis/export.xlsx?level=item&id={w.customs_item.id}",
    ),
}
