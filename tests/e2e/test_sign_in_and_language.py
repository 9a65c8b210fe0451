"""An agency officer signs in through the real form in Chromium, sees only their agency's
equipment, and switches the interface language, which is saved on their account.

Runs against a live `equiplan serve` with the demo data (tests/e2e/conftest.py).
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.pages import DEMO_PASSWORD, new_page

pytestmark = pytest.mark.browser

OFFICER = "officer@vsat.demo.lt"  # demo seed: officer of the State Border Guard Service
OWN_AGENCY, OTHER_AGENCY = "VSAT", "MUIT"
SCREENSHOT = Path("/tmp/e2e-dashboard.png")

# The exact texts of the two interface languages (lt from the catalogue messages.po).
TEXT = {
    "lt": {"dashboard": "Suvestinė", "by_agency": "Pagal instituciją", "sign_in": "Prisijungti"},
    "en": {"dashboard": "Dashboard", "by_agency": "By agency", "sign_in": "Sign in"},
}
CHANGED = {"lt": "Kalba pakeista.", "en": "Language changed."}


def _fleet_by_agency(database: Path) -> dict[str, int]:
    """Items in the fleet (not decommissioned) per agency code, straight from the database."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        rows = connection.execute(
            "SELECT agency.code, COUNT(*) FROM equipment "
            "JOIN agency ON agency.id = equipment.agency_id "
            "WHERE equipment.status != 'decommissioned' GROUP BY agency.code"
        ).fetchall()
    return dict(rows)


def _number(text: str) -> int:
    """A number as the page formats it in either language ("1 234", "1,234")."""
    digits = re.sub(r"\D", "", text)
    assert digits, f"no number in {text!r}"
    return int(digits)


def _table(page: Any, caption: str) -> Any:
    return page.locator("table", has=page.locator("caption", has_text=caption))


def _sign_in(page: Any, base_url: str, expect: Any) -> None:
    page.goto(f"{base_url}/")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)$"))  # the dashboard needs a sign-in
    page.locator("#email").fill(OFFICER)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/")


def _expect_language(page: Any, locale: str, expect: Any) -> None:
    expect(page.locator("html")).to_have_attribute("lang", locale)
    expect(page.locator("main h1")).to_have_text(TEXT[locale]["dashboard"])
    expect(page.locator("#locale-select")).to_have_value(locale)


def _switch_language(page: Any, locale: str, expect: Any) -> None:
    page.locator("#locale-select").select_option(locale)
    page.locator("#locale-submit").click()
    expect(page.get_by_role("alert")).to_have_text(CHANGED[locale])
    _expect_language(page, locale, expect)


def test_officer_signs_in_sees_own_agency_and_switches_language(
    browser: Any, live_server: str, e2e_database: Path
) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    page = new_page(browser, problems)

    # Signed out, the browser's language (Lithuanian) is used.
    page.goto(f"{live_server}/login")
    expect(page.locator("main h1")).to_have_text(TEXT["lt"]["sign_in"])

    _sign_in(page, live_server, expect)
    _expect_language(page, "lt", expect)

    # Only the officer's own agency: the table lists VSAT alone and the total is VSAT's.
    fleet = _fleet_by_agency(e2e_database)
    assert fleet.get(OWN_AGENCY, 0) > 0, f"the demo data gives {OWN_AGENCY} no equipment: {fleet}"
    assert fleet.get(OTHER_AGENCY, 0) > 0, f"the demo data gives {OTHER_AGENCY} none: {fleet}"
    by_agency = _table(page, TEXT["lt"]["by_agency"])
    rows = by_agency.locator("tbody tr")
    expect(rows).to_have_count(1)
    codes = [code.strip() for code in rows.locator("th a").all_inner_texts()]
    assert codes == [OWN_AGENCY]
    assert OTHER_AGENCY not in by_agency.inner_text()
    total = _number(page.get_by_test_id("total").inner_text())
    assert total == _number(rows.first.locator("td").first.inner_text())
    assert total == fleet[OWN_AGENCY] < sum(fleet.values())
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Lithuanian → English; the choice is saved on the account, so it survives a reload...
    _switch_language(page, "en", expect)
    expect(_table(page, TEXT["en"]["by_agency"]).locator("tbody tr th a")).to_have_text(
        [OWN_AGENCY]
    )
    page.reload()
    _expect_language(page, "en", expect)

    # ...and a sign-in from another browser whose own language is Lithuanian.
    other = new_page(browser, problems)
    _sign_in(other, live_server, expect)
    _expect_language(other, "en", expect)
    other.context.close()

    # English → Lithuanian, again saved.
    _switch_language(page, "lt", expect)
    page.reload()
    _expect_language(page, "lt", expect)
    page.context.close()

    csp = [text for text in problems if "Content Security Policy" in text]
    assert not csp, "Content-Security-Policy violations:\n" + "\n".join(csp)
    assert not problems, "browser errors (console, uncaught, HTTP >= 400):\n" + "\n".join(problems)
