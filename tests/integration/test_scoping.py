"""Agency isolation: officers and viewers see their agency only; the NSSC sees all."""

from datetime import date

import pytest
from sqlalchemy import select

from equiplan.models import Equipment, Schedule, WorkOrder
from equiplan.services.errors import NotFound
from equiplan.services.scoping import Scope, get_scoped, scope_for, scoped
from tests.factories import make_agency, make_equipment, make_schedule, make_user, make_work_order


@pytest.fixture
def two_agencies(session):  # type: ignore[no-untyped-def]
    vsat, customs = make_agency(session, "VSAT"), make_agency(session, "MUIT", kind="customs")
    mine = make_equipment(session, vsat)
    theirs = make_equipment(session, customs)
    make_schedule(session, mine, date(2027, 1, 1))
    make_schedule(session, theirs, date(2027, 1, 1))
    make_work_order(session, mine)
    make_work_order(session, theirs)
    return vsat, customs, mine, theirs


@pytest.mark.parametrize("role", ["officer", "viewer"])
def test_agency_roles_see_only_their_rows(session, two_agencies, role: str) -> None:  # type: ignore[no-untyped-def]
    vsat, _customs, mine, theirs = two_agencies
    scope = scope_for(make_user(session, role, vsat))
    for model in (Equipment, Schedule, WorkOrder):
        rows = session.execute(scoped(select(model), model, scope)).scalars().all()
        owner_ids = {getattr(row, "equipment_id", getattr(row, "id", None)) for row in rows}
        assert owner_ids == {mine.id}, model.__name__
    assert get_scoped(session, Equipment, mine.id, scope) == mine
    with pytest.raises(NotFound):
        get_scoped(session, Equipment, theirs.id, scope)


@pytest.mark.parametrize("role", ["admin", "planner", "technician"])
def test_centre_roles_see_every_agency(session, two_agencies, role: str) -> None:  # type: ignore[no-untyped-def]
    _vsat, _customs, mine, theirs = two_agencies
    scope = scope_for(make_user(session, role))
    ids = set(session.execute(scoped(select(Equipment.id), Equipment, scope)).scalars())
    assert {mine.id, theirs.id} <= ids
    assert get_scoped(session, Equipment, theirs.id, scope) == theirs


def test_missing_and_foreign_objects_look_the_same(session, two_agencies) -> None:  # type: ignore[no-untyped-def]
    vsat, *_ = two_agencies
    scope = scope_for(make_user(session, "officer", vsat))
    with pytest.raises(NotFound):
        get_scoped(session, Equipment, 10**9, scope)


def test_unscoped_models_are_refused() -> None:
    from equiplan.models import FailureCode

    with pytest.raises(TypeError, match="not agency-owned"):
        scoped(select(FailureCode), FailureCode, Scope(agency_id=1, all_agencies=False))
