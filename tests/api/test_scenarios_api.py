"""/api/v1/scenarios: planners and administrators create, change (with the version read), copy
and delete scenarios; the centre's roles read them and their portfolio; agency roles get 403.
Every response is checked against the OpenAPI document by the client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import AuditEvent, BudgetScenario, OptimisationRun
from tests.api.conftest import Caller
from tests.factories import make_model, make_type
from tests.web.conftest import World

Role = Callable[[str], Caller]


def _body(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Baseline 2027",
        "first_year": 2027,
        "horizon_years": 3,
        "inflation_pct": 2.5,
        "budgets": {"total": [100_000_000] * 3, "agency:VSAT": [50_000_000] * 3},
        **fields,
    }


def test_a_planner_creates_reads_and_lists(as_role: Role, session: Session) -> None:
    planner = as_role("planner")
    response = planner.post("/api/v1/scenarios", _body(site_weights={"MED": 5}))
    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Location"] == f"/api/v1/scenarios/{body['id']}"
    assert body["inflation_pct"] == 2.5
    assert body["budgets"]["total"] == [100_000_000] * 3
    assert (body["requirements"], body["agency_codes"], body["version"]) == ({}, [], 1)
    assert body["created_by_id"] == planner.user.id
    assert as_role("technician").get(response.headers["Location"]).json == body
    listed = as_role("admin").get("/api/v1/scenarios", sort="-name").json
    assert listed["total"] == 1
    assert listed["items"][0]["name"] == "Baseline 2027"
    events = session.execute(
        select(AuditEvent).where(AuditEvent.entity == "budget_scenario")
    ).scalars()
    assert [e.action for e in events] == ["create"]


def test_every_bad_field_is_named(as_role: Role) -> None:
    response = as_role("planner").post(
        "/api/v1/scenarios",
        _body(
            name="",
            horizon_years=31,
            inflation_pct=120,
            budgets={"agency:VSAT": [1, 2, 3], "agency:NOPE": [1, 2, 3]},
            requirements={"site:NOWHERE/RPM": [1, 1, 1]},
            agency_codes=["NOPE"],
        ),
    )
    assert response.status_code == 400
    errors = response.json["errors"]
    assert set(errors) >= {
        "name",
        "horizon_years",
        "inflation_pct",
        "budgets.total",
        "budgets.agency:NOPE",
        "requirements.site:NOWHERE/RPM",
        "agency_codes",
    }


def test_budgets_need_one_amount_per_year(as_role: Role) -> None:
    response = as_role("planner").post("/api/v1/scenarios", _body(budgets={"total": [1, 2]}))
    assert response.status_code == 400
    assert "3" in response.json["errors"]["budgets.total"]


def test_update_with_the_version_and_a_conflict(as_role: Role) -> None:
    planner = as_role("planner")
    created = planner.post("/api/v1/scenarios", _body()).json
    path = f"/api/v1/scenarios/{created['id']}"
    changed = planner.patch(path, {"version": 1, "carry_over": True, "name": "Changed"})
    assert changed.status_code == 200, changed.json
    assert (changed.json["carry_over"], changed.json["version"]) == (True, 2)
    stale = planner.patch(path, {"version": 1, "name": "Lost"})
    assert stale.status_code == 409
    assert planner.get(path).json["name"] == "Changed"
    # A longer horizon needs budgets for the new years too.
    longer = planner.patch(path, {"version": 2, "horizon_years": 4})
    assert longer.status_code == 400
    assert "budgets.total" in longer.json["errors"]
    read_only = planner.patch(path, {"version": 2, "copied_from_id": 3})
    assert read_only.status_code == 400


def test_copy_and_delete(as_role: Role, session: Session) -> None:
    planner = as_role("planner")
    original = planner.post("/api/v1/scenarios", _body()).json
    copy = planner.post(f"/api/v1/scenarios/{original['id']}/copy", {})
    assert copy.status_code == 201, copy.json
    assert copy.json["name"] == "Baseline 2027 (copy)"
    assert copy.json["copied_from_id"] == original["id"]
    assert copy.json["budgets"] == original["budgets"]
    named = planner.post(f"/api/v1/scenarios/{original['id']}/copy", {"name": "Lean"})
    assert named.json["name"] == "Lean"
    taken = planner.post(f"/api/v1/scenarios/{original['id']}/copy", {"name": "lean"})
    assert taken.status_code == 400
    assert "name" in taken.json["errors"]

    path = f"/api/v1/scenarios/{original['id']}"
    session.add(OptimisationRun(scenario_id=original["id"], status="running"))
    session.commit()
    busy = planner.send("DELETE", path, query_string={"version": 1})
    assert busy.status_code == 400
    run = session.execute(select(OptimisationRun)).scalar_one()
    run.status = "done"
    session.commit()
    assert planner.send("DELETE", path, query_string={"version": 7}).status_code == 409
    assert planner.send("DELETE", path).status_code == 400
    # Not a version at all: a bad request, not somebody else's change.
    for wrong in ("-1", "0", "\uff11", "1.0"):
        refused = planner.send("DELETE", path, query_string={"version": wrong})
        assert refused.status_code == 400, wrong
        assert "version" in refused.json["errors"]
    gone = planner.send("DELETE", path, query_string={"version": 1})
    assert gone.status_code == 200
    assert gone.json == {"id": original["id"], "deleted": True}
    assert planner.get(path).status_code == 404
    assert session.execute(select(OptimisationRun)).first() is None
    # The copies stay and forget where they came from, at the same version (nobody changed
    # them: an edit of a copy begun meanwhile still saves), with the change in the audit trail.
    kept = planner.get(f"/api/v1/scenarios/{copy.json['id']}").json
    assert (kept["copied_from_id"], kept["version"]) == (None, 1)
    event = session.execute(
        select(AuditEvent)
        .where(AuditEvent.entity == "budget_scenario", AuditEvent.entity_id == kept["id"])
        .order_by(AuditEvent.id.desc())  # type: ignore[union-attr]
    ).first()[0]
    assert (event.action, event.changes) == ("update", {"copied_from_id": [original["id"], None]})
    assert event.user_id == planner.user.id


@pytest.mark.parametrize("role", ["officer", "viewer"])
def test_agency_roles_are_refused(as_role: Role, role: str, session: Session) -> None:
    caller = as_role(role)
    assert caller.get("/api/v1/scenarios").status_code == 403
    assert caller.post("/api/v1/scenarios", _body()).status_code == 403
    assert session.execute(select(BudgetScenario)).first() is None


def test_a_technician_reads_but_does_not_write(as_role: Role) -> None:
    assert as_role("technician").post("/api/v1/scenarios", _body()).status_code == 403
    assert as_role("technician").get("/api/v1/scenarios").status_code == 200


def test_the_portfolio_document(as_role: Role, world: World, session: Session) -> None:
    rpm = make_type(session, "RPMX", typical_unit_cost_cents=20_000_000)
    model = make_model(session, rpm)
    world.vsat_item.model_id = model.id
    session.commit()
    planner = as_role("planner")
    created = planner.post("/api/v1/scenarios", _body(type_codes=["RPMX"])).json
    path = f"/api/v1/scenarios/{created['id']}/portfolio"
    response = as_role("technician").get(path, budget_factor="0.5")
    assert response.status_code == 200
    document = response.json
    assert document["format"] == "equiplan-portfolio/1"
    assert document["budgets"]["total"] == [500_000.0] * 3
    assert [item["id"] for item in document["items"]] == [world.vsat_item.inventory_no]
    assert document["items"][0]["options"][0]["id"] == "keep"
    assert planner.get(path, budget_factor="0").status_code == 400
    assert planner.get(path, factor="2").status_code == 400
    empty = planner.post("/api/v1/scenarios", _body(name="Empty", type_codes=["RPMX"])).json
    session.delete(world.vsat_item)
    session.commit()
    nothing = planner.get(f"/api/v1/scenarios/{empty['id']}/portfolio")
    assert nothing.status_code == 400
    assert "scope" in nothing.json["errors"]


def test_control_characters_are_refused_with_the_field_named(
    as_role: Role, world: World, session: Session
) -> None:
    planner = as_role("planner")
    refused = planner.post("/api/v1/scenarios", _body(description="Lanes\x00first"))
    assert refused.status_code == 400
    assert refused.json["errors"] == {
        "description": "Remove the invisible control characters from this text."
    }
    assert session.execute(select(BudgetScenario)).first() is None
    # Every text field of every form says the same: here an item's notes.
    item = {"inventory_no": "VSAT-PRD-9001", "model_id": world.vsat_item.model_id}
    notes = as_role("admin").post(
        "/api/v1/equipment", {**item, "agency_id": world.vsat.id, "notes": "a\x00b"}
    )
    assert notes.status_code == 400
    assert notes.json["errors"]["notes"] == (
        "Remove the invisible control characters from this text."
    )


def test_the_portfolio_is_a_compact_download(as_role: Role, world: World, session: Session) -> None:
    rpm = make_type(session, "RPMX", typical_unit_cost_cents=20_000_000)
    world.vsat_item.model_id = make_model(session, rpm).id
    session.commit()
    created = as_role("planner").post("/api/v1/scenarios", _body(type_codes=["RPMX"])).json
    response = as_role("technician").get(f"/api/v1/scenarios/{created['id']}/portfolio")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="portfolio-{created["id"]}.json"'
    )
    assert response.get_data(as_text=True).startswith('{"format":"equiplan-portfolio/1",')


def test_a_type_without_unit_cost_is_a_clear_error(
    as_role: Role, world: World, session: Session
) -> None:
    free = make_type(session, "RPMF", typical_unit_cost_cents=0)
    world.vsat_item.model_id = make_model(session, free, name="Gratis 1").id
    world.vsat_item.acquisition_cost_cents = 0
    session.commit()
    created = as_role("planner").post("/api/v1/scenarios", _body(type_codes=["RPMF"])).json
    response = as_role("planner").get(f"/api/v1/scenarios/{created['id']}/portfolio")
    assert response.status_code == 400
    assert "RPMF" in response.json["errors"]["scope"]
    assert "Gratis 1" in response.json["errors"]["scope"]


def test_control_characters_in_a_list_filter_are_a_400(as_role: Role) -> None:
    reader = as_role("technician")
    for path, name in (("/api/v1/scenarios", "search"), ("/api/v1/runs", "sweep_key")):
        refused = reader.get(path, **{name: "a\x00b"})
        assert refused.status_code == 400
        assert refused.json["errors"] == {
            name: "Remove the invisible control characters from this text."
        }
