"""Route × role matrix rows of /api/v1/kpis (the KPI pages keep their own rows)."""

from __future__ import annotations

from tests.web.route_table import EVERYONE, Route

ROUTES: dict[str, Route] = {
    "api.get_kpis": Route(
        "GET",
        lambda w: f"/api/v1/kpis?level=agency&id={w.vsat.id}",
        EVERYONE,
        # Another agency's figures are a 404 for officers and viewers, like a missing agency.
        foreign_path=lambda w: f"/api/v1/kpis?level=agency&id={w.customs.id}",
    ),
}
