"""Route × role matrix rows of the chart page and of plotly.js served from the package."""

from __future__ import annotations

from equiplan.web.policy import PUBLIC
from tests.web.route_table import EVERYONE, Route

ROUTES: dict[str, Route] = {
    # Public: the sign-in page needs none of it, but a script file holds no one's data.
    "charts.plotly_js": Route("GET", lambda w: "/vendor/plotly.min.js", PUBLIC),
    "charts.index": Route(
        "GET",
        lambda w: f"/kpis/charts?agency_id={w.vsat.id}",
        EVERYONE,
        foreign_path=lambda w: f"/kpis/charts?agency_id={w.customs.id}",
    ),
}
