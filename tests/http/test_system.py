"""``/health``, ``/metrics``, CORS and the app factory."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

import pytest
import redis
from dependency_injector import providers
from redis.backoff import NoBackoff
from redis.retry import Retry

from adapters.queue.rq_queue import RqJobQueue
from entrypoints.http.health import CHECKS_KEY, RecentChecks
from tests.http.conftest import USER, ApiClient, Env
from tests.http.test_errors_and_audit import BrokenUnitOfWork
from tracker_core.errors import StorageUnavailableError


def test_health_reports_checks_and_mode(client: ApiClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["mode"], body["sandbox"]) == ("ok", "embedded", False)
    assert body["uptime"] >= 0
    assert body["checks"] == {
        "database": {"status": "up"},
        "queue": {"status": "up", "depth": 0},
    }
    assert "warning" not in body


def test_health_says_sandbox_loudly(make_env: Callable[..., Env]) -> None:
    body = make_env(sandbox=True).client.get("/health").get_json()
    assert body["sandbox"] is True
    assert "SANDBOX" in body["warning"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_health_names_a_down_queue_without_its_address(
    make_env: Callable[..., Env], caplog: pytest.LogCaptureFixture
) -> None:
    port = _closed_port()
    client = redis.Redis(
        host="127.0.0.1", port=port, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
    )
    env = make_env(throttle_limit=1000)
    env.container.queue.override(providers.Object(RqJobQueue(client, queue_name="health-test")))
    tracker_id = env.register(USER)[0]["id"]
    with caplog.at_level(logging.WARNING, logger="trackers.http"):
        health = env.client.get("/health")
        refresh = env.client.post(f"/api/trackers/{tracker_id}/refresh", as_user=USER)
    assert health.status_code == 503
    assert health.get_json()["checks"]["queue"] == {
        "status": "down",
        "error": "Job queue unavailable",
    }
    assert refresh.status_code == 503
    assert refresh.get_json()["message"] == "Job queue unavailable"
    for answer in (health, refresh):
        text = answer.get_data(as_text=True)
        assert str(port) not in text and "127.0.0.1" not in text
    assert str(port) in caplog.text  # the detail is in the log for the operator


def test_metrics_count_requests_per_app(make_env: Callable[..., Env]) -> None:
    first, second = make_env(), make_env()
    first.register(USER)
    first.client.get("/api/trackers/me", as_user=USER)
    text = first.client.get("/metrics").get_data(as_text=True)
    assert 'http_requests_total{method="GET",route="/api/trackers/me",status="200"} 1.0' in text
    assert 'trackers{status="PENDING"} 1.0' in text
    assert "tracker_queue_depth 1.0" in text
    other = second.client.get("/metrics").get_data(as_text=True)
    assert 'route="/api/trackers/me"' not in other


def test_cors_for_the_dashboard(make_env: Callable[..., Env]) -> None:
    env = make_env(frontend_url="https://dash.example")
    origin = {"Origin": "https://dash.example"}
    response = env.client.get("/api/trackers/me", as_user=USER, headers=origin)
    assert response.headers["Access-Control-Allow-Origin"] == "https://dash.example"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    preflight = env.client.flask.options("/api/trackers/me", headers=origin)
    assert preflight.status_code == 200
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    stranger = env.client.get("/api/trackers/me", as_user=USER, headers={"Origin": "https://x"})
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_apps_do_not_share_state(make_env: Callable[..., Env]) -> None:
    first, second = make_env(throttle_limit=1), make_env(throttle_limit=1)
    assert first.client.get("/api/trackers/me", as_user=USER).status_code == 200
    assert second.client.get("/api/trackers/me", as_user=USER).status_code == 200
    assert first.client.get("/api/trackers/me", as_user=USER).status_code == 429


def test_health_reuses_passing_checks_for_a_second_and_never_failing_ones(env: Env) -> None:
    clock = [100.0]
    env.app.extensions[CHECKS_KEY] = RecentChecks(ttl=1.0, now=lambda: clock[0])
    assert env.client.get("/health").status_code == 200
    working = env.container.uow()
    env.container.uow.override(
        providers.Object(BrokenUnitOfWork(StorageUnavailableError("Database unavailable")))
    )
    clock[0] = 100.9
    assert env.client.get("/health").status_code == 200  # the passing checks of 0.9 s ago
    clock[0] = 101.0
    down = env.client.get("/health")
    assert down.status_code == 503
    assert down.get_json()["checks"]["database"]["status"] == "down"
    env.container.uow.override(providers.Object(working))
    assert env.client.get("/health").status_code == 200  # same instant: failures are not kept


def test_health_cache_seconds_zero_checks_on_every_call(make_env: Callable[..., Env]) -> None:
    env = make_env(health_cache_seconds=0)
    assert env.client.get("/health").status_code == 200
    env.container.uow.override(
        providers.Object(BrokenUnitOfWork(StorageUnavailableError("Database unavailable")))
    )
    assert env.client.get("/health").status_code == 503


def test_metrics_token_guards_the_endpoint(make_env: Callable[..., Env]) -> None:
    env = make_env(metrics_token="scrape-secret")
    assert env.client.get("/metrics").status_code == 401
    wrong = env.client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = env.client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert right.status_code == 200
    assert "http_requests_total" in right.get_data(as_text=True)


def test_metrics_counts_are_cached_not_counted_per_scrape(make_env: Callable[..., Env]) -> None:
    env = make_env(metrics_cache_seconds=3600)
    empty = 'trackers{status="PENDING"} 0.0'
    assert empty in env.client.get("/metrics").get_data(as_text=True)
    env.register(USER)
    text = env.client.get("/metrics").get_data(as_text=True)
    assert empty in text and "tracker_queue_depth 0.0" in text, "read again within the TTL"
    fresh = make_env(metrics_cache_seconds=0.001)
    fresh.register(USER)
    assert 'trackers{status="PENDING"} 1.0' in fresh.client.get("/metrics").get_data(as_text=True)
