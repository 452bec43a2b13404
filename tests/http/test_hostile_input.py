"""Hostile input on every route of the API, on the fakes and on PostgreSQL: never a 5xx.

NUL characters, lone surrogates, NaN/Infinity, numbers overflowing to infinity and absurdly
deep JSON are sent in the body, the query string and the path of each route of
``all_routes()`` with valid credentials. Bodies of routes that read one are 400 with the
input limit named; NUL in a path or query is 400 on every route; nothing is ever 5xx, and the
audit row of each mutating call is stored (PostgreSQL refuses NUL and lone surrogates, which
is what made these 500s). Hostile token claims are 401 ``Invalid token``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from werkzeug.test import TestResponse

from adapters.sql.migrate import upgrade_database
from entrypoints.container import Container
from entrypoints.http.app import all_routes
from entrypoints.http.input_limits import (
    HAS_NUL,
    HAS_SURROGATE,
    NOT_FINITE,
    TOO_DEEP,
)
from entrypoints.http.routing import Route
from tests.http.conftest import (
    ADMIN,
    BOT_KEY,
    GUILD,
    STAFF_ROLE,
    USER,
    Env,
    build_env,
    session_keys,
    trn,
)
from tests.pg import fresh_database

NOT_JSON = "Request body must be valid JSON"
BODIES: dict[str, tuple[bytes, str]] = {
    "nul in a value": (b'{"name": "a\\u0000b"}', HAS_NUL),
    "nul in a key": (b'{"a\\u0000b": 1}', "name " + HAS_NUL),
    "lone surrogate": (b'{"name": "\\ud800"}', HAS_SURROGATE),
    "lone surrogate in a list": (b'{"urls": ["x", "\\udfff"]}', HAS_SURROGATE),
    "NaN": (b'{"n": NaN}', NOT_JSON),
    "Infinity": (b'{"n": Infinity}', NOT_JSON),
    "-Infinity": (b'{"n": [-Infinity]}', NOT_JSON),
    "1e400": (b'{"n": 1e400}', NOT_FINITE),
    "huge integer": (b'{"n": 1' + b"0" * 400 + b"}", NOT_FINITE),
    "30,000 [": (b"[" * 30_000, TOO_DEEP),
    "5,000-deep object": (b'{"a":' * 5_000 + b"1" + b"}" * 5_000, TOO_DEEP),
}
QUERY_VALUES = {"%00": True, "a%00b": True, "%ED%A0%80": False, "%C0%80": False}
PATH_VALUES = {"%00": True, "a%00b": True, "%ED%A0%80": False, "%F4%90%80%80": False}
_PARAM = re.compile(r"\{(\w+)\}")


class Site:
    """An app with a guild, a member tracker and a schedule, and the credentials per auth."""

    def __init__(self, env: Env, backend: str) -> None:
        self.env = env
        self.backend = backend
        token = session_keys().token(ADMIN, expires_in=3600)
        self.auth = {
            "public": {},
            "user": {"Authorization": f"Bearer {token}"},
            "admin": {"Authorization": f"Bearer {token}"},
            "bot": {"Authorization": f"Bearer {BOT_KEY}"},
        }
        client = env.client
        bot = self.auth["bot"]
        guild = client.post("/internal/guilds", headers=bot, json={"id": GUILD, "name": "L"})
        assert guild.status_code == 201, guild.get_json()
        members = [{"userId": USER, "roles": [STAFF_ROLE]}, {"userId": ADMIN, "roles": []}]
        sync = client.post(f"/internal/guilds/{GUILD}/sync", headers=bot, json={"members": members})
        assert sync.status_code == 200, sync.get_json()
        tracker = env.register(USER, "hostile")[0]
        schedule = client.post(
            "/internal/trackers/schedule",
            headers=bot,
            json={"guildId": GUILD, "scheduledAt": "2030-01-01T00:00:00Z", "createdBy": USER},
        )
        assert schedule.status_code == 201, schedule.get_json()
        pulls = [
            client.post(f"/internal/guilds/{GUILD}/pulls", headers=bot, json={"name": name})
            for name in ("before", "after")
        ]
        assert [p.status_code for p in pulls] == [201, 201], [p.get_json() for p in pulls]
        self.params = {
            "id": tracker["id"],
            "scheduleId": schedule.get_json()["id"],
            "guildId": GUILD,
            "userId": USER,
            "pullId": pulls[0].get_json()["id"],
            "otherPullId": pulls[1].get_json()["id"],
            # Flags are raised only by scrapes; a well-formed unknown id reaches the lookup.
            "flagId": "c" + "0" * 24,
        }

    def path(self, route: Route, **values: str) -> str:
        """The route's path with seeded ids, or ``values`` for some parameters."""
        return _PARAM.sub(lambda m: values.get(m[1], self.params[m[1]]), route.openapi_path)

    def call(self, route: Route, path: str, body: bytes | None = None) -> TestResponse:
        """``route``'s method on ``path`` with valid credentials (checked against the document)."""
        headers = {**self.auth[route.auth], "Content-Type": "application/json"}
        return self.env.client.call(route.method, path, headers=headers, data=body)


