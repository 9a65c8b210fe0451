"""Budget scenarios: what a planner asks the optimiser (horizon, yearly budgets, inflation,
carry-over, scope, coverage minimums, site weights). List, read, create, change, copy, delete.

Like the other services these take plain values (JSON, or what the pages made of a form),
report every problem at once as a `ValidationError` keyed by field (`scenario_input.py`),
commit their own transaction, and turn a stale `version` into a `Conflict` without writing
anything. The audit trail records every change on its own (services/audit.py).

Scenarios span agencies: only the centre's roles reach them (the pages and the API check the
role), so there is no agency scope here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from equiplan.models import Agency, BudgetScenario, EquipmentType, OptimisationRun, Site
from equiplan.services import audit, input_fields
from equiplan.services.errors import (
    Conflict,
    NotFound,
    ValidationError,
    commit_or_conflict,
)
from equiplan.services.paging import Page, contains_text
from equiplan.services.plan_generation import GeneratedPortfolio, build_portfolio
from equiplan.services.scenario_input import EDITABLE_FIELDS, KnownCodes, parse_scenario
from equiplan.services.scoping import Scope, scoped

SORTS: dict[str, Any] = {
    "name": BudgetScenario.name,
    "first_year": BudgetScenario.first_year,
    "horizon": BudgetScenario.horizon_years,
    "created": BudgetScenario.created_at,
}
DEFAULT_SORT = "name"
# A run in these states still reads its scenario: the scenario may not go away under it.
ACTIVE_RUN_STATUSES = ("queued", "running")
# The unique constraint on the scenario's name (models' naming convention, migration 0009).
NAME_CONSTRAINT = "uq_budget_scenario_name"
LOWER_NAME_INDEX = "lower_budget_scenario_name"  # unique ignoring case (migration 0012)


def _conflict() -> Conflict:
    return Conflict(
        _l(
            "Somebody else changed this scenario while you were editing. "
            "Reload to see their changes."
        )
    )


def known_codes(session: Session) -> KnownCodes:
    """The agency, type and site codes a scenario may name."""
    everything = Scope.everything()
    agencies = session.execute(scoped(select(Agency.code), Agency, everything)).scalars()
    sites = session.execute(scoped(select(Site.code), Site, everything)).scalars()
    types = session.execute(select(EquipmentType.code)).scalars()
    return KnownCodes(frozenset(agencies), frozenset(types), frozenset(sites))


def form_choices(session: Session) -> dict[str, list[Any]]:
    """What the scenario form offers: agencies, equipment types and sites, by code."""
    everything = Scope.everything()
    return {
        "agencies": list(
            session.execute(
                scoped(select(Agency).order_by(Agency.code), Agency, everything)
            ).scalars()
        ),
        "types": list(
            session.execute(select(EquipmentType).order_by(EquipmentType.code)).scalars()
        ),
        "sites": list(
            session.execute(scoped(select(Site).order_by(Site.code), Site, everything)).scalars()
        ),
    }


# --- reads ----------------------------------------------------------------------------------


def get_scenario(session: Session, scenario_id: int) -> BudgetScenario:
    """One scenario, or NotFound."""
    scenario = session.get(BudgetScenario, scenario_id)
    if scenario is None:
        raise NotFound(f"BudgetScenario {scenario_id}")
    return scenario


def list_scenarios(
    session: Session,
    *,
    search: str = "",
    sort: str = DEFAULT_SORT,
    descending: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> Page[BudgetScenario]:
    """One page of scenarios whose name contains `search`, sorted by `sort` (see SORTS)."""
    if sort not in SORTS:
        raise ValidationError({"sort": _l("Choose one of: %(choices)s.", choices=", ".join(SORTS))})
    conditions: list[ColumnElement[bool]] = []
    if search.strip():
        conditions.append(contains_text(search.strip(), BudgetScenario.name))
    column = SORTS[sort]
    order = column.desc() if descending else column.asc()
    total = session.execute(
        select(func.count(BudgetScenario.id)).where(*conditions)  # type: ignore[arg-type]
    ).scalar_one()
    rows = session.execute(
        select(BudgetScenario)
        .where(*conditions)
        .order_by(order, BudgetScenario.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).scalars()
    return Page(items=list(rows), total=total, page=page, per_page=per_page)


def run_counts(session: Session, scenario_id: int) -> dict[str, int]:
    """How many runs of the scenario there are, by status (for the delete confirmation)."""
    rows = session.execute(
        select(OptimisationRun.status, func.count())
        .where(OptimisationRun.scenario_id == scenario_id)
        .group_by(OptimisationRun.status)
    )
    return {status: int(count) for status, count in rows}


def has_active_runs(session: Session, scenario_id: int) -> bool:
    """Whether a run of the scenario is queued or running (it reads the scenario's inputs
    when it starts: they may not change meanwhile, nor the scenario go)."""
    counts = run_counts(session, scenario_id)
    return any(counts.get(status) for status in ACTIVE_RUN_STATUSES)


# Shown on the edit form while runs are active, and as the refusal of such a change.
INPUTS_LOCKED = _l(
    "A run of this scenario is queued or running: only its name can change until it ends."
    " Copy the scenario to vary it."
)


# --- changes --------------------------------------------------------------------------------


def _name_taken(session: Session, name: str, other_than: int | None) -> bool:
    # The database's lower() on both sides, as the unique index on lower(name) compares, and
    # Python's on the new name (SQLite's lower() leaves letters beyond ASCII as they are).
    stored = func.lower(BudgetScenario.name)
    statement = select(BudgetScenario.id).where(
        or_(stored == func.lower(name), stored == name.lower())
    )
    if other_than is not None:
        statement = statement.where(BudgetScenario.id != other_than)
    return session.execute(statement.limit(1)).first() is not None


def _checked(session: Session, given: Mapping[str, Any], scenario_id: int | None) -> dict[str, Any]:
    values, errors = parse_scenario(given, known_codes(session))
    if values["name"] and _name_taken(session, values["name"], scenario_id):
        errors.add("name", _l("Another scenario has this name."))
    if errors.errors:
        raise ValidationError(errors.errors)
    return values


def _commit_named(session: Session, name: str, scenario_id: int | None) -> None:
    """Commit a scenario called `name`. Two saves of the same new name can both pass the check
    in `_checked`; the database's unique constraint stops the second, which is told like the
    check would have told it (and a stale version is a Conflict as usual)."""
    try:
        commit_or_conflict(session, _conflict)
    except IntegrityError as error:
        session.rollback()
        if _is_name_clash(error) or _name_taken(session, name, scenario_id):
            raise ValidationError({"name": _l("Another scenario has this name.")}) from None
        raise


def _is_name_clash(error: IntegrityError) -> bool:
    """Whether the unique constraint or index on the name refused the row (PostgreSQL names
    the constraint or index, SQLite the column or the index)."""
    text = str(error.orig)
    return any(name in text for name in (NAME_CONSTRAINT, LOWER_NAME_INDEX, "budget_scenario.name"))


def scenario_problems(
    session: Session, fields: Mapping[str, Any], scenario_id: int | None = None
) -> dict[str, str]:
    """What `create_scenario` (or `update_scenario` of `scenario_id`) would refuse in
    `fields`, without writing: for a form that found problems of its own first, so that the
    user sees them all at once."""
    try:
        _checked(session, fields, scenario_id)
    except ValidationError as error:
        return error.errors
    return {}


def create_scenario(
    session: Session, *, created_by_id: int | None = None, **fields: Any
) -> BudgetScenario:
    """A new scenario from `fields` (see scenario_input.EDITABLE_FIELDS; name, first year,
    horizon and the total budget are required)."""
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({name: _l("This field cannot be set here.") for name in unknown})
    scenario = BudgetScenario(created_by_id=created_by_id, **_checked(session, fields, None))
    session.add(scenario)
    _commit_named(session, scenario.name, None)
    return scenario


def _loaded(session: Session, scenario_id: int, version: Any) -> BudgetScenario:
    scenario = get_scenario(session, scenario_id)
    try:
        expected = input_fields.version_number(version)
    except ValueError as error:
        raise ValidationError({"version": error}) from None
    if scenario.version != expected:
        raise _conflict()
    return scenario


def current_fields(scenario: BudgetScenario) -> dict[str, Any]:
    """The scenario's editable fields as stored (what a change starts from)."""
    return {name: getattr(scenario, name) for name in EDITABLE_FIELDS}


