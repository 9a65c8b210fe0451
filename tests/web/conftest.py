"""Web fixtures: two agencies and one user of every role."""

from dataclasses import dataclass

import pytest
from sqlmodel import Session

from equiplan.models import Agency, Equipment, User
from tests.factories import make_agency, make_equipment, make_site, make_user


@dataclass
class World:
    vsat: Agency
    customs: Agency
    users: dict[str, User]  # role -> user; officer and viewer belong to VSAT
    customs_officer: User
    vsat_item: Equipment
    customs_item: Equipment


@pytest.fixture
def world(session: Session) -> World:
    vsat = make_agency(session, "VSAT", name_lt="Valstybės sienos apsaugos tarnyba")
    customs = make_agency(session, "MUIT", kind="customs")
    make_site(session, vsat, code="MED")
    users = {
        role: make_user(session, role, vsat if role in ("officer", "viewer") else None)
        for role in ("admin", "planner", "technician", "officer", "viewer")
    }
    return World(
        vsat=vsat,
        customs=customs,
        users=users,
        customs_officer=make_user(session, "officer", customs),
        vsat_item=make_equipment(session, vsat),
        customs_item=make_equipment(session, customs),
    )
