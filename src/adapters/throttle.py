"""Per-client throttling of user routes: THROTTLE_LIMIT requests per THROTTLE_TTL ms.

A fixed window per client (user id, or IP address when anonymous): in-process in embedded
mode, in Redis in production so that every API process shares the count.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import redis

from tracker_core.errors import RateLimitedError

log = logging.getLogger("trackers.http.throttle")

TOO_MANY_REQUESTS = "Too Many Requests"


class Throttle(Protocol):
    """Counts one request of a client; answers the seconds to wait when over the limit."""

    def hit(self, client: str) -> int | None: ...


class MemoryThrottle:
    """A fixed window per client, in this process."""

    def __init__(self, limit: int, ttl_ms: int, now: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._ttl = ttl_ms / 1000
        self._now = now
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, client: str) -> int | None:
        """Count a request; None when allowed, else the seconds until the window ends."""
        now = self._now()
        with self._lock:
            start, count = self._windows.get(client, (now, 0))
            if now - start >= self._ttl:
                start, count = now, 0
            self._windows[client] = (start, count + 1)
            if len(self._windows) > 10000:
                self._prune(now)
        if count + 1 <= self._limit:
            return None
        return max(1, math.ceil(start + self._ttl - now))

    def _prune(self, now: float) -> None:
        expired = [k for k, (start, _) in self._windows.items() if now - start >= self._ttl]
        for key in expired:
            del self._windows[key]


class RedisThrottle:
    """A fixed window per client in Redis, shared by every API process.

    If Redis cannot be reached the request is let through (and a warning logged): throttling
    protects the service, it must not take it down.

    Each thread sends its ``EVALSHA`` on a connection of its own, made by the client's pool and
    kept open (a ``gthread`` worker holds one per thread): borrowing one from the pool for each
    request cost about as much CPU as the round trip itself (its liveness poll, the pid check,
    the retry wrapper). A connection found broken is dropped and the call tried once more on a
    new one; a server that lost the script gets it by ``EVAL``.
    """

    def __init__(self, redis: Any, limit: int, ttl_ms: int, prefix: str = "trackers:throttle:"):
        self._limit = limit
        self._ttl_ms = ttl_ms
        self._prefix = prefix
        self._pool = redis.connection_pool
        self._sha = hashlib.sha1(_HIT.encode()).hexdigest()  # the id Redis gives the script
        self._local = threading.local()

    def hit(self, client: str) -> int | None:
        """Count a request; None when allowed, else the seconds until the window ends.

        One round trip: a Lua script (``EVALSHA``) counts and reads the window's remaining time.
        """
        try:
            count, ttl = self._call(self._prefix + client)
        except redis.RedisError as exc:
            log.warning("throttle disabled for this request, Redis unavailable: %s", exc)
            return None
        if int(count) <= self._limit:
            return None
        return max(1, math.ceil(max(int(ttl), 0) / 1000))

    def _connection(self) -> Any:
        held: tuple[int, Any] | None = getattr(self._local, "held", None)
        pid = os.getpid()
        if held is None or held[0] != pid:  # a forked child makes its own
            held = self._local.held = (pid, self._pool.make_connection())
        return held[1]

    def _call(self, key: str) -> Any:
        connection = self._connection()
        try:
            return self._send(connection, key)
        except (redis.ConnectionError, redis.TimeoutError):
            connection.disconnect()  # e.g. Redis restarted: once more on a new connection
        except BaseException:
            connection.disconnect()  # its state is unknown
            raise
        try:
            return self._send(connection, key)
        except BaseException:
            connection.disconnect()
            raise

    def _send(self, connection: Any, key: str) -> Any:
        try:
            connection.send_command("EVALSHA", self._sha, 1, key, self._ttl_ms)
            return connection.read_response()
        except redis.exceptions.NoScriptError:
            connection.send_command("EVAL", _HIT, 1, key, self._ttl_ms)
            return connection.read_response()


# INCR, and start the window (PEXPIRE) on its first request; answers {count, ms left}.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return {count, tonumber(ARGV[1])}
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


def check(throttle: Throttle, client: str) -> None:
    """Raises RateLimitedError (429 with Retry-After) when ``client`` is over its limit."""
    wait = throttle.hit(client)
    if wait is not None:
        raise RateLimitedError(TOO_MANY_REQUESTS, retry_after=wait)
