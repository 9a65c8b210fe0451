"""/api/v1/kpis: the KPI report as JSON, scoped to the caller. Every response is checked against
the OpenAPI document by the client (tests/api/conformance.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from tests.api.conftest import Caller
from tests.factories import make_equipment, make_failure_code, make_work_order
from tests.web.conftest import World

Role = Callable[[str], Caller]
YEAR_2025 = {"window": "custom", "from": "2025-01-01", "to": "2025-12-31"}


@pytest.fixture
def history(world: World, session: Session) -> None:
    """One 48-hour failure of the VSAT item in 2025 and a spare item in customs; both items
    were commissioned on 1 January 2020 (the factory's default)."""
    code = make_failure_code(session, "DET")
    make_work_order(
        session,
        world.vsat_item,
        status="done",
        failure_code_id=code.id,
        opened_at=datetime(2025, 3, 1, tzinfo=UTC),
        downtime_start=datetime(2025, 3, 1, tzinfo=UTC),
        downtime_end=datetime(2025, 3, 3, tzinfo=UTC),
        completed_at=datetime(2025, 3, 3, tzinfo=UTC),
        parts_cost_cents=12_345,
    )
    make_equipment(session, world.customs, commissioned_on=date(2020, 1, 1))


def test_an_agency_over_a_custom_year(as_role: Role, world: World, history: None) -> None:
    response = as_role("officer").get("/api/v1/kpis", level="agency", id=world.vsat.id, **YEAR_2025)
    assert response.status_code == 200
    body = response.json
    assert (body["level"], body["id"], body["code"]) == ("agency", world.vsat.id, "VSAT")
    assert body["window"]["from"] == "2025-01-01"
    assert body["window"]["to"] == "2025-12-31"
    assert body["previous_window"]["from"] == "2024-01-02"
    now = body["current"]
    assert (now["devices"], now["failures"]) == (1, 1)
    assert now["calendar_hours"] == pytest.approx(8760)
    assert now["downtime_hours"] == pytest.approx(48)
    assert now["mtbf_hours"] == pytest.approx(8712)
    assert now["mtbf_is_lower_bound"] is False
    assert now["mttr_hours"] == pytest.approx(48)
    assert now["availability"] == pytest.approx(8712 / 8760)
    assert now["cost_cents"] == 12_345
    assert [bucket["from_days"] for bucket in now["backlog"]] == [1, 31, 91, 366]
    before = body["previous"]
    assert before["failures"] == 0
    assert before["mtbf_hours"] == pytest.approx(8760)
    assert before["mtbf_is_lower_bound"] is True
    assert before["mttr_hours"] is None
    sites, types = body["breakdowns"]
    assert (sites["level"], types["level"]) == ("site", "type")
    # The item stands at no site: one row for the agency's devices without a site.
    assert [row["id"] for row in sites["rows"]] == [None]


def test_the_scope_is_the_callers(as_role: Role, world: World, history: None) -> None:
    mine = as_role("viewer").get("/api/v1/kpis", **YEAR_2025).json
    assert mine["current"]["devices"] == 1
    assert [row["code"] for row in mine["breakdowns"][0]["rows"]] == ["VSAT"]
    everything = as_role("planner").get("/api/v1/kpis", **YEAR_2025).json
    assert everything["current"]["devices"] == 3
    assert [row["code"] for row in everything["breakdowns"][0]["rows"]] == ["MUIT", "VSAT"]


@pytest.mark.parametrize("role", ["officer", "viewer"])
def test_another_agencys_figures_are_not_found(as_role: Role, world: World, role: str) -> None:
    caller = as_role(role)
    assert caller.get("/api/v1/kpis", level="agency", id=world.customs.id).status_code == 404
    response = caller.get("/api/v1/kpis", level="item", id=world.customs_item.id)
    assert response.status_code == 404
    assert (
        as_role("technician")
        .get("/api/v1/kpis", level="item", id=world.customs_item.id)
        .status_code
        == 200
    )


def test_bad_arguments_are_a_400_naming_each(as_role: Role) -> None:
    response = as_role("viewer").get(
        "/api/v1/kpis", level="galaxy", window="5y", page=2, **{"from": "soon"}
    )
    assert response.status_code == 400
    assert set(response.json["errors"]) == {"level", "window", "page"}
    response = as_role("viewer").get("/api/v1/kpis", level="agency")
    assert set(response.json["errors"]) == {"id"}
    response = as_role("viewer").get("/api/v1/kpis", **{"from": "2025-02-01", "to": "2025-01-01"})
    assert set(response.json["errors"]) == {"to"}


def test_the_api_needs_credentials(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/kpis").status_code == 401
