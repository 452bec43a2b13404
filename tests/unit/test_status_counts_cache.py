"""The status counts cache: counts at most max_age old, one count per refresh."""

from __future__ import annotations

from adapters.sql import StatusCountsCache
from tracker_core.model import TrackerStatus


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict[TrackerStatus, int]:
        self.calls += 1
        return {TrackerStatus.PENDING: self.calls}


def test_counts_are_reused_until_they_are_max_age_old() -> None:
    now = [100.0]
    cache = StatusCountsCache(max_age=5, now=lambda: now[0])
    count = Counter()
    assert cache.get(count) == {TrackerStatus.PENDING: 1}
    now[0] += 4.9
    assert cache.get(count) == {TrackerStatus.PENDING: 1}
    now[0] += 0.1
    assert cache.get(count) == {TrackerStatus.PENDING: 2}
    assert count.calls == 2


def test_callers_get_a_copy() -> None:
    cache = StatusCountsCache(max_age=5, now=lambda: 0.0)
    first = cache.get(Counter())
    first[TrackerStatus.PENDING] = 99
    assert cache.get(Counter()) == {TrackerStatus.PENDING: 1}


def test_max_age_zero_counts_every_time() -> None:
    cache = StatusCountsCache(max_age=0, now=lambda: 0.0)
    count = Counter()
    cache.get(count)
    cache.get(count)
    assert count.calls == 2
