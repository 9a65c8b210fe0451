"""The KPI page (/kpis): the figures of the whole scope, an agency, a site, a type, a model or one
item over a window against the window before it, each with its records and its formula in
words, then the breakdown by the level's children; and its export as CSV or XLSX."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from equiplan.db import get_session
from equiplan.services.errors import ValidationError
from equiplan.services.kpi_export import export_kpis, report_json
from equiplan.services.kpi_headline import HeadlineCache, headline
from equiplan.services.kpi_query import KpiQuery, parse_kpi_query
from equiplan.services.kpis import KpiReport, KpiRow, kpi_report
from equiplan.services.scoping import scope_for
from equiplan.web.kpi_figures import breakdown_cells, breakdown_headers, figure_lines
from equiplan.web.policy import signed_in
from equiplan.web.transfer import MIMETYPES

bp = Blueprint("kpis", __name__)
HEADLINE_CACHE = "equiplan.kpi_headline"  # the app's HeadlineCache, in app.extensions


def report_for(query: KpiQuery) -> KpiReport:
    """The signed-in user's report for `query`, as of now (NotFound: a foreign or missing id)."""
    return kpi_report(
        get_session(),
        scope_for(current_user),
        query,
        datetime.now(UTC),
        timezone=current_app.config["TIMEZONE"],
    )


def headline_for() -> KpiRow:
    """The signed-in user's headline figures for the dashboard (the whole scope over the last
    12 months), reused for a few minutes per scope (services/kpi_headline.py)."""
    cache = current_app.extensions.setdefault(HEADLINE_CACHE, HeadlineCache())
    return headline(
        get_session(),
        scope_for(current_user),
        datetime.now(UTC),
        current_app.config["TIMEZONE"],
        cache,
    )


def chart_args(found: KpiReport) -> dict[str, object]:
    """The chart page's filter for the same devices, as near as it has one (it filters by
    agency, type and model; a site or an item gets its agency's charts)."""
    level, object_id = found.query.level, found.query.id
    if level == "type":
        return {"type_id": object_id}
    if level == "model":
        return {"model_id": object_id}
    if level in ("agency", "site", "item") and found.subject.agency_id is not None:
        return {"agency_id": found.subject.agency_id}
    return {}


@bp.route("/kpis")
@signed_in
def index() -> tuple[str, int]:
    """The KPI page (?level=&id=&window=&from=&to=); unusable parameters are reported by field
    and left out (400), another agency's or a missing id is a 404."""
    query, errors = parse_kpi_query(request.args)
    found = report_for(query)
    return render_template(
        "kpis/report.html",
        report=found,
        query=query,
        errors=errors,
        lines=figure_lines(found.subject),
        headers=breakdown_headers(),
        cells=breakdown_cells,
        chart_args=chart_args(found),
        all_agencies=scope_for(current_user).all_agencies,
    ), (400 if errors else 200)


@bp.route("/kpis/export.<any(csv, xlsx):file_format>")
@signed_in
def export(file_format: str) -> Response:
    """The page's figures (subject and breakdown rows, both windows) as a file, with the numbers
    of /api/v1/kpis."""
    query, errors = parse_kpi_query(request.args)
    if errors:
        raise ValidationError(errors)
    found = report_for(query)
    content = export_kpis(report_json(found), file_format, sheet_title=_("KPIs"))
    name = "-".join(
        str(part)
        for part in (
            "kpis",
            query.level,
            query.id,
            found.window.first_day.isoformat(),
            found.window.last_day.isoformat(),
        )
        if part is not None
    )
    response = send_file(
        io.BytesIO(content),
        mimetype=MIMETYPES[file_format],
        as_attachment=True,
        download_name=f"{name}.{file_format}",
    )
    response.headers["Cache-Control"] = "no-store"  # an agency's figures: no shared caches
    return response
