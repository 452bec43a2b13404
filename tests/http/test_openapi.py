"""The OpenAPI document is valid and tells the truth about every route and status."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from openapi_spec_validator import validate

from entrypoints.http.app import all_routes
from entrypoints.http.errors import status_for
from entrypoints.http.routing import openapi_path
from entrypoints.responses.base import camel
from tests.http.conftest import ApiClient, Env

IMPLICIT = {"HEAD", "OPTIONS"}


@pytest.fixture
def document(client: ApiClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_flask_route_is_documented_and_nothing_else(
    env: Env, document: dict[str, Any]
) -> None:
    served = {
        (openapi_path(rule.rule), method.lower())
        for rule in env.app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.endpoint.startswith("dashboard.")
        for method in (rule.methods or set()) - IMPLICIT
    }
    documented = {
        (path, method) for path, operations in document["paths"].items() for method in operations
    }
    assert served == documented
    # 57 before the league: + 11 operations per staff side (pulls, MMR, eligibility, flags,
    # manual entry)
    # - the moved bot MMR + my pulls
    assert len(served) == 79


def test_every_status_a_route_can_produce_is_documented(document: dict[str, Any]) -> None:
    for route in all_routes():
        answers = document["paths"][route.openapi_path][route.method.lower()]["responses"]
        expected = {route.status, 500}
        expected |= {status_for(error) for error in route.errors}
        if route.auth != "public":
            expected.add(401)
        if route.auth == "admin":
            expected.add(403)
        if route.auth in ("user", "admin"):
            expected.add(429)
        if route.body or route.query or route.path_params:
            expected.add(400)
        if route.body:
            expected.add(413)
        if route.storage:
            expected.add(503)
        assert expected <= {int(s) for s in answers}, route.rule


def test_429_documents_retry_after(document: dict[str, Any]) -> None:
    answer = document["paths"]["/api/trackers/{id}/refresh"]["post"]["responses"]["429"]
    assert "Retry-After" in answer["headers"]


def test_request_bodies_come_from_the_request_classes(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for route in all_routes():
        if route.body is None:
            continue
        operation = document["paths"][route.openapi_path][route.method.lower()]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = schemas[ref.rsplit("/", 1)[1]]
        assert schema["additionalProperties"] is False
        assert set(schema["properties"]) == {camel(f.name) for f in attrs.fields(route.body)}


def test_query_parameters_come_from_the_query_classes(document: dict[str, Any]) -> None:
    for route in all_routes():
        operation = document["paths"][route.openapi_path][route.method.lower()]
        query = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
        fields = attrs.fields(route.query) if route.query else ()
        assert query == {camel(f.name) for f in fields}, route.rule


def test_interaction_token_is_write_only(document: dict[str, Any]) -> None:
    body = document["components"]["schemas"]["BotRegisterBody"]
    assert body["properties"]["interactionToken"]["writeOnly"] is True
    assert "interactionToken" not in document["components"]["schemas"]["Tracker"]["properties"]


def test_every_response_schema_is_referenced_or_shared(document: dict[str, Any]) -> None:
    text = repr(document["paths"])
    for name in document["components"]["schemas"]:
        used = f"#/components/schemas/{name}'" in text or f"#/components/schemas/{name}'" in repr(
            document["components"]
        )
        assert used, f"{name} is never used"
