"""JSON API under /api/v1: one blueprint, one module per concept.

views.py holds the blueprint (health, dashboard); equipment.py, reference.py (sites and types),
work_orders.py and calibrations.py register their routes on it; openapi.py serves the document
written from their declarations (fields.py), with the shared JSON helpers in requests.py and
serialise.py.
"""

# Imported for their routes, which they register on the blueprint.
from equiplan.api import (  # noqa: F401
    calibrations,
    due,
    equipment,
    kpis,
    openapi,
    reference,
    runs,
    scenarios,
    schedules,
    work_orders,
)
from equiplan.api.views import bp

__all__ = ["bp"]
