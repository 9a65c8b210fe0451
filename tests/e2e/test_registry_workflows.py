"""The register's main workflows in Chromium against a live server with the demo data:
an officer registers an item and reports a fault on it; a technician records a calibration
with a certificate upload; an officer cannot open another agency's item."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.pages import new_page, query_one, sign_in

pytestmark = pytest.mark.browser

OFFICER = "officer@vsat.demo.lt"
TECHNICIAN = "technician@demo.lt"


def _no_problems(problems: list[str], allowed: tuple[str, ...] = ()) -> None:
    unexpected = [p for p in problems if not any(a in p for a in allowed)]
    assert not unexpected, "browser errors (console, uncaught, HTTP >= 400):\n" + "\n".join(
        unexpected
    )


def test_officer_registers_an_item_and_reports_a_fault(
    browser: Any, live_server: str, e2e_database: Path
) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    page = new_page(browser, problems)
    sign_in(page, live_server, OFFICER)
    page.goto(f"{live_server}/equipment")
    page.get_by_test_id("register-equipment").click()
    expect(page).to_have_url(f"{live_server}/equipment/new")
    expect(page.locator("#agency_id")).to_have_count(0)  # own agency only

    # A first try with a mistake: the page says what is wrong and keeps the input.
    page.locator("#inventory_no").fill("VSAT-PRD-E2E-1")
    page.locator("#serial_no").fill("E2E-0001")
    page.locator("#model_id").select_option(index=1)
    page.locator("#commissioned_on").fill("2026-03-01")
    page.locator("#acquired_on").fill("2026-04-01")  # after commissioning: refused
    page.locator("#acquisition_cost_eur").fill("1 250,00")
    page.locator("[data-testid=equipment-form] button[type=submit]").click()
    expect(page.locator("#commissioned_on ~ .invalid-feedback")).to_be_visible()
    expect(page.locator("#serial_no")).to_have_value("E2E-0001")

    page.locator("#acquired_on").fill("2026-02-01")
    page.locator("[data-testid=equipment-form] button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"{live_server}/equipment/\d+$"))
    expect(page.locator("main h1")).to_contain_text("VSAT-PRD-E2E-1")
    item_id = int(page.url.rsplit("/", 1)[1])
    agency, cost = query_one(
        e2e_database,
        "SELECT agency.code, equipment.acquisition_cost_cents FROM equipment "
        "JOIN agency ON agency.id = equipment.agency_id WHERE equipment.id = ?",
        item_id,
    )
    assert (agency, cost) == ("VSAT", 125_000)
    state = page.get_by_test_id("state")
    expect(state.locator(".badge.text-bg-success")).to_be_visible()  # operational

    # The officer reports a fault: with open downtime the item is no longer operational.
    page.locator("[data-testid=work-order-actions] a[href*='kind=corrective']").click()
    page.locator("#symptom").fill("No gamma counts after the self-test")
    page.locator("#failure_code").select_option(index=1)
    expect(page.locator("#downtime_start")).not_to_have_value("")  # defaults to now
    page.locator("[data-testid=work-order-form] button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"{live_server}/work-orders/\d+$"))
    order_id = int(page.url.rsplit("/", 1)[1])
    kind, status, downtime, failure = query_one(
        e2e_database,
        "SELECT kind, status, downtime_start IS NOT NULL, failure_code_id IS NOT NULL "
        "FROM work_order WHERE id = ? AND equipment_id = ?",
        order_id,
        item_id,
    )
    assert (kind, status, downtime, failure) == ("corrective", "open", 1, 1)
    page.goto(f"{live_server}/equipment/{item_id}")
    expect(state.locator(".badge.text-bg-danger")).to_be_visible()  # not operational
    expect(page.locator(f"a[href='/work-orders/{order_id}']")).to_be_visible()  # in the history

    page.context.close()
    _no_problems(problems, allowed=("/equipment/new",))  # the deliberate mistake above


def test_technician_records_a_calibration_with_a_certificate(
    browser: Any, live_server: str, e2e_database: Path
) -> None:
    from playwright.sync_api import expect

    # A VSAT personal radiation detector in service, with calibrations on record (for drift).
    (item_id,) = query_one(
        e2e_database,
        "SELECT equipment.id FROM equipment "
        "JOIN equipment_model ON equipment_model.id = equipment.model_id "
        "JOIN equipment_type ON equipment_type.id = equipment_model.type_id "
        "JOIN agency ON agency.id = equipment.agency_id "
        "WHERE equipment_type.code = 'PRD' AND agency.code = 'VSAT' "
        "AND equipment.status = 'in_service' AND equipment.flagged_for_review = 0 "
        "AND EXISTS (SELECT 1 FROM calibration_result c WHERE c.equipment_id = equipment.id) "
        "ORDER BY equipment.id LIMIT 1",
    )
    problems: list[str] = []
    page = new_page(browser, problems)
    sign_in(page, live_server, TECHNICIAN)
    page.goto(f"{live_server}/equipment/{item_id}")
    page.locator("[data-testid=calibration-actions] a").click()
    expect(page).to_have_url(re.compile(rf"/equipment/{item_id}/calibrations/new"))

    page.locator("#laboratory").fill("NSSC metrology laboratory")
    page.locator("#certificate_no").fill("E2E-CAL-0001")
    page.locator("#certificate").set_input_files(
        files=[
            {
                "name": "sertifikatas E2E.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
            }
        ]
    )
    # The form starts from last time's points; as found 30 % high (out of a 20 % tolerance
    # band), adjusted back to nominal.
    nominal_field = page.locator("#points-0-nominal")
    if not nominal_field.input_value():
        nominal_field.fill("10")
        page.locator("#points-0-tolerance").fill("20")
    nominal = float(nominal_field.input_value().replace(",", "."))
    tolerance = float(page.locator("#points-0-tolerance").input_value().replace(",", "."))
    found = nominal * (1 + (tolerance + 10) / 100)
    page.locator("#points-0-as_found").fill(f"{found:.3f}")
    page.locator("#points-0-as_left").fill(f"{nominal:g}")
    page.locator("[data-testid=calibration-form] button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"{live_server}/calibrations/\d+$"))
    expect(page.get_by_test_id("flagged")).to_be_visible()
    first_row = page.get_by_test_id("points").locator("tbody tr").first
    expect(first_row).to_contain_text(f"{round(found, 3):g}".replace(".", ","))
    # Drift: this as-found against the previous calibration's as-left.
    expect(first_row.get_by_test_id("drift")).to_have_text(re.compile(r"^[+−-]?\d"))
    link = page.get_by_test_id("certificate-link")
    expect(link).to_have_text("sertifikatas E2E.pdf")
    download = page.request.get(live_server + link.get_attribute("href"))
    assert download.status == 200
    assert download.body().startswith(b"%PDF-1.4")
    assert "attachment" in download.headers["content-disposition"]

    stored, flagged = query_one(
        e2e_database,
        "SELECT c.certificate_file, e.flagged_for_review FROM calibration_result c "
        "JOIN equipment e ON e.id = c.equipment_id WHERE c.certificate_no = 'E2E-CAL-0001'",
    )
    assert flagged == 1
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", stored), stored  # random, not the user's name
    page.context.close()
    _no_problems(problems)


def test_officer_cannot_open_another_agencys_item(
    browser: Any, live_server: str, e2e_database: Path
) -> None:
    from playwright.sync_api import expect

    foreign_id, foreign_no = query_one(
        e2e_database,
        "SELECT equipment.id, equipment.inventory_no FROM equipment "
        "JOIN agency ON agency.id = equipment.agency_id WHERE agency.code = 'MUIT' LIMIT 1",
    )
    problems: list[str] = []
    page = new_page(browser, problems)
    sign_in(page, live_server, OFFICER)
    for path in (f"/equipment/{foreign_id}", f"/equipment/{foreign_id}/edit"):
        response = page.goto(f"{live_server}{path}")
        assert response.status == 404, path
        expect(page.locator("main")).not_to_contain_text(foreign_no)
    # Nor does a search of the list find it.
    page.goto(f"{live_server}/equipment?search={foreign_no}")
    expect(page.get_by_test_id("count")).to_contain_text("0")
    page.context.close()
    _no_problems(problems, allowed=(f"/equipment/{foreign_id}",))
