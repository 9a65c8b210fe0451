"""Sites and equipment types through the service: scoped pages with counts, every problem at
once, unique codes, optimistic locking (also when the race is lost at the UPDATE itself), the
audit trail. On SQLite and PostgreSQL."""

from datetime import date

import pytest
from sqlalchemy import select, update

from equiplan.models import AuditEvent, EquipmentType, Site
from equiplan.services.errors import Conflict, NotFound, ValidationError
from equiplan.services.reference_data import (
    create_equipment_type,
    create_site,
    get_equipment_type,
    get_site,
    list_equipment_types,
    list_sites,
    update_equipment_type,
    update_site,
)
from equiplan.services.scoping import Scope
from tests.factories import make_agency, make_site, make_type

EVERYTHING = Scope.everything()
TODAY = date(2026, 11, 21)


@pytest.fixture
def agencies(session):  # type: ignore[no-untyped-def]
    vsat, customs = make_agency(session, "VSAT"), make_agency(session, "MUIT", kind="customs")
    make_site(session, vsat, code="MED", name_en="Medininkai")
    make_site(session, vsat, code="SAL", name_en="Šalčininkai", status="closed")
    make_site(session, customs, code="KYB", name_en="Kybartai", site_type="rail_crossing")
    return vsat, customs


def _codes(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [item.code for item in page.items]


def test_an_agency_sees_its_own_sites(session, agencies) -> None:  # type: ignore[no-untyped-def]
    vsat, customs = agencies
    own = list_sites(session, Scope(agency_id=vsat.id, all_agencies=False))
    assert (_codes(own), own.total) == (["MED", "SAL"], 2)
    kyb = list_sites(session, EVERYTHING, site_type="rail_crossing").items[0]
    with pytest.raises(NotFound):
        get_site(session, Scope(agency_id=vsat.id, all_agencies=False), kyb.id)  # type: ignore[arg-type]
    assert get_site(session, EVERYTHING, kyb.id).code == "KYB"  # type: ignore[arg-type]


def test_site_filters_search_and_pages(session, agencies) -> None:  # type: ignore[no-untyped-def]
    vsat, _ = agencies
    assert _codes(list_sites(session, EVERYTHING, status="closed")) == ["SAL"]
    assert _codes(list_sites(session, EVERYTHING, agency_id=vsat.id)) == ["MED", "SAL"]
    assert _codes(list_sites(session, EVERYTHING, search="ALČ")) == ["SAL"]
    assert _codes(list_sites(session, EVERYTHING, search="50%")) == []
    second = list_sites(session, EVERYTHING, page=2, per_page=2)
    assert (_codes(second), second.total, second.page) == (["SAL"], 3, 2)


def test_a_site_is_created_with_every_problem_reported_at_once(  # type: ignore[no-untyped-def]
    session, agencies
) -> None:
    vsat, _ = agencies
    with pytest.raises(ValidationError) as refused:
        create_site(
            session,
            EVERYTHING,
            {"agency_id": 99999, "code": "med", "site_type": "volcano", "criticality": 0},
        )
    assert set(refused.value.errors) == {
        "agency_id",
        "code",
        "name_en",
        "name_lt",
        "site_type",
        "criticality",
    }
    site = create_site(
        session,
        EVERYTHING,
        {
            "agency_id": vsat.id,
            "code": " ken ",
            "name_en": "Kena railway",
            "name_lt": "Kenos geležinkelio punktas",
            "site_type": "rail_crossing",
            "border_country": "by",
            "status_since": "2024-03-01",
        },
    )
    assert (site.code, site.border_country, site.status_since) == ("KEN", "BY", date(2024, 3, 1))
    event = session.execute(
        select(AuditEvent).where(AuditEvent.entity == "site", AuditEvent.entity_id == site.id)
    ).scalar_one()
    assert (event.action, event.agency_id) == ("create", vsat.id)


def test_an_agency_scope_cannot_create_a_site_elsewhere(  # type: ignore[no-untyped-def]
    session, agencies
) -> None:
    vsat, customs = agencies
    with pytest.raises(ValidationError) as refused:
        create_site(
            session,
            Scope(agency_id=vsat.id, all_agencies=False),
            {
                "agency_id": customs.id,
                "code": "X1",
                "name_en": "X",
                "name_lt": "X",
                "site_type": "airport",
            },
        )
    assert set(refused.value.errors) == {"agency_id"}


def test_a_status_change_dates_itself_and_the_agency_stays(  # type: ignore[no-untyped-def]
    session, agencies
) -> None:
    _, customs = agencies
    med = list_sites(session, EVERYTHING, search="MED").items[0]
    changed = update_site(
        session, EVERYTHING, med.id, version=1, raw={"status": "temporarily_closed"}, today=TODAY
    )
    assert (changed.status, changed.status_since, changed.version) == (
        "temporarily_closed",
        TODAY,
        2,
    )
    with pytest.raises(ValidationError) as refused:
        update_site(
            session, EVERYTHING, med.id, version=2, raw={"agency_id": customs.id}, today=TODAY
        )
    assert set(refused.value.errors) == {"agency_id"}


def test_a_stale_version_is_a_conflict_and_writes_nothing(  # type: ignore[no-untyped-def]
    session, agencies
) -> None:
    med = list_sites(session, EVERYTHING, search="MED").items[0]
    update_site(session, EVERYTHING, med.id, version=1, raw={"criticality": 5}, today=TODAY)
    with pytest.raises(Conflict):
        update_site(session, EVERYTHING, med.id, version=1, raw={"criticality": 1}, today=TODAY)
    with pytest.raises(ValidationError):
        update_site(session, EVERYTHING, med.id, version=None, raw={}, today=TODAY)
    session.expire_all()
    assert (get_site(session, EVERYTHING, med.id).criticality, med.version) == (5, 2)


def test_losing_the_race_at_the_update_is_a_conflict_too(  # type: ignore[no-untyped-def]
    session, agencies
) -> None:
    med = list_sites(session, EVERYTHING, search="MED").items[0]
    # Another writer commits after our version check: the row's version moves on underneath.
    session.execute(update(Site).where(Site.id == med.id).values(version=Site.version + 1))
    with pytest.raises(Conflict):
        update_site(session, EVERYTHING, med.id, version=1, raw={"name_en": "Lost"}, today=TODAY)
    session.expire_all()
    assert get_site(session, EVERYTHING, med.id).name_en == "Medininkai"


def test_equipment_types_are_created_and_changed(session) -> None:  # type: ignore[no-untyped-def]
    make_type(session, "RPM")
    values = {
        "code": "riid",
        "name_en": "RIID",
        "name_lt": "Radionuklidų identifikavimo prietaisas",
        "design_life_years": 8,
        "prior_mtbf_hours": 10_000,
        "prior_mttr_hours": 4,
        "logistics_delay_hours": 504,
        "weibull_beta": "2,5",
        "weibull_eta_factor": 1.2,
        "default_schedules": [
            {"kind": "calibration", "interval_value": 12, "interval_unit": "months"},
            {"kind": "source_check", "interval_value": 1, "interval_unit": "days", "lead_days": 0},
        ],
    }
    riid = create_equipment_type(session, values)
    assert (riid.code, riid.weibull_beta, riid.default_schedules[1]["lead_days"]) == (
        "RIID",
        2.5,
        0,
    )
    assert _codes(list_equipment_types(session, search="radionuk")) == ["RIID"]
    assert list_equipment_types(session, per_page=1, page=2).total == 2
    with pytest.raises(ValidationError) as duplicate:
        create_equipment_type(session, {**values, "code": "Rpm"})
    assert set(duplicate.value.errors) == {"code"}
    changed = update_equipment_type(session, riid.id, version=1, raw={"design_life_years": 9})  # type: ignore[arg-type]
    assert (changed.design_life_years, changed.version) == (9, 2)
    with pytest.raises(Conflict):
        update_equipment_type(session, riid.id, version=1, raw={"design_life_years": 3})  # type: ignore[arg-type]
    session.expire_all()
    assert get_equipment_type(session, riid.id).design_life_years == 9  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("schedules", "message"),
    [
        ("monthly", "Give a list of schedules."),
        ([{"kind": "calibration"}], "Schedule 1: This field is required."),
        ([{"kind": "calibration", "interval_value": 1, "interval_unit": "weeks"}], "Schedule 1:"),
        ([{"kind": "x", "interval_value": 1, "interval_unit": "days", "every": 2}], "Schedule 1:"),
    ],
)
def test_bad_default_schedules_are_explained(session, schedules, message) -> None:  # type: ignore[no-untyped-def]
    equipment_type = make_type(session, "PRD")
    with pytest.raises(ValidationError) as refused:
        update_equipment_type(
            session,
            equipment_type.id,  # type: ignore[arg-type]
            version=1,
            raw={"default_schedules": schedules},
        )
    assert refused.value.errors["default_schedules"].startswith(message)
    session.expire_all()
    assert session.get_one(EquipmentType, equipment_type.id).default_schedules == []


def test_a_missing_type_is_not_found(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        get_equipment_type(session, 424242)
