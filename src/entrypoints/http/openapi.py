"""The OpenAPI 3.1 document, generated from the route tables, the request classes (the same
ones requests are validated with) and the response classes (the same ones answers are
serialized from)."""

from __future__ import annotations

import enum
import http
from collections.abc import Iterable
from datetime import datetime
from importlib import metadata
from typing import Any, Literal, get_args, get_origin

import attrs

from entrypoints.http.constraints import MEMBER_COUNT_SCHEMA, MemberCount
from entrypoints.http.errors import status_for
from entrypoints.http.routing import Route
from entrypoints.http.validation import unwrap_optional
from entrypoints.responses import api, league
from entrypoints.responses.base import (
    DATE_TIME,
    Schema,
    array,
    camel,
    component_schemas,
    enum_schema,
    nullable,
    ref,
)

TITLE = "Tracker Service API"
SECURITY_SCHEMES: dict[str, Schema] = {
    "bearerJwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "cookieJwt": {"type": "apiKey", "in": "cookie", "name": "auth_token"},
    "botApiKey": {"type": "http", "scheme": "bearer", "description": "BOT_API_KEY"},
}
SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "public": [],
    "user": [{"bearerJwt": []}, {"cookieJwt": []}],
    "admin": [{"bearerJwt": []}, {"cookieJwt": []}],
    "bot": [{"botApiKey": []}],
}
ARRAYS: tuple[type, ...] = (
    *(api.Tracker, api.Season, api.Snapshot, api.Schedule),
    *(league.Standing, league.Pull, league.Flag, league.OwnPullRow),
)
"""Classes whose bare list is an answer (component ``<Name>Array``)."""
NOT_JSON: dict[str, Schema] = {
    "Metrics": {"type": "string", "description": "Prometheus text exposition format"},
    "OpenApi": {"type": "object", "description": "An OpenAPI 3.1 document"},
    "PullCsv": {"type": "string", "description": "CSV, one row per member, with a header"},
}
"""Answers that are not described by a response class."""


def response_classes() -> list[type]:
    """Every response class of :mod:`entrypoints.responses`, in declaration order."""
    return [
        cls
        for module in (api, league)
        for cls in vars(module).values()
        if isinstance(cls, type) and attrs.has(cls) and cls.__module__ == module.__name__
    ]


def response_schemas() -> dict[str, Schema]:
    """The component schemas of every answer, by the names the routes declare."""
    return {**component_schemas(response_classes(), ARRAYS), **NOT_JSON}


_SCALARS: dict[Any, Schema] = {
    str: {"type": "string"},
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    datetime: DATE_TIME,
    MemberCount: MEMBER_COUNT_SCHEMA,
    Any: {},
}


def route_statuses(route: Route) -> dict[int, str]:
    """Every status ``route`` can answer, with the component schema of each answer."""
    found = {route.status: route.response, 400: "Error"}
    found.update({status: route.response for status in route.also})
    if route.auth != "public":
        found[401] = "Error"
    if route.auth == "admin" or (route.auth == "user" and route.method != "GET"):
        found[403] = "Error"  # user writes: also the CSRF refusal of cookie-only requests
    for error in route.errors:
        found[status_for(error)] = "Error"
    if route.body:
        found[413] = "Error"
    if route.auth in ("user", "admin"):
        found[429] = "Error"
    if route.storage:
        found[503] = "Health" if route.response == "Health" else "Error"
    found[500] = "Error"
    return dict(sorted(found.items()))


