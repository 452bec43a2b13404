"""The auth matrix: JWT on user routes, system admins, bot key on /internal, throttling."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

import attrs
import jwt
import pytest

from entrypoints.http.app import GUARD_KEY, Guard
from entrypoints.http.auth import VerifiedTokens, load_public_key
from tests.http.conftest import ADMIN, BOT_KEY, USER, ApiClient, Env, Keys

USER_ROUTE = "/api/trackers/me"
ADMIN_ROUTE = "/api/admin/trackers"
BOT_ROUTE = "/internal/users"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def message(client: ApiClient, path: str, headers: dict[str, str]) -> tuple[int, str]:
    response = client.get(path, headers=headers)
    return response.status_code, response.get_json().get("message", "")


def test_user_route_without_token_is_401(client: ApiClient) -> None:
    assert message(client, USER_ROUTE, {}) == (401, "Authentication required")


def test_valid_token_in_header_or_cookie_is_accepted(client: ApiClient, keys: Keys) -> None:
    assert client.get(USER_ROUTE, headers=bearer(keys.token())).status_code == 200
    client.flask.set_cookie("auth_token", keys.token())
    assert client.get(USER_ROUTE).status_code == 200


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "", "Bearer"],
    ids=["garbage", "three-parts", "empty", "double-scheme"],
)
def test_malformed_token_is_invalid(client: ApiClient, token: str) -> None:
    assert message(client, USER_ROUTE, bearer(token)) == (401, "Invalid token")


def test_non_bearer_scheme_is_invalid(client: ApiClient, keys: Keys) -> None:
    headers = {"Authorization": f"Basic {keys.token()}"}
    assert message(client, USER_ROUTE, headers) == (401, "Invalid token")


def test_expired_token_is_401(client: ApiClient, keys: Keys) -> None:
    token = keys.token(expires_in=-60)
    assert message(client, USER_ROUTE, bearer(token)) == (401, "Token has expired")


def test_token_signed_by_another_key_is_invalid(client: ApiClient, keys: Keys) -> None:
    token = keys.token(key=keys.stranger)
    assert message(client, USER_ROUTE, bearer(token)) == (401, "Invalid token")


def test_alg_none_is_rejected(client: ApiClient) -> None:
    token = jwt.encode({"sub": USER}, key="", algorithm="none")
    assert message(client, USER_ROUTE, bearer(token)) == (401, "Invalid token")


def test_hs256_signed_with_the_public_key_is_rejected(client: ApiClient, keys: Keys) -> None:
    header = jwt.utils.base64url_encode(b'{"alg":"HS256","typ":"JWT"}')
    payload = jwt.utils.base64url_encode(f'{{"sub":"{USER}"}}'.encode())
    signing_input = header + b"." + payload
    signature = hmac.new(keys.public_pem.encode(), signing_input, hashlib.sha256).digest()
    token = (signing_input + b"." + jwt.utils.base64url_encode(signature)).decode()
    assert message(client, USER_ROUTE, bearer(token)) == (401, "Invalid token")


def test_hs256_with_a_shared_secret_is_rejected(client: ApiClient) -> None:
    token = jwt.encode({"sub": USER}, "secret-secret-secret-secret-32b!", algorithm="HS256")
    assert message(client, USER_ROUTE, bearer(token)) == (401, "Invalid token")


def test_token_without_sub_is_invalid(client: ApiClient, keys: Keys) -> None:
    token = jwt.encode({"username": "x"}, keys.private, algorithm="RS256")
    assert message(client, USER_ROUTE, bearer(token)) == (401, "Invalid token")


def test_bot_key_is_not_a_user_token(client: ApiClient) -> None:
    assert message(client, USER_ROUTE, bearer(BOT_KEY)) == (401, "Invalid token")


def test_no_public_key_configured_rejects_every_token(
    make_env: Callable[..., Env], keys: Keys
) -> None:
    env: Env = make_env(jwt_public_key=None)
    assert message(env.client, USER_ROUTE, bearer(keys.token())) == (401, "Invalid token")


def test_admin_route_needs_a_system_admin(client: ApiClient, keys: Keys) -> None:
    status, text = message(client, ADMIN_ROUTE, bearer(keys.token(USER)))
    assert status == 403
    assert text == (
        "System admin access required - your user ID must be configured as a system administrator"
    )
    assert client.get(ADMIN_ROUTE, headers=bearer(keys.token(ADMIN))).status_code == 200


def test_admin_route_without_token_is_401(client: ApiClient) -> None:
    assert message(client, ADMIN_ROUTE, {}) == (401, "Authentication required")


def test_bot_key_on_admin_route_is_401(client: ApiClient) -> None:
    assert message(client, ADMIN_ROUTE, bearer(BOT_KEY)) == (401, "Invalid token")


def test_bot_route_without_header_is_401(client: ApiClient) -> None:
    assert message(client, BOT_ROUTE, {}) == (401, "Missing authorization header")


@pytest.mark.parametrize("value", ["Bearer wrong", "Bearer", BOT_KEY, f"Basic {BOT_KEY}"])
def test_bot_route_with_wrong_key_is_401(client: ApiClient, value: str) -> None:
    assert message(client, BOT_ROUTE, {"Authorization": value}) == (401, "Invalid API key")


def test_jwt_is_not_a_bot_key(client: ApiClient, keys: Keys) -> None:
    assert message(client, BOT_ROUTE, bearer(keys.token(ADMIN))) == (401, "Invalid API key")


def test_bot_key_works_on_bot_routes(client: ApiClient) -> None:
    assert client.get(BOT_ROUTE, bot=True).status_code == 200
    assert client.get("/internal/health", bot=True).status_code == 200


def test_no_bot_key_configured_rejects_every_key(make_env: Callable[..., Env]) -> None:
    env: Env = make_env(bot_api_key=None)
    assert message(env.client, BOT_ROUTE, bearer(BOT_KEY)) == (401, "Invalid API key")


def test_public_routes_need_no_auth(client: ApiClient) -> None:
    for path in ("/health", "/metrics", "/openapi.json"):
        assert client.get(path).status_code == 200


def test_user_is_throttled_with_retry_after(make_env: Callable[..., Env], keys: Keys) -> None:
    env: Env = make_env(throttle_limit=3, throttle_ttl_ms=60000)
    headers = bearer(keys.token())
    codes = [env.client.get(USER_ROUTE, headers=headers).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    response = env.client.get(USER_ROUTE, headers=headers)
    assert response.status_code == 429
    assert response.get_json()["message"] == "Too Many Requests"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    other = env.client.get(USER_ROUTE, headers=bearer(keys.token(ADMIN)))
    assert other.status_code == 200


def test_anonymous_clients_are_throttled_by_address(make_env: Callable[..., Env]) -> None:
    env: Env = make_env(throttle_limit=2)
    codes = [env.client.get(USER_ROUTE).status_code for _ in range(3)]
    assert codes == [401, 401, 429]


def test_bot_routes_are_not_throttled(make_env: Callable[..., Env]) -> None:
    env: Env = make_env(throttle_limit=1)
    codes = {env.client.get(BOT_ROUTE, bot=True).status_code for _ in range(3)}
    assert codes == {200}


def _remembering(env: Env, size: int = 4096, now: Callable[[], float] = time.time) -> None:
    """Give the app a token memory of ``size`` entries reading the time from ``now``."""
    guard: Guard = env.app.extensions[GUARD_KEY]
    tokens = VerifiedTokens(
        load_public_key(env.container.settings().jwt_public_key),
        env.container.settings().system_admin_user_ids,
        size=size,
        now=now,
    )
    env.app.extensions[GUARD_KEY] = attrs.evolve(guard, tokens=tokens)


def _counting_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    decoded: list[str] = []
    real = jwt.decode

    def decode(token: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", decode)
    return decoded


def test_a_verified_token_is_not_verified_again_and_the_memory_is_bounded(
    env: Env, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    _remembering(env, size=2)
    decoded = _counting_decodes(monkeypatch)
    first, second, third = (keys.token(sub) for sub in (USER, ADMIN, "123456789012345678"))
    for token in (first, first, second, first):
        assert env.client.get(USER_ROUTE, headers=bearer(token)).status_code == 200
    assert decoded == [first, second]
    assert env.client.get(USER_ROUTE, headers=bearer(third)).status_code == 200
    assert env.client.get(USER_ROUTE, headers=bearer(first)).status_code == 200  # forgotten
    assert decoded == [first, second, third, first]


def test_a_remembered_token_expires_at_its_exp(env: Env, keys: Keys) -> None:
    clock = [time.time()]
    _remembering(env, now=lambda: clock[0])
    token = keys.token(expires_in=600)
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    assert env.client.get(USER_ROUTE, headers=bearer(token)).status_code == 200
    clock[0] = exp - 0.5
    assert env.client.get(USER_ROUTE, headers=bearer(token)).status_code == 200
    clock[0] = exp
    assert message(env.client, USER_ROUTE, bearer(token)) == (401, "Token has expired")


def test_a_rejected_token_is_checked_every_time(
    env: Env, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    _remembering(env)
    decoded = _counting_decodes(monkeypatch)
    forged = keys.token(key=keys.stranger)
    for _ in range(2):
        assert message(env.client, USER_ROUTE, bearer(forged)) == (401, "Invalid token")
    assert decoded == [forged, forged]
