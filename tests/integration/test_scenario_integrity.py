"""Review fixes of the scenario service, on both backends: deleting a scenario keeps the runs'
results out of the audit trail, a name taken between the check and the insert is a field
error (not a 500), a run that appears while a scenario is deleted is refused cleanly, the
inputs of a scenario with a queued or running run cannot change, the delete locks the scenario
first, and control characters are refused in text."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlmodel import Session

from equiplan.models import AuditEvent, BudgetScenario, OptimisationRun
from equiplan.services import optimisation_runs, scenarios
from equiplan.services.errors import ValidationError
from tests.factories import make_agency


def _fields(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Integrity",
        "first_year": 2027,
        "horizon_years": 2,
        "budgets": {"total": [100, 100]},
        **changes,
    }


@contextmanager
def _before_flush(session: Session, act: Callable[[Session], None]) -> Iterator[None]:
    """Run `act` once, just before `session`'s next flush that it cares about: what another
    transaction might have written between the service's check and its write."""

    def listener(flushing: Any, _context: Any, _instances: Any) -> None:
        act(flushing)

    event.listen(session, "before_flush", listener)
    try:
        yield
    finally:
        event.remove(session, "before_flush", listener)


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    """The SQL statements the session's engine runs inside the block, whitespace collapsed."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    engine = session.connection().engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def _insert_rival_named(name: str) -> Callable[[Session], None]:
    done: list[bool] = []

    def act(flushing: Session) -> None:
        if done or not any(isinstance(o, BudgetScenario) for o in [*flushing.new, *flushing.dirty]):
            return
        done.append(True)
        with Session(bind=flushing.connection(), join_transaction_mode="rollback_only") as other:
            other.add(BudgetScenario(**_fields(name=name)))
            other.flush()

    return act


def test_a_name_taken_meanwhile_is_a_field_error_on_create(session: Session) -> None:
    with _before_flush(session, _insert_rival_named("Race")), pytest.raises(ValidationError) as e:
        scenarios.create_scenario(session, **_fields(name="Race"))
    assert e.value.errors == {"name": "Another scenario has this name."}


def test_a_name_taken_meanwhile_in_another_case_is_a_field_error_too(session: Session) -> None:
    # Unique ignoring case in the database as well (migration 0012's index on lower(name)).
    with _before_flush(session, _insert_rival_named("race")), pytest.raises(ValidationError) as e:
        scenarios.create_scenario(session, **_fields(name="RACE"))
    assert e.value.errors == {"name": "Another scenario has this name."}


def test_a_name_taken_meanwhile_is_a_field_error_on_copy_and_update(session: Session) -> None:
    original = scenarios.create_scenario(session, **_fields())
    with (
        _before_flush(session, _insert_rival_named("Copy race")),
        pytest.raises(ValidationError) as e,
    ):
        scenarios.copy_scenario(session, original.id, name="Copy race")
    assert "name" in e.value.errors
    with (
        _before_flush(session, _insert_rival_named("Renamed")),
        pytest.raises(ValidationError) as e,
    ):
        scenarios.update_scenario(session, original.id, version=1, name="Renamed")
    assert "name" in e.value.errors
    session.expire_all()
    assert session.get_one(BudgetScenario, original.id).name == "Integrity"


def test_a_run_queued_while_deleting_is_refused_cleanly(session: Session) -> None:
    scenario = scenarios.create_scenario(session, **_fields())

    def queue_run(flushing: Session) -> None:
        if any(isinstance(o, BudgetScenario) for o in flushing.deleted):
            with Session(
                bind=flushing.connection(), join_transaction_mode="rollback_only"
            ) as other:
                other.add(OptimisationRun(scenario_id=scenario.id, status="queued"))
                other.flush()

    with _before_flush(session, queue_run), pytest.raises(ValidationError) as raised:
        scenarios.delete_scenario(session, scenario.id, version=1)
    assert "scenario" in raised.value.errors
    session.expire_all()
    assert session.get(BudgetScenario, scenario.id) is not None


@pytest.mark.parametrize("status", ["queued", "running"])
def test_inputs_cannot_change_while_a_run_waits_for_them_but_the_name_can(
    session: Session, status: str
) -> None:
    # A queued run (or the rest of a sweep) reads the scenario when it starts.
    scenario = scenarios.create_scenario(session, **_fields())
    session.add(OptimisationRun(scenario_id=scenario.id, status=status))
    session.commit()
    with pytest.raises(ValidationError) as raised:
        scenarios.update_scenario(
            session, scenario.id, version=1, budgets={"total": [1, 1]}, name="Changed"
        )
    assert raised.value.errors == {
        "scenario": "A run of this scenario is queued or running: only its name can change"
        " until it ends. Copy the scenario to vary it."
    }
    session.expire_all()
    stored = session.get_one(BudgetScenario, scenario.id)
    assert (stored.name, stored.budgets, stored.version) == ("Integrity", {"total": [100, 100]}, 1)
    renamed = scenarios.update_scenario(session, scenario.id, version=1, name="Renamed")
    assert (renamed.name, renamed.version) == ("Renamed", 2)
    run = session.scalars(select(OptimisationRun)).one()
    run.status = "done"
    session.commit()
    changed = scenarios.update_scenario(session, scenario.id, version=2, budgets={"total": [1, 1]})
    assert changed.budgets == {"total": [1, 1]}


def test_deleting_keeps_the_run_results_out_of_the_audit_trail(session: Session) -> None:
    scenario = scenarios.create_scenario(session, **_fields())
    big = {"choices": {f"ITEM-{n:05d}": "replace@2027" for n in range(2000)}}
    runs = [OptimisationRun(scenario_id=scenario.id, status="done") for _ in range(3)]
    session.add_all(runs)
    session.commit()
    for run in runs:
        run.result = big  # what the worker writes when a run ends
    session.commit()
    scenarios.delete_scenario(session, scenario.id, version=1)
    events = list(
        session.execute(
            select(AuditEvent).where(AuditEvent.entity == OptimisationRun.__tablename__)
        ).scalars()
    )
    deletions = [e for e in events if e.action == "delete"]
    # One event for the three runs, naming them; no result anywhere in the trail.
    assert len(deletions) == 1
    assert deletions[0].changes["ids"] == [sorted(r.id for r in runs), None]
    assert deletions[0].changes["scenario_id"] == [scenario.id, None]
    assert all("result" not in e.changes for e in events)
    assert all("ITEM-00001" not in str(e.changes) for e in events)
    assert session.execute(select(OptimisationRun)).first() is None


def test_delete_locks_the_scenario_before_it_looks_at_the_runs(
    session: Session, backend: str
) -> None:
    scenario = scenarios.create_scenario(session, **_fields())
    with _statements(session) as statements:
        scenarios.delete_scenario(session, scenario.id, version=1)
    lock = next(i for i, s in enumerate(statements) if s.startswith("SELECT budget_scenario.id"))
    runs = next(i for i, s in enumerate(statements) if "FROM optimisation_run" in s)
    assert lock < runs
    # SQLite has no row locks (a writer locks the whole database); PostgreSQL locks the row.
    assert statements[lock].endswith("FOR UPDATE") == (backend == "postgresql")


def test_an_edit_of_the_inputs_locks_the_scenario_before_it_looks_at_the_runs(
    session: Session, backend: str
) -> None:
    scenario = scenarios.create_scenario(session, **_fields())
    with _statements(session) as statements:
        scenarios.update_scenario(session, scenario.id, version=1, budgets={"total": [5, 5]})
    by_id = "SELECT budget_scenario.id FROM budget_scenario WHERE budget_scenario.id ="
    lock = next(i for i, s in enumerate(statements) if s.startswith(by_id))
    runs = next(i for i, s in enumerate(statements) if "FROM optimisation_run" in s)
    assert lock < runs
    assert statements[lock].endswith("FOR UPDATE") == (backend == "postgresql")
    # A new name alone needs neither: queued runs do not read it.
    with _statements(session) as statements:
        scenarios.update_scenario(session, scenario.id, version=2, name="Only renamed")
    assert not any("FROM optimisation_run" in s or s.startswith(by_id) for s in statements)


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b"])
def test_control_characters_are_refused_in_the_description(session: Session, control: str) -> None:
    make_agency(session, "ICX")
    with pytest.raises(ValidationError) as raised:
        scenarios.create_scenario(session, **_fields(description=f"Lanes{control}first"))
    assert raised.value.errors == {
        "description": "Remove the invisible control characters from this text."
    }
    # Tabs and line breaks are text; a browser's CR LF is stored as LF.
    created = scenarios.create_scenario(session, **_fields(description="Lanes\tfirst\r\nthen"))
    assert created.description == "Lanes\tfirst\nthen"


def test_queueing_a_run_locks_the_scenario_so_a_delete_cannot_slip_in(
    session: Session, backend: str
) -> None:
    scenario = scenarios.create_scenario(session, **_fields())
    with _statements(session) as statements:
        run = optimisation_runs.queue_run(session, scenario.id, requested_by_id=None)
    assert run.status == "queued"
    read = next(s for s in statements if s.startswith("SELECT budget_scenario."))
    assert read.endswith("FOR UPDATE") == (backend == "postgresql")


def test_nul_in_a_search_or_sweep_key_finds_nothing_instead_of_failing(
    session: Session,
) -> None:
    # PostgreSQL refuses NUL in text, also as a query parameter: a search for it must find
    # nothing on both backends, not fail the query (a 500 on every list with a search).
    from datetime import date

    from equiplan.services.equipment import list_equipment
    from equiplan.services.equipment_query import EquipmentQuery
    from equiplan.services.errors import NotFound
    from equiplan.services.scoping import Scope

    scenarios.create_scenario(session, **_fields(name="a b"))
    assert scenarios.list_scenarios(session, search="a\x00b").total == 0
    assert scenarios.list_scenarios(session, search="a").total == 1
    assert optimisation_runs.list_runs(session, sweep_key="\x00").total == 0
    with pytest.raises(NotFound):
        optimisation_runs.sweep_runs(session, "k\x00")
    with pytest.raises(NotFound):
        optimisation_runs.cancel_sweep(session, "k\x00")
    found = list_equipment(
        session, Scope.everything(), EquipmentQuery(search="\x00"), date(2026, 11, 21)
    )
    assert found.total == 0


def test_a_renamed_site_or_type_is_renamed_in_the_scenarios_naming_it(
    session: Session,
) -> None:
    from datetime import date

    from equiplan.services.reference_data import update_equipment_type, update_site
    from equiplan.services.scoping import Scope
    from tests.factories import make_site, make_type

    agency = make_agency(session, "VSAT")
    site = make_site(session, agency, code="MED")
    make_site(session, agency, code="LAV")
    kind = make_type(session, "T12")
    make_type(session, "T15")
    naming = scenarios.create_scenario(
        session,
        **_fields(
            requirements={"site:MED/T12": [2, 2], "site:LAV/T15": [1, 1]},
            site_weights={"MED": 5, "LAV": 2},
            type_codes=["T12", "T15"],
        ),
    )
    other = scenarios.create_scenario(session, **_fields(name="Other"))
    update_site(
        session, Scope.everything(), site.id, version=1, raw={"code": "MEDX"}, today=date.today()
    )
    session.expire_all()
    renamed = session.get(BudgetScenario, naming.id)
    assert renamed.requirements == {"site:MEDX/T12": [2, 2], "site:LAV/T15": [1, 1]}
    assert renamed.site_weights == {"MEDX": 5, "LAV": 2}
    assert renamed.version == 2  # an edit begun before now conflicts instead of undoing it
    assert session.get(BudgetScenario, other.id).version == 1  # names neither: untouched
    update_equipment_type(session, kind.id, version=1, raw={"code": "T12X"})
    session.expire_all()
    renamed = session.get(BudgetScenario, naming.id)
    assert renamed.requirements == {"site:MEDX/T12X": [2, 2], "site:LAV/T15": [1, 1]}
    assert renamed.type_codes == ["T12X", "T15"]
    events = session.execute(
        select(AuditEvent).where(
            AuditEvent.entity == "budget_scenario",
            AuditEvent.entity_id == naming.id,
            AuditEvent.action == "update",
        )
    ).scalars()
    assert len(list(events)) == 2
    # The scenario still saves: a change of its name alone is accepted.
    scenarios.update_scenario(session, naming.id, version=3, name="Renamed")
    assert session.get(BudgetScenario, naming.id).name == "Renamed"
