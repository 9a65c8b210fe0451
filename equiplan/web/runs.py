"""Run pages: start a run or a budget sweep of a scenario, watch a run's progress, cancel it,
list the runs.

A request only queues the run; the scheduler process executes it (never a web request). The
run page polls GET /api/v1/runs/<id> about once a second (static/run_progress.js) and shows
the share of the time limit used, the best plan's value so far, the proven bound and the gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from equiplan.db import get_session
from equiplan.domain.roles import CENTRE_ROLES, Role
from equiplan.models import BudgetScenario, OptimisationRun
from equiplan.models.planning import RUN_STATUSES
from equiplan.services import optimisation_runs as service
from equiplan.services.errors import Conflict, ValidationError
from equiplan.services.input_fields import whole_number
from equiplan.services.paging import page_or_last
from equiplan.services.run_errors import error_text
from equiplan.web.policy import roles
from equiplan.web.run_forms import (
    CancelRunForm,
    RunForm,
    SweepForm,
    new_run_form,
    new_sweep_form,
)

bp = Blueprint("runs", __name__)

# Planners and administrators run the optimiser; the other NSSC roles read the results.
WRITERS = (Role.ADMIN, Role.PLANNER)
READERS = tuple(CENTRE_ROLES)
RECENT_RUNS = 10
Page = tuple[str, int]


def _expired(form: Any) -> list[str]:
    # Only the CSRF token can fail Flask-WTF's own validation here (the fields are text).
    if form.csrf_token.errors:
        return [_("The form has expired. Please submit it again.")]
    return []


@bp.app_context_processor
def _run_panel() -> dict[str, object]:
    def run_error(run: OptimisationRun) -> str:
        """Why the run failed, in the reader's language."""
        return error_text(run.error_code, run.error_params, run.error)

    def scenario_runs_panel(scenario: BudgetScenario) -> dict[str, object]:
        """The run forms and the scenario's latest runs, for planning/_scenario_runs.html."""
        assert scenario.id is not None
        latest = service.list_runs(get_session(), scenario_id=scenario.id, per_page=RECENT_RUNS)
        return {
            "run_form": new_run_form(),
            "sweep_form": new_sweep_form(),
            "runs": latest.items,
            "total": latest.total,
        }

    return {"scenario_runs_panel": scenario_runs_panel, "run_error": run_error}


def _render_new(
    scenario: BudgetScenario,
    run_form: RunForm,
    sweep_form: SweepForm,
    problems: list[str],
    status: int,
) -> Page:
    return render_template(
        "planning/run_new.html",
        scenario=scenario,
        run_form=run_form,
        sweep_form=sweep_form,
        problems=problems,
    ), status


@bp.route("/scenarios/<int:scenario_id>/runs/new", methods=["GET", "POST"])
@roles(*WRITERS)
def new(scenario_id: int) -> Response | Page:
    """Queue one run of the scenario (time limit, workers, seed)."""
    session = get_session()
    scenario = service.get_scenario(session, scenario_id)
    if request.method == "GET":
        return _render_new(scenario, new_run_form(), new_sweep_form(), [], 200)
    form = RunForm()
    if not form.validate_on_submit():
        return _render_new(scenario, form, new_sweep_form(), _expired(form), 400)
    try:
        run = service.queue_run(
            session, scenario_id, requested_by_id=current_user.id, **form.values()
        )
    except ValidationError as error:
        session.rollback()
        return _render_new(scenario, form, new_sweep_form(), form.show_errors(error.errors), 400)
    flash(_("Run %(id)s queued; it starts within seconds.", id=run.id), "success")
    return redirect(url_for("runs.detail", run_id=run.id))


