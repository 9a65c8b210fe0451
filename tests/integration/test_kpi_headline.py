"""The dashboard's headline KPIs are reused per scope for HEADLINE_TTL, then computed afresh;
scopes never share figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from equiplan.services.kpi_headline import HEADLINE_TTL, HeadlineCache, headline
from equiplan.services.scoping import Scope
from tests.factories import make_agency, make_equipment, make_failure_code, make_work_order

ZONE = "Europe/Vilnius"
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _failure(session: Session, item: object, start: datetime) -> None:
    make_work_order(
        session,
        item,
        status="done",
        failure_code_id=make_failure_code(session, f"F{start:%m%d%H%M}").id,
        opened_at=start,
        downtime_start=start,
        downtime_end=start + timedelta(hours=5),
        completed_at=start + timedelta(hours=5),
    )


def test_the_headline_is_reused_within_its_ttl_and_then_computed_again(
    session: Session,
) -> None:
    vsat = make_agency(session, "VSAT")
    item = make_equipment(session, vsat)
    _failure(session, item, NOW - timedelta(days=20))
    cache = HeadlineCache()
    everything = Scope.everything()
    first = headline(session, everything, NOW, ZONE, cache)
    assert first.current.counts.failures == 1

    _failure(session, item, NOW - timedelta(days=10))
    almost = NOW + HEADLINE_TTL - timedelta(seconds=1)
    assert headline(session, everything, almost, ZONE, cache) is first  # not computed again
    later = headline(session, everything, NOW + HEADLINE_TTL, ZONE, cache)
    assert later.current.counts.failures == 2


def test_scopes_do_not_share_headlines(session: Session) -> None:
    vsat, customs = make_agency(session, "VSAT"), make_agency(session, "MUIT", kind="customs")
    _failure(session, make_equipment(session, vsat), NOW - timedelta(days=20))
    make_equipment(session, customs)
    cache = HeadlineCache()
    centre = headline(session, Scope.everything(), NOW, ZONE, cache)
    officer = headline(session, Scope(agency_id=customs.id, all_agencies=False), NOW, ZONE, cache)
    assert (centre.current.counts.failures, officer.current.counts.failures) == (1, 0)
    assert (centre.current.counts.items, officer.current.counts.items) == (2, 1)


def test_the_cache_keeps_the_most_recent_scopes_only(session: Session) -> None:
    make_agency(session, "VSAT")
    cache = HeadlineCache(max_entries=2)
    scopes = [Scope(agency_id=n, all_agencies=False) for n in (101, 102, 103)]
    rows = [headline(session, scope, NOW, ZONE, cache) for scope in scopes]
    assert headline(session, scopes[2], NOW, ZONE, cache) is rows[2]
    assert headline(session, scopes[0], NOW, ZONE, cache) is not rows[0]  # dropped, recomputed
