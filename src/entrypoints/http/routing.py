"""Routes declared once: the Flask rule, its parsing and the metadata OpenAPI is built from.

A view is a plain function taking its path parameters and, when declared, ``body`` and
``query`` as typed request objects; it returns a response object of
:mod:`entrypoints.responses` (or a list of them, or a ready Response). The wrapper checks
path ids, parses the body and query strictly and answers with the route's success status
(POST 201, others 200).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal

import attrs
import msgspec
from flask import Blueprint, Response, request
from werkzeug.routing import BaseConverter, Map

from entrypoints.http import audit
from entrypoints.http.constraints import (
    CUID_PATTERN,
    GUILD_ID_MESSAGE,
    SNOWFLAKE_PATTERN,
    USER_ID_MESSAGE,
)
from entrypoints.http.validation import check_path, parse_json, parse_query, structure
from entrypoints.responses.base import to_json
from tracker_core.errors import FieldError, TrackerError, ValidationError

Auth = Literal["public", "user", "admin", "bot"]
View = Callable[..., Any]
NOT_JSON = "Content-Type must be application/json"


@attrs.frozen
class NoQuery:
    """No query parameters at all."""


@attrs.frozen
class PathParam:
    """A path parameter, its pattern and the message of a malformed value."""

    name: str
    pattern: str
    message: str
    description: str

    def check(self, value: str) -> None:
        """Raises ValidationError (400) when ``value`` is malformed."""
        check_path(self.name, value, self.pattern, self.message.replace("{value}", value))


PATH_PARAMS = {
    p.name: p
    for p in (
        PathParam("id", CUID_PATTERN, "Invalid CUID format: {value}", "Tracker id (CUID)"),
        PathParam("scheduleId", CUID_PATTERN, "Invalid CUID format: {value}", "Schedule id (CUID)"),
        PathParam("guildId", SNOWFLAKE_PATTERN, GUILD_ID_MESSAGE, "Discord guild id"),
        PathParam("userId", SNOWFLAKE_PATTERN, USER_ID_MESSAGE, "Discord user id"),
        PathParam("pullId", CUID_PATTERN, "Invalid CUID format: {value}", "Pull id (CUID)"),
        PathParam("otherPullId", CUID_PATTERN, "Invalid CUID format: {value}", "Pull id (CUID)"),
        PathParam("flagId", CUID_PATTERN, "Invalid CUID format: {value}", "Flag id (CUID)"),
    )
}


@attrs.frozen
class Route:
    """One operation of the API, as Flask serves it and OpenAPI documents it."""

    method: str
    rule: str
    endpoint: str
    summary: str
    auth: Auth
    status: int
    response: str
    body: type | None = None
    query: type | None = None
    errors: tuple[type[TrackerError], ...] = ()
    tag: str = ""
    storage: bool = True
    media_type: str = "application/json"
    also: tuple[int, ...] = ()
    """Success statuses besides ``status`` (e.g. an upsert's 200 when nothing was created)."""

    @property
    def path_params(self) -> tuple[PathParam, ...]:
        """The parameters of the rule, in order."""
        return tuple(PATH_PARAMS[n] for n in _VARIABLE.findall(self.rule))

    @property
    def openapi_path(self) -> str:
        """``/api/trackers/<id>`` → ``/api/trackers/{id}``."""
        return openapi_path(self.rule)


_VARIABLE = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>")


def openapi_path(rule: str) -> str:
    """A Flask rule in OpenAPI form: ``/users/<except(x):userId>`` → ``/users/{userId}``."""
    return _VARIABLE.sub(r"{\1}", rule)


class ExceptConverter(BaseConverter):
    """One path segment other than the given static names.

    ``/api/trackers/<except(register,add,me):id>`` lets ``PUT /api/trackers/register`` be
    405 (``/register`` only takes POST) instead of a malformed id; any other value reaches
    the view, which answers 400 for a malformed id.
    """

    def __init__(self, url_map: Map, *names: str) -> None:
        super().__init__(url_map)
        alternatives = "|".join(re.escape(n) for n in names)
        self.regex = rf"(?!(?:{alternatives})(?![^/]))[^/]+"


class RouteTable:
    """The routes of one blueprint, declared at import; the blueprint is built per app."""

    def __init__(self, name: str, prefix: str, auth: Auth, tag: str) -> None:
        self.name = name
        self.prefix = prefix
        self.auth: Auth = auth
        self.tag = tag
        self._views: list[tuple[Route, View]] = []

    @property
    def routes(self) -> list[Route]:
        """Every declared route."""
        return [route for route, _ in self._views]

    def route(
        self,
        method: str,
        rule: str,
        *,
        summary: str,
        response: str,
        body: type | None = None,
        query: type | None = None,
        errors: tuple[type[TrackerError], ...] = (),
        storage: bool = True,
        media_type: str = "application/json",
        also: tuple[int, ...] = (),
    ) -> Callable[[View], View]:
        """Declare ``view`` for ``method rule`` with its parsing and documentation."""
        meta = Route(
            method=method,
            rule=self.prefix + rule,
            endpoint=_name(method, rule),
            summary=summary,
            auth=self.auth,
            status=201 if method == "POST" else 200,
            response=response,
            body=body,
            query=query,
            errors=errors,
            tag=self.tag,
            storage=storage,
            media_type=media_type,
            also=also,
        )

        def register(view: View) -> View:
            self._views.append((meta, view))
            return view

        return register

    def blueprint(self) -> Blueprint:
        """A new blueprint serving every declared route."""
        blueprint = Blueprint(self.name, __name__, url_prefix=self.prefix or None)
        for meta, view in self._views:
            rule = meta.rule[len(self.prefix) :]
            blueprint.add_url_rule(rule, meta.endpoint, _wrap(meta, view), methods=[meta.method])
        return blueprint


def _name(method: str, rule: str) -> str:
    words = re.sub(r"[^a-zA-Z0-9]+", "_", rule).strip("_") or "root"
    return f"{method.lower()}_{words}"


def answer(data: Any, status: int) -> Response:
    """A JSON answer with a status other than the route's default (declared in ``also``)."""
    return Response(_encode(to_json(data)), status, mimetype="application/json")


def read_body(cls: type) -> Any:
    """The request body structured as ``cls``.

    Raises:
        ValidationError: not JSON, or not a valid ``cls``.
    """
    raw = request.get_data(cache=True)
    if raw.strip() and not request.is_json:
        raise ValidationError([FieldError("body", NOT_JSON)], message=NOT_JSON)
    data = parse_json(raw)
    audit.remember_body(data)
    return structure(data, cls)


def _plain(value: Any) -> Any:
    """msgspec's hook for what it does not encode itself: subclasses of int, float and str
    (e.g. a member count as the bot sent it) are encoded as their base type, as Flask did."""
    for base in (int, float, str):
        if isinstance(value, base):
            return base(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


_ENCODER = msgspec.json.Encoder(enc_hook=_plain)


def _encode(data: Any) -> bytes:
    """JSON of ``to_json``'s output (JSON's own types: instants are strings already), by
    msgspec: about a fifth of the CPU of Flask's ``jsonify``, which sorts every object's keys.
    UTF-8 rather than ``\\u`` escapes, the keys in the order of the response's fields. A
    float that is not finite becomes null (Flask wrote ``NaN``, which is not JSON)."""
    return _ENCODER.encode(data)


def _wrap(meta: Route, view: View) -> View:
    params = meta.path_params  # parsed from the rule once, not per request

    def handle(**path: str) -> Any:
        for param in params:
            param.check(path[param.name])
        kwargs: dict[str, Any] = dict(path)
        if meta.body is not None:
            kwargs["body"] = read_body(meta.body)
        if meta.query is not None:
            kwargs["query"] = parse_query(request.args, meta.query)
        elif request.args:
            parse_query(request.args, NoQuery)
        result = view(**kwargs)
        if isinstance(result, Response):
            return result
        return Response(_encode(to_json(result)), meta.status, mimetype="application/json")

    handle.__name__ = view.__name__
    handle.__doc__ = view.__doc__
    return handle