def _sql_backed(container: Container) -> None:
    container.uow.reset_override()


@pytest.fixture(
    scope="module", params=["fakes", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    """One seeded app per backend for the whole module (one fresh database)."""
    keys = session_keys()
    if request.param == "fakes":
        yield Site(build_env(keys, throttle_limit=1_000_000), "fakes")
        return
    with fresh_database("tracker_hostile") as url:
        upgrade_database(url)
        env = build_env(keys, _sql_backed, throttle_limit=1_000_000, database_url=url)
        yield Site(env, "postgres")
        env.container.engine().dispose()


def _errors(response: TestResponse) -> list[str]:
    body = response.get_json(silent=True)
    if not isinstance(body, dict):
        return []
    return [e["message"] for e in body.get("errors", [])]


ROUTES = all_routes()


def _id(route: Route) -> str:
    return f"{route.method} {route.rule}"


@pytest.mark.parametrize("route", ROUTES, ids=_id)
def test_hostile_bodies_are_400_or_ignored_never_5xx(site: Site, route: Route) -> None:
    problems = []
    for name, (body, expected) in BODIES.items():
        response = site.call(route, site.path(route), body)
        answer = (response.status_code, _errors(response))
        rejected = answer == (400, [expected])
        if response.status_code >= 500 or (route.body is not None and not rejected):
            problems.append((name, response.status_code, response.get_json(silent=True)))
    assert problems == []


@pytest.mark.parametrize("route", ROUTES, ids=_id)
def test_hostile_query_strings_are_400_never_5xx(site: Site, route: Route) -> None:
    names = ["unknown"] + ([] if route.query is None else list(_query_names(route)))
    problems = []
    for name in names:
        for value, refused in QUERY_VALUES.items():
            for query in (f"{name}={value}", f"{value}={value}"):
                response = site.call(route, f"{site.path(route)}?{query}", b"{}")
                if response.status_code >= 500 or (refused and response.status_code != 400):
                    problems.append((query, response.status_code, response.get_json()))
    assert problems == []


@pytest.mark.parametrize("route", [r for r in ROUTES if r.path_params], ids=_id)
def test_hostile_path_parameters_are_400_never_5xx(site: Site, route: Route) -> None:
    problems = []
    for param in route.path_params:
        for value, refused in PATH_VALUES.items():
            response = site.call(route, site.path(route, **{param.name: value}), b"{}")
            if response.status_code >= 500 or (refused and response.status_code != 400):
                problems.append((param.name, value, response.status_code, response.get_json()))
    assert problems == []


def _query_names(route: Route) -> Iterator[str]:
    assert route.query is not None
    for field in attrs.fields(route.query):
        head, *rest = field.name.split("_")
        yield head + "".join(part.title() for part in rest)


HOSTILE_CLAIMS: dict[str, dict[str, Any]] = {
    "64-character sub": {"sub": "1" * 64},
    "16-digit sub": {"sub": "1" * 16},
    "non-numeric sub": {"sub": "user-1"},
    "NUL in sub": {"sub": "11111111\x00111111111"},
    "NUL in username": {"username": "a\x00b"},
    "lone surrogate username": {"username": "\ud800x"},
    "lone surrogate globalName": {"globalName": "\udfff"},
    "control character in username": {"username": "a\x1bb"},
    "5,000-character username": {"username": "x" * 5_000},
    "NUL in email": {"email": "a\x00@example.com"},
}


@pytest.mark.parametrize("claims", HOSTILE_CLAIMS.values(), ids=HOSTILE_CLAIMS.keys())
def test_hostile_token_claims_are_invalid_tokens(site: Site, claims: dict[str, Any]) -> None:
    token = session_keys().token(**{"sub": USER, **claims})
    for method, path, body in (
        ("GET", "/api/trackers/me", None),
        ("POST", "/api/trackers/add", {"url": trn("claims")}),
    ):
        response = site.env.client.call(
            method, path, headers={"Authorization": f"Bearer {token}"}, json=body
        )
        assert (response.status_code, response.get_json()["message"]) == (401, "Invalid token")


def test_printable_unicode_claims_are_accepted(site: Site) -> None:
    token = session_keys().token(USER, username="Zoë 🚀", globalName="ノア")
    response = site.env.client.get("/api/trackers/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_the_audit_keeps_a_bounded_clean_summary(site: Site) -> None:
    if site.backend != "fakes":
        pytest.skip("the rows are read from the fake store")
    bot = site.auth["bot"]
    site.env.client.post("/internal/trackers/add", headers=bot, data=b"[" * 30_000)
    assert site.env.uow.committed.audit[-1]["body"] == {"_unparsed": TOO_DEEP, "bytes": 30_000}
    huge = {"userId": USER, "url": "x" * 5000, "list": list(range(500)), "k\x00": "\ud800"}
    site.env.client.post("/internal/trackers/add", headers=bot, json=huge)
    stored = site.env.uow.committed.audit[-1]["body"]
    assert len(stored["url"]) == 500 and len(stored["list"]) == 51
    assert stored["k\ufffd"] == "\ufffd"
