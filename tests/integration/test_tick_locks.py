"""The production tick lock (``RedisTickLock``): once per tick across schedulers, on real Redis
and on fakeredis; a Redis outage is the core's ``QueueUnavailableError``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import fakeredis
import pytest
import redis
from tests.integration.redis_support import Names, names, real_redis, rq_redis_url

from adapters.locks import RedisTickLock
from tracker_core.errors import QueueUnavailableError

__all__ = ["names", "real_redis", "rq_redis_url"]  # fixtures used by this module
pytestmark = pytest.mark.redis

TICK = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


@pytest.fixture(params=["redis", "fakeredis"])
def client(request: pytest.FixtureRequest) -> redis.Redis:
    if request.param == "redis":
        real: redis.Redis = request.getfixturevalue("real_redis")
        return real
    return fakeredis.FakeRedis(server=fakeredis.FakeServer())


def test_each_tick_is_claimed_once_across_schedulers(client: redis.Redis, names: Names) -> None:
    prefix = f"test-tick-{names.tag}"  # the test's keys are deleted afterwards
    one, other = RedisTickLock(client, prefix), RedisTickLock(client, prefix)

    assert one.claim("periodic-refresh", TICK, ttl_seconds=600)
    assert not other.claim("periodic-refresh", TICK)
    assert not one.claim("periodic-refresh", TICK)
    assert other.claim("periodic-refresh", TICK + timedelta(days=1))  # the next instant
    assert other.claim("another-task", TICK)

    key = f"{prefix}:periodic-refresh:{TICK.isoformat()}"
    assert 590 < client.ttl(key) <= 600  # claims expire: Redis does not keep every tick


def test_a_claim_while_redis_is_down_is_queue_unavailable() -> None:
    server = fakeredis.FakeServer()
    server.connected = False
    lock = RedisTickLock(fakeredis.FakeRedis(server=server))
    with pytest.raises(QueueUnavailableError, match="^Redis unavailable: ConnectionError$") as e:
        lock.claim("periodic-refresh", TICK)
    assert isinstance(e.value.__cause__, redis.ConnectionError)
