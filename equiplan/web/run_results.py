"""Result pages of finished runs: the plan (actions per year, spend against budget,
availability against doing nothing and the greedy plan, deferred items), one item's
explanation, the plan as JSON or XLSX, runs side by side and a budget sweep's curve.

Everything is read from the run's stored result; nothing is solved or regenerated here.
"""

from __future__ import annotations

import io
import json
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from equiplan.db import get_session
from equiplan.services import optimisation_runs as runs
from equiplan.services.errors import NotFound, ValidationError
from equiplan.services.input_fields import whole_number
from equiplan.services.paging import Page as Rows
from equiplan.services.plan_charts import availability_chart, spend_chart
from equiplan.services.plan_comparison import (
    MAX_COMPARED,
    compare_chart,
    run_figures,
    sweep_chart,
    sweep_points,
)
from equiplan.services.plan_explanations import deferred_items, explain
from equiplan.services.plan_export import plan_document, plan_workbook
from equiplan.services.plan_results import (
    KIND_LABELS,
    TIMING_LABELS,
    actions_by_year,
    budget_use,
    carries_over,
    option_label,
    plan_agencies,
    solver_status_label,
    summary,
)
from equiplan.services.result_views import ResultView, result_view
from equiplan.web.chart_figures import chart_view
from equiplan.web.policy import roles
from equiplan.web.run_forms import CancelRunForm
from equiplan.web.runs import READERS, WRITERS, runs_page

