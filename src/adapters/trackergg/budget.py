"""The one global tracker.gg request budget (``TRN_RATE_LIMIT_PER_MINUTE``).

Both budgets implement GCRA (the generic cell rate algorithm) with *no* burst tolerance: a
request is granted only when the theoretical arrival time (TAT) has come, and each grant moves
the TAT one emission interval past the grant. Grants are therefore at least one interval apart,
so any window of ``window_seconds + margin_seconds`` holds at most ``per_minute`` grants, while
a steady backlog is served at the full rate. A classic token bucket with a burst would allow
up to twice the budget inside one sliding minute, which tracker.gg punishes.

``margin_seconds`` is slack for the jitter between the grant and the request reaching
tracker.gg (sleep overshoot, network), so the bound also holds where tracker.gg counts.

``pause(seconds)`` pushes the TAT to ``now + seconds``: after a 429 nobody, in any process,
sends before the pause is over. Waiting never spins: the caller sleeps exactly until the TAT
it was told, then tries again (another worker may have taken that slot).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis

DEFAULT_WINDOW_SECONDS = 60.0
DEFAULT_MARGIN_SECONDS = 0.25


class BudgetExhaustedError(TimeoutError):
    """No request slot came free within the caller's timeout; ``retry_after`` is the wait."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate budget exhausted; next slot in {retry_after:.2f}s")
        self.retry_after = retry_after


class BudgetUnavailableError(RuntimeError):
    """The shared budget cannot be reached (Redis is down)."""


class RateBudget(Protocol):
    """A request budget shared by every caller that holds it."""

    def acquire(self, timeout: float | None = None) -> None:
        """Block until one request may be sent; raise BudgetExhaustedError after ``timeout``."""
        ...

    def pause(self, seconds: float) -> None:
        """Let no request through for ``seconds`` (tracker.gg said 429)."""
        ...


def emission_interval(per_minute: int, window_seconds: float, margin_seconds: float) -> float:
    """Seconds between two grants so that no window holds more than ``per_minute`` of them."""
    if per_minute < 1:
        raise ValueError("per_minute must be at least 1")
    if window_seconds <= 0 or margin_seconds < 0:
        raise ValueError("window_seconds must be positive and margin_seconds not negative")
    return (window_seconds + margin_seconds) / per_minute


def _wait_for_slot(
    try_take: Callable[[], float],
    timeout: float | None,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> None:
    """Call ``try_take()`` until it grants (0.0), sleeping the wait it answers in between."""
    deadline = None if timeout is None else clock() + timeout
    while True:
        remaining = None if deadline is None else max(0.0, deadline - clock())
        wait = try_take()
        if wait <= 0.0:
            return
        if remaining is not None and wait > remaining:
            raise BudgetExhaustedError(wait)
        sleep(wait)


class InProcessBudget:
    """GCRA budget for one process (embedded mode); thread-safe."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        *,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        margin_seconds: float = DEFAULT_MARGIN_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute = per_minute
        self.interval = emission_interval(per_minute, window_seconds, margin_seconds)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tat = float("-inf")

    def acquire(self, timeout: float | None = None) -> None:
        """Block (sleeping) until a request may be sent; BudgetExhaustedError after ``timeout``."""
        _wait_for_slot(self._try_take, timeout, self._clock, self._sleep)

    def pause(self, seconds: float) -> None:
        """Let no request through for ``seconds``."""
        with self._lock:
            self._tat = max(self._tat, self._clock() + max(0.0, seconds))

    def _try_take(self) -> float:
        with self._lock:
            now = self._clock()
            if self._tat > now:
                return self._tat - now
            self._tat = now + self.interval
            return 0.0


# KEYS[1]: the TAT key (microseconds, Redis clock). ARGV[1]: "take" or "pause";
# ARGV[2]: interval (take) or pause length (pause), in microseconds.
# Answers 0 when granted (or paused), else the microseconds to wait for the TAT.
_GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = tonumber(ARGV[2])
local new_tat
if ARGV[1] == 'pause' then
  new_tat = now + amount
  if new_tat <= tat then return 0 end
else
  if tat > now then return tat - now end
  new_tat = now + amount
end
local ttl_ms = math.floor((new_tat - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl_ms)
return 0
"""


class RedisBudget:
    """GCRA budget in Redis, shared by every process on every machine (atomic Lua script)."""

    def __init__(
        self,
        redis_client: redis.Redis,
        per_minute: int,
        key: str = "trn:budget",
        *,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        margin_seconds: float = DEFAULT_MARGIN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute = per_minute
        self.interval = emission_interval(per_minute, window_seconds, margin_seconds)
        self.key = key
        self._redis = redis_client
        self._script = redis_client.register_script(_GCRA_LUA)
        self._clock = clock
        self._sleep = sleep

    def acquire(self, timeout: float | None = None) -> None:
        """Block (sleeping) until a request may be sent; BudgetExhaustedError after ``timeout``."""
        _wait_for_slot(self._try_take, timeout, self._clock, self._sleep)

    def pause(self, seconds: float) -> None:
        """Let no request through, in any process, for ``seconds``."""
        self._call("pause", max(0.0, seconds))

    def _try_take(self) -> float:
        return self._call("take", self.interval)

    def _call(self, action: str, seconds: float) -> float:
        micros = int(seconds * 1_000_000)
        try:
            answer = self._script(keys=[self.key], args=[action, micros])
        except redis.RedisError as exc:
            raise BudgetUnavailableError(f"rate budget unavailable: {exc}") from exc
        return int(answer) / 1_000_000