def _same(name: str, stored: Any, given: Any) -> bool:
    """Whether a field keeps its value: the agencies and types in scope are a set (a form
    sends them back in its list's order)."""
    if name in ("agency_codes", "type_codes"):
        return sorted(stored or []) == sorted(given or [])
    return bool(stored == given)


def update_scenario(
    session: Session, scenario_id: int, *, version: Any, **fields: Any
) -> BudgetScenario:
    """Change the given `fields` of a scenario last read at `version`; the others keep their
    value. The whole scenario is checked again (a new horizon needs budgets to match it).
    While a run of it is queued or running only the name may change (ValidationError)."""
    scenario = _loaded(session, scenario_id, version)
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({name: _l("This field cannot be changed here.") for name in unknown})
    values = _checked(session, {**current_fields(scenario), **fields}, scenario_id)
    changed = {
        name for name, value in values.items() if not _same(name, getattr(scenario, name), value)
    }
    if changed - {"name"}:
        # A queued run reads the scenario when it starts: an edit now would change what it
        # (or the rest of a sweep) solves. The row lock makes a run queued meanwhile wait.
        session.execute(
            select(BudgetScenario.id).where(BudgetScenario.id == scenario_id).with_for_update()
        )
        if has_active_runs(session, scenario_id):
            raise ValidationError({"scenario": INPUTS_LOCKED})
    for name in changed:
        setattr(scenario, name, values[name])
    _commit_named(session, values["name"], scenario_id)
    return scenario


