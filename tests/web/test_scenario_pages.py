"""The scenario pages as planners see them: create a scenario with yearly budget rows, read it,
change it (bad input, stale versions), copy it, delete it after confirming, export its
portfolio; the list's search, sorting and paging; who sees what."""

from __future__ import annotations

import json
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import BudgetScenario, OptimisationRun
from tests.conftest import csrf_token, sign_in
from tests.web.conftest import World


def _post(client: FlaskClient, path: str, data: dict[str, Any]):  # type: ignore[no-untyped-def]
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/scenarios/new")})


def _form(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Border 2027",
        "description": "Lanes first",
        "first_year": "2027",
        "horizon_years": "3",
        "inflation_pct": "2,5",
        "carry_over": "y",
        "budget-total": "1 200 000; 1 250 000; 1 300 000,50",
        "budget-agency:VSAT": "700000",
        "budget-agency:MUIT": "",
        "agency_codes": ["VSAT"],
        "requirements": "MED/RPMW: 2.5\n",
        "site_weights": "MED: 5",
        **fields,
    }


def _scenarios(session: Session) -> list[BudgetScenario]:
    session.expire_all()
    return list(session.execute(select(BudgetScenario).order_by(BudgetScenario.id)).scalars())


def _make_type(session: Session) -> None:
    from tests.factories import make_type

    make_type(session, "RPMW")


def test_a_planner_creates_and_reads_a_scenario(
    client: FlaskClient, world: World, session: Session
) -> None:
    _make_type(session)
    sign_in(client, world.users["planner"])
    page = client.get("/scenarios").get_data(as_text=True)
    assert 'href="/scenarios/new"' in page
    form = client.get("/scenarios/new").get_data(as_text=True)
    # A budget row for the total and for every agency; next year and ten years proposed.
    assert 'name="budget-total"' in form
    assert 'name="budget-agency:VSAT"' in form
    assert 'name="budget-agency:MUIT"' in form
    assert 'name="horizon_years" pattern="[0-9]*" type="text" value="10"' in form

    response = _post(client, "/scenarios/new", _form())
    assert response.status_code == 302, response.get_data(as_text=True)
    [scenario] = _scenarios(session)
    assert response.headers["Location"] == f"/scenarios/{scenario.id}"
    assert scenario.budgets == {
        "total": [120_000_000, 125_000_000, 130_000_050],
        "agency:VSAT": [70_000_000] * 3,
    }
    assert scenario.inflation_pct == Decimal("2.5")
    assert scenario.carry_over is True
    assert scenario.agency_codes == ["VSAT"]
    assert scenario.requirements == {"site:MED/RPMW": [2.5, 2.5, 2.5]}
    assert scenario.site_weights == {"MED": 5.0}
    assert scenario.created_by_id == world.users["planner"].id

    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Border 2027" in detail
    assert "€1,300,000.50" in detail
    assert "2027–2029" in detail
    assert f'href="/scenarios/{scenario.id}/portfolio.json"' in detail
    assert f'href="/scenarios/{scenario.id}/edit"' in detail


