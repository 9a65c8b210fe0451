"""Schedules, due dates and reminders in Chromium against a live server with the demo data:
an officer plans recurring work on an item and pauses it; looks through the due list and the
month calendar; subscribes to the calendar feed and chooses the daily digest; an administrator
reads the reminder emails the server's own sweep wrote to the outbox.

The officer's interface is Lithuanian (their account's language), so the texts below are the
catalogue's Lithuanian ones; the administrator's account is in English.
"""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.pages import new_page, query_one, sign_in, signed_in_state

pytestmark = pytest.mark.browser

OFFICER = "officer@vsat.demo.lt"  # VSAT, locale lt
ADMIN = "admin@demo.lt"  # locale en
TIMEZONE = "Europe/Vilnius"  # the server's default TIMEZONE: due dates are its local days
OUTBOX_WAIT = 30.0  # seconds for the server's first reminder sweep to have written mail

# Lithuanian texts from equiplan/translations/lt/LC_MESSAGES/messages.po.
LT = {
    "navigation": "Pagrindinė navigacija",
    "add_schedule": "Pridėti grafiką",
    "schedule_added": "Grafikas pridėtas.",
    "interval_range": "Nurodykite skaičių nuo 1 iki 3650.",
    "pause": "Sustabdyti",
    "paused": "Sustabdytas",
    "schedule_paused": "Grafikas sustabdytas",
    "resume": "Tęsti",
    "schedule_resumed": "Grafikas vėl vykdomas.",
    "yes": "Taip",
    "months": "mėn.",
    "due_dates": "Terminai",
    "kind": "Darbo rūšis",
    "days_ahead": "Dienų į priekį",
    "filter": "Filtruoti",
    "calibration": "Kalibravimas",
    "month_calendar": "Mėnesio kalendorius",
    "this_month": "Šis mėnuo",
    "calendar_button": "kalendoriaus adresą",  # "Gauti …" first, "Išduoti naują …" after
    "digest": "Viena dienos suvestinė apie visus terminus",
    "single": "Atskiras laiškas kiekvienam priminimui",
    "digest_chosen": "Vietoj atskirų priminimų laiškų gausite vieną dienos suvestinę.",
    "single_chosen": "Kiekvienam priminimui gausite atskirą laišką.",
    "save": "Išsaugoti",
    "outbox": "Siunčiami laiškai",
}
INVENTORY_NO = re.compile(r"\b[A-Z]+-[A-Z]+-\d{4}\b")


@pytest.fixture(scope="module")
def officer(browser: Any, live_server: str) -> dict[str, Any]:
    """The officer signed in once for this module's browser profiles: the login form allows an
    account five tries a minute, and the other browser tests sign the officer in too."""
    return signed_in_state(browser, live_server, OFFICER)


def _no_problems(problems: list[str], allowed: tuple[str, ...] = ()) -> None:
    unexpected = [p for p in problems if not any(a in p for a in allowed)]
    assert not unexpected, "browser errors (console, uncaught, HTTP >= 400):\n" + "\n".join(
        unexpected
    )


def _today() -> date:
    return datetime.now(ZoneInfo(TIMEZONE)).date()


def _number(text: str) -> int:
    """A count as the page formats it ("1 234" with a narrow space in Lithuanian)."""
    digits = re.sub(r"\D", "", text)
    assert digits, f"no number in {text!r}"
    return int(digits)


