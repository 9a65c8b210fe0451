"""Who sees what (product.md)."""

import pytest

from equiplan.domain.roles import Role, needs_agency, sees_all_agencies


@pytest.mark.parametrize("role", ["admin", "planner", "technician"])
def test_centre_roles_see_all_agencies(role: str) -> None:
    assert sees_all_agencies(role)
    assert not needs_agency(role)


@pytest.mark.parametrize("role", ["officer", "viewer"])
def test_agency_roles_see_only_their_agency(role: str) -> None:
    assert not sees_all_agencies(role)
    assert needs_agency(role)


def test_unknown_role_is_an_error() -> None:
    with pytest.raises(ValueError, match="boss"):
        sees_all_agencies("boss")
    assert {r.value for r in Role} == {"admin", "planner", "technician", "officer", "viewer"}
