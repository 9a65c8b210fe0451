"""The target restore time of a repair on the work-order pages: when, in local time, and while
the repair is unfinished how late it is or how long is left."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask.testing import FlaskClient
from sqlmodel import Session

from equiplan.models import WorkOrder
from equiplan.services.scoping import Scope
from equiplan.services.work_orders import open_work_order
from tests.conftest import sign_in
from tests.factories import make_equipment, make_site, make_work_order
from tests.web.conftest import World

VILNIUS = ZoneInfo("Europe/Vilnius")


def _repair(session: Session, world: World, criticality: int, down_hours_ago: float) -> WorkOrder:
    """A fault reported through the service at an open site of `criticality`."""
    site = make_site(session, world.vsat, criticality=criticality)
    item = make_equipment(session, world.vsat, site=site)
    return open_work_order(
        session,
        Scope.everything(),
        equipment_id=item.id,
        kind="corrective",
        opened_by_id=world.users["technician"].id,
        symptom="No gamma alarm",
        downtime_start=datetime.now(UTC) - timedelta(hours=down_hours_ago),
    )


def _local(moment: datetime) -> str:
    return format_datetime(moment, "short", tzinfo=VILNIUS, locale="en")


def _badge(html: str) -> str | None:
    found = re.search(r'data-testid="restore-badge">([^<]+)<', html)
    return found.group(1) if found else None


def test_a_late_repair_says_by_how_much(
    client: FlaskClient, world: World, session: Session
) -> None:
    order = _repair(session, world, criticality=5, down_hours_ago=50.8)  # 48 h allowed: 2.8 h late
    assert order.target_restore_at is not None
    sign_in(client, world.users["viewer"])
    html = client.get(f"/work-orders/{order.id}").get_data(as_text=True)
    target = html[html.index('data-testid="restore-target"') :]
    assert "Target restore by" in html
    assert _local(order.target_restore_at) in target[: target.index("</dd>")]
    assert _badge(html) == "Late by 3 h"
    assert 'class="badge text-bg-danger" data-testid="restore-badge"' in html


def test_an_unfinished_repair_says_how_long_is_left(
    client: FlaskClient, world: World, session: Session
) -> None:
    soon = _repair(session, world, criticality=5, down_hours_ago=30.2)  # 17.8 h left
    later = _repair(session, world, criticality=1, down_hours_ago=0.2)  # 479.8 h left
    sign_in(client, world.users["technician"])
    soon_html = client.get(f"/work-orders/{soon.id}").get_data(as_text=True)
    assert _badge(soon_html) == "Due in 18 h"
    assert 'class="badge text-bg-warning" data-testid="restore-badge"' in soon_html
    later_html = client.get(f"/work-orders/{later.id}").get_data(as_text=True)
    assert _badge(later_html) == "Due in 480 h"


def test_a_closed_repair_keeps_its_target_without_a_badge(
    client: FlaskClient, world: World, session: Session
) -> None:
    target = datetime(2026, 1, 3, 10, 0, tzinfo=UTC)
    order = make_work_order(
        session,
        world.vsat_item,
        status="done",
        downtime_start=target - timedelta(hours=48),
        downtime_end=target - timedelta(hours=1),
        completed_at=target - timedelta(hours=1),
        target_restore_at=target,
    )
    sign_in(client, world.users["viewer"])
    html = client.get(f"/work-orders/{order.id}").get_data(as_text=True)
    assert "Target restore by" in html
    assert _local(target) in html
    assert _badge(html) is None


def test_other_work_shows_no_target(client: FlaskClient, world: World, session: Session) -> None:
    order = make_work_order(session, world.vsat_item, kind="inspection")
    sign_in(client, world.users["viewer"])
    html = client.get(f"/work-orders/{order.id}").get_data(as_text=True)
    assert "Target restore by" not in html


def test_the_list_shows_the_target_of_unfinished_repairs(
    client: FlaskClient, world: World, session: Session
) -> None:
    late = _repair(session, world, criticality=5, down_hours_ago=49.8)
    inspection = make_work_order(session, world.vsat_item, kind="inspection")
    sign_in(client, world.users["officer"])
    html = client.get("/work-orders").get_data(as_text=True)
    assert late.target_restore_at is not None
    row = html[html.index(f'href="/work-orders/{late.id}"') :]
    row = row[: row.index("</tr>")]
    assert "restore by" in row
    assert _local(late.target_restore_at) in row
    assert _badge(row) == "Late by 2 h"
    other = html[html.index(f'href="/work-orders/{inspection.id}"') :]
    other = other[: other.index("</tr>")]
    assert "restore by" not in other
    assert _badge(other) is None
