"""Scenario pages (planning): the list, a scenario's page, the form to create or change one,
copy, delete with confirmation, and the download of its portfolio file.

The centre's roles read them; planners and administrators write. Officers and viewers are
refused (plans span agencies). Bad input re-renders the form with a 400 and each message beside
its input; a stale `version` re-renders it with the user's input and a 409. Nothing is written
in any failing case.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField

from equiplan.db import get_session
from equiplan.domain.planning import DEFAULT_MIN_AVAILABILITY_SHARE
from equiplan.domain.roles import CENTRE_ROLES, Role
from equiplan.models import BudgetScenario
from equiplan.services import scenarios as service
from equiplan.services.clock import local_today
from equiplan.services.errors import Conflict, ValidationError
from equiplan.services.paging import page_or_last
from equiplan.web.policy import roles
from equiplan.web.portfolio_files import portfolio_download
from equiplan.web.scenario_forms import (
    NEW_DEFAULTS,
    ScenarioForm,
    budget_texts,
    filled_form,
    placed_errors,
    scenario_values,
)

bp = Blueprint("scenarios", __name__)

READERS = tuple(CENTRE_ROLES)
WRITERS = (Role.PLANNER, Role.ADMIN)
PER_PAGE = 25
MAX_PAGE = 100_000
Page = tuple[str, int]


class CopyForm(FlaskForm):
    name = StringField(render_kw={"maxlength": 200})


class DeleteForm(FlaskForm):
    version = HiddenField()


def _csrf_problems(form: FlaskForm) -> list[str]:
    if form.csrf_token.errors:
        return [_("The form has expired. Please submit it again.")]
    return []


@bp.route("/scenarios")
@roles(*READERS)
def index() -> str:
    """All scenarios, searchable, sortable by name, first year, horizon or creation, paged."""
    search = request.args.get("search", "").strip()[:100]
    sort = request.args.get("sort", service.DEFAULT_SORT)
    sort = sort if sort in service.SORTS else service.DEFAULT_SORT
    descending = request.args.get("desc") == "1"
    try:
        # Huge page numbers are cut before they reach the database (an offset overflow).
        page = min(max(int(request.args.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        page = 1
    found = page_or_last(
        partial(
            service.list_scenarios,
            get_session(),
            search=search,
            sort=sort,
            descending=descending,
            per_page=PER_PAGE,
        ),
        page,
    )
    return render_template(
        "planning/scenario_list.html",
        found=found,
        search=search,
        sort=sort,
        descending=descending,
    )


def _detail_page(
    scenario: BudgetScenario,
    problems: list[str],
    status: int,
    copy_form: CopyForm | None = None,
    copy_error: str | None = None,
) -> Page:
    return render_template(
        "planning/scenario_detail.html",
        scenario=scenario,
        problems=problems,
        copy_form=copy_form or CopyForm(formdata=None),
        copy_error=copy_error,
        default_share=DEFAULT_MIN_AVAILABILITY_SHARE,
        copied_from=(
            get_session().get(BudgetScenario, scenario.copied_from_id)
            if scenario.copied_from_id
            else None
        ),
    ), status


@bp.route("/scenarios/<int:scenario_id>")
@roles(*READERS)
def detail(scenario_id: int) -> Page:
    """A scenario: its inputs, budgets per year, scope, minimums and weights; the actions."""
    return _detail_page(service.get_scenario(get_session(), scenario_id), [], 200)


def _render_form(
    form: ScenarioForm,
    scenario: BudgetScenario | None,
    budgets: dict[str, str],
    budget_errors: dict[str, str],
    problems: list[str],
    status: int,
) -> Page:
    return render_template(
        "planning/scenario_form.html",
        form=form,
        scenario=scenario,
        budgets=budgets,
        budget_errors=budget_errors,
        problems=problems,
        agencies=service.form_choices(get_session())["agencies"],
        default_share=DEFAULT_MIN_AVAILABILITY_SHARE,
        inputs_locked=(
            service.INPUTS_LOCKED
            if scenario is not None and service.has_active_runs(get_session(), scenario.id)
            else None
        ),
    ), status


def _save(form: ScenarioForm, scenario: BudgetScenario | None) -> Any:
    """Create or change from the posted form; a tuple (page, status) when it cannot."""
    session = get_session()
    choices = service.form_choices(session)
    rows = budget_texts(request.form, [a.code for a in choices["agencies"]])
    if not form.validate_on_submit():
        return _render_form(form, scenario, rows, {}, _csrf_problems(form), 400)
    values, errors = scenario_values(form, rows)
    try:
        if errors:
            # Tell everything at once: what the service would say too, then the form's own.
            scenario_id = scenario.id if scenario else None
            raise ValidationError(
                {**service.scenario_problems(session, values, scenario_id), **errors}
            )
        if scenario is None:
            return service.create_scenario(session, created_by_id=current_user.id, **values)
        return service.update_scenario(session, scenario.id, version=form.version.data, **values)
    except ValidationError as error:
        session.rollback()
        budget_errors, problems = placed_errors(form, error.errors)
        return _render_form(form, scenario, rows, budget_errors, problems, 400)
    except Conflict:
        session.rollback()
        message = _(
            "Somebody else changed this scenario while you were editing. "
            "Reload to see their changes; your input is kept below."
        )
        return _render_form(form, scenario, rows, {}, [message], 409)


@bp.route("/scenarios/new", methods=["GET", "POST"])
@roles(*WRITERS)
def new() -> Response | Page:
    """Create a scenario: horizon, budgets, inflation, scope, minimums, weights."""
    form = ScenarioForm() if request.method == "POST" else ScenarioForm(formdata=None)
    form.offer(service.form_choices(get_session()))
    if request.method == "GET":
        form.first_year.data = str(local_today(current_app.config["TIMEZONE"]).year + 1)
        for name, value in NEW_DEFAULTS.items():
            form[name].data = value
        return _render_form(form, None, {}, {}, [], 200)
    saved = _save(form, None)
    if isinstance(saved, tuple):
        return saved
    flash(_("Scenario created."), "success")
    return redirect(url_for("scenarios.detail", scenario_id=saved.id))


@bp.route("/scenarios/<int:scenario_id>/edit", methods=["GET", "POST"])
@roles(*WRITERS)
def edit(scenario_id: int) -> Response | Page:
    """Change a scenario last read at the version the form carries."""
    scenario = service.get_scenario(get_session(), scenario_id)
    if request.method == "GET":
        form, budgets = filled_form(scenario)
        form.offer(service.form_choices(get_session()))
        return _render_form(form, scenario, budgets, {}, [], 200)
    form = ScenarioForm()
    form.offer(service.form_choices(get_session()))
    saved = _save(form, scenario)
    if isinstance(saved, tuple):
        return saved
    flash(_("Scenario saved."), "success")
    return redirect(url_for("scenarios.detail", scenario_id=scenario_id))


@bp.route("/scenarios/<int:scenario_id>/copy", methods=["POST"])
@roles(*WRITERS)
def copy(scenario_id: int) -> Response | Page:
    """Copy a scenario to vary it; then edit the copy."""
    session = get_session()
    scenario = service.get_scenario(session, scenario_id)
    form = CopyForm()
    if not form.validate_on_submit():
        return _detail_page(scenario, _csrf_problems(form), 400)
    try:
        copied = service.copy_scenario(
            session, scenario_id, name=form.name.data, created_by_id=current_user.id
        )
    except ValidationError as error:
        session.rollback()
        # Beside the name, which stays as typed (the only input of the copy form).
        return _detail_page(
            scenario, [], 400, copy_form=form, copy_error="; ".join(map(str, error.errors.values()))
        )
    flash(_("Scenario copied: change what should differ."), "success")
    return redirect(url_for("scenarios.edit", scenario_id=copied.id))


@bp.route("/scenarios/<int:scenario_id>/delete", methods=["GET", "POST"])
@roles(*WRITERS)
def delete(scenario_id: int) -> Response | Page:
    """Ask, then delete a scenario with its finished runs."""
    session = get_session()
    scenario = service.get_scenario(session, scenario_id)
    form = DeleteForm() if request.method == "POST" else DeleteForm(formdata=None)
    problems: list[str] = []
    status = 200
    if request.method == "GET":
        form.version.data = str(scenario.version)
    elif not form.validate_on_submit():
        problems, status = _csrf_problems(form), 400
    else:
        try:
            service.delete_scenario(session, scenario_id, version=form.version.data)
        except ValidationError as error:
            session.rollback()
            problems, status = list(error.errors.values()), 400
        except Conflict:
            session.rollback()
            problems = [
                _("Somebody changed this scenario since you opened this page; nothing was deleted.")
            ]
            status = 409
            form.version.data = str(service.get_scenario(session, scenario_id).version)
        else:
            flash(_("Scenario deleted."), "success")
            return redirect(url_for("scenarios.index"))
    return render_template(
        "planning/scenario_delete.html",
        scenario=scenario,
        form=form,
        runs=(runs := service.run_counts(session, scenario_id)),
        active=any(runs.get(status) for status in service.ACTIVE_RUN_STATUSES),
        problems=problems,
    ), status


def _file_name(scenario: BudgetScenario) -> str:
    # Only letters, digits and dashes in a file name: the name is typed by people.
    slug = re.sub(r"[^A-Za-z0-9]+", "-", scenario.name).strip("-")[:60] or "scenario"
    return f"portfolio-{scenario.id}-{slug}.json"


@bp.route("/scenarios/<int:scenario_id>/portfolio.json")
@roles(*READERS)
def portfolio(scenario_id: int) -> Response | Page:
    """The scenario's portfolio file (equiplan-portfolio/1) from today's records, to download."""
    session = get_session()
    scenario = service.get_scenario(session, scenario_id)
    try:
        return portfolio_download(
            lambda: service.scenario_portfolio(
                session,
                scenario_id,
                today=local_today(current_app.config["TIMEZONE"]),
                contexts=False,
            ),
            _file_name(scenario),
        )
    except ValidationError as error:
        return _detail_page(scenario, list(error.errors.values()), 400)
