"""The work-order list's filters by site, type and model, by a date range on one of the order's
dates (local days in Vilnius, both ends included), and the narrow filters of the KPI links, on
both backends, always within the caller's scope."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import Session

from equiplan.services.scoping import Scope
from equiplan.services.work_order_filters import parse_work_order_query
from equiplan.services.work_orders import list_work_orders
from tests.factories import (
    make_agency,
    make_calibration,
    make_equipment,
    make_failure_code,
    make_model,
    make_site,
    make_type,
    make_work_order,
)

ZONE = "Europe/Vilnius"
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def shop(session: Session) -> dict[str, Any]:
    vsat, customs = make_agency(session, "VSAT"), make_agency(session, "MUIT", kind="customs")
    site = make_site(session, vsat, code="MED")
    riid, prd = make_type(session, "RIIDF"), make_type(session, "PRDF")
    riid_model = make_model(session, riid)
    on_site = make_equipment(session, vsat, riid_model, site)
    elsewhere = make_equipment(session, vsat, make_model(session, prd))
    foreign = make_equipment(session, customs, riid_model)
    code = make_failure_code(session, "DETF").id
    orders = {
        # Completed 23:30 on 31 May in Vilnius (20:30 UTC) and 00:30 on 1 June (21:30 UTC).
        "may": make_work_order(
            session, on_site, status="done", completed_at=utc(2026, 5, 31, 20, 30)
        ),
        "june": make_work_order(
            session,
            on_site,
            status="done",
            completed_at=utc(2026, 5, 31, 21, 30),
            parts_cost_cents=100,
        ),
        # Down since April, reported in May; a repair with a failure code.
        "failed": make_work_order(
            session,
            elsewhere,
            status="done",
            failure_code_id=code,
            opened_at=utc(2026, 5, 2),
            downtime_start=utc(2026, 4, 28),
            downtime_end=utc(2026, 5, 3),
            completed_at=utc(2026, 5, 3),
        ),
        "due": make_work_order(
            session, elsewhere, kind="inspection", due_date=date(2026, 5, 15), schedule_id=None
        ),
        "foreign": make_work_order(
            session, foreign, status="done", completed_at=utc(2026, 5, 20), parts_cost_cents=5
        ),
    }
    calibration = make_calibration(session, on_site, calibrated_on=date(2026, 4, 30))
    return {
        "vsat": vsat,
        "customs": customs,
        "site": site,
        "riid": riid,
        "riid_model": riid_model,
        "orders": orders,
        "calibration_order": calibration.work_order_id,
    }


def _ids(session: Session, scope: Scope, **filters: Any) -> set[int]:
    page = list_work_orders(
        session, scope, status="all", per_page=100, now=NOW, timezone=ZONE, **filters
    )
    assert page.total == len(page.items)
    return {row.order.id for row in page.items}


def _of(shop: dict[str, Any], *names: str) -> set[int]:
    return {shop["orders"][name].id for name in names}


def test_site_type_and_model_filters_stay_in_scope(session: Session, shop: dict[str, Any]) -> None:
    everything = Scope.everything()
    officer = Scope(agency_id=shop["vsat"].id, all_agencies=False)
    on_site = _of(shop, "may", "june") | {shop["calibration_order"]}
    assert _ids(session, everything, site_id=shop["site"].id) == on_site
    assert _ids(session, everything, type_id=shop["riid"].id) == on_site | _of(shop, "foreign")
    assert _ids(session, officer, type_id=shop["riid"].id) == on_site  # not customs' item
    assert _ids(session, officer, model_id=shop["riid_model"].id) == on_site
    customs = Scope(agency_id=shop["customs"].id, all_agencies=False)
    assert _ids(session, customs, site_id=shop["site"].id) == set()


def test_a_date_range_is_of_local_days_on_the_chosen_date(
    session: Session, shop: dict[str, Any]
) -> None:
    everything = Scope.everything()
    may = {"date_from": date(2026, 5, 1), "date_to": date(2026, 5, 31)}
    assert _ids(session, everything, date_field="completed", **may) == _of(
        shop, "may", "failed", "foreign"
    )
    june = {"date_from": date(2026, 6, 1), "date_to": date(2026, 6, 1)}
    assert _ids(session, everything, date_field="completed", **june) == _of(shop, "june")
    # Failed: the start of the downtime (April), not when it was reported (May).
    assert shop["orders"]["failed"].id not in _ids(session, everything, date_field="failed", **may)
    assert _ids(session, everything, date_field="due", **may) == _of(shop, "due")
    april = {"date_from": date(2026, 4, 1), "date_to": date(2026, 4, 30)}
    assert _ids(session, everything, date_field="calibrated", **april) == {
        shop["calibration_order"]
    }
    # An open end: from a day on.
    assert _ids(session, everything, date_field="completed", date_from=date(2026, 5, 21)) == (
        _of(shop, "may", "june")
    )


def test_the_narrow_filters_of_the_kpi_links(session: Session, shop: dict[str, Any]) -> None:
    everything = Scope.everything()
    assert _ids(session, everything, with_failure=True) == _of(shop, "failed")
    assert _ids(session, everything, with_cost=True) == _of(shop, "june", "foreign")
    # Open and past due at the end of 20 May: the inspection due on the 15th.
    assert _ids(session, everything, backlog_on=date(2026, 5, 20)) == _of(shop, "due")
    assert _ids(session, everything, backlog_on=date(2026, 5, 15)) == set()  # not yet late
    assert _ids(session, everything, scheduled=True) == set()


def test_parsing_reports_each_unusable_argument() -> None:
    query, errors = parse_work_order_query(
        {"date": "someday", "from": "2026-05-10", "to": "2026-05-01", "backlog_on": "x"}
    )
    assert set(errors) == {"date", "to", "backlog_on"}
    assert (query.date_field, query.date_from, query.date_to, query.backlog_on) == (
        None,
        None,
        None,
        None,
    )
    query, errors = parse_work_order_query(
        {"from": "2026-05-01", "failure": "1", "cost": "yes", "site_id": "3"}
    )
    assert errors == {}
    assert (query.date_field, query.with_failure, query.with_cost, query.site_id) == (
        "opened",
        True,
        True,
        3,
    )
    assert query.as_args() == {
        "site_id": 3,
        "date": "opened",
        "from": "2026-05-01",
        "failure": 1,
        "cost": 1,
    }
