"""JSON problem documents (RFC 9457) for API errors."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


def problem(status: int, title: str, detail: str = "", **extra: Any) -> Response:
    """An `application/problem+json` response."""
    response = jsonify(type="about:blank", title=title, status=status, detail=detail, **extra)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response
