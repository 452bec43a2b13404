"""Per-client throttling: the in-process window and the Redis one shared by API processes."""

from __future__ import annotations

import logging
from collections.abc import Callable

import fakeredis
import pytest
from dependency_injector import providers

from adapters.throttle import MemoryThrottle, RedisThrottle
from entrypoints.container import Container
from tests.http.conftest import OTHER, USER, Env, Keys


def test_memory_window_resets_after_ttl() -> None:
    now = [100.0]
    throttle = MemoryThrottle(2, 60000, now=lambda: now[0])
    assert [throttle.hit("a"), throttle.hit("a")] == [None, None]
    now[0] += 15
    assert throttle.hit("a") == 45
    assert throttle.hit("b") is None
    now[0] += 45
    assert throttle.hit("a") is None


def test_redis_window_is_shared_between_processes() -> None:
    server = fakeredis.FakeServer()
    first = RedisThrottle(fakeredis.FakeRedis(server=server), 3, 60000)
    second = RedisThrottle(fakeredis.FakeRedis(server=server), 3, 60000)
    assert [first.hit("u"), second.hit("u"), first.hit("u")] == [None, None, None]
    wait = second.hit("u")
    assert wait is not None and 1 <= wait <= 60
    assert first.hit("other") is None


def test_redis_outage_lets_requests_through(caplog: pytest.LogCaptureFixture) -> None:
    server = fakeredis.FakeServer()
    server.connected = False
    throttle = RedisThrottle(fakeredis.FakeRedis(server=server), 1, 60000)
    with caplog.at_level(logging.WARNING, logger="trackers.http.throttle"):
        assert [throttle.hit("u"), throttle.hit("u")] == [None, None]
    assert "Redis unavailable" in caplog.text


def test_redis_throttle_counts_on_after_the_server_lost_its_script() -> None:
    client = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    throttle = RedisThrottle(client, 2, 60000)
    assert throttle.hit("u") is None
    client.script_flush()
    assert throttle.hit("u") is None
    assert throttle.hit("u") is not None


def test_redis_throttle_counts_again_once_redis_is_back(caplog: pytest.LogCaptureFixture) -> None:
    server = fakeredis.FakeServer()
    throttle = RedisThrottle(fakeredis.FakeRedis(server=server), 2, 60000)
    assert throttle.hit("u") is None
    server.connected = False
    with caplog.at_level(logging.WARNING, logger="trackers.http.throttle"):
        assert throttle.hit("u") is None
    assert "Redis unavailable" in caplog.text
    server.connected = True
    assert throttle.hit("u") is None
    assert throttle.hit("u") is not None


def test_production_mode_throttles_in_redis(make_env: Callable[..., Env]) -> None:
    server = fakeredis.FakeServer()

    def fake_redis(container: Container) -> None:
        container.redis.override(providers.Object(fakeredis.FakeRedis(server=server)))

    first, second = (
        make_env(redis_url="redis://fake", throttle_limit=1, configure=fake_redis) for _ in range(2)
    )
    assert first.client.get("/api/trackers/me", as_user=USER).status_code == 200
    response = second.client.get("/api/trackers/me", as_user=USER)
    assert response.status_code == 429
    assert "Retry-After" in response.headers


# The dashboard's pages


def test_dashboard_pages_count_per_signed_in_user_with_the_user_s_api_calls(
    make_env: Callable[..., Env], keys: Keys
) -> None:
    env = make_env(throttle_limit=3)
    browser = env.client.flask
    browser.set_cookie("auth_token", keys.token(USER))
    assert browser.get("/").status_code == 200
    assert env.client.get("/api/trackers/me", as_user=USER).status_code == 200  # same count
    assert browser.get("/trackers/new").status_code == 200

    refused = browser.get("/")
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"  # the dashboard's error page, not the API's JSON
    assert "Too Many Requests" in refused.get_data(as_text=True)
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert env.client.get("/api/trackers/me", as_user=USER).status_code == 429
    # static files are not counted; another user has a window of their own
    assert browser.get("/static/dashboard/dashboard.css").status_code == 200
    browser.set_cookie("auth_token", keys.token(OTHER))
    assert browser.get("/").status_code == 200


def test_dashboard_pages_signed_out_count_per_address(make_env: Callable[..., Env]) -> None:
    env = make_env(throttle_limit=2)
    browser = env.client.flask
    here, there = {"REMOTE_ADDR": "192.0.2.1"}, {"REMOTE_ADDR": "192.0.2.2"}
    # signed out, outside the sandbox, the page says how to sign in (401)
    assert [browser.get("/sign-in", environ_base=here).status_code for _ in range(2)] == [401] * 2
    refused = browser.get("/", environ_base=here)
    assert refused.status_code == 429  # before the page's own sign-in redirect
    assert "Retry-After" in refused.headers
    assert browser.get("/sign-in", environ_base=there).status_code == 401
