"""Objects to JSON: ISO 8601 dates and times, money as integer cents, codes as they are stored.

Every object goes out with exactly the fields of its `Shape`, in the envelope the OpenAPI
document describes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import Response, jsonify

from equiplan.api.fields import Shape


def to_json(value: Any) -> Any:
    """A stored value as JSON: dates and times in ISO 8601 (times in UTC with their offset),
    decimals as numbers, enum members as their codes."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def serialise(shape: Shape, obj: Any, computed: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The fields of `shape` read from `obj`; `computed` supplies those `obj` does not have."""
    extra = computed or {}
    return {
        f.name: to_json(extra[f.name] if f.name in extra else getattr(obj, f.name))
        for f in shape.output
    }


def page_response(
    items: Iterable[dict[str, Any]], total: int, page: int, per_page: int
) -> Response:
    """The list envelope: {"items": [...], "total": N, "page": P, "per_page": K}."""
    return jsonify(items=list(items), total=total, page=page, per_page=per_page)


def created(body: dict[str, Any], location: str) -> Response:
    """201 Created with the new object and where it lives."""
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = location
    return response