def _reload_until_visible(page: Any, locator: Any, seconds: float) -> None:
    """The page is static: reload it until `locator` shows (each look auto-waits a second)."""
    from playwright.sync_api import expect

    deadline = time.monotonic() + seconds
    while True:
        try:
            expect(locator.first).to_be_visible(timeout=1_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            page.reload()


def test_officer_adds_pauses_and_resumes_a_schedule(
    browser: Any, live_server: str, e2e_database: Path, officer: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    # A VSAT item in service without a source check plan: the schedule added here is its only one.
    item_id, inventory_no = query_one(
        e2e_database,
        "SELECT equipment.id, equipment.inventory_no FROM equipment "
        "JOIN agency ON agency.id = equipment.agency_id "
        "WHERE agency.code = 'VSAT' AND equipment.status = 'in_service' AND NOT EXISTS "
        "(SELECT 1 FROM schedule s WHERE s.equipment_id = equipment.id "
        "AND s.kind = 'source_check') ORDER BY equipment.id LIMIT 1",
    )
    due = _today() + timedelta(days=20)
    problems: list[str] = []
    page = new_page(browser, problems, storage_state=officer)
    page.goto(f"{live_server}/equipment/{item_id}")
    page.get_by_role("link", name=LT["add_schedule"]).click()
    expect(page).to_have_url(f"{live_server}/equipment/{item_id}/schedules/new")

    # A first try with an interval of 0: the message is by the field, the input is kept.
    form = page.get_by_test_id("schedule-form")
    page.locator("#kind").select_option("source_check")
    page.locator("#interval_value").fill("0")
    page.locator("#interval_unit").select_option("months")
    page.locator("#next_due").fill(due.isoformat())
    page.locator("#lead_days").fill("7")
    page.locator("#grace_days").fill("3")
    form.get_by_role("button", name=LT["add_schedule"]).click()
    expect(page.locator("#interval_value ~ .invalid-feedback")).to_have_text(LT["interval_range"])
    expect(page.locator("#interval_value")).to_have_value("0")
    expect(page.locator("#kind")).to_have_value("source_check")
    expect(page.locator("#next_due")).to_have_value(due.isoformat())
    expect(page.locator("#lead_days")).to_have_value("7")
    expect(page.locator("#grace_days")).to_have_value("3")
    sql_count = "SELECT COUNT(*) FROM schedule WHERE equipment_id = ? AND kind = 'source_check'"
    assert query_one(e2e_database, sql_count, item_id) == (0,)

    page.locator("#interval_value").fill("1")
    form.get_by_role("button", name=LT["add_schedule"]).click()
    expect(page).to_have_url(f"{live_server}/equipment/{item_id}")
    expect(page.get_by_role("alert")).to_have_text(LT["schedule_added"])
    schedule_id, stored = query_one(
        e2e_database,
        "SELECT id, interval_value || ' ' || interval_unit || ' ' || lead_days || ' ' || "
        "grace_days || ' ' || next_due || ' ' || active FROM schedule "
        "WHERE equipment_id = ? AND kind = 'source_check'",
        item_id,
    )
    assert stored == f"1 months 7 3 {due.isoformat()} 1"

    # Listed on the item page: every 1 month, due on the date given, reminders from 7 days
    # before, on time until 3 days after (Lithuanian dates are written yyyy-mm-dd).
    row = page.get_by_test_id(f"schedule-{schedule_id}")
    cells = row.locator("td")
    expect(cells.nth(0)).to_have_text(f"1 {LT['months']}")
    expect(cells.nth(2)).to_have_text(due.isoformat())
    expect(cells.nth(3)).to_contain_text((due - timedelta(days=7)).isoformat())
    expect(cells.nth(5)).to_have_text((due + timedelta(days=3)).isoformat())
    expect(cells.nth(7)).to_have_text(LT["yes"])
    expect(page.locator("main h1")).to_contain_text(inventory_no)

    row.get_by_role("button", name=LT["pause"]).click()
    expect(page.get_by_role("alert")).to_contain_text(LT["schedule_paused"])
    expect(cells.nth(7).locator(".badge")).to_have_text(LT["paused"])
    expect(row.get_by_role("button", name=LT["pause"])).to_have_count(0)
    assert query_one(e2e_database, "SELECT active FROM schedule WHERE id = ?", schedule_id) == (0,)

    row.get_by_role("button", name=LT["resume"]).click()
    expect(page.get_by_role("alert")).to_have_text(LT["schedule_resumed"])
    expect(cells.nth(7)).to_have_text(LT["yes"])
    expect(row.get_by_role("button", name=LT["pause"])).to_be_visible()
    assert query_one(e2e_database, "SELECT active FROM schedule WHERE id = ?", schedule_id) == (1,)
    expect(cells.nth(2)).to_have_text(due.isoformat())  # resumed from the stored due date

    page.context.close()
    _no_problems(problems, allowed=(f"/equipment/{item_id}/schedules/new",))  # the 0 above


def test_officer_filters_due_dates_and_browses_the_month_calendar(
    browser: Any, live_server: str, e2e_database: Path, officer: dict[str, Any]
) -> None:
    from babel.dates import format_date
    from playwright.sync_api import expect

    today = _today()
    last = today + timedelta(days=90)
    calibrations_due = (
        "SELECT COUNT(*) FROM schedule JOIN equipment ON equipment.id = schedule.equipment_id "
        "JOIN agency ON agency.id = equipment.agency_id WHERE agency.code = ? "
        "AND schedule.kind = 'calibration' AND schedule.active = 1 "
        "AND equipment.status != 'decommissioned' AND schedule.next_due <= ?"
    )
    (vsat_due,) = query_one(e2e_database, calibrations_due, "VSAT", last.isoformat())
    (muit_due,) = query_one(e2e_database, calibrations_due, "MUIT", last.isoformat())
    assert vsat_due > 0, "the demo data must give VSAT calibrations due"
    assert muit_due > 0, "the demo data must give MUIT calibrations due (else nothing to hide)"

    problems: list[str] = []
    page = new_page(browser, problems, storage_state=officer)
    page.goto(f"{live_server}/")
    navigation = page.get_by_role("navigation", name=LT["navigation"])
    navigation.get_by_role("link", name=LT["due_dates"]).click()
    expect(page).to_have_url(f"{live_server}/due")
    expect(page.locator("main h1")).to_have_text(LT["due_dates"])

    page.get_by_label(LT["kind"]).select_option("calibration")
    page.get_by_label(LT["days_ahead"]).select_option("90")
    page.get_by_role("button", name=LT["filter"]).click()
    expect(page).to_have_url(re.compile(r"/due\?.*kind=calibration.*window=90"))
    expect(page.get_by_test_id("count")).to_contain_text(re.compile(r"\d"))
    assert _number(page.get_by_test_id("count").inner_text()) == vsat_due  # none of MUIT's

    rows = page.get_by_test_id("due-list").locator("tbody tr")
    expect(rows.first).to_be_visible()
    items = rows.locator("a[href^='/equipment/']").all_inner_texts()
    assert items
    assert all(no.startswith("VSAT-") for no in items), items
    expect(rows.locator("td:nth-of-type(4)")).to_have_text([LT["calibration"]] * len(items))
    for shown in rows.locator("th").all_inner_texts():  # every due date within 90 days
        assert date.fromisoformat(shown.strip()) <= last, shown
    expect(page.locator("main")).not_to_contain_text("MUIT-")

    # The month calendar keeps the filters; next month, then back to this one.
    page.get_by_role("link", name=LT["month_calendar"]).click()
    this_month = today.replace(day=1)
    expect(page).to_have_url(re.compile(rf"/due/calendar\?month={today:%Y-%m}&.*kind=calibration"))
    expect(page.locator("main h1")).to_contain_text(format_date(this_month, "LLLL yyyy", "lt"))
    expect(page.locator("#kind")).to_have_value("calibration")
    expect(page.locator("td[aria-current=date]")).to_have_attribute("data-day", today.isoformat())
    calendar = page.get_by_test_id("calendar")
    shown = calendar.locator("a[href^='/equipment/']").all_inner_texts()
    assert all(no.startswith("VSAT-") for no in shown), shown
    expect(calendar).not_to_contain_text("MUIT-")

    page.get_by_test_id("next-month").click()
    following = (this_month + timedelta(days=32)).replace(day=1)
    expect(page).to_have_url(re.compile(rf"month={following:%Y-%m}"))
    expect(page.locator("main h1")).to_contain_text(format_date(following, "LLLL yyyy", "lt"))
    expect(page.locator("td[aria-current=date]")).to_have_count(0)
    expect(page.locator(f"td[data-day='{following.isoformat()}']")).to_be_visible()
    expect(page.locator("#kind")).to_have_value("calibration")

    page.get_by_role("link", name=LT["this_month"]).click()
    expect(page.locator("main h1")).to_contain_text(format_date(this_month, "LLLL yyyy", "lt"))
    expect(page.locator("td[aria-current=date]")).to_have_attribute("data-day", today.isoformat())
    expect(page.locator("#kind")).to_have_value("calibration")

    page.context.close()
    _no_problems(problems)


def _feed_events(response: Any) -> list[Any]:
    from icalendar import Calendar

    assert response.status == 200, response.status
    assert response.headers["content-type"].startswith("text/calendar")
    return list(Calendar.from_ical(response.body()).walk("VEVENT"))


def test_officer_subscribes_to_the_calendar_and_chooses_the_digest(
    browser: Any, live_server: str, e2e_database: Path, officer: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    page = new_page(browser, problems, storage_state=officer)
    page.goto(f"{live_server}/account")
    shown_url = page.locator("#calendar-url-value")
    expect(shown_url).to_have_count(0)  # never shown again after it was issued

    page.get_by_role("button", name=LT["calendar_button"]).click()
    expect(page.get_by_test_id("calendar-url")).to_be_visible()
    first = urlsplit(shown_url.input_value())
    assert re.fullmatch(r"/calendar/[^/]+\.ics", first.path), first

    # Fetched as a calendar program does: no cookies, no sign-in.
    program = browser.new_context()
    events = _feed_events(program.request.get(live_server + first.path))
    assert events, "the feed has no events"
    summaries = [str(event["SUMMARY"]) for event in events]
    assert all("VSAT-" in summary for summary in summaries), summaries
    assert not any("MUIT" in str(event["DESCRIPTION"]) for event in events)
    # Each event links its item: all of them VSAT's.
    ids = {int(str(event["URL"]).rsplit("/equipment/", 1)[1]) for event in events}
    (foreign,) = query_one(
        e2e_database,
        "SELECT COUNT(*) FROM equipment JOIN agency ON agency.id = equipment.agency_id "
        f"WHERE agency.code != 'VSAT' AND equipment.id IN ({', '.join('?' * len(ids))})",
        *ids,
    )
    assert foreign == 0

    # A new address replaces the old one, which stops working at once.
    page.goto(f"{live_server}/account")  # the address is not shown again
    expect(page.get_by_test_id("calendar-active")).to_be_visible()
    expect(shown_url).to_have_count(0)
    page.get_by_role("button", name=LT["calendar_button"]).click()
    second = urlsplit(shown_url.input_value())
    assert second.path != first.path
    assert program.request.get(live_server + first.path).status == 404
    assert _feed_events(program.request.get(live_server + second.path))
    program.close()

    # One daily digest instead of single reminders: confirmed, and still chosen after a reload.
    delivery = page.get_by_test_id("reminder-delivery")
    delivery.get_by_label(LT["digest"]).check()
    delivery.get_by_role("button", name=LT["save"]).click()
    expect(page.get_by_role("alert")).to_have_text(LT["digest_chosen"])
    page.reload()
    expect(delivery.get_by_label(LT["digest"])).to_be_checked()
    expect(delivery.get_by_label(LT["single"])).not_to_be_checked()
    opted_in = "SELECT digest_opt_in FROM app_user WHERE email = ?"
    assert query_one(e2e_database, opted_in, OFFICER) == (1,)

    # And back, so that the officer's reminders come one by one as seeded.
    delivery.get_by_label(LT["single"]).check()
    delivery.get_by_role("button", name=LT["save"]).click()
    expect(page.get_by_role("alert")).to_have_text(LT["single_chosen"])
    expect(delivery.get_by_label(LT["single"])).to_be_checked()
    assert query_one(e2e_database, opted_in, OFFICER) == (0,)

    page.context.close()
    _no_problems(problems)


def test_admin_reads_reminder_emails_in_the_outbox(
    browser: Any, live_server: str, e2e_database: Path, officer: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    page = new_page(browser, problems, locale="en-GB")
    sign_in(page, live_server, ADMIN)
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Outbox"
    ).click()
    expect(page).to_have_url(f"{live_server}/admin/outbox")
    expect(page.locator("main h1")).to_have_text("Mail outbox")
    expect(page.get_by_test_id("no-smtp")).to_be_visible()  # written to the instance folder

    # The server's sweep runs right after start; its reminders to the VSAT officer name items.
    page.get_by_label("Recipient").fill(OFFICER)
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"recipient=officer%40vsat\.demo\.lt"))
    reminder = page.locator("main table tbody tr").get_by_role("link", name=INVENTORY_NO)
    _reload_until_visible(page, reminder, OUTBOX_WAIT)
    recipients = page.locator("main table tbody tr td:nth-of-type(2)").all_inner_texts()
    assert set(recipients) == {OFFICER}, recipients

    subject = reminder.first.inner_text()
    inventory_no = INVENTORY_NO.search(subject).group()
    reminder.first.click()
    expect(page).to_have_url(re.compile(rf"{live_server}/admin/outbox/\d+$"))
    message_id = int(page.url.rsplit("/", 1)[1])
    headers = page.get_by_test_id("headers")
    expect(headers).to_contain_text(OFFICER)
    expect(headers).to_contain_text(subject)
    expect(page.get_by_test_id("body-text")).to_contain_text(inventory_no)
    html_version = page.frame_locator("[data-testid=body-html]").locator("body")
    expect(html_version).to_contain_text(inventory_no)
    # The HTML version is shown as it was sent: its inline styles are not blocked by this
    # page's Content-Security-Policy (a srcdoc frame inherits the policy of its page).
    blocked = [p for p in problems if "Content Security Policy" in p]
    assert not blocked, (
        f"the HTML version of message {message_id} is shown without its styles "
        f"({len(blocked)} CSP violations in the frame), e.g.:\n{blocked[0]}"
    )
    # Written by the reminder sweep: a reminder of that very item's schedule or repair.
    (item,) = query_one(
        e2e_database,
        "SELECT equipment.inventory_no FROM notification "
        "LEFT JOIN schedule ON schedule.id = notification.schedule_id "
        "LEFT JOIN work_order ON work_order.id = notification.work_order_id "
        "JOIN equipment ON equipment.id = COALESCE(schedule.equipment_id, "
        "work_order.equipment_id) WHERE notification.outbox_id = ?",
        message_id,
    )
    assert item == inventory_no
    page.context.close()

    # An officer has no outbox: no link, and the address answers 403.
    officer_page = new_page(browser, problems, storage_state=officer)
    officer_page.goto(f"{live_server}/")
    navigation = officer_page.get_by_role("navigation", name=LT["navigation"])
    expect(navigation.get_by_role("link", name=LT["due_dates"])).to_be_visible()
    expect(navigation.get_by_role("link", name=LT["outbox"])).to_have_count(0)
    expect(officer_page.locator("a[href^='/admin/outbox']")).to_have_count(0)
    response = officer_page.goto(f"{live_server}/admin/outbox")
    assert response.status == 403
    expect(officer_page.locator("main")).not_to_contain_text(subject)
    officer_page.context.close()
    _no_problems(problems, allowed=("/admin/outbox",))  # the officer's 403
