"""Redis fixtures of the queue integration tests (imported by those test modules).

Every test gets names of its own (queue name and tracker ids share a random tag), and every
key holding that tag is deleted afterwards: the Redis server is shared, never flushed.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
import redis

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def rq_redis_url() -> str:
    """The Redis to test against; fail in CI, skip elsewhere, when it is unreachable."""
    url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis at {url} is unreachable in CI: {exc}")
        pytest.skip(f"Redis at {url} is unreachable: {exc}")
    finally:
        client.close()
    return url


@attrs.frozen
class Names:
    """A test's own queue name and tracker ids."""

    tag: str

    @property
    def queue_name(self) -> str:
        return f"test-rq-{self.tag}"

    def tracker(self, n: int) -> str:
        return f"c{self.tag}{n:06d}"

    def trackers(self, count: int) -> list[str]:
        return [self.tracker(n) for n in range(count)]


def delete_tagged_keys(client: redis.Redis, tag: str) -> None:
    """Delete every key naming ``tag`` and drop it from RQ's global sets."""
    keys = list(client.scan_iter(match=f"*{tag}*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
    for global_set in ("rq:queues", "rq:workers"):
        members = [m for m in client.smembers(global_set) if tag.encode() in m]
        if members:
            client.srem(global_set, *members)


@pytest.fixture
def names() -> Names:
    """Names of this test's own."""
    return Names(uuid.uuid4().hex[:12])


@pytest.fixture
def real_redis(rq_redis_url: str, names: Names) -> Iterator[redis.Redis]:
    """A client of the real Redis; the test's tagged keys are deleted afterwards."""
    client = redis.Redis.from_url(rq_redis_url, socket_timeout=5)
    yield client
    try:
        delete_tagged_keys(client, names.tag)
    finally:
        client.close()


@attrs.define
class RoundTrips:
    """How many requests a client sent to the server (a pipeline is one)."""

    count: int = 0


def counting_client(url: str) -> tuple[redis.Redis, RoundTrips]:
    """A client counting its round trips: each ``send_packed_command`` is one."""
    trips = RoundTrips()

    class CountingConnection(redis.Connection):
        def send_packed_command(self, command: Any, check_health: bool = True) -> None:
            trips.count += 1
            super().send_packed_command(command, check_health)

    pool = redis.ConnectionPool.from_url(url, connection_class=CountingConnection)
    return redis.Redis(connection_pool=pool), trips


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
