"""``/docs``: the API reference, rendered on the server from the OpenAPI document.

Swagger UI and Redoc bundles are each well over the dashboard's 250 KB page budget, so the
page is built from the very document ``/openapi.json`` serves (operations by tag, parameters,
request and response schemas with links between them) and links to the raw document.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
from flask import Blueprint, Response, current_app

from entrypoints.http.dashboard.render import page
from entrypoints.http.system import OPENAPI_KEY

METHODS = ("get", "post", "put", "patch", "delete")
REF_PREFIX = "#/components/schemas/"


@attrs.frozen
class Operation:
    """One documented operation as the page lists it."""

    anchor: str
    method: str
    path: str
    summary: str
    auth: tuple[str, ...]
    parameters: tuple[dict[str, Any], ...]
    body: str | None
    responses: tuple[tuple[str, str, str | None], ...]


def _schema_name(content: dict[str, Any] | None) -> str | None:
    for media in (content or {}).values():
        ref = media.get("schema", {}).get("$ref", "")
        if ref.startswith(REF_PREFIX):
            return str(ref[len(REF_PREFIX) :])
    return None


def _operation(path: str, method: str, spec: dict[str, Any]) -> Operation:
    responses = tuple(
        (code, answer.get("description", ""), _schema_name(answer.get("content")))
        for code, answer in spec.get("responses", {}).items()
    )
    return Operation(
        anchor=spec.get("operationId", f"{method}-{path}"),
        method=method.upper(),
        path=path,
        summary=spec.get("summary", ""),
        auth=tuple(name for option in spec.get("security", []) for name in option),
        parameters=tuple(spec.get("parameters", [])),
        body=_schema_name(spec.get("requestBody", {}).get("content")),
        responses=responses,
    )


def grouped(document: dict[str, Any]) -> list[tuple[str, list[Operation]]]:
    """The operations of the document under each tag, in document order."""
    groups: dict[str, list[Operation]] = {t["name"]: [] for t in document.get("tags", [])}
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                spec = item[method]
                tag = (spec.get("tags") or ["Other"])[0]
                groups.setdefault(tag, []).append(_operation(path, method, spec))
    return [(tag, ops) for tag, ops in groups.items() if ops]


def api_docs() -> Response:
    """The API reference page."""
    document: dict[str, Any] = current_app.extensions[OPENAPI_KEY]
    schemas = {
        name: json.dumps(schema, indent=1, ensure_ascii=False)
        for name, schema in document["components"]["schemas"].items()
    }
    return page(
        "dashboard/docs.html",
        info=document["info"],
        groups=grouped(document),
        schemes=document["components"].get("securitySchemes", {}),
        schemas=schemas,
    )


def register(blueprint: Blueprint) -> None:
    """The ``/docs`` route."""
    blueprint.add_url_rule("/docs", "api_docs", api_docs, methods=["GET"])
