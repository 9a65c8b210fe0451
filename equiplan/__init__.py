"""equiplan — equipment lifecycle and maintenance planner of a Nuclear Security Support Centre."""

from equiplan.app import create_app

__all__ = ["create_app"]
