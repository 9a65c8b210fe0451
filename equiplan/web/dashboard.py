"""The dashboard and the agency pages."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from equiplan.db import get_session
from equiplan.services.agencies import get_agency, list_sites
from equiplan.services.clock import local_today
from equiplan.services.dashboard import agencies_with_counts, fleet_overview
from equiplan.services.scoping import scope_for
from equiplan.web.kpi_figures import HEADLINE, figure_lines
from equiplan.web.kpis import headline_for
from equiplan.web.policy import signed_in

bp = Blueprint("dashboard", __name__)


def _today() -> date:
    return local_today(current_app.config["TIMEZONE"])


@bp.route("/")
@signed_in
def index() -> str:
    scope = scope_for(current_user)
    today = _today()
    overview = fleet_overview(get_session(), scope, today)
    # The headline KPIs: the whole scope over the last 12 months against the 12 before
    # (reused for a few minutes per scope: services/kpi_headline.py).
    headline = figure_lines(headline_for(), HEADLINE) if overview.total else []
    return render_template(
        "dashboard.html",
        overview=overview,
        today=today,
        all_agencies=scope.all_agencies,
        headline=headline,
    )


@bp.route("/agencies")
@signed_in
def agencies() -> str:
    rows = agencies_with_counts(get_session(), scope_for(current_user), _today())
    return render_template("agencies/list.html", rows=rows)


@bp.route("/agencies/<int:agency_id>")
@signed_in
def agency(agency_id: int) -> str:
    session = get_session()
    scope = scope_for(current_user)
    found = get_agency(session, scope, agency_id)
    overview = fleet_overview(session, scope, _today(), agency_id=found.id)
    sites = list_sites(session, scope, agency_id=found.id)
    return render_template("agencies/detail.html", agency=found, overview=overview, sites=sites)
