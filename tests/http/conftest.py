"""Fixtures of the HTTP tests: an app on in-memory fakes, RSA keys, tokens, and a client that
checks every answer against the OpenAPI document and for leaked secrets."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import attrs
import jwt
import pytest
from _pytest.nodeid import coerce_node_id
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dependency_injector import providers
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.exceptions import HTTPException
from werkzeug.test import TestResponse

from entrypoints.config import load_settings
from entrypoints.container import Container, container_for
from entrypoints.http.app import create_app
from entrypoints.http.routing import openapi_path
from tests.fakes import FakeQueue, FakeUnitOfWork, FixedClock
from tracker_core.guilds import Guild, GuildMember, GuildSettings

USER = "111111111111111111"
OTHER = "222222222222222222"
ADMIN = "999999999999999999"
GUILD = "333333333333333333"
STAFF_ROLE = "444444444444444444"
BOT_KEY = "bot-key-0123456789abcdef"
INTERACTION_TOKEN = "interaction-SECRET-aW50ZXJhY3Rpb24tdG9rZW4"
DOC_URI = "urn:trackers:openapi"


def trn(name: str, platform: str = "steam") -> str:
    """A valid TRN profile URL."""
    return f"https://rocketleague.tracker.network/rocket-league/profile/{platform}/{name}/overview"


@attrs.frozen
class Keys:
    """The RSA key pair the app trusts, and one it does not."""

    private: rsa.RSAPrivateKey
    public_pem: str
    stranger: rsa.RSAPrivateKey

    def token(
        self,
        sub: str = USER,
        *,
        expires_in: int = 600,
        key: Any = None,
        algorithm: str = "RS256",
        **claims: Any,
    ) -> str:
        """A JWT for ``sub`` (RS256 with the trusted key unless told otherwise)."""
        payload = {"sub": sub, "exp": int(time.time()) + expires_in, **claims}
        return jwt.encode(payload, self.private if key is None else key, algorithm=algorithm)


def _pair() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def session_keys() -> Keys:
    """One key pair per test session (also for modules that need it at import)."""
    private = _pair()
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Keys(private=private, public_pem=pem.decode(), stranger=_pair())


@pytest.fixture(scope="session")
def keys() -> Keys:
    """The session's key pairs."""
    return session_keys()


