"""Route × role matrix rows of the schedule pages and /api/v1/schedules."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import object_session

from equiplan.models import Equipment
from tests.factories import make_schedule
from tests.web.route_table import EVERYONE, WORK_ORDER_WRITERS, Route

# Who plans recurring work: the same roles as work orders (officers: their own agency).
SCHEDULE_WRITERS = WORK_ORDER_WRITERS


def _schedule_id(item: Equipment, **fields: object) -> int:
    """A new schedule of `item` (made in the world's session)."""
    session = object_session(item)
    assert session is not None
    return make_schedule(session, item, date(2027, 1, 1), **fields).id  # type: ignore[arg-type,return-value]


ROUTES: dict[str, Route] = {
    "schedules.new": Route(
        "GET",
        lambda w: f"/equipment/{w.vsat_item.id}/schedules/new",
        SCHEDULE_WRITERS,
        foreign_path=lambda w: f"/equipment/{w.customs_item.id}/schedules/new",
    ),
    "schedules.edit": Route(
        "GET",
        lambda w: f"/schedules/{_schedule_id(w.vsat_item)}/edit",
        SCHEDULE_WRITERS,
        foreign_path=lambda w: f"/schedules/{_schedule_id(w.customs_item)}/edit",
    ),
    # Pause and resume redirect on success, so the matrix cannot expect its 200 for another
    # agency's schedule; tests/web/test_schedule_pages.py checks their 404s.
    "schedules.pause": Route(
        "POST",
        lambda w: f"/schedules/{_schedule_id(w.vsat_item)}/pause",
        SCHEDULE_WRITERS,
        form=lambda w: {"version": "1"},
    ),
    "schedules.resume": Route(
        "POST",
        lambda w: f"/schedules/{_schedule_id(w.vsat_item, active=False)}/resume",
        SCHEDULE_WRITERS,
        form=lambda w: {"version": "1"},
    ),
    "api.list_schedules": Route("GET", lambda w: "/api/v1/schedules", EVERYONE),
    "api.get_schedule": Route(
        "GET",
        lambda w: f"/api/v1/schedules/{_schedule_id(w.vsat_item)}",
        EVERYONE,
        foreign_path=lambda w: f"/api/v1/schedules/{_schedule_id(w.customs_item)}",
    ),
    "api.create_schedule": Route(
        "POST",
        lambda w: "/api/v1/schedules",
        SCHEDULE_WRITERS,
        json=lambda w: {
            "equipment_id": w.vsat_item.id,
            "kind": "source_check",
            "interval_value": 1,
            "interval_unit": "months",
        },
        ok_statuses=(201,),
    ),
    "api.update_schedule": Route(
        "PATCH",
        lambda w: f"/api/v1/schedules/{_schedule_id(w.vsat_item)}",
        SCHEDULE_WRITERS,
        foreign_path=lambda w: f"/api/v1/schedules/{_schedule_id(w.customs_item)}",
        json=lambda w: {"version": 1, "lead_days": 14},
    ),
}
