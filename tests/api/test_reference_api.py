"""/api/v1/sites and /api/v1/types: scoped reads for everybody, writes for administrators,
optimistic locking and problems by field. Every response is checked against the OpenAPI
document by the client (tests/api/conformance.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import AuditEvent, EquipmentType, Site
from tests.api.conftest import Caller
from tests.factories import make_site, make_type
from tests.web.conftest import World

Role = Callable[[str], Caller]


def _site(session: Session, code: str) -> Site:
    return session.execute(select(Site).where(Site.code == code)).scalar_one()


def test_officers_list_the_sites_of_their_agency_only(
    as_role: Role, world: World, session: Session
) -> None:
    make_site(session, world.customs, code="KYB")
    officer = as_role("officer").get("/api/v1/sites")
    assert officer.status_code == 200
    assert [s["code"] for s in officer.json["items"]] == ["MED"]
    assert officer.json["total"] == 1
    technician = as_role("technician").get("/api/v1/sites")
    assert [s["code"] for s in technician.json["items"]] == ["KYB", "MED"]


def test_a_site_carries_its_id_and_codes_as_stored(
    as_role: Role, world: World, session: Session
) -> None:
    med = _site(session, "MED")
    body = as_role("viewer").get(f"/api/v1/sites/{med.id}").json
    assert body["id"] == med.id
    assert body["agency_id"] == world.vsat.id
    assert (body["site_type"], body["status"], body["version"]) == ("road_crossing", "open", 1)
    assert body["created_at"].endswith("+00:00")


def test_another_agencys_site_is_a_404_like_a_missing_one(
    as_role: Role, world: World, session: Session
) -> None:
    foreign = make_site(session, world.customs, code="KYB")
    officer = as_role("officer")
    hidden = officer.get(f"/api/v1/sites/{foreign.id}")
    missing = officer.get("/api/v1/sites/999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json == missing.json
    assert hidden.mimetype == "application/problem+json"
    assert as_role("planner").get(f"/api/v1/sites/{foreign.id}").status_code == 200


def test_site_filters_and_pagination(as_role: Role, world: World, session: Session) -> None:
    for n in range(30):
        make_site(session, world.customs, code=f"P{n:02d}", site_type="seaport")
    make_site(session, world.customs, code="SHUT", status="closed")
    admin = as_role("admin")
    first = admin.get("/api/v1/sites", site_type="seaport", per_page=25)
    assert (first.json["total"], first.json["page"], first.json["per_page"]) == (30, 1, 25)
    assert len(first.json["items"]) == 25
    second = admin.get("/api/v1/sites", site_type="seaport", per_page=25, page=2)
    assert [s["code"] for s in second.json["items"]] == ["P25", "P26", "P27", "P28", "P29"]
    closed = admin.get("/api/v1/sites", status="closed", agency_id=world.customs.id)
    assert [s["code"] for s in closed.json["items"]] == ["SHUT"]
    assert [s["code"] for s in admin.get("/api/v1/sites", search="shu").json["items"]] == ["SHUT"]


def test_bad_list_arguments_are_named_one_by_one(as_role: Role) -> None:
    response = as_role("admin").get(
        "/api/v1/sites", status="burning", per_page=7, agency_id="x", colour="red"
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) == {"status", "per_page", "agency_id", "colour"}


def test_an_admin_creates_a_site(as_role: Role, world: World, session: Session) -> None:
    response = as_role("admin").post(
        "/api/v1/sites",
        {
            "agency_id": world.customs.id,
            "code": "kyb",
            "name_en": "Kybartai",
            "name_lt": "Kybartai",
            "site_type": "road_crossing",
            "border_country": "ru",
            "criticality": 5,
        },
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Location"] == f"/api/v1/sites/{body['id']}"
    assert (body["code"], body["border_country"], body["criticality"]) == ("KYB", "RU", 5)
    stored = session.get(Site, body["id"])
    assert stored is not None
    assert stored.agency_id == world.customs.id
    event = session.execute(
        select(AuditEvent).where(AuditEvent.entity == "site", AuditEvent.entity_id == body["id"])
    ).scalar_one()
    assert (event.action, event.origin) == ("create", "api")


def test_a_new_site_with_problems_is_refused_field_by_field(
    as_role: Role, world: World, session: Session
) -> None:
    response = as_role("admin").post(
        "/api/v1/sites",
        {
            "agency_id": 999999,
            "code": "MED",
            "name_en": "",
            "site_type": "volcano",
            "criticality": 9,
            "border_country": "Belarus",
        },
    )
    assert response.status_code == 400
    assert set(response.json["errors"]) == {
        "agency_id",
        "code",
        "name_en",
        "name_lt",
        "site_type",
        "criticality",
        "border_country",
    }
    assert response.json["errors"]["code"] == "Another site already has this code."
    assert response.json["errors"]["name_lt"] == "This field is required."
    assert session.execute(select(Site).where(Site.code == "MED")).scalars().all() == [
        _site(session, "MED")
    ]


@pytest.mark.parametrize("role", ["planner", "technician", "officer", "viewer"])
def test_only_admins_change_reference_data(as_role: Role, session: Session, role: str) -> None:
    med = _site(session, "MED")
    caller = as_role(role)
    refused = caller.patch(f"/api/v1/sites/{med.id}", {"version": 1, "name_en": "X"})
    assert refused.status_code == 403
    assert caller.post("/api/v1/types", {"code": "X"}).status_code == 403
    session.refresh(med)
    assert med.name_en != "X"


def test_changing_a_site_needs_the_version_read_and_returns_the_next(
    as_role: Role, session: Session
) -> None:
    med = _site(session, "MED")
    admin = as_role("admin")
    changed = admin.patch(f"/api/v1/sites/{med.id}", {"version": 1, "status": "closed"})
    assert changed.status_code == 200, changed.json
    assert changed.json["version"] == 2
    assert changed.json["status"] == "closed"
    assert changed.json["status_since"] is not None  # today, as nobody said otherwise
    stale = admin.patch(f"/api/v1/sites/{med.id}", {"version": 1, "name_en": "Lost update"})
    assert stale.status_code == 409
    assert stale.mimetype == "application/problem+json"
    assert "Reload" in stale.json["detail"]
    session.refresh(med)
    assert (med.version, med.name_en) == (2, changed.json["name_en"])
    unversioned = admin.patch(f"/api/v1/sites/{med.id}", {"name_en": "No version"})
    assert unversioned.status_code == 400
    assert set(unversioned.json["errors"]) == {"version"}


def test_a_site_stays_with_its_agency(as_role: Role, world: World, session: Session) -> None:
    med = _site(session, "MED")
    response = as_role("admin").patch(
        f"/api/v1/sites/{med.id}", {"version": 1, "agency_id": world.customs.id}
    )
    assert response.status_code == 400
    assert response.json["errors"] == {"agency_id": "This field can only be set when creating."}


def test_types_are_national_reference_data(as_role: Role, world: World) -> None:
    viewer = as_role("viewer").get("/api/v1/types", per_page=200)
    assert viewer.status_code == 200
    assert viewer.json["total"] == 2  # the world's two items each have a model of their own type
    type_id = viewer.json["items"][0]["id"]
    assert as_role("officer").get(f"/api/v1/types/{type_id}").json["id"] == type_id
    assert as_role("officer").get("/api/v1/types/999999").status_code == 404


def test_an_admin_creates_and_changes_a_type(as_role: Role, session: Session) -> None:
    admin = as_role("admin")
    response = admin.post(
        "/api/v1/types",
        {
            "code": "riid",
            "name_en": "Radionuclide identification device",
            "name_lt": "Radionuklidų identifikavimo prietaisas",
            "standards": "ANSI N42.34",
            "design_life_years": 8,
            "typical_unit_cost_cents": 3_000_000,
            "prior_mtbf_hours": 10_000,
            "prior_mttr_hours": 4,
            "logistics_delay_hours": 504,
            "weibull_beta": 2.5,
            "weibull_eta_factor": 1.2,
            "default_schedules": [
                {"kind": "calibration", "interval_value": 12, "interval_unit": "months"}
            ],
        },
    )
    assert response.status_code == 201, response.json
    created = response.json
    assert created["code"] == "RIID"
    assert created["default_schedules"] == [
        {
            "kind": "calibration",
            "interval_value": 12,
            "interval_unit": "months",
            "anchor": "fixed",
            "lead_days": 30,
            "grace_days": 0,
        }
    ]
    changed = admin.patch(
        f"/api/v1/types/{created['id']}",
        {"version": created["version"], "design_life_years": 10, "weibull_beta": 3},
    )
    assert changed.status_code == 200, changed.json
    stored = session.get(EquipmentType, created["id"])
    assert stored is not None
    session.refresh(stored)
    assert (stored.design_life_years, stored.weibull_beta, stored.version) == (10, 3.0, 2)


def test_a_bad_type_is_refused_with_every_problem(as_role: Role, session: Session) -> None:
    make_type(session, "RPM")
    response = as_role("admin").post(
        "/api/v1/types",
        {
            "code": "rpm",
            "name_en": "Again",
            "name_lt": "Vėl",
            "design_life_years": 0,
            "prior_mtbf_hours": 1,
            "prior_mttr_hours": 1,
            "logistics_delay_hours": 1,
            "weibull_beta": -1,
            "weibull_eta_factor": 1.0,
            "default_schedules": [{"kind": "calibration", "interval_value": 0}],
        },
    )
    assert response.status_code == 400
    errors = response.json["errors"]
    assert set(errors) == {"code", "design_life_years", "weibull_beta", "default_schedules"}
    assert errors["default_schedules"].startswith("Schedule 1:")
