"""Shared fixtures for the tracker.gg integration tests (imported by those test modules)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from adapters.trackergg.simulator import TrnSimulator

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_unreachable_reason(url: str) -> str | None:
    """Why Redis at ``url`` cannot be used, or None when it answers PING."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"Redis at {url} is unreachable: {exc}"
    finally:
        client.close()
    return None


def redis_unavailable(reason: str) -> None:
    """Fail in CI (``CI=true``), skip elsewhere."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (a missing service is a failure in CI)")
    pytest.skip(reason)


def redis_test_url() -> str:
    """``REDIS_URL`` or the local default."""
    return os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)


def delete_prefixed(url: str, prefix: str) -> None:
    """Delete every Redis key starting with ``prefix``."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis to test against; fail in CI, skip elsewhere, when it is unreachable."""
    url = redis_test_url()
    reason = redis_unreachable_reason(url)
    if reason is not None:
        redis_unavailable(reason)
    return url


@pytest.fixture
def redis_key_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; every key under it is deleted afterwards."""
    prefix = f"test:trn:{uuid.uuid4().hex}:"
    yield prefix
    delete_prefixed(redis_url, prefix)


@pytest.fixture
def simulator() -> Iterator[TrnSimulator]:
    """A running TRN simulator without a per-minute limit."""
    with TrnSimulator(seed=1234) as running:
        yield running
