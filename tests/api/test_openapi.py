"""The OpenAPI document: served publicly, a well-formed OpenAPI 3.1 document, and in step with
the routes the application really has (and they with it)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from tests.api.conformance import (
    PREFIX,
    ConformingClient,
    NonConformance,
    check_response,
    document,
    resolve,
)

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _rule_to_template(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.removeprefix(PREFIX))


def _api_rules(app: Flask) -> dict[tuple[str, str], str]:
    """(path template, method) → endpoint, for every /api/v1 rule of the URL map."""
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                found[(_rule_to_template(rule.rule), method.lower())] = rule.endpoint
    return found


def _documented() -> dict[tuple[str, str], str]:
    return {
        (path, method): operation["operationId"]
        for path, item in document()["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def test_the_document_is_served_without_sign_in(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == document()


def test_every_api_route_is_documented_and_every_documented_operation_exists(app: Flask) -> None:
    routes, documented = _api_rules(app), _documented()
    assert sorted(set(routes) - set(documented)) == [], "routes missing from the document"
    assert sorted(set(documented) - set(routes)) == [], "documented operations without a route"
    # Operation ids are the endpoints' names, so a reader can find the view from the document.
    assert {key: f"api.{op}" for key, op in documented.items()} == routes


def test_the_document_has_the_structure_of_openapi_3_1() -> None:
    doc = document()
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"])
    assert doc["info"]["title"]
    assert doc["info"]["version"]
    assert doc["paths"]
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    operation_ids = list(_documented().values())
    assert len(operation_ids) == len(set(operation_ids)), "operation ids are unique"
    for path, item in doc["paths"].items():
        assert path.startswith("/")
        declared = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"\{([^}]+)\}", path)), path
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            assert operation["responses"], (path, method)
            assert any(code.startswith("2") for code in operation["responses"]), (path, method)
            for response in operation["responses"].values():
                assert "description" in resolve(response), (path, method)
            for parameter in operation.get("parameters", []):
                assert parameter["in"] in {"query", "header", "path", "cookie"}
                Draft202012Validator.check_schema(parameter["schema"])


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_every_reference_resolves() -> None:
    refs = _refs(document())
    assert refs
    for ref in set(refs):
        assert ref.startswith("#/components/"), ref
        target = resolve({"$ref": ref})
        assert isinstance(target, dict), ref


def test_every_schema_is_a_valid_json_schema_and_objects_are_closed() -> None:
    for name, schema in document()["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
        if schema.get("type") == "object" and "properties" in schema:
            # Closed objects: a field the implementation adds or drops cannot go unnoticed.
            assert schema.get("additionalProperties") is False, name


def test_every_component_schema_is_used() -> None:
    used = {ref.rsplit("/", 1)[-1] for ref in _refs(document())}
    assert set(document()["components"]["schemas"]) - used == set()


def test_the_checker_itself_notices_a_response_the_document_does_not_describe(
    app: Flask, client: FlaskClient
) -> None:
    """The conformance check is what the other API tests rely on: it must be able to fail."""
    response = client.get("/api/v1/health")
    response.set_data(b'{"status": "ok", "extra": 1}')
    with pytest.raises(NonConformance, match="extra"):
        check_response("GET", "/api/v1/health", response)
    response.status_code = 418
    with pytest.raises(NonConformance, match="status not documented"):
        check_response("GET", "/api/v1/health", response)
    response.status_code = 404
    response.set_data(b'{"title": "Not Found"}')
    response.mimetype = "application/problem+json"
    with pytest.raises(NonConformance, match="required"):
        check_response("GET", "/api/v1/equipment/1", response)


def test_the_api_tests_client_checks_conformance(client: FlaskClient) -> None:
    assert isinstance(client, ConformingClient)
