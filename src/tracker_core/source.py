"""Asking tracker.gg for as little as possible: its cache window and the adaptive request rate.

Two pure rules, ``now`` always passed in:

* **The cache window.** tracker.gg caches a profile and says until when (``data.expiryDate``);
  asking again before then returns the same payload. A refresh inside the window is answered
  from storage without a request (:func:`cache_expiry`, :func:`served_from_storage`).
* **AIMD.** Each 429 divides the effective request rate (multiplicative decrease, down to a
  floor) and pauses everyone for ``Retry-After``; each recovery period without a 429 adds a
  fixed step (additive increase, up to the configured limit). A limit set higher than what
  tracker.gg tolerates therefore settles just under what it tolerates instead of hammering it
  (:func:`on_rate_limited`, :func:`on_success`). Times are seconds on the caller's clock.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import attrs

DEFAULT_CACHE_WINDOW = timedelta(minutes=5)
"""The window when the payload names no ``expiryDate``: five minutes after ``lastUpdated``."""
MAX_CACHE_WINDOW = timedelta(minutes=30)
"""No window outlasts the scrape by more than this, whatever the payload says (a clock skew
or an absurd date must not freeze a profile)."""


def cache_expiry(
    expiry_date: datetime | None, last_updated: datetime | None, fetched_at: datetime
) -> datetime | None:
    """Until when a profile fetched at ``fetched_at`` is fresh; None when the payload says
    nothing (no window: every refresh asks).

    ``expiry_date`` (tracker.gg's ``data.expiryDate``) wins; else ``last_updated`` + 5 min.
    Either way at most :data:`MAX_CACHE_WINDOW` after ``fetched_at``.
    """
    if expiry_date is not None:
        end = expiry_date
    elif last_updated is not None:
        end = last_updated + DEFAULT_CACHE_WINDOW
    else:
        return None
    return min(end, fetched_at + MAX_CACHE_WINDOW)


def served_from_storage(expires_at: datetime | None, now: datetime) -> bool:
    """Whether a refresh at ``now`` is answered from storage: strictly before the expiry (at
    the expiry instant tracker.gg has a new answer, so we ask)."""
    return expires_at is not None and now < expires_at


# AIMD -------------------------------------------------------------------------------------


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{attribute.name} must be a positive number")


def _fraction(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 < value < 1:
        raise ValueError(f"{attribute.name} must be between 0 and 1 (exclusive)")


def _not_negative(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{attribute.name} must not be negative")


@attrs.frozen
class RateControl:
    """The AIMD settings, rates in requests per minute.

    ``limit`` is the configured ``TRN_RATE_LIMIT_PER_MINUTE`` (never exceeded); ``floor`` the
    lowest rate a run of 429s can bring it to (never below; the limit when that is lower);
    ``factor`` what a 429 multiplies the rate by; ``step`` what each ``recovery_seconds``
    without a 429 adds back.
    """

    limit: float = attrs.field(converter=float, validator=_positive)
    floor: float = attrs.field(converter=float, default=1.0, validator=_positive)
    factor: float = attrs.field(converter=float, default=0.5, validator=_fraction)
    step: float = attrs.field(converter=float, default=1.0, validator=_positive)
    recovery_seconds: float = attrs.field(converter=float, default=60.0, validator=_not_negative)

    @property
    def lowest(self) -> float:
        """The floor, or the limit when that is lower."""
        return min(self.floor, self.limit)


@attrs.frozen
class RateState:
    """Where the rule stands: the effective rate, the pause, the last change of the rate."""

    rate: float
    paused_until: float = -math.inf
    changed_at: float = -math.inf


def initial_state(control: RateControl) -> RateState:
    """A budget nobody has rate-limited yet: the configured limit, no pause."""
    return RateState(control.limit)


def _clamped(control: RateControl, rate: float) -> float:
    return min(control.limit, max(control.lowest, rate))


def on_rate_limited(
    control: RateControl, state: RateState, now: float, retry_after: float
) -> RateState:
    """tracker.gg answered 429 at ``now``: pause until ``now + retry_after`` and multiply the
    rate by ``factor`` (not below the floor).

    A 429 that arrives while a pause is on answers a request sent before that pause began
    (several requests are in flight at once): it extends the pause but does not divide the
    rate again — one overload, one decrease.
    """
    until = now + max(0.0, retry_after)
    if now < state.paused_until:
        return attrs.evolve(
            state,
            rate=_clamped(control, state.rate),
            paused_until=max(state.paused_until, until),
        )
    rate = _clamped(control, _clamped(control, state.rate) * control.factor)
    return RateState(rate=rate, paused_until=until, changed_at=until)


def on_success(control: RateControl, state: RateState, now: float) -> RateState:
    """tracker.gg answered something other than 429 at ``now``: once ``recovery_seconds`` have
    passed since the last change of the rate (a 429's pause counts as a change at its end),
    add ``step`` (not above the limit)."""
    rate = _clamped(control, state.rate)
    if rate >= control.limit or now - state.changed_at < control.recovery_seconds:
        return attrs.evolve(state, rate=rate)
    return attrs.evolve(state, rate=min(control.limit, rate + control.step), changed_at=now)


def grant_interval(rate: float, window_seconds: float, margin_seconds: float) -> float:
    """Seconds between two grants at ``rate`` requests per ``window_seconds`` (plus margin)."""
    if not rate > 0:
        raise ValueError("rate must be positive")
    return (window_seconds + margin_seconds) / rate
