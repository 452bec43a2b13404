"""The two rules that keep requests to tracker.gg few: the profile's cache window and the
AIMD request rate (``tracker_core.source``), as properties and boundary examples."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker_core.source import (
    DEFAULT_CACHE_WINDOW,
    MAX_CACHE_WINDOW,
    RateControl,
    RateState,
    cache_expiry,
    initial_state,
    on_rate_limited,
    on_success,
    served_from_storage,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

# The cache window --------------------------------------------------------------------------


def test_expiry_date_wins_over_last_updated() -> None:
    expiry = T0 + timedelta(minutes=4)
    assert cache_expiry(expiry, T0 - timedelta(hours=1), T0) == expiry


def test_without_expiry_date_the_window_is_five_minutes_after_last_updated() -> None:
    updated = T0 - timedelta(minutes=1)
    assert cache_expiry(None, updated, T0) == updated + DEFAULT_CACHE_WINDOW
    assert timedelta(minutes=5) == DEFAULT_CACHE_WINDOW


def test_without_either_there_is_no_window() -> None:
    assert cache_expiry(None, None, T0) is None
    assert not served_from_storage(None, T0)


def test_an_absurd_expiry_is_capped() -> None:
    assert cache_expiry(T0 + timedelta(days=365), None, T0) == T0 + MAX_CACHE_WINDOW


def test_the_fixture_payload_window_is_its_expiry_date() -> None:
    # profile-psn-season34.json: lastUpdated 04:27:55.897, expiryDate 04:31:55.945.
    updated = datetime(2025, 12, 9, 4, 27, 55, 897847, UTC)
    expiry = datetime(2025, 12, 9, 4, 31, 55, 945879, UTC)
    assert cache_expiry(expiry, updated, updated + timedelta(seconds=2)) == expiry


@given(
    expiry=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    offset=st.integers(min_value=-(10**9), max_value=10**9),
)
def test_served_from_storage_exactly_before_the_expiry(expiry: datetime, offset: int) -> None:
    now = expiry + timedelta(microseconds=offset)
    assert served_from_storage(expiry, now) is (offset < 0)


def test_boundary_at_the_expiry_instant_asks_again() -> None:
    expiry = T0 + timedelta(minutes=4)
    assert served_from_storage(expiry, expiry - timedelta(microseconds=1))
    assert not served_from_storage(expiry, expiry)


# AIMD --------------------------------------------------------------------------------------

controls = st.builds(
    RateControl,
    limit=st.floats(min_value=1, max_value=600),
    floor=st.floats(min_value=0.1, max_value=60),
    factor=st.floats(min_value=0.05, max_value=0.95),
    step=st.floats(min_value=0.1, max_value=30),
    recovery_seconds=st.floats(min_value=0, max_value=300),
)
# An event: (seconds since the previous event, a 429 with this Retry-After or None: success).
events = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=600),
        st.none() | st.floats(min_value=0, max_value=900),
    ),
    max_size=60,
)


def _run(control: RateControl, history: list[tuple[float, float | None]]) -> list[RateState]:
    state, now, states = initial_state(control), 0.0, []
    for gap, retry_after in history:
        now += gap
        if retry_after is None:
            state = on_success(control, state, now)
        else:
            state = on_rate_limited(control, state, now, retry_after)
        states.append(state)
    return states


@settings(deadline=None)  # cheap, but the machine may be loaded
@given(control=controls, history=events)
def test_the_rate_stays_between_the_floor_and_the_limit(
    control: RateControl, history: list[tuple[float, float | None]]
) -> None:
    for state in _run(control, history):
        assert min(control.floor, control.limit) <= state.rate <= control.limit


@settings(deadline=None)  # cheap, but the machine may be loaded
@given(control=controls, history=events, retry_after=st.floats(min_value=0, max_value=900))
def test_a_429_after_the_pause_lowers_the_rate_and_pauses(
    control: RateControl, history: list[tuple[float, float | None]], retry_after: float
) -> None:
    before = (_run(control, history) or [initial_state(control)])[-1]
    now = max(before.paused_until, before.changed_at, 0.0) + 1.0 + sum(g for g, _ in history)
    after = on_rate_limited(control, before, now, retry_after)
    assert after.paused_until == now + retry_after
    if before.rate > control.lowest:
        assert after.rate < before.rate
        assert after.rate == pytest.approx(max(control.lowest, before.rate * control.factor))
    else:
        assert after.rate == control.lowest


@given(
    control=controls,
    retry_after=st.floats(min_value=1, max_value=900),
    late=st.floats(min_value=0, max_value=0.999),
)
def test_a_429_inside_the_pause_extends_it_without_a_second_decrease(
    control: RateControl, retry_after: float, late: float
) -> None:
    first = on_rate_limited(control, initial_state(control), 100.0, retry_after)
    second = on_rate_limited(control, first, 100.0 + late * retry_after, retry_after)
    assert second.rate == first.rate
    assert second.paused_until >= first.paused_until


@settings(deadline=None)  # cheap, but the machine may be loaded
@given(control=controls, history=events)
def test_enough_successes_bring_the_rate_back_to_the_limit(
    control: RateControl, history: list[tuple[float, float | None]]
) -> None:
    states = _run(control, history)
    state = states[-1] if states else initial_state(control)
    now = max(state.paused_until, state.changed_at, 0.0) + sum(g for g, _ in history)
    needed = math.ceil((control.limit - state.rate) / control.step) + 1
    for _ in range(needed):
        now += control.recovery_seconds + 0.001  # a full period, whatever the float rounding
        previous = state.rate
        state = on_success(control, state, now)
        assert state.rate >= previous
        assert state.rate - previous <= control.step + 1e-9
    assert state.rate == control.limit


def test_recovery_waits_a_full_period_after_the_pause() -> None:
    control = RateControl(60, recovery_seconds=60, step=2)
    state = on_rate_limited(control, initial_state(control), 0.0, 30.0)
    assert (state.rate, state.paused_until) == (30.0, 30.0)
    assert on_success(control, state, 89.9).rate == 30.0  # 59.9 s after the pause ended
    state = on_success(control, state, 90.0)
    assert state.rate == 32.0
    assert on_success(control, state, 149.0).rate == 32.0
    assert on_success(control, state, 150.0).rate == 34.0


def test_a_lowered_limit_clamps_a_stored_rate() -> None:
    assert on_success(RateControl(20), RateState(60.0), 0.0).rate == 20.0


@pytest.mark.parametrize(
    "kwargs",
    [{"limit": 0}, {"limit": 60, "factor": 1.0}, {"limit": 60, "step": 0}, {"limit": math.nan}],
)
def test_bad_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RateControl(**kwargs)
