"""Roles and what they may see (product.md)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    PLANNER = "planner"
    TECHNICIAN = "technician"
    OFFICER = "officer"
    VIEWER = "viewer"


ALL_ROLES: frozenset[Role] = frozenset(Role)
# The NSSC roles work across every agency; the agency roles see only their own agency.
CENTRE_ROLES: frozenset[Role] = frozenset({Role.ADMIN, Role.PLANNER, Role.TECHNICIAN})
AGENCY_ROLES: frozenset[Role] = frozenset({Role.OFFICER, Role.VIEWER})


def sees_all_agencies(role: str) -> bool:
    """True when `role` works across all agencies (the NSSC roles)."""
    return Role(role) in CENTRE_ROLES


def needs_agency(role: str) -> bool:
    """True when a user with `role` must belong to an agency."""
    return Role(role) in AGENCY_ROLES