def _copy_name(session: Session, name: str) -> str:
    base = str(_l("%(name)s (copy)", name=name))[:190]
    candidate, number = base, 2
    while _name_taken(session, candidate, None):
        candidate, number = f"{base} {number}", number + 1
    return candidate


def copy_scenario(
    session: Session, scenario_id: int, *, name: Any = None, created_by_id: int | None = None
) -> BudgetScenario:
    """A new scenario with the same inputs, to vary them; named `name`, or "<name> (copy)"."""
    original = get_scenario(session, scenario_id)
    fields = current_fields(original)
    blank = name is None or (isinstance(name, str) and not name.strip())
    fields["name"] = _copy_name(session, original.name) if blank else name
    copy = BudgetScenario(
        created_by_id=created_by_id,
        copied_from_id=original.id,
        **_checked(session, fields, None),
    )
    session.add(copy)
    _commit_named(session, copy.name, None)
    return copy


def _active_runs_refused() -> ValidationError:
    return ValidationError(
        {"scenario": _l("A run of this scenario is queued or running: cancel it first.")}
    )


def _ids(session: Session, column: Any, condition: Any) -> list[int]:
    """The ids of the rows meeting `condition` (for statements that bypass the ORM)."""
    return [int(i) for i in session.execute(select(column).where(condition)).scalars()]


def delete_scenario(session: Session, scenario_id: int, *, version: Any) -> None:
    """Delete a scenario last read at `version`, with its finished runs; refused while a run
    of it is queued or running. Copies of it stay (they forget where they came from).

    The scenario's row is locked first (SELECT … FOR UPDATE; SQLite locks the whole database
    on write anyway), so a run queued at the same moment waits for this to end; one that
    slipped in all the same makes the foreign key refuse the deletion, which is reported as a
    ValidationError with nothing deleted.
    """
    scenario = _loaded(session, scenario_id, version)
    session.execute(
        select(BudgetScenario.id).where(BudgetScenario.id == scenario_id).with_for_update()
    )
    if has_active_runs(session, scenario_id):
        raise _active_runs_refused()
    # In one statement, with one audit event: a sweep makes dozens of runs, each holding its
    # result (megabytes), which the ORM would load only to delete them one by one.
    run_ids = _ids(session, OptimisationRun.id, OptimisationRun.scenario_id == scenario_id)
    if run_ids:
        session.execute(
            delete(OptimisationRun)
            .where(OptimisationRun.id.in_(run_ids))  # type: ignore[union-attr]
            .execution_options(synchronize_session=False)
        )
        audit.record_bulk_delete(
            session,
            OptimisationRun.__tablename__,
            sorted(run_ids),
            {"scenario_id": scenario_id},
        )
    # Copies forget where they came from without a new version: nobody changed their inputs,
    # so somebody editing a copy meanwhile must not get a conflict.
    copy_ids = _ids(session, BudgetScenario.id, BudgetScenario.copied_from_id == scenario_id)
    if copy_ids:
        session.execute(
            update(BudgetScenario)
            .where(BudgetScenario.id.in_(copy_ids))  # type: ignore[union-attr]
            .values(copied_from_id=None)
            .execution_options(synchronize_session=False)
        )
        for copy_id in copy_ids:
            audit.record_update_outside_orm(
                session,
                BudgetScenario.__tablename__,
                copy_id,
                {"copied_from_id": [scenario_id, None]},
            )
    # The models declare no relationships, so the flush order is ours to set: what refers to
    # the scenario goes first.
    session.flush()
    session.delete(scenario)
    try:
        commit_or_conflict(session, _conflict)
    except IntegrityError:
        session.rollback()
        if has_active_runs(session, scenario_id):
            raise _active_runs_refused() from None
        raise ValidationError(
            {
                "scenario": _l(
                    "The scenario was run or copied while it was being deleted; nothing was "
                    "deleted. Try again."
                )
            }
        ) from None


def scenario_portfolio(
    session: Session,
    scenario_id: int,
    *,
    today: date,
    budget_factor: float = 1.0,
    contexts: bool = True,
) -> GeneratedPortfolio:
    """The portfolio document of a scenario from today's records (ValidationError when it has
    nothing in scope); `contexts` False leaves out the per-item contexts (for a download)."""
    return build_portfolio(
        session,
        get_scenario(session, scenario_id),
        budget_factor=budget_factor,
        today=today,
        contexts=contexts,
    )