bp = Blueprint("run_results", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows per table on the results page; a fleet's plan can hold thousands (the XLSX has all).
ROW_LIMIT = 200
# A sweep's page reloads itself this often while some of its runs are queued or running (a
# plain meta refresh: no script, and the points appear as the runs end).
SWEEP_REFRESH_SECONDS = 15
Page = tuple[str, int]


def _locale() -> str:
    return str(get_locale() or "lt")


@bp.app_context_processor
def _labels() -> dict[str, object]:
    return {
        "plan_kind_labels": KIND_LABELS,
        "plan_timing_labels": TIMING_LABELS,
        "solver_status_label": solver_status_label,
        "option_label": option_label,
    }


class _Rows:
    """The action and deferred-item tables of a plan, of one agency when ?agency= names one
    of the plan's agencies (anything else is said beside the tables and left out)."""

    def __init__(self, view: ResultView, *, with_deferred: bool = True) -> None:
        result = view.result
        self.agencies = view.derived("agencies", lambda: plan_agencies(result))
        self.errors: dict[str, str] = {}
        agency = request.args.get("agency", "").strip() or None
        if agency is not None and agency not in self.agencies:
            choices = ", ".join(self.agencies)[:200]
            self.errors["agency"] = _("Choose one of: %(choices)s.", choices=choices)
            agency = None
        self.agency = agency
        self.years = view.derived(("years", agency), lambda: actions_by_year(result, agency))
        self.deferred = (
            view.derived(("deferred", agency), lambda: deferred_items(result, agency))
            if with_deferred
            else []
        )


@bp.route("/runs/<int:run_id>/results")
@roles(*READERS)
def results(run_id: int) -> Page:
    """The plan of a finished run, with its charts and the deferred items; the tables of one
    agency with ?agency=."""
    session = get_session()
    run = runs.get_run(session, run_id)
    view = result_view(session, run)
    result = view.result
    rows = _Rows(view)
    return render_template(
        "planning/run_results.html",
        run=run,
        scenario=result["scenario"],
        summary=summary(result),
        years=rows.years,
        rows=rows,
        budget_rows=view.derived("budget_use", lambda: budget_use(result)),
        carry_over=carries_over(result),
        deferred=rows.deferred,
        row_limit=ROW_LIMIT,
        charts=[
            chart_view(spend_chart(result), _locale()),
            chart_view(availability_chart(result), _locale()),
        ],
    ), (400 if rows.errors else 200)


@bp.route("/runs/<int:run_id>/results/<any(actions, deferred):part>")
@roles(*READERS)
def rows_page(run_id: int, part: str) -> Page:
    """Every action of one year (?year=), or every deferred item, a page at a time, of one
    agency with ?agency=: what the results page cuts to its first rows."""
    session = get_session()
    run = runs.get_run(session, run_id)
    view = result_view(session, run)
    result = view.result
    rows = _Rows(view, with_deferred=part == "deferred")
    errors = dict(rows.errors)
    numbers: dict[str, int | None] = {}
    for name in ("year", "page"):
        try:
            numbers[name] = whole_number(request.args.get(name, ""))
        except ValueError as error:
            errors[name] = str(error)
            numbers[name] = None
    found: list[Any] = rows.deferred
    year = None
    if part == "actions":
        by_year = {y.year: y for y in rows.years}
        year = numbers["year"] if numbers["year"] in by_year else None
        if year is None:
            errors.setdefault("year", _("Choose one of the plan's years."))
            year = min(by_year)
        found = by_year[year].actions
    return render_template(
        "planning/run_rows.html",
        run=run,
        scenario=result["scenario"],
        part=part,
        year=year,
        years=[y.year for y in rows.years],
        rows=rows,
        found=Rows.of(found, numbers["page"] or 1, ROW_LIMIT),
        errors=errors,
    ), (400 if errors else 200)


# `path`: inventory numbers may hold "/" (e.g. VSAT/2019/001).
@bp.route("/runs/<int:run_id>/items/<path:item_id>")
@roles(*READERS)
def item(run_id: int, item_id: str) -> Page:
    """Why the plan treats one item as it does."""
    session = get_session()
    run = runs.get_run(session, run_id)
    result = result_view(session, run).result
    if item_id not in result["items"]:
        raise NotFound(f"item {item_id}")
    return render_template(
        "planning/run_item.html",
        run=run,
        item=result["items"][item_id],
        explanation=explain(result, item_id),
        periods=result["periods"],
    ), 200


@bp.route("/runs/<int:run_id>/plan.<any(json, xlsx):file_format>")
@roles(*READERS)
def export(run_id: int, file_format: str) -> Response:
    """The plan as equiplan-plan/1 JSON, or as an XLSX workbook for planners."""
    session = get_session()
    view = result_view(session, runs.get_run(session, run_id))
    if file_format == "json":
        content = json.dumps(plan_document(view), ensure_ascii=False, indent=2).encode()
        mimetype = "application/json"
    else:
        # The workbook's labels are in the reader's language: kept per language.
        content, mimetype = view.derived(("xlsx", _locale()), lambda: plan_workbook(view)), XLSX
    return send_file(
        io.BytesIO(content),
        mimetype=mimetype,
        as_attachment=True,
        download_name=f"plan-run-{run_id}.{file_format}",
    )


@bp.route("/runs/compare")
@roles(*READERS)
def compare() -> Page:
    """Two or more runs side by side (?ids=1&ids=2...)."""
    ids: list[int] = []
    problem = None
    for raw in request.args.getlist("ids"):
        try:
            number = whole_number(raw)
        except ValueError as error:
            problem = str(error)
            continue
        if number is not None and number not in ids:
            ids.append(number)
    if problem is None and not 2 <= len(ids) <= MAX_COMPARED:
        problem = _("Choose from 2 to %(most)d runs to compare.", most=MAX_COMPARED)
    if problem is not None:
        if request.args.get("back") == "runs":
            # Back to the list it came from, with its filters and the boxes still ticked.
            return runs_page(request.args, [problem], ids, 400)
        raise ValidationError({"ids": problem})
    found = runs.runs_by_ids(get_session(), ids)
    return render_template(
        "planning/run_compare.html",
        figures=run_figures(found),
        names=runs.scenario_names(get_session(), {run.scenario_id for run in found}),
        figure=chart_view(compare_chart(found), _locale()),
    ), 200


def _sweep_page(sweep_key: str, problems: list[str], status: int) -> Page:
    session = get_session()
    found = runs.sweep_runs(session, sweep_key[:40])
    points = sweep_points(found)
    return render_template(
        "planning/run_sweep.html",
        sweep_key=found[0].sweep_key,
        scenario=runs.get_scenario(session, found[0].scenario_id),
        points=points,
        runs=found,
        figure=chart_view(sweep_chart(points), _locale()),
        running=any(run.status in ("queued", "running") for run in found),
        sweep_refresh_seconds=SWEEP_REFRESH_SECONDS,
        cancel_form=CancelRunForm(),
        problems=problems,
    ), status


@bp.route("/runs/sweeps/<sweep_key>")
@roles(*READERS)
def sweep(sweep_key: str) -> Page:
    """A budget sweep: its runs and the curve of budget against availability."""
    return _sweep_page(sweep_key, [], 200)


@bp.route("/runs/sweeps/<sweep_key>/cancel", methods=["POST"])
@roles(*WRITERS)
def cancel_sweep(sweep_key: str) -> BaseResponse | Page:
    """Cancel every run of a budget sweep that has not ended (after a confirmation step)."""
    form = CancelRunForm()
    if not form.validate_on_submit():
        return _sweep_page(sweep_key, [_("The form has expired. Please submit it again.")], 400)
    count = runs.cancel_sweep(get_session(), sweep_key[:40])
    flash(ngettext("%(num)d run cancelled.", "%(num)d runs cancelled.", count), "success")
    return redirect(url_for("run_results.sweep", sweep_key=sweep_key[:40]))
