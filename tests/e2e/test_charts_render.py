"""The chart page in Chromium against a live server with the demo data: Plotly (served by the
app, not a CDN) draws all five charts as SVG under the strict CSP, with no console error and no
CSP violation; an officer's charts hold only their agency; each chart opens as a table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.pages import new_page, query_one, sign_in

pytestmark = pytest.mark.browser

OFFICER = "officer@vsat.demo.lt"
PLANNER = "planner@demo.lt"
KEYS = ("availability", "failures", "age", "cost", "survival")
# Records every CSP violation, whatever the console shows (added before any page script runs).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def _charts_page(browser: Any, live_server: str, email: str, problems: list[str]) -> Any:
    page = new_page(browser, problems)
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, live_server, email)
    return page


def _assert_drawn(page: Any) -> None:
    from playwright.sync_api import expect

    for key in KEYS:
        plot = page.locator(f"#chart-{key}")
        expect(plot.locator("svg.main-svg").first).to_be_visible()
        expect(plot).to_have_attribute("role", "img")
        # Drawn: the title is in the picture, the heading stays for screen readers only.
        expect(page.locator(f"#chart-{key}-title")).to_have_class("h5 visually-hidden")
    # Plotly's global rules went into our stylesheet through the CSSOM: no <style> element.
    rules = page.evaluate("document.getElementById('plotly.js-style-global').sheet.cssRules.length")
    assert rules > 10
    assert page.evaluate("document.querySelectorAll('style').length") == 0
    assert page.evaluate("window.__cspViolations") == []


def test_the_charts_draw_under_the_csp_without_errors(
    browser: Any, live_server: str, e2e_database: Path
) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    page = _charts_page(browser, live_server, PLANNER, problems)
    plotly = page.request.get(f"{live_server}/vendor/plotly.min.js")
    assert plotly.status == 200
    assert "max-age=31536000" in plotly.headers["cache-control"]
    page.goto(f"{live_server}/kpis/charts?by=agency")
    _assert_drawn(page)
    # Every agency with failures on record is a series of the failures chart.
    (agencies,) = query_one(
        e2e_database,
        "SELECT COUNT(DISTINCT equipment.agency_id) FROM work_order "
        "JOIN equipment ON equipment.id = work_order.equipment_id "
        "WHERE work_order.kind = 'corrective' AND work_order.failure_code_id IS NOT NULL "
        "AND work_order.status != 'cancelled'",
    )
    legend = page.locator("#chart-failures .legend .traces")
    expect(legend).to_have_count(agencies)

    # The same numbers as a table, one click away: a row per year (the demo history spans six
    # years), a column per agency with costs, the year and the total.
    section = page.get_by_test_id("chart-cost")
    table = section.get_by_test_id("chart-cost-table")
    expect(table).to_be_hidden()
    section.locator("summary").click()
    expect(table).to_be_visible()
    assert table.locator("tbody tr").count() >= 6
    assert table.locator("thead th").count() >= 3
    expect(table.locator("caption")).to_have_text(page.locator("#chart-cost-title").inner_text())

    # The survival chart says whether its parameters were fitted or are the priors, and on what.
    expect(page.get_by_test_id("chart-survival-facts").locator("dt")).to_have_count(7)
    page.context.close()
    assert not problems, "browser errors (console, uncaught, HTTP >= 400):\n" + "\n".join(problems)


def test_an_officer_charts_only_their_agency(browser: Any, live_server: str) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    page = _charts_page(browser, live_server, OFFICER, problems)
    page.goto(f"{live_server}/kpis/charts?by=agency")
    _assert_drawn(page)
    expect(page.locator("#agency_id")).to_have_count(0)
    names = page.locator("#chart-failures .legend .traces text.legendtext").all_text_contents()
    assert names == ["VSAT"]
    page.context.close()
    assert not problems, "browser errors (console, uncaught, HTTP >= 400):\n" + "\n".join(problems)