def test_every_problem_is_shown_beside_its_input(
    client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, world.users["admin"])
    response = _post(
        client,
        "/scenarios/new",
        _form(
            name="",
            horizon_years="40",
            **{"budget-total": "", "budget-agency:VSAT": "12; x"},
            requirements="NOWHERE/RPM: 1",
            site_weights="MED: 500",
        ),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert html.count('class="invalid-feedback"') >= 4
    assert "This field is required." in html
    assert "Give the total budget of every year." in html
    assert "Not an amount of euros." in html
    assert _scenarios(session) == []
    # What was typed is kept.
    assert 'value="12; x"' in html


def test_edit_with_a_stale_version_keeps_the_input(
    client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, world.users["planner"])
    _post(client, "/scenarios/new", _form(requirements="", agency_codes=[]))
    [scenario] = _scenarios(session)
    edit = client.get(f"/scenarios/{scenario.id}/edit").get_data(as_text=True)
    assert 'data-testid="inputs-locked"' not in edit  # no run waits for it
    assert 'value="1200000; 1250000; 1300000.50"' in edit
    assert 'value="700000"' in edit
    saved = _post(
        client,
        f"/scenarios/{scenario.id}/edit",
        _form(name="Renamed", requirements="", version="1"),
    )
    assert saved.status_code == 302
    assert _scenarios(session)[0].name == "Renamed"
    stale = _post(
        client,
        f"/scenarios/{scenario.id}/edit",
        _form(name="Lost", requirements="", version="1"),
    )
    assert stale.status_code == 409
    assert 'value="Lost"' in stale.get_data(as_text=True)
    assert _scenarios(session)[0].name == "Renamed"


def test_copy_then_delete_after_confirming(
    client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, world.users["planner"])
    _post(client, "/scenarios/new", _form(requirements=""))
    [original] = _scenarios(session)
    original_id = original.id
    copied = _post(client, f"/scenarios/{original.id}/copy", {"name": ""})
    assert copied.status_code == 302
    copy = _scenarios(session)[1]
    assert copied.headers["Location"] == f"/scenarios/{copy.id}/edit"
    assert (copy.name, copy.copied_from_id) == ("Border 2027 (copy)", original.id)
    assert copy.budgets == original.budgets

    session.add(OptimisationRun(scenario_id=original.id, status="done"))
    session.commit()
    confirm = client.get(f"/scenarios/{original.id}/delete").get_data(as_text=True)
    assert "Its 1 optimisation run goes with it." in confirm
    assert len(_scenarios(session)) == 2  # asking deletes nothing
    deleted = _post(client, f"/scenarios/{original.id}/delete", {"version": "1"})
    assert deleted.status_code == 302
    assert [s.name for s in _scenarios(session)] == ["Border 2027 (copy)"]
    assert _scenarios(session)[0].copied_from_id is None
    assert client.get(f"/scenarios/{original_id}").status_code == 404


def test_export_portfolio(client: FlaskClient, world: World, session: Session) -> None:
    sign_in(client, world.users["planner"])
    _post(client, "/scenarios/new", _form(requirements="", site_weights="", agency_codes=[]))
    [scenario] = _scenarios(session)
    sign_in(client, world.users["technician"])
    response = client.get(f"/scenarios/{scenario.id}/portfolio.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="portfolio-{scenario.id}-Border-2027.json"'
    )
    document = json.loads(response.get_data(as_text=True))
    assert document["format"] == "equiplan-portfolio/1"
    assert document["budgets"]["total"] == [1_200_000.0, 1_250_000.0, 1_300_000.5]
    assert {item["id"] for item in document["items"]} == {
        world.vsat_item.inventory_no,
        world.customs_item.inventory_no,
    }


def test_export_with_nothing_in_scope_says_why(
    client: FlaskClient, world: World, session: Session
) -> None:
    _make_type(session)
    sign_in(client, world.users["planner"])
    _post(client, "/scenarios/new", _form(requirements="", type_codes=["RPMW"]))
    [scenario] = _scenarios(session)
    response = client.get(f"/scenarios/{scenario.id}/portfolio.json")
    assert response.status_code == 400
    # A refused file gives its slot back (web/portfolio_files.py): 400 again, never 503.
    assert client.get(f"/scenarios/{scenario.id}/portfolio.json").status_code == 400
    assert "No equipment is in this scenario" in response.get_data(as_text=True)


def test_list_search_sort_and_paging(client: FlaskClient, world: World, session: Session) -> None:
    for number in range(30):
        session.add(
            BudgetScenario(
                name=f"Plan {number:02d}",
                first_year=2027 + number % 3,
                horizon_years=1,
                budgets={"total": [1]},
            )
        )
    session.commit()
    sign_in(client, world.users["technician"])
    first = client.get("/scenarios").get_data(as_text=True)
    assert "Plan 00" in first
    assert "Plan 29" not in first
    assert "Page 1 of 2" in first
    assert 'href="/scenarios/new"' not in first  # technicians read only
    last = client.get("/scenarios?sort=name&desc=1").get_data(as_text=True)
    assert last.index("Plan 29") < last.index("Plan 28")
    assert '<th scope="col" aria-sort="descending"><a href="/scenarios?sort=name">' in last
    # Nonsense in the URL shows a list, not an error.
    assert client.get("/scenarios?page=99999999999999999999&sort=nope").status_code == 200
    # Past the last page: the last page, not "No scenarios yet".
    beyond = client.get("/scenarios?page=5").get_data(as_text=True)
    assert "Page 2 of 2" in beyond
    assert "Plan 29" in beyond
    assert "No scenarios yet." not in beyond
    found = client.get("/scenarios?search=plan+1").get_data(as_text=True)
    assert "Plan 12" in found
    assert "Plan 22" not in found


def test_agency_roles_see_no_planning(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["officer"])
    assert 'href="/scenarios"' not in client.get("/equipment").get_data(as_text=True)
    assert client.get("/scenarios").status_code == 403
    planner = client.application.test_client()
    sign_in(planner, world.users["planner"])
    assert 'href="/scenarios"' in planner.get("/equipment").get_data(as_text=True)


def test_export_is_streamed(client: FlaskClient, world: World, session: Session) -> None:
    sign_in(client, world.users["planner"])
    _post(client, "/scenarios/new", _form(requirements="", site_weights="", agency_codes=[]))
    [scenario] = _scenarios(session)
    response = client.get(f"/scenarios/{scenario.id}/portfolio.json")
    assert response.status_code == 200
    assert response.is_streamed  # written piece by piece, not held whole
    assert response.mimetype == "application/json"
    text = response.get_data(as_text=True)
    assert text.startswith('{"format":"equiplan-portfolio/1",')  # compact
    assert len(json.loads(text)["items"]) == 2


def test_a_nul_byte_in_the_description_is_a_field_error(
    client: FlaskClient, world: World, session: Session
) -> None:
    _make_type(session)
    sign_in(client, world.users["planner"])
    response = _post(client, "/scenarios/new", _form(description="Lanes\x00first"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Remove the invisible control characters from this text." in page
    assert _scenarios(session) == []


def test_unknown_sites_are_all_named_in_one_message(
    client: FlaskClient, world: World, session: Session
) -> None:
    _make_type(session)
    sign_in(client, world.users["planner"])
    weights = "MED: 5\nNOPE1: 2\nNOPE2: 3"
    response = _post(client, "/scenarios/new", _form(site_weights=weights))
    assert response.status_code == 400
    assert "Unknown sites: NOPE1, NOPE2." in response.get_data(as_text=True)


def test_the_form_names_agencies_in_the_pages_language(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["planner"])
    english = client.get("/scenarios/new").get_data(as_text=True)
    assert f"VSAT · {world.vsat.name_en}" in english
    client.post("/locale", data={"locale": "lt", "csrf_token": csrf_token(client, "/scenarios")})
    lithuanian = client.get("/scenarios/new").get_data(as_text=True)
    # In the budget rows and the agencies in scope.
    assert lithuanian.count("VSAT · Valstybės sienos apsaugos tarnyba") == 2
    assert f"VSAT · {world.vsat.name_en}" not in lithuanian


class _FormReader(HTMLParser):
    """What a browser would send for the page's form with `action`: inputs, checked boxes,
    text areas (line breaks as CR LF, as browsers send them) and selected options."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside = action, False
        self.fields: list[tuple[str, str]] = []
        self.textarea: str | None = None
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self.textarea = a["name"]
            self.fields.append((a["name"], ""))
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self.inside and self.textarea:
            name, text = self.fields[-1]
            self.fields[-1] = (name, text + data.removeprefix("\n").replace("\n", "\r\n"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "form":
            self.inside = False


def test_a_form_saved_with_only_a_new_name_keeps_every_other_input(
    client: FlaskClient, world: World, session: Session
) -> None:
    # With a run queued only the name may change: the form must send back the rest exactly.
    from werkzeug.datastructures import MultiDict

    _make_type(session)
    scenario = BudgetScenario(
        name="Exact",
        description="Lanes first\nthen the ports",
        first_year=2027,
        horizon_years=2,
        budgets={"total": [100_000, 100_000]},
        agency_codes=["VSAT", "MUIT"],
        requirements={"site:MED/RPMW": [1234.567, 2.5]},
        site_weights={"MED": 0.1234567},
    )
    session.add(scenario)
    session.commit()
    session.add(OptimisationRun(scenario_id=scenario.id, status="queued"))
    session.commit()
    sign_in(client, world.users["planner"])
    path = f"/scenarios/{scenario.id}/edit"
    page = client.get(path).get_data(as_text=True)
    assert 'data-testid="inputs-locked"' in page  # said before anything is typed
    assert "only its name can change until it ends" in page
    reader = _FormReader(path)
    reader.feed(page)
    sent = MultiDict([(k, "Exact, renamed" if k == "name" else v) for k, v in reader.fields])
    assert sent.getlist("agency_codes") == ["MUIT", "VSAT"]  # the list's order, not the stored
    response = client.post(path, data=sent)
    assert response.status_code == 302, response.get_data(as_text=True)
    [stored] = _scenarios(session)
    assert stored.name == "Exact, renamed"
    assert stored.description == "Lanes first\nthen the ports"
    assert stored.requirements == {"site:MED/RPMW": [1234.567, 2.5]}
    assert stored.site_weights == {"MED": 0.1234567}
    assert stored.agency_codes == ["VSAT", "MUIT"]
    # Any other change is refused while the run is queued, with the input kept.
    sent["site_weights"] = "MED: 2"
    sent["version"] = str(stored.version)
    refused = client.post(path, data=sent)
    assert refused.status_code == 400
    assert refused.get_data(as_text=True).count("only its name can change") == 1
    assert _scenarios(session)[0].site_weights == {"MED": 0.1234567}


def test_commas_in_amounts_follow_the_pages_language(
    client: FlaskClient, world: World, session: Session
) -> None:
    # In English "," groups thousands; in Lithuanian it is the decimal comma. Both marks: the
    # last one is the decimal. A budget typed the English way is never read 1,000 times smaller.
    sign_in(client, world.users["planner"])
    budget = "250,000; 1,250,000.50; 12,5"
    no_agency = {"budget-agency:VSAT": "", "agency_codes": [], "requirements": ""}
    created = _post(client, "/scenarios/new", _form(**{"budget-total": budget, **no_agency}))
    assert created.status_code == 302, created.get_data(as_text=True)
    client.post("/locale", data={"locale": "lt", "csrf_token": csrf_token(client, "/scenarios")})
    lithuanian = _form(name="Lietuviškai", **{"budget-total": budget, **no_agency})
    assert _post(client, "/scenarios/new", lithuanian).status_code == 302
    english, local = _scenarios(session)
    assert english.budgets["total"] == [25_000_000, 125_000_050, 1_250]
    assert local.budgets["total"] == [25_000, 125_000_050, 1_250]
    # Not thousands in either language: an error at the budget row, not a guess.
    wrong = _post(client, "/scenarios/new", _form(name="x", **{"budget-total": "1,2,3"}))
    assert wrong.status_code == 400
    assert "is-invalid" in wrong.get_data(as_text=True)


def test_a_refused_copy_keeps_the_name_beside_its_error(
    client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, world.users["planner"])
    _post(client, "/scenarios/new", _form(requirements=""))
    [original] = _scenarios(session)
    refused = _post(client, f"/scenarios/{original.id}/copy", {"name": "Border 2027"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert 'id="copy-name"' in page
    assert 'value="Border 2027"' in page
    assert 'data-testid="copy-error">Another scenario has this name.' in page
    assert len(_scenarios(session)) == 1


def test_the_delete_page_says_up_front_that_an_active_run_blocks_it(
    client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, world.users["planner"])
    _post(client, "/scenarios/new", _form(requirements=""))
    [scenario] = _scenarios(session)
    session.add(OptimisationRun(scenario_id=scenario.id, status="queued"))
    session.commit()
    page = client.get(f"/scenarios/{scenario.id}/delete").get_data(as_text=True)
    assert 'data-testid="delete-blocked"' in page
    assert "cancel it first" in page
    assert '<button type="submit" class="btn btn-danger" disabled>' in page
    run = session.execute(select(OptimisationRun)).scalar_one()
    run.status = "done"
    session.commit()
    page = client.get(f"/scenarios/{scenario.id}/delete").get_data(as_text=True)
    assert 'data-testid="delete-blocked"' not in page
    assert '<button type="submit" class="btn btn-danger">' in page


def test_a_site_given_twice_is_an_error_not_a_silent_replacement(
    client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, world.users["planner"])
    _make_type(session)
    twice = _form(requirements="MED/RPMW: 1\nMED/RPMW: 2", site_weights="MED: 5\nMED: 1")
    response = _post(client, "/scenarios/new", twice)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "MED/RPMW is given twice." in page
    assert "MED is given twice." in page
    assert _scenarios(session) == []


def test_one_portfolio_file_is_prepared_at_a_time(
    client: FlaskClient, world: World, session: Session
) -> None:
    from equiplan.web import portfolio_files

    sign_in(client, world.users["planner"])
    _post(client, "/scenarios/new", _form(requirements="", site_weights="", agency_codes=[]))
    [scenario] = _scenarios(session)
    page, api = (
        f"/scenarios/{scenario.id}/portfolio.json",
        f"/api/v1/scenarios/{scenario.id}/portfolio",
    )
    # One after the other: each download gives its slot back when it has been sent.
    for _ in range(3):
        response = client.get(page)
        assert response.status_code == 200
        assert json.loads(response.get_data(as_text=True))["format"] == "equiplan-portfolio/1"
        response.close()
    release = portfolio_files._slot()  # another request is building one
    try:
        busy = client.get(page)
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "30"
        assert "Another portfolio file is being prepared" in busy.get_data(as_text=True)
        busy_api = client.get(api)
        assert busy_api.status_code == 503
        assert busy_api.headers["Retry-After"] == "30"
        assert busy_api.json is not None
        assert "Another portfolio file is being prepared" in busy_api.json["detail"]
    finally:
        release()
    assert client.get(api).status_code == 200