class _Components:
    """Collects the request component schemas while the operations are written."""

    def __init__(self) -> None:
        self.schemas: dict[str, Schema] = {}

    def type_schema(self, kind: Any) -> Schema:
        inner, optional = unwrap_optional(kind)
        base = self._base(inner)
        return nullable(base) if optional else base

    def _base(self, kind: Any) -> Schema:
        if kind in _SCALARS:
            return dict(_SCALARS[kind])
        origin = get_origin(kind)
        if origin in (list, tuple):
            return array(self.type_schema(get_args(kind)[0]))
        if origin is dict:
            return {"type": "object"}
        if origin is Literal:
            return enum_schema([str(v) for v in get_args(kind)])
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            return enum_schema([str(m.value) for m in kind])
        if attrs.has(kind):
            return self.component(kind)
        raise TypeError(f"no JSON Schema for {kind!r}")

    def component(self, cls: type) -> Schema:
        if cls.__name__ not in self.schemas:
            self.schemas[cls.__name__] = {}
            self.schemas[cls.__name__] = self.object_schema(cls)
        return ref(cls.__name__)

    def object_schema(self, cls: type) -> Schema:
        properties: dict[str, Schema] = {}
        required = []
        for field in attrs.fields(attrs.resolve_types(cls)):
            name = camel(field.name)
            properties[name] = _constrained(self.type_schema(field.type), field)
            if field.default is attrs.NOTHING:
                required.append(name)
        schema: Schema = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        schema["additionalProperties"] = False
        if cls.__doc__:
            schema["description"] = cls.__doc__.strip().splitlines()[0]
        return schema


def _constrained(schema: Schema, field: attrs.Attribute[Any]) -> Schema:
    constraints = dict(field.metadata.get("schema", {}))
    items = constraints.pop("items", None)
    result = {**schema, **constraints}
    if items and "items" in result:
        result["items"] = {**result["items"], **items}
    default = field.default
    if default is not attrs.NOTHING and isinstance(default, str | int | bool):
        result["default"] = default
    return result


def _query_schema(field: attrs.Attribute[Any], components: _Components) -> Schema:
    kind, _ = unwrap_optional(field.type)
    if get_origin(kind) is tuple:
        values = [str(m.value) for m in get_args(kind)[0]]
        choice = "(" + "|".join(values) + ")"
        return {
            "type": "string",
            "pattern": f"^{choice}(,{choice})*$",
            "description": "One value or a comma-separated list of: " + ", ".join(values),
        }
    return _constrained(components._base(kind), field)


def _parameters(route: Route, components: _Components) -> list[Schema]:
    params: list[Schema] = [
        {
            "name": p.name,
            "in": "path",
            "required": True,
            "description": p.description,
            "schema": {"type": "string", "pattern": p.pattern},
        }
        for p in route.path_params
    ]
    if route.query is not None:
        for field in attrs.fields(attrs.resolve_types(route.query)):
            params.append(
                {
                    "name": camel(field.name),
                    "in": "query",
                    "required": False,
                    "schema": _query_schema(field, components),
                }
            )
    return params


def _responses(route: Route) -> dict[str, Schema]:
    answers: dict[str, Schema] = {}
    for status, schema in route_statuses(route).items():
        media = route.media_type if status == route.status else "application/json"
        answer: Schema = {
            "description": http.HTTPStatus(status).phrase,
            "content": {media: {"schema": ref(schema)}},
        }
        if status == 429:
            answer["headers"] = {
                "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
            }
        answers[str(status)] = answer
    return answers


def _operation(route: Route, components: _Components) -> Schema:
    operation: Schema = {
        "operationId": f"{route.tag.lower()}_{route.endpoint}",
        "summary": route.summary,
        "tags": [route.tag],
        "security": SECURITY[route.auth],
        "parameters": _parameters(route, components),
        "responses": _responses(route),
    }
    if route.body is not None:
        has_required = any(f.default is attrs.NOTHING for f in attrs.fields(route.body))
        operation["requestBody"] = {
            "required": has_required,
            "content": {"application/json": {"schema": components.component(route.body)}},
        }
    return operation


def _version() -> str:
    try:
        return metadata.version("tracker-service")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def build_document(routes: Iterable[Route]) -> Schema:
    """The OpenAPI 3.1 document of ``routes``."""
    components = _Components()
    paths: dict[str, dict[str, Schema]] = {}
    tags: dict[str, None] = {}
    for route in routes:
        paths.setdefault(route.openapi_path, {})[route.method.lower()] = _operation(
            route, components
        )
        tags[route.tag] = None
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": _version(),
            "description": "Rocket League tracker registration, scraping, history and MMR.",
        },
        "tags": [{"name": tag} for tag in tags],
        "paths": paths,
        "components": {
            "schemas": {**response_schemas(), **dict(sorted(components.schemas.items()))},
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
