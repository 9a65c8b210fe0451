"""JSON Schemas of the API's objects for the OpenAPI document, written from their `Shape`s:
responses carry every field (closed objects: a field added or dropped cannot go unnoticed),
create and update bodies only what a client may send, nested objects as schemas of their own.
"""

from __future__ import annotations

from typing import Any

from equiplan.api.fields import Field, QueryParam, Shape
from equiplan.models.equipment import EQUIPMENT_STATUSES

JSON_TYPES = {
    "string": "string",
    "date": "string",
    "date-time": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
}


def ref(name: str, section: str = "schemas") -> dict[str, str]:
    return {"$ref": f"#/components/{section}/{name}"}


def field_schema(field: Field, *, writing: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": JSON_TYPES[field.kind]}
    if field.kind in ("date", "date-time"):
        schema["format"] = field.kind
    if field.max_length is not None:
        schema["maxLength"] = field.max_length
    if field.minimum is not None:
        schema["minimum"] = field.minimum
    if field.maximum is not None:
        schema["maximum"] = field.maximum
    items = field.write_items if writing and field.write_items else field.items
    if items is not None:
        schema["items"] = ref(items.name) if isinstance(items, Shape) else dict(items)
    enum = field.write_enum if writing and field.write_enum else field.enum
    if enum is not None:
        schema["enum"] = [*enum, *([None] if field.nullable else [])]
    if field.nullable:
        schema["type"] = [schema["type"], "null"]
    if field.description:
        schema["description"] = field.description
    return schema


def object_schema(
    fields: list[Field], required: list[str], description: str, *, writing: bool = False
) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {f.name: field_schema(f, writing=writing) for f in fields},
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    if description:
        schema["description"] = description
    return schema


def shape_schemas(shape: Shape, *, create: bool = False, update: bool = False) -> dict[str, Any]:
    """The response schema of a shape (every field, always present), and when asked the bodies
    that create and update it, with the schemas of the objects nested in them."""
    fields = list(shape.output)
    schemas = {shape.name: object_schema(fields, [f.name for f in fields], shape.description)}
    if create:
        schemas[f"{shape.name}Create"] = object_schema(
            list(shape.on_create().values()),
            list(shape.required_on_create),
            f"Create: {shape.description}",
            writing=True,
        )
    if update:
        version = Field("version", "integer", minimum=1, description="The version you read.")
        schemas[f"{shape.name}Update"] = object_schema(
            [version, *shape.on_update().values()],
            ["version"],
            "Change: send the version you read and only the fields to change.",
            writing=True,
        )
    for field in shape.fields:
        for nested, writing in ((field.items, False), (field.write_items, True)):
            if isinstance(nested, Shape):
                schemas[nested.name] = object_schema(
                    list(nested.fields),
                    list(nested.required_on_create),
                    nested.description,
                    writing=writing,
                )
    return schemas


def page_schema(shape: Shape, per_page: QueryParam) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"One page of {shape.name} objects and the count of all that match.",
        "properties": {
            "items": {"type": "array", "items": ref(shape.name)},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "enum": list(per_page.enum or ())},
        },
        "required": ["items", "total", "page", "per_page"],
        "additionalProperties": False,
    }


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error (RFC 9457 problem document).",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "For invalid input: a message for each bad field or parameter.",
            "additionalProperties": {"type": "string"},
        },
    },
    "required": ["type", "title", "status", "detail"],
    "additionalProperties": False,
}

GROUP_COUNT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": ["integer", "null"]},
        "key": {"type": "string"},
        "name_en": {"type": "string"},
        "name_lt": {"type": "string"},
        "total": {"type": "integer"},
        "operational": {"type": "integer"},
        "calibration_overdue": {"type": "integer"},
    },
    "required": ["id", "key", "name_en", "name_lt", "total", "operational", "calibration_overdue"],
    "additionalProperties": False,
}

DASHBOARD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Fleet counts in the caller's scope (decommissioned items excluded).",
    "properties": {
        "as_of": {"type": "string", "format": "date"},
        "total": {"type": "integer"},
        "operational": {"type": "integer"},
        "calibration_overdue": {"type": "integer"},
        "by_status": {
            "type": "object",
            "propertyNames": {"enum": list(EQUIPMENT_STATUSES)},
            "additionalProperties": {"type": "integer"},
        },
        "by_agency": {"type": "array", "items": ref("GroupCount")},
        "by_type": {"type": "array", "items": ref("GroupCount")},
        "by_site": {"type": "array", "items": ref("GroupCount")},
    },
    "required": [
        "as_of",
        "total",
        "operational",
        "calibration_overdue",
        "by_status",
        "by_agency",
        "by_type",
        "by_site",
    ],
    "additionalProperties": False,
}

HEALTH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"status": {"const": "ok"}},
    "required": ["status"],
    "additionalProperties": False,
}
