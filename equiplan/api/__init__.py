"""JSON API under /api/v1."""

from equiplan.api.views import bp

__all__ = ["bp"]
