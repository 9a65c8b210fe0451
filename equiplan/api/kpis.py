"""/api/v1/kpis: the reliability and maintenance figures of the KPI pages as JSON, for the
caller's scope. Read-only and not a list, so not a `Collection`: openapi.py documents it from
the declarations here (KPI_PARAMETERS, KPI_SCHEMAS)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from equiplan.api.fields import QueryParam
from equiplan.api.requests import context
from equiplan.api.schemas import ref
from equiplan.api.views import bp
from equiplan.models import utcnow
from equiplan.services.errors import ValidationError
from equiplan.services.kpi_export import report_json
from equiplan.services.kpi_query import DEFAULT_WINDOW, LEVELS, WINDOWS, parse_kpi_query
from equiplan.services.kpis import kpi_report
from equiplan.web.policy import signed_in

KPI_PARAMETERS = (
    QueryParam(
        "level",
        "string",
        "Whose figures: the whole scope (no id), an agency, site, type, model or one item.",
        enum=LEVELS,
        default="scope",
    ),
    QueryParam("id", "integer", "The agency, site, type, model or item.", minimum=1),
    QueryParam(
        "window",
        "string",
        "The last 12 months or 3 years up to today, or custom (from, to). Dates alone imply "
        "custom; with a preset they are ignored.",
        enum=WINDOWS,
        default=DEFAULT_WINDOW,
    ),
    QueryParam("from", "string", "Custom window: the first day, YYYY-MM-DD."),
    QueryParam("to", "string", "Custom window: the last day (included), YYYY-MM-DD."),
)
KPI_DESCRIPTION = (
    "MTBF, MTTR, operational availability, failures, on-time compliance, backlog by age, "
    "calibration pass rate and drift, age against design life and maintenance cost, for the "
    "window and for the window of the same length before it, with a breakdown by the level's "
    "children (scope: agencies; agency: sites and types; type: models; model and site: items). "
    "Formulas: docs/formulas.md. Officers and viewers get their own agency's devices; another "
    "agency's agency, site or item is a 404."
)

_NUMBER_OR_NULL = {"type": ["number", "null"]}
_COUNT = {"type": "integer", "minimum": 0}
_FIGURES: dict[str, Any] = {
    "devices": {**_COUNT, "description": "Devices with calendar time in the window."},
    "calendar_hours": {"type": "number", "description": "C: from commissioning if later."},
    "downtime_hours": {"type": "number", "description": "D: overlapping downtime once."},
    "failures": {**_COUNT, "description": "n: corrective work with a failure code."},
    "mtbf_hours": {
        **_NUMBER_OR_NULL,
        "description": "(C − D) / n; with no failures C − D, a lower bound (see the flag).",
    },
    "mtbf_is_lower_bound": {"type": "boolean", "description": "No failures: MTBF > mtbf_hours."},
    "mttr_hours": {**_NUMBER_OR_NULL, "description": "D / n; null with no failures."},
    "availability": {**_NUMBER_OR_NULL, "description": "Ao = (C − D) / C, from 0 to 1."},
    "scheduled_due": {**_COUNT, "description": "Scheduled work due in the window, decided."},
    "scheduled_on_time": _COUNT,
    "on_time_compliance": _NUMBER_OR_NULL,
    "backlog": {
        "type": "array",
        "description": "Open work past its due date at the window's end, by days past due.",
        "items": ref("KpiBacklogBucket"),
    },
    "backlog_total": _COUNT,
    "calibrations": _COUNT,
    "calibrations_passed": {**_COUNT, "description": "As found within tolerance."},
    "calibration_pass_rate": _NUMBER_OR_NULL,
    "drift_points": _COUNT,
    "mean_drift_share": {
        **_NUMBER_OR_NULL,
        "description": "Mean |as found − previous as left| as a share of the tolerance.",
    },
    "devices_aged": {**_COUNT, "description": "In the fleet on the window's last day."},
    "mean_age_years": _NUMBER_OR_NULL,
    "mean_life_used": {**_NUMBER_OR_NULL, "description": "Mean of age / design life."},
    "past_design_life": _COUNT,
    "share_past_design_life": _NUMBER_OR_NULL,
    "cost_cents": {**_COUNT, "description": "Parts and external services, work completed."},
    "cost_per_year_cents": {"type": "number", "minimum": 0},
}
_WINDOW: dict[str, Any] = {
    "from": {"type": "string", "format": "date"},
    "to": {"type": "string", "format": "date"},
    "start": {"type": "string", "format": "date-time"},
    "end": {"type": "string", "format": "date-time", "description": "At most now."},
    "years": {"type": "number", "description": "For the per-year figures."},
}
_GROUP: dict[str, Any] = {
    "level": {"type": "string", "enum": list(LEVELS)},
    "id": {"type": ["integer", "null"], "description": "null: the scope, or no site."},
    "code": {"type": "string"},
    "name_en": {"type": "string"},
    "name_lt": {"type": "string"},
    "current": ref("KpiFigures"),
    "previous": ref("KpiFigures"),
}


def _closed(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


KPI_SCHEMAS: dict[str, Any] = {
    "KpiFigures": _closed(_FIGURES, "The figures of one group over one window."),
    "KpiBacklogBucket": _closed(
        {
            "from_days": {"type": "integer"},
            "to_days": {"type": ["integer", "null"], "description": "null: no upper end."},
            "count": _COUNT,
        }
    ),
    "KpiWindow": _closed(_WINDOW, "Whole local days; start and end are its moments."),
    "KpiRow": _closed(_GROUP, "One child of the subject."),
    "KpiReport": _closed(
        {
            **_GROUP,
            "window": ref("KpiWindow"),
            "previous_window": ref("KpiWindow"),
            "as_of": {"type": "string", "format": "date-time"},
            "breakdowns": {
                "type": "array",
                "items": _closed(
                    {
                        "level": {"type": "string", "enum": list(LEVELS)},
                        "rows": {"type": "array", "items": ref("KpiRow")},
                    }
                ),
            },
        },
        "The subject's figures in both windows and its breakdowns.",
    ),
}


@bp.get("/kpis")
@signed_in
def get_kpis() -> Response:
    """The KPIs of a level of the caller's scope (every role may read)."""
    known = {param.name for param in KPI_PARAMETERS}
    errors: dict[str, object] = {
        name: _("Unknown parameter.") for name in request.args if name not in known
    }
    query, problems = parse_kpi_query(request.args)
    errors.update(problems)
    if errors:
        raise ValidationError(errors)
    session, scope = context()
    found = kpi_report(session, scope, query, utcnow(), timezone=current_app.config["TIMEZONE"])
    return jsonify(report_json(found))