class DocumentChecker:
    """Checks that an answer's status is documented for its route and its body conforms."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.document: dict[str, Any] = app.extensions["trackers.openapi"]
        registry: Registry[Any] = Registry().with_resource(
            DOC_URI, Resource.from_contents(self.document, default_specification=DRAFT202012)
        )
        self.registry = registry

    def check(self, method: str, path: str, response: TestResponse) -> None:
        """Assert ``response`` is what the document promises for ``method path``."""
        adapter = self.app.url_map.bind("localhost")
        try:
            rule, _ = adapter.match(path.split("?")[0], method=method, return_rule=True)
        except HTTPException:
            return
        operation = self.document["paths"][openapi_path(rule.rule)][method.lower()]
        answers = operation["responses"]
        status = str(response.status_code)
        assert status in answers, f"{method} {rule.rule} answered undocumented {status}"
        content = answers[status]["content"]
        media = response.mimetype
        assert media in content, f"{method} {rule.rule} {status} answered {media}"
        if media == "application/json":
            validator = Draft202012Validator(
                {"$ref": DOC_URI + content[media]["schema"]["$ref"]},
                registry=self.registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
            validator.validate(response.get_json())


class ApiClient:
    """The Flask test client as the user, another user, an admin or the bot.

    Every answer is checked against the OpenAPI document and must not contain a secret.
    """

    def __init__(self, app: Flask, keys: Keys) -> None:
        self.flask: FlaskClient = app.test_client()
        self.keys = keys
        self.checker = DocumentChecker(app)
        self.secrets = [INTERACTION_TOKEN, BOT_KEY]
        self.seen: list[TestResponse] = []

    def headers(
        self, as_user: str | None, bot: bool, headers: dict[str, str] | None
    ) -> dict[str, str]:
        """Authorization for the caller, plus ``headers``."""
        found: dict[str, str] = {}
        if as_user is not None:
            token = self.keys.token(as_user)
            self.secrets.append(token)
            found["Authorization"] = f"Bearer {token}"
        if bot:
            found["Authorization"] = f"Bearer {BOT_KEY}"
        found.update(headers or {})
        return found

    def call(
        self,
        method: str,
        path: str,
        *,
        as_user: str | None = None,
        bot: bool = False,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        """One request, checked."""
        response = self.flask.open(
            path, method=method, headers=self.headers(as_user, bot, headers), **kwargs
        )
        self.checker.check(method, path, response)
        text = response.get_data(as_text=True)
        for secret in self.secrets:
            assert secret not in text, f"{method} {path} leaked a secret"
        self.seen.append(response)
        return response

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("DELETE", path, **kwargs)


@attrs.define
class Env:
    """An app on fakes, with handles on the fakes."""

    app: Flask
    container: Container
    uow: FakeUnitOfWork
    queue: FakeQueue
    clock: FixedClock
    client: ApiClient

    def add_guild(
        self, guild_id: str = GUILD, members: dict[str, tuple[str, ...]] | None = None
    ) -> None:
        """A guild whose STAFF_ROLE holders are admins, with ``members`` (user id → roles)."""
        store = self.uow.committed
        now = self.clock.now()
        store.guilds[guild_id] = Guild(id=guild_id, name="League", created_at=now, updated_at=now)
        store.settings[guild_id] = GuildSettings(admin_roles=(STAFF_ROLE,))
        for user_id, roles in (members or {}).items():
            store.members[(guild_id, user_id)] = GuildMember(
                guild_id=guild_id, user_id=user_id, roles=roles
            )

    def register(self, user: str = USER, *names: str) -> list[dict[str, Any]]:
        """Register trackers for ``user`` through the API; their JSON."""
        urls = [trn(n) for n in (names or (f"player{user[-4:]}",))]
        response = self.client.post("/api/trackers/register", as_user=user, json={"urls": urls})
        assert response.status_code == 201, response.get_json()
        body: list[dict[str, Any]] = response.get_json()
        return body


def build_env(
    keys: Keys, configure: Callable[[Container], None] | None = None, **overrides: Any
) -> Env:
    """A container overridden with fakes (then ``configure``), and the app built from it."""
    values: dict[str, Any] = {
        "jwt_public_key": keys.public_pem,
        "bot_api_key": BOT_KEY,
        "system_admin_user_ids": frozenset({ADMIN}),
        **overrides,
    }
    uow, queue, clock = (
        FakeUnitOfWork(),
        FakeQueue(),
        FixedClock(datetime(2026, 1, 1, 12, tzinfo=UTC)),
    )
    container = container_for(load_settings({}, **values))
    container.uow.override(providers.Object(uow))
    container.queue.override(providers.Object(queue))
    container.command_queue.override(providers.Object(queue))
    container.clock.override(providers.Object(clock))
    if configure is not None:
        configure(container)
    app = create_app(container)
    return Env(app, container, uow, queue, clock, ApiClient(app, keys))


@pytest.fixture
def make_env(keys: Keys) -> Callable[..., Env]:
    """Build an app with settings overrides."""
    return lambda **overrides: build_env(keys, **overrides)


@pytest.fixture
def env(keys: Keys) -> Iterator[Env]:
    """An app on fakes with the default test settings."""
    yield build_env(keys)


@pytest.fixture
def client(env: Env) -> ApiClient:
    """The checked test client of ``env``."""
    return env.client


def body_of(response: TestResponse) -> Any:
    """The JSON body (parsed strictly)."""
    return json.loads(response.get_data(as_text=True))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give each schemathesis item its operation in the node id (``test[GET /health]``).

    schemathesis names every operation's item like its test function; pytest-xdist's
    ``--dist loadgroup`` schedules by node id, so without this it would run one operation of
    each test instead of all of them (scripts/check_test_count.py catches that).
    """
    for item in items:
        label = getattr(item, "operation_label", None)
        if label and not item.nodeid.endswith("]"):
            item._id = coerce_node_id(f"{item.nodeid}[{label}]")
