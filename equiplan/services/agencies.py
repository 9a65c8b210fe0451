"""Agencies and sites as the signed-in user may see them."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import Agency, Site
from equiplan.services.scoping import Scope, get_scoped, scoped


def list_agencies(session: Session, scope: Scope) -> list[Agency]:
    """Agencies in scope, by code."""
    return list(
        session.execute(scoped(select(Agency), Agency, scope).order_by(Agency.code)).scalars()
    )


def get_agency(session: Session, scope: Scope, agency_id: int) -> Agency:
    """One agency, or NotFound outside the scope."""
    return get_scoped(session, Agency, agency_id, scope)


def list_sites(session: Session, scope: Scope, agency_id: int | None = None) -> list[Site]:
    """Sites in scope (optionally of one agency), by code."""
    statement = scoped(select(Site), Site, scope).order_by(Site.code)
    if agency_id is not None:
        statement = statement.where(Site.agency_id == agency_id)
    return list(session.execute(statement).scalars())
