"""Charts: Plotly served from the installed Python package (no CDN: the app runs air-gapped),
and a page with the five KPI charts of the user's scope.

The page runs no inline script (the CSP forbids it): each figure travels as JSON in a
`<script type="application/json">` block, which is data and never executed, and
static/charts.js draws it.
"""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, send_file
from flask_babel import get_locale
from flask_login import current_user

from equiplan.db import get_session
from equiplan.services.clock import local_today
from equiplan.services.kpi_chart_data import (
    ChartClock,
    check_filter,
    filter_choices,
    parse_chart_filter,
)
from equiplan.services.kpi_charts import all_charts
from equiplan.services.scoping import scope_for
from equiplan.web.chart_figures import chart_view
from equiplan.web.policy import public, signed_in

bp = Blueprint("charts", __name__)

# The file's URL carries the version (?v=...), so browsers may keep it for a year.
VENDOR_MAX_AGE = 365 * 24 * 3600
JAVASCRIPT = "text/javascript"  # Flask adds "; charset=utf-8"


def plotly_js_path() -> Path:
    """plotly.min.js as shipped inside the installed `plotly` package."""
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


@cache
def plotly_js_version() -> str:
    """plotly.js's version, from the banner comment at the top of the file."""
    with plotly_js_path().open(encoding="utf-8") as handle:
        head = handle.read(200)
    marker = "plotly.js v"
    start = head.find(marker)
    if start < 0:
        return "unknown"
    return head[start + len(marker) :].split()[0]


# A bundle inside plotly.js (MapLibre, for map charts) adds its own <style> element at load time
# unless an element with its id already exists; the CSP refuses that element and Chromium logs
# an error. We draw no maps, so the page holds an empty element with each such id.
_BUNDLED_STYLE = re.compile(
    r'getElementById\("([\w-]+)"\)\)\{var \w+=document\.createElement\("style"\)'
)


@cache
def plotly_bundled_style_ids() -> tuple[str, ...]:
    """The ids under which plotly.js's bundled libraries insert their own <style> elements."""
    text = plotly_js_path().read_text(encoding="utf-8")
    return tuple(dict.fromkeys(_BUNDLED_STYLE.findall(text)))


@cache
def _plotly_js_gzip() -> bytes:
    # 4.8 MB of JavaScript is 1.4 MB compressed: worth it once per process.
    return gzip.compress(plotly_js_path().read_bytes(), compresslevel=6, mtime=0)


@bp.route("/vendor/plotly.min.js")
@public
def plotly_js() -> Response:
    """plotly.min.js from the installed package: compressed when the browser accepts it, and
    cacheable for a year (pages link it with the version in the query string)."""
    if "gzip" in request.accept_encodings:
        response = Response(_plotly_js_gzip(), mimetype=JAVASCRIPT)
        response.headers["Content-Encoding"] = "gzip"
        response.set_etag(f"plotly-{plotly_js_version()}-gzip")
    else:
        response = send_file(plotly_js_path(), mimetype=JAVASCRIPT, etag=False)
        response.set_etag(f"plotly-{plotly_js_version()}")
    response.headers["Vary"] = "Accept-Encoding"
    response.cache_control.public = True
    response.cache_control.max_age = VENDOR_MAX_AGE
    response.cache_control.immutable = True
    return response.make_conditional(request)


@bp.app_context_processor
def _chart_globals() -> dict[str, object]:
    return {
        "plotly_js_version": plotly_js_version,
        "plotly_bundled_style_ids": plotly_bundled_style_ids,
    }


@bp.route("/kpis/charts")
@signed_in
def index() -> tuple[str, int]:
    """The five KPI charts of the user's scope, optionally for one agency, type or model and
    split by type or by agency (?agency_id=&type_id=&model_id=&by=type|agency)."""
    chart_filter, errors = parse_chart_filter(request.args)
    session, scope = get_session(), scope_for(current_user)
    check_filter(session, scope, chart_filter)
    timezone = current_app.config["TIMEZONE"]
    now = datetime.now(UTC)
    clock = ChartClock(local_today(timezone, now), now, timezone)
    locale = str(get_locale() or "lt")
    charts = [chart_view(c, locale) for c in all_charts(session, scope, chart_filter, clock)]
    return render_template(
        "kpis/charts.html",
        charts=charts,
        chart_filter=chart_filter,
        errors=errors,
        options=filter_choices(session, scope),
        all_agencies=scope.all_agencies,
    ), (400 if errors else 200)
