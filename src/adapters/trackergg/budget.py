"""The one global tracker.gg request budget (``TRN_RATE_LIMIT_PER_MINUTE``).

Both budgets implement GCRA (the generic cell rate algorithm) with *no* burst tolerance: a
request is granted only when the theoretical arrival time (TAT) has come, and each grant moves
the TAT one emission interval past the grant. Grants are therefore at least one interval apart,
so any window of ``window_seconds + margin_seconds`` holds at most ``per_minute`` grants, while
a steady backlog is served at the full rate. A classic token bucket with a burst would allow
up to twice the budget inside one sliding minute, which tracker.gg punishes.

``margin_seconds`` is slack for the jitter between the grant and the request reaching
tracker.gg (sleep overshoot, network), so the bound also holds where tracker.gg counts.

The emission interval follows the *effective* rate, which adapts by AIMD
(``tracker_core.source``): ``pause(seconds)`` — tracker.gg said 429 — pushes the TAT to
``now + seconds`` (nobody, in any process, sends before the pause is over) and divides the
rate; ``succeeded()`` — any other answer — adds the step back once per recovery period, up to
``per_minute``. Waiting never spins: the caller sleeps exactly until the TAT it was told, then
tries again (another worker may have taken that slot).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import redis

from tracker_core.source import (
    RateControl,
    RateState,
    grant_interval,
    initial_state,
    on_rate_limited,
    on_success,
)

DEFAULT_WINDOW_SECONDS = 60.0
DEFAULT_MARGIN_SECONDS = 0.25
STATE_TTL_MS = 86_400_000
"""The shared rate state outlives a day without any answer from tracker.gg, then resets."""

log = logging.getLogger(__name__)


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
        """tracker.gg said 429: let no request through for ``seconds`` and lower the rate."""
        ...

    def succeeded(self) -> None:
        """tracker.gg answered without a 429: let the rate recover toward the limit."""
        ...

    def effective_rate(self) -> float:
        """The requests per window granted now (the limit unless 429s lowered it)."""
        ...


def emission_interval(per_minute: int, window_seconds: float, margin_seconds: float) -> float:
    """Seconds between two grants so that no window holds more than ``per_minute`` of them."""
    if per_minute < 1:
        raise ValueError("per_minute must be at least 1")
    if window_seconds <= 0 or margin_seconds < 0:
        raise ValueError("window_seconds must be positive and margin_seconds not negative")
    return grant_interval(per_minute, window_seconds, margin_seconds)


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
    """GCRA budget with an AIMD rate for one process (embedded mode); thread-safe."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        *,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        margin_seconds: float = DEFAULT_MARGIN_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        control: RateControl | None = None,
    ) -> None:
        self.per_minute = per_minute
        self.interval = emission_interval(per_minute, window_seconds, margin_seconds)
        """Seconds between two grants at the configured limit (the closest they ever come)."""
        self.control = control or RateControl(per_minute)
        self._span = window_seconds + margin_seconds
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tat = float("-inf")
        self._state: RateState = initial_state(self.control)

    def effective_rate(self) -> float:
        """Requests per window granted now."""
        with self._lock:
            return self._state.rate

    def acquire(self, timeout: float | None = None) -> None:
        """Block (sleeping) until a request may be sent; BudgetExhaustedError after ``timeout``."""
        _wait_for_slot(self._try_take, timeout, self._clock, self._sleep)

    def pause(self, seconds: float) -> None:
        """Let no request through for ``seconds`` and lower the rate (a 429)."""
        with self._lock:
            now = self._clock()
            self._state = on_rate_limited(self.control, self._state, now, seconds)
            self._tat = max(self._tat, self._state.paused_until)

    def succeeded(self) -> None:
        """An answer without 429: the rate recovers by a step per recovery period."""
        with self._lock:
            self._state = on_success(self.control, self._state, self._clock())

    def _try_take(self) -> float:
        with self._lock:
            now = self._clock()
            if self._tat > now:
                return self._tat - now
            self._tat = now + self._span / self._state.rate
            return 0.0


