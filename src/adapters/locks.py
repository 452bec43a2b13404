"""Tick locks: a periodic task runs once per tick however many schedulers run."""

from __future__ import annotations

import threading
from datetime import datetime

import redis as redis_lib

from tracker_core.errors import QueueUnavailableError


class InProcessTickLock:
    """For the embedded mode: one process, one set of claimed ticks."""

    def __init__(self) -> None:
        self._claimed: set[tuple[str, datetime]] = set()
        self._lock = threading.Lock()

    def claim(self, name: str, tick: datetime, ttl_seconds: int = 86400) -> bool:
        """True for exactly one caller per (name, tick)."""
        with self._lock:
            if (name, tick) in self._claimed:
                return False
            self._claimed.add((name, tick))
            return True


class RedisTickLock:
    """For production: ``SET NX`` on a per-tick key shared by every scheduler."""

    def __init__(self, client: redis_lib.Redis, prefix: str = "trackers:tick") -> None:
        self._client = client
        self._prefix = prefix

    def claim(self, name: str, tick: datetime, ttl_seconds: int = 86400) -> bool:
        """True for exactly one caller per (name, tick) across all processes."""
        key = f"{self._prefix}:{name}:{tick.isoformat()}"
        try:
            return bool(self._client.set(key, "1", nx=True, ex=ttl_seconds))
        except (redis_lib.ConnectionError, redis_lib.TimeoutError) as exc:
            raise QueueUnavailableError(f"Redis unavailable: {type(exc).__name__}") from exc
