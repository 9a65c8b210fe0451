"""The KPI page in Chromium against a live server with the demo data: an officer picks a custom
window, follows a figure's record link to the work-order list, which lists exactly as many
records as the figure counts, comes back and exports the figures as CSV with the page's
numbers; no console error and no failed request on the way."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.pages import new_page, sign_in

pytestmark = pytest.mark.browser

OFFICER = "officer@vsat.demo.lt"


def _number(text: str) -> int:
    """A whole number as the page shows it in any language (thousands separated by spaces,
    non-breaking ones or commas)."""
    digits = re.sub(r"\D", "", text)
    assert digits, f"no number in {text!r}"
    return int(digits)


def test_pick_a_window_follow_a_record_link_and_export_csv(
    browser: Any, live_server: str, e2e_database: Path
) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    page = new_page(browser, problems)
    sign_in(page, live_server, OFFICER)
    page.goto(f"{live_server}/kpis")
    # The last full calendar year: the demo history has failures in every year.
    year = date.today().year - 1
    picker = page.get_by_test_id("window-picker")
    picker.locator("#window").select_option("custom")
    picker.locator("#from").fill(f"{year}-01-01")
    picker.locator("#to").fill(f"{year}-12-31")
    picker.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*window=custom.*"))
    assert f"from={year}-01-01" in page.url
    assert f"to={year}-12-31" in page.url
    expect(page.get_by_test_id("window")).to_contain_text(str(year))

    failures = _number(page.get_by_test_id("failures-current").inner_text())
    assert failures > 0
    kpi_url = page.url
    page.locator('tr[data-figure="failures"] th a').click()
    page.wait_for_url(re.compile(r".*/work-orders\?.*"))
    assert "date=failed" in page.url
    assert f"from={year}-01-01" in page.url
    assert _number(page.get_by_test_id("count").inner_text()) == failures
    expect(page.get_by_test_id("narrow-filters")).to_be_visible()

    page.goto(kpi_url)
    with page.expect_download() as download_info:
        page.get_by_test_id("kpi-actions").locator("a[href*='export.csv']").click()
    download = download_info.value
    assert download.suggested_filename.endswith(f"{year}-01-01-{year}-12-31.csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    header = table[0]
    subject = table[1]
    assert subject[header.index("failures")] == str(failures)
    assert problems == []