# KEYS[1]: the TAT (microseconds, Redis clock). KEYS[2]: the AIMD state, a hash of the rate
# (requests per window) and the pause end and last rate change (microseconds), shared by every
# process. ARGV[1]: "take", "pause", "success" or "rate"; ARGV[2..6]: limit, lowest rate,
# factor, step, recovery period (microseconds); ARGV[7]: the window plus margin (take) or the
# pause length (pause), in microseconds. "take" answers {0, rate} when granted (the rate as
# text), else {microseconds to wait for the TAT, rate}; "pause" answers 0; "success" and "rate"
# answer the rate (as text).
# The same rule as tracker_core.source (on_rate_limited, on_success), on Redis's clock.
_GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[2])
local lowest = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[2], 'rate', 'paused', 'changed')
local rate = tonumber(state[1]) or limit
local paused = tonumber(state[2]) or 0
local changed = tonumber(state[3]) or 0
if rate > limit then rate = limit end
if rate < lowest then rate = lowest end
local function save()
  redis.call('HSET', KEYS[2], 'rate', tostring(rate), 'paused', string.format('%.0f', paused),
             'changed', string.format('%.0f', changed))
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[8]))
end
local action = ARGV[1]
if action == 'rate' then return tostring(rate) end
if action == 'success' then
  if rate < limit and now - changed >= tonumber(ARGV[6]) then
    rate = math.min(limit, rate + tonumber(ARGV[5]))
    changed = now
    save()
  end
  return tostring(rate)
end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local new_tat
if action == 'pause' then
  local pause_end = now + tonumber(ARGV[7])
  if now >= paused then
    rate = math.max(lowest, rate * tonumber(ARGV[4]))
    changed = pause_end
  end
  if pause_end > paused then paused = pause_end end
  save()
  new_tat = paused
  if new_tat <= tat then return 0 end
else
  if tat > now then return {tat - now, tostring(rate)} end
  new_tat = now + tonumber(ARGV[7]) / rate
end
local ttl_ms = math.floor((new_tat - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl_ms)
if action == 'pause' then return 0 end
return {0, tostring(rate)}
"""


class RedisBudget:
    """GCRA budget with an AIMD rate in Redis, shared by every process on every machine (one
    atomic Lua script per decision; the rate and the pause live in Redis too)."""

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
        control: RateControl | None = None,
    ) -> None:
        self.per_minute = per_minute
        self.interval = emission_interval(per_minute, window_seconds, margin_seconds)
        """Seconds between two grants at the configured limit (the closest they ever come)."""
        self.control = control or RateControl(per_minute)
        self._span = window_seconds + margin_seconds
        self.key = key
        self.state_key = f"{key}:rate"
        self._redis = redis_client
        self._script = redis_client.register_script(_GCRA_LUA)
        self._clock = clock
        self._sleep = sleep
        self._at_limit = False
        """The last take found the shared rate at the limit: a success has nothing to raise."""

    def effective_rate(self) -> float:
        """Requests per window granted now, as every process sees it."""
        return float(self._call("rate", 0.0))

    def acquire(self, timeout: float | None = None) -> None:
        """Block (sleeping) until a request may be sent; BudgetExhaustedError after ``timeout``."""
        _wait_for_slot(self._try_take, timeout, self._clock, self._sleep)

    def pause(self, seconds: float) -> None:
        """Let no request through, in any process, for ``seconds``; lower the shared rate."""
        self._at_limit = False
        self._call("pause", max(0.0, seconds))

    def succeeded(self) -> None:
        """An answer without 429: the shared rate recovers by a step per recovery period.

        No round trip when the grant of this request found the rate at the limit (the common
        case: there is nothing to raise). If another process lowered it in between, this
        success is not counted, and the next one after a take that sees the lowered rate is: the
        rate still recovers by a step per recovery period while requests succeed.
        Redis being away here costs one recovery step, not the fetched page: logged, not raised.
        """
        if self._at_limit:
            return
        try:
            self._call("success", 0.0)
        except BudgetUnavailableError as exc:
            log.warning("tracker.gg rate not raised after a success: %s", exc)

    def _try_take(self) -> float:
        answer = self._call("take", self._span)
        if not isinstance(answer, list) or len(answer) != 2:
            raise BudgetUnavailableError(f"rate budget answered {answer!r}")
        wait, rate = answer
        self._at_limit = float(rate) >= self.control.limit
        return int(wait) / 1_000_000

    def _call(self, action: str, seconds: float) -> Any:
        control = self.control
        args: list[str | int] = [
            action,
            repr(control.limit),
            repr(control.lowest),
            repr(control.factor),
            repr(control.step),
            int(control.recovery_seconds * 1_000_000),
            int(seconds * 1_000_000),
            STATE_TTL_MS,
        ]
        try:
            answer: Any = self._script(keys=[self.key, self.state_key], args=args)
        except redis.RedisError as exc:
            raise BudgetUnavailableError(f"rate budget unavailable: {exc}") from exc
        return answer