@bp.route("/scenarios/<int:scenario_id>/sweeps/new", methods=["POST"])
@roles(*WRITERS)
def new_sweep(scenario_id: int) -> Response | Page:
    """Queue a budget sweep: one run per budget level (e.g. 50 % to 150 % in 11 steps)."""
    session = get_session()
    scenario = service.get_scenario(session, scenario_id)
    form = SweepForm()
    if not form.validate_on_submit():
        return _render_new(scenario, new_run_form(), form, _expired(form), 400)
    try:
        runs = service.queue_sweep(
            session, scenario_id, requested_by_id=current_user.id, **form.values()
        )
    except ValidationError as error:
        session.rollback()
        return _render_new(scenario, new_run_form(), form, form.show_errors(error.errors), 400)
    count = len(runs)
    flash(ngettext("%(num)d run queued.", "%(num)d runs queued.", count), "success")
    return redirect(url_for("run_results.sweep", sweep_key=runs[0].sweep_key))


@bp.route("/runs")
@roles(*READERS)
def index() -> Page:
    """Every run, newest first; filtered by scenario and status, sortable, paged."""
    return runs_page(request.args, [], [], 200)


def runs_page(
    args: Mapping[str, str], compare_problems: list[str], chosen: list[int], status: int
) -> Page:
    """The list of runs for these query arguments; a filter that cannot be read is left out
    and said beside the list. Also the page a refused comparison comes back to, with what
    was ticked (`chosen`) and why it was refused."""
    errors: dict[str, str] = {}

    def number(name: str) -> int | None:
        try:
            return whole_number(args.get(name, ""))
        except ValueError as error:
            errors[name] = str(error)  # that filter is left out; the list still shows
            return None

    def choice(name: str, choices: Iterable[str]) -> str | None:
        value = args.get(name, "").strip()
        if value and value not in choices:
            errors[name] = _("Choose one of: %(choices)s.", choices=", ".join(choices))
            return None
        return value or None

    scenario_id, page = number("scenario_id"), number("page") or 1
    run_status = choice("status", RUN_STATUSES)
    sort = choice("sort", service.RUN_SORTS) or service.DEFAULT_RUN_SORT
    descending = args.get("desc", "1" if sort == service.DEFAULT_RUN_SORT else "") == "1"
    session = get_session()
    found = page_or_last(
        partial(
            service.list_runs,
            session,
            scenario_id=scenario_id,
            status=run_status,
            sort=sort,
            descending=descending,
            per_page=50,
        ),
        page,
    )
    scenarios = service.scenario_choices(session)
    return render_template(
        "planning/run_list.html",
        runs=found,
        names=dict(scenarios),
        scenarios=scenarios,
        scenario_id=scenario_id,
        status_filter=run_status,
        statuses=RUN_STATUSES,
        sort=sort,
        descending=descending,
        errors=errors,
        compare_problems=compare_problems,
        chosen=chosen,
    ), (400 if errors else status)


def _detail_page(run: OptimisationRun, problems: list[str], status: int) -> Page:
    session = get_session()
    scenario = service.get_scenario(session, run.scenario_id)
    return render_template(
        "planning/run_detail.html",
        run=run,
        scenario=scenario,
        cancel_form=CancelRunForm(),
        problems=problems,
    ), status


@bp.route("/runs/<int:run_id>")
@roles(*READERS)
def detail(run_id: int) -> Page:
    """A run's status: a live progress bar while it runs, the outcome once it has ended."""
    return _detail_page(service.get_run(get_session(), run_id), [], 200)


@bp.route("/runs/<int:run_id>/cancel", methods=["POST"])
@roles(*WRITERS)
def cancel(run_id: int) -> Response | Page:
    """Cancel a run: a queued one at once, a running one at the solver's next check."""
    session = get_session()
    form = CancelRunForm()
    if not form.validate_on_submit():
        return _detail_page(service.get_run(session, run_id), _expired(form), 400)
    try:
        # Reads the row afresh and locks it: the scheduler may have claimed it meanwhile.
        run = service.request_cancel(session, run_id)
    except Conflict as error:
        return _detail_page(service.get_run(session, run_id), [str(error)], 409)
    if run.status == "cancelled":
        flash(_("Run cancelled."), "success")
    else:
        flash(_("Cancelling: the solver stops at its next check and keeps its best plan."), "info")
    return redirect(url_for("runs.detail", run_id=run_id))
