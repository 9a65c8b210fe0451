"""Holding the API to its OpenAPI document: every response the API tests receive is checked
against the schema of its path, method and status (and the body of every accepted change
against the request schema), with `$ref`s resolved inside the document.

The API tests' `client` is a `ConformingClient` (tests/api/conftest.py), so no test can forget.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from typing import Any

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker
from werkzeug.test import TestResponse

from equiplan.api.openapi import openapi_document

PREFIX = "/api/v1"
FORMATS = FormatChecker(formats=())


@FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(f"not YYYY-MM-DD: {value!r}")
    date.fromisoformat(value)
    return True


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    moment = datetime.fromisoformat(value)
    if "T" not in value or moment.tzinfo is None:
        raise ValueError(f"not an ISO 8601 date and time with an offset: {value!r}")
    return True


class NonConformance(AssertionError):
    """A response (or an accepted request) that the OpenAPI document does not describe."""


def document() -> dict[str, Any]:
    return openapi_document()


def resolve(node: Any) -> Any:
    """Follow a local `$ref` ("#/components/…") to what it points at."""
    while isinstance(node, dict) and "$ref" in node:
        pointer = node["$ref"]
        assert pointer.startswith("#/"), pointer
        node = document()
        for part in pointer[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _pattern(template: str) -> re.Pattern[str]:
    literal = [re.escape(part) for part in re.split(r"\{[^}/]+\}", template)]
    return re.compile("^" + re.escape(PREFIX) + "[^/]+".join(literal) + "$")


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    return [(_pattern(template), template) for template in document()["paths"]]


def operation_for(method: str, path: str) -> tuple[str, dict[str, Any] | None] | None:
    """The documented path template matching `path` and its operation for `method` (None when
    the method is not documented), or None when no documented path matches."""
    for pattern, template in _templates():
        if pattern.match(path):
            return template, document()["paths"][template].get(method.lower())
    return None


def validate(instance: Any, schema: dict[str, Any], where: str) -> None:
    """Validate against a schema of the document (its `$ref`s resolve into its components)."""
    root = {**schema, "components": document()["components"]}
    errors = sorted(
        Draft202012Validator(root, format_checker=FORMATS).iter_errors(instance),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        details = "; ".join(
            f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in errors[:5]
        )
        raise NonConformance(f"{where}: {details}")


def check_response(method: str, path: str, response: TestResponse) -> None:
    """The response conforms to the document, or NonConformance says how it does not."""
    if not path.startswith(PREFIX + "/") or method in ("HEAD", "OPTIONS"):
        return
    where = f"{method} {path} → {response.status_code}"
    found = operation_for(method, path)
    operation = found[1] if found else None
    if operation is None:
        # Unknown paths and methods are problems too; test-only routes that answer otherwise
        # (tests/api/test_tokens.py adds some) are not part of the API.
        if response.mimetype == "application/problem+json" or found is not None:
            _check_problem(response, where)
        return
    responses = operation["responses"]
    key = str(response.status_code)
    if key not in responses:
        if response.status_code < 500:
            raise NonConformance(f"{where}: status not documented for {method} {found[0]}")
        key = "default"
    documented = resolve(responses[key])
    content = documented.get("content", {})
    if response.mimetype not in content:
        raise NonConformance(f"{where}: {response.mimetype} is not documented ({list(content)})")
    validate(response.get_json(), content[response.mimetype]["schema"], where)
    for header in documented.get("headers", {}):
        if header not in response.headers:
            raise NonConformance(f"{where}: documented header {header} is missing")


def _check_problem(response: TestResponse, where: str) -> None:
    if response.mimetype != "application/problem+json":
        raise NonConformance(f"{where}: an error that is not a problem document")
    validate(response.get_json(), {"$ref": "#/components/schemas/Problem"}, where)


def check_request(method: str, path: str, body: Any) -> None:
    """A body the API accepted is one the document allows (the document is not stricter than
    the implementation)."""
    found = operation_for(method, path)
    if found is None or found[1] is None or "requestBody" not in found[1]:
        return
    content = resolve(found[1]["requestBody"])["content"]
    validate(body, content["application/json"]["schema"], f"request {method} {path}")


class ConformingClient(FlaskClient):
    """A test client that checks every /api/v1 response against the OpenAPI document."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:  # type: ignore[override]
        response = super().open(*args, **kwargs)
        request = response.request
        check_response(request.method, request.path, response)
        if kwargs.get("json") is not None and 200 <= response.status_code < 300:
            check_request(request.method, request.path, kwargs["json"])
        return response
