"""Dashboard counts, aggregated in SQL and scoped; the SQL status rule agrees with the domain's."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from equiplan.domain.status import operational_state
from equiplan.models import Equipment
from equiplan.services.dashboard import fleet_overview
from equiplan.services.equipment_status import (
    calibration_overdue,
    is_operational,
    open_corrective_downtime,
)
from equiplan.services.scoping import Scope, scope_for
from tests.factories import (
    make_agency,
    make_equipment,
    make_model,
    make_schedule,
    make_type,
    make_user,
    make_work_order,
    open_downtime,
)

TODAY = date(2026, 11, 21)


@pytest.fixture
def fleet(session):  # type: ignore[no-untyped-def]
    vsat, customs = make_agency(session, "VSAT"), make_agency(session, "MUIT", kind="customs")
    rpm, prd = make_type(session, "RPM"), make_type(session, "PRD")
    rpm_model, prd_model = make_model(session, rpm), make_model(session, prd)
    good = make_equipment(session, vsat, rpm_model)
    make_schedule(session, good, date(2027, 1, 1))
    in_grace = make_equipment(session, vsat, prd_model)
    make_schedule(session, in_grace, date(2026, 11, 10), grace_days=14)  # grace ends 24 Nov
    overdue = make_equipment(session, vsat, prd_model)
    make_schedule(session, overdue, date(2026, 10, 1), grace_days=14)
    paused = make_equipment(session, vsat, prd_model)
    make_schedule(session, paused, date(2025, 1, 1), active=False)
    source_check_late = make_equipment(session, vsat, prd_model)
    make_schedule(session, source_check_late, date(2025, 1, 1), kind="source_check")
    down = make_equipment(session, vsat, rpm_model)
    open_downtime(session, down)
    repaired = make_equipment(session, vsat, rpm_model)
    make_work_order(
        session,
        repaired,
        status="done",
        downtime_start=datetime(2026, 1, 1, tzinfo=UTC),
        downtime_end=datetime(2026, 1, 2, tzinfo=UTC),
    )
    in_repair = make_equipment(session, vsat, rpm_model, status="in_repair")
    make_equipment(session, vsat, rpm_model, status="decommissioned")
    foreign = make_equipment(session, customs, prd_model)
    make_schedule(session, foreign, date(2026, 1, 1))
    return {
        "vsat": vsat,
        "customs": customs,
        "operational": [good, in_grace, paused, source_check_late, repaired],
        "not_operational": [overdue, down, in_repair, foreign],
        "calibration_overdue": [overdue, foreign],
        "open_downtime": [down],
    }


def test_overview_for_the_centre(session, fleet) -> None:  # type: ignore[no-untyped-def]
    overview = fleet_overview(session, Scope.everything(), TODAY)
    assert (overview.total, overview.operational, overview.calibration_overdue) == (9, 5, 2)
    assert overview.by_status == {"in_service": 8, "in_repair": 1, "decommissioned": 1}
    by_agency = {g.key: (g.total, g.operational, g.calibration_overdue) for g in overview.by_agency}
    assert by_agency == {"VSAT": (8, 5, 1), "MUIT": (1, 0, 1)}
    by_type = {g.key: (g.total, g.operational) for g in overview.by_type}
    assert by_type == {"RPM": (4, 2), "PRD": (5, 3)}


def test_overview_for_an_officer_shows_only_their_agency(session, fleet) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(session, "officer", fleet["vsat"])
    overview = fleet_overview(session, scope_for(officer), TODAY)
    assert [g.key for g in overview.by_agency] == ["VSAT"]
    assert (overview.total, overview.operational, overview.calibration_overdue) == (8, 5, 1)
    assert "MUIT" not in {g.key for g in overview.by_agency}


def test_one_agency_of_the_scope_with_sites(session, fleet) -> None:  # type: ignore[no-untyped-def]
    overview = fleet_overview(session, Scope.everything(), TODAY, agency_id=fleet["customs"].id)
    assert (overview.total, overview.calibration_overdue) == (1, 1)


def test_sql_rule_agrees_with_the_domain_rule(session, fleet) -> None:  # type: ignore[no-untyped-def]
    # Ground truth comes from how the fixture built each item, not from the SQL under test.
    overdue_ids = {item.id for item in fleet["calibration_overdue"]}
    down_ids = {item.id for item in fleet["open_downtime"]}
    rows = session.execute(
        select(
            Equipment, is_operational(TODAY), calibration_overdue(TODAY), open_corrective_downtime()
        )
    ).all()
    assert len(rows) == 10
    for item, sql_operational, sql_overdue, sql_down in rows:
        assert bool(sql_overdue) == (item.id in overdue_ids), item.inventory_no
        assert bool(sql_down) == (item.id in down_ids), item.inventory_no
        expected = operational_state(item.status, item.id in overdue_ids, item.id in down_ids)
        assert bool(sql_operational) == expected.operational, item.inventory_no
    assert {row[0].id for row in rows if row[1]} == {item.id for item in fleet["operational"]}
