"""Budget headroom, time-compressed: three workers with a 5-minute backlog share one budget,
and every request reaches tracker.gg 0-100 ms after its grant (random network jitter).

As tracker.gg counts (any sliding 60 s window of arrivals), the budget never exceeds the limit
yet keeps at least 0.95 of it in use. A simulated clock: the five minutes take milliseconds.
"""

from __future__ import annotations

import heapq
import random

import pytest

from adapters.trackergg.budget import BudgetExhaustedError, InProcessBudget

PER_MINUTE = 120
WORKERS = 3
RUN_SECONDS = 300.0
MAX_JITTER = 0.100


class SimulatedClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        raise AssertionError("the simulation schedules waits itself")


def window_counts(times: list[float], window: float = 60.0) -> list[int]:
    """Requests in ``[t, t + window)`` for every request t whose window ends inside the run."""
    ordered = sorted(times)
    counts, end = [], 0
    for start, moment in enumerate(ordered):
        while end < len(ordered) and ordered[end] < moment + window:
            end += 1
        counts.append(end - start)
    return counts


def run_backlog(seed: int) -> list[float]:
    """Arrival times at the upstream of every request the three workers sent."""
    rng = random.Random(seed)
    clock = SimulatedClock()
    budget = InProcessBudget(PER_MINUTE, clock, sleep=clock.sleep)
    ready = [(rng.uniform(0, 0.05), worker) for worker in range(WORKERS)]
    heapq.heapify(ready)
    arrivals: list[float] = []
    while ready:
        moment, worker = heapq.heappop(ready)
        if moment > RUN_SECONDS:
            continue
        clock.now = moment
        try:
            budget.acquire(timeout=0)
        except BudgetExhaustedError as exc:  # not yet: come back when the slot is due
            heapq.heappush(ready, (moment + exc.retry_after, worker))
            continue
        arrivals.append(moment + rng.uniform(0, MAX_JITTER))
        # The worker parses and stores between requests, then asks again.
        heapq.heappush(ready, (moment + rng.uniform(0.01, 0.3), worker))
    return arrivals


@pytest.mark.parametrize("seed", range(5))
def test_jittered_arrivals_never_exceed_the_limit_and_use_at_least_95_percent(seed: int) -> None:
    arrivals = run_backlog(seed)
    counts = window_counts(arrivals)
    assert max(counts) <= PER_MINUTE
    full = [c for c, t in zip(counts, sorted(arrivals), strict=True) if t + 60 <= RUN_SECONDS - 1]
    assert min(full) >= 0.95 * PER_MINUTE
    assert len(arrivals) >= 0.95 * PER_MINUTE * RUN_SECONDS / 60
