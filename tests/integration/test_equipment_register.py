"""The equipment list: filters, search, sort, pagination and count, in SQL and scoped; the
detail view with state, reasons, schedules and timeline."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from equiplan.domain.status import NotOperationalReason
from equiplan.models import Equipment, Schedule
from equiplan.services.equipment import equipment_detail, list_equipment
from equiplan.services.equipment_query import EquipmentQuery
from equiplan.services.errors import NotFound
from equiplan.services.scoping import Scope, scope_for
from tests.factories import (
    make_agency,
    make_equipment,
    make_model,
    make_schedule,
    make_site,
    make_type,
    make_user,
    make_work_order,
    open_downtime,
)

TODAY = date(2026, 11, 21)


@pytest.fixture
def register(session):  # type: ignore[no-untyped-def]
    vsat, customs = make_agency(session, "VSAT"), make_agency(session, "MUIT", kind="customs")
    med = make_site(session, vsat, code="MED")
    rpm, prd = make_type(session, "RPM"), make_type(session, "PRD")
    rpm_model = make_model(session, rpm, manufacturer="Rapiscan", name="RPM8")
    prd_model = make_model(session, prd, manufacturer="Thermo", name="RadEye PRD")
    lane = make_equipment(
        session, vsat, rpm_model, med, inventory_no="VSAT-RPM-0001", notes="lane 3, truck exit"
    )
    make_schedule(session, lane, date(2026, 12, 2))
    late = make_equipment(
        session, vsat, prd_model, med, inventory_no="VSAT-PRD-0001", serial_no="RE-77"
    )
    make_schedule(session, late, date(2026, 9, 1), grace_days=14)
    broken = make_equipment(session, vsat, prd_model, inventory_no="VSAT-PRD-0002")
    make_schedule(session, broken, date(2027, 6, 1))
    open_downtime(session, broken)
    stored = make_equipment(
        session, vsat, prd_model, inventory_no="VSAT-PRD-0003", status="in_storage"
    )
    foreign = make_equipment(session, customs, prd_model, inventory_no="MUIT-PRD-0001")
    make_schedule(session, foreign, date(2026, 11, 25))
    return {
        "vsat": vsat,
        "customs": customs,
        "med": med,
        "rpm": rpm,
        "prd_model": prd_model,
        "lane": lane,
        "late": late,
        "broken": broken,
        "stored": stored,
        "foreign": foreign,
    }


def _numbers(session, scope: Scope, **query: object) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        row.inventory_no
        for row in list_equipment(session, scope, EquipmentQuery(**query), TODAY).items
    ]  # type: ignore[arg-type]


def test_filters(session, register) -> None:  # type: ignore[no-untyped-def]
    everything = Scope.everything()
    assert _numbers(session, everything) == [
        "MUIT-PRD-0001",
        "VSAT-PRD-0001",
        "VSAT-PRD-0002",
        "VSAT-PRD-0003",
        "VSAT-RPM-0001",
    ]
    assert _numbers(session, everything, agency_id=register["customs"].id) == ["MUIT-PRD-0001"]
    assert _numbers(session, everything, site_id=register["med"].id) == [
        "VSAT-PRD-0001",
        "VSAT-RPM-0001",
    ]
    assert _numbers(session, everything, type_id=register["rpm"].id) == ["VSAT-RPM-0001"]
    assert _numbers(session, everything, status="in_storage") == ["VSAT-PRD-0003"]
    assert _numbers(session, everything, operational=True) == ["MUIT-PRD-0001", "VSAT-RPM-0001"]
    assert _numbers(session, everything, operational=False) == [
        "VSAT-PRD-0001",
        "VSAT-PRD-0002",
        "VSAT-PRD-0003",
    ]
    # Due within 10 days of 21 Nov (up to 1 Dec): the customs item (25 Nov) and the overdue one
    # (1 Sep); the lane (2 Dec) only from 11 days on.
    assert _numbers(session, everything, due_within_days=10) == ["MUIT-PRD-0001", "VSAT-PRD-0001"]
    assert "VSAT-RPM-0001" in _numbers(session, everything, due_within_days=11)


def test_search_inventory_serial_and_notes_case_insensitively(session, register) -> None:  # type: ignore[no-untyped-def]
    everything = Scope.everything()
    assert _numbers(session, everything, search="rpm-0001") == ["VSAT-RPM-0001"]
    assert _numbers(session, everything, search="re-77") == ["VSAT-PRD-0001"]
    assert _numbers(session, everything, search="TRUCK EXIT") == ["VSAT-RPM-0001"]
    assert _numbers(session, everything, search="100%") == []  # wildcards are literal


def test_sort_and_pages_do_not_overlap(session, register) -> None:  # type: ignore[no-untyped-def]
    everything = Scope.everything()
    by_due = _numbers(session, everything, sort="next_due")
    assert by_due[:3] == ["VSAT-PRD-0001", "MUIT-PRD-0001", "VSAT-RPM-0001"]
    assert by_due[-1] == "VSAT-PRD-0003"  # no schedule: last either way
    assert _numbers(session, everything, sort="next_due", descending=True)[0] == "VSAT-PRD-0002"
    pages = [
        list_equipment(session, everything, EquipmentQuery(per_page=2, page=n), TODAY)
        for n in (1, 2, 3)
    ]
    assert [p.total for p in pages] == [5, 5, 5]
    assert pages[0].pages == 3
    seen = [row.inventory_no for p in pages for row in p.items]
    assert len(seen) == 5
    assert len(set(seen)) == 5  # no row on two pages


def test_officers_see_only_their_agency(session, register) -> None:  # type: ignore[no-untyped-def]
    officer = scope_for(make_user(session, "officer", register["customs"]))
    assert _numbers(session, officer) == ["MUIT-PRD-0001"]
    # Even asking for another agency explicitly gives nothing.
    assert _numbers(session, officer, agency_id=register["vsat"].id) == []
    with pytest.raises(NotFound):
        equipment_detail(session, officer, register["lane"].id, TODAY)


def test_row_flags_match_the_rule(session, register) -> None:  # type: ignore[no-untyped-def]
    rows = {
        r.inventory_no: r
        for r in list_equipment(session, Scope.everything(), EquipmentQuery(), TODAY).items
    }
    assert (rows["VSAT-PRD-0001"].operational, rows["VSAT-PRD-0001"].calibration_overdue) == (
        False,
        True,
    )
    assert (rows["VSAT-PRD-0002"].operational, rows["VSAT-PRD-0002"].open_downtime) == (False, True)
    assert rows["VSAT-RPM-0001"].next_due == date(2026, 12, 2)
    assert rows["VSAT-RPM-0001"].site_code == "MED"


def test_detail_gives_state_reasons_schedules_and_timeline(session, register) -> None:  # type: ignore[no-untyped-def]
    broken = register["broken"]
    make_work_order(
        session,
        broken,
        kind="preventive",
        status="done",
        opened_at=datetime(2025, 3, 1, tzinfo=UTC),
        completed_at=datetime(2025, 3, 2, tzinfo=UTC),
    )
    detail = equipment_detail(session, Scope.everything(), broken.id, TODAY)
    assert not detail.state.operational
    assert detail.state.reasons == (NotOperationalReason.OPEN_DOWNTIME,)
    assert [s.next_due for s in detail.schedules] == [date(2027, 6, 1)]
    kinds = [entry.kind for entry in detail.timeline]
    assert kinds.count("work_order") == 2
    assert "audit" in kinds
    assert detail.timeline == sorted(
        detail.timeline,
        key=lambda e: (
            e.at
            if isinstance(e.at, datetime)
            else datetime(e.at.year, e.at.month, e.at.day, tzinfo=UTC)
        ).replace(tzinfo=None),
        reverse=True,
    )
    assert detail.age_years == pytest.approx(6.9, abs=0.1)


def test_search_folds_lithuanian_letters_on_every_backend(session) -> None:  # type: ignore[no-untyped-def]
    agency = make_agency(session, "LT1")
    make_equipment(session, agency, inventory_no="ŠALČ-0001", notes="Šalčininkų postas")
    page = list_equipment(session, Scope.everything(), EquipmentQuery(search="šalč"), TODAY)
    assert [row.inventory_no for row in page.items] == ["ŠALČ-0001"]


def test_the_database_keeps_each_items_next_due_from_its_active_schedules(session) -> None:  # type: ignore[no-untyped-def]
    def stored() -> date | None:
        return session.execute(
            select(Equipment.next_due).where(Equipment.id == item.id)
        ).scalar_one()

    item = make_equipment(session, make_agency(session, "ND1"))
    assert stored() is None
    later = make_schedule(session, item, date(2027, 3, 1))
    sooner = make_schedule(session, item, date(2027, 1, 15), kind="source_check")
    assert stored() == date(2027, 1, 15)
    sooner.next_due = date(2027, 6, 1)  # completed: moved on
    session.commit()
    assert stored() == date(2027, 3, 1)
    later.active = False  # paused schedules do not count
    session.commit()
    assert stored() == date(2027, 6, 1)
    session.delete(session.get(Schedule, sooner.id))
    session.commit()
    assert stored() is None
