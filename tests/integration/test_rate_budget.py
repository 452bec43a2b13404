"""The global request budget: GCRA spacing, pause, timeouts, and the 120/min backlog runs.

The two backlog runs (three worker processes sharing a RedisBudget; three threads sharing an
InProcessBudget) are time-compressed: the budget and the simulator count their 120 requests per
WINDOW_SECONDS (15 s) instead of per minute, so a run takes about 25 s; a module fixture starts
both at once. The margin stays the production 0.25 s, so the budget's slack against jitter
between a grant and the simulator seeing the request is unchanged.
"""

from __future__ import annotations

import itertools
import multiprocessing
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import attrs
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from tests.integration.conftest_trn import (
    delete_prefixed,
    redis_key_prefix,
    redis_test_url,
    redis_unavailable,
    redis_unreachable_reason,
    redis_url,
)

from adapters.trackergg.budget import (
    STATE_TTL_MS,
    BudgetExhaustedError,
    BudgetUnavailableError,
    InProcessBudget,
    RateBudget,
    RedisBudget,
    emission_interval,
)
from adapters.trackergg.fetcher import TrackerGgFetcher
from adapters.trackergg.simulator import TrnSimulator
from tracker_core.errors import FetchError
from tracker_core.source import RateControl

__all__ = ["redis_key_prefix", "redis_url"]

# Timing-sensitive: never beside another timing test on a parallel run.
pytestmark = pytest.mark.xdist_group("timing")

PER_MINUTE = 120
BACKLOG = 200
WORKERS = 3
WINDOW_SECONDS = 15.0  # one compressed "minute" of the budget and the simulator
RUN_TIMEOUT_SECONDS = 60.0


class FakeClock:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "a budget must never sleep for nothing (busy wait)"
        self.sleeps.append(seconds)
        self.now += seconds


def max_in_window(times: list[float], window: float = 60.0) -> int:
    """The most requests any half-open window ``[t, t + window)`` holds."""
    ordered = sorted(times)
    best, end = 0, 0
    for start, moment in enumerate(ordered):
        while end < len(ordered) and ordered[end] < moment + window:
            end += 1
        best = max(best, end - start)
    return best


def min_in_full_windows(times: list[float], window: float = 60.0) -> int:
    """The fewest requests in a window ``[t, t + window)`` that starts at a request and ends
    before the last one (the backlog lasted the whole window)."""
    ordered = sorted(times)
    counts = []
    end = 0
    for start, moment in enumerate(ordered):
        if moment + window > ordered[-1]:
            break
        while end < len(ordered) and ordered[end] < moment + window:
            end += 1
        counts.append(end - start)
    return min(counts)


def test_window_helpers() -> None:
    assert max_in_window([0, 10, 59.9, 60, 130]) == 3
    assert min_in_full_windows([0, 1, 2, 30, 61, 62]) == 3


def test_emission_interval_leaves_margin_inside_the_window() -> None:
    assert emission_interval(120, 60.0, 0.25) == pytest.approx(60.25 / 120)
    with pytest.raises(ValueError):
        emission_interval(0, 60.0, 0.25)


def test_in_process_grants_are_one_interval_apart_and_sleep_exactly_the_wait() -> None:
    clock = FakeClock()
    budget = InProcessBudget(60, clock, margin_seconds=0.0, sleep=clock.sleep)
    granted = []
    for _ in range(5):
        budget.acquire()
        granted.append(clock.now)
    assert granted == [1000.0, 1001.0, 1002.0, 1003.0, 1004.0]
    assert clock.sleeps == [1.0, 1.0, 1.0, 1.0]


def test_in_process_budget_never_exceeds_the_window_yet_uses_it_fully() -> None:
    clock = FakeClock()
    budget = InProcessBudget(PER_MINUTE, clock, sleep=clock.sleep)
    granted = []
    for _ in range(500):
        budget.acquire()
        granted.append(clock.now)
    assert max_in_window(granted, 60.0) == PER_MINUTE
    assert max_in_window(granted, 60.2) == PER_MINUTE
    assert min_in_full_windows(granted) >= PER_MINUTE - 1


def test_in_process_pause_holds_everyone_back_and_halves_the_rate() -> None:
    clock = FakeClock()
    budget = InProcessBudget(60, clock, sleep=clock.sleep)
    budget.acquire()
    budget.pause(30)
    budget.acquire()
    assert clock.now == pytest.approx(1030.0)
    assert budget.effective_rate() == 30.0
    budget.pause(1)  # the pause is over: a new 429 halves again; the next slot is already later
    budget.acquire()
    assert clock.now == pytest.approx(1030.0 + 60.25 / 30)
    assert budget.effective_rate() == 15.0


def test_in_process_acquire_times_out_without_sleeping_past_the_deadline() -> None:
    clock = FakeClock()
    budget = InProcessBudget(60, clock, sleep=clock.sleep)
    budget.acquire()
    with pytest.raises(BudgetExhaustedError) as caught:
        budget.acquire(timeout=0.5)
    assert caught.value.retry_after == pytest.approx(60.25 / 60)
    assert clock.sleeps == []
    budget.acquire(timeout=2.0)
    assert clock.sleeps == [pytest.approx(60.25 / 60)]


@pytest.mark.redis
def test_redis_budget_spaces_grants_across_clients(redis_url: str, redis_key_prefix: str) -> None:
    key = redis_key_prefix + "budget"
    clients = [redis.Redis.from_url(redis_url) for _ in range(2)]
    budgets = [RedisBudget(client, 600, key) for client in clients]
    granted = []
    for index in range(6):
        budgets[index % 2].acquire(timeout=5)
        granted.append(time.monotonic())
    gaps = [later - earlier for earlier, later in itertools.pairwise(granted)]
    assert min(gaps) >= budgets[0].interval - 0.005
    assert 0 < clients[0].pttl(key) <= 1000 + budgets[0].interval * 1000 + 50
    for client in clients:
        client.close()


@pytest.mark.redis
def test_redis_pause_holds_every_client_back(redis_url: str, redis_key_prefix: str) -> None:
    key = redis_key_prefix + "budget"
    first = RedisBudget(redis.Redis.from_url(redis_url), 6000, key)
    second = RedisBudget(redis.Redis.from_url(redis_url), 6000, key)
    first.pause(0.6)
    started = time.monotonic()
    with pytest.raises(BudgetExhaustedError) as caught:
        second.acquire(timeout=0.05)
    assert 0.4 < caught.value.retry_after <= 0.6
    second.acquire(timeout=2)
    assert time.monotonic() - started >= 0.55


def test_in_process_429_lowers_the_rate_and_successes_bring_it_back() -> None:
    clock = FakeClock()
    control = RateControl(60, step=10, recovery_seconds=60)
    budget = InProcessBudget(60, clock, sleep=clock.sleep, margin_seconds=0.0, control=control)
    budget.pause(10)
    budget.pause(10)  # an answer to a request sent before the pause: no second decrease
    assert budget.effective_rate() == 30.0
    budget.acquire()
    budget.acquire()
    assert clock.now == pytest.approx(1012.0)  # paused 10 s, then 2 s apart (30/min)
    budget.succeeded()  # 2 s after the pause: too early to recover
    assert budget.effective_rate() == 30.0
    for _ in range(5):
        clock.now += 60.0
        budget.succeeded()
    assert budget.effective_rate() == 60.0  # 30 + 10 + 10 + 10, then the limit, never above
    budget.acquire()
    budget.acquire()
    assert clock.sleeps[-1] == pytest.approx(1.0)


def test_in_process_rate_never_drops_below_the_floor() -> None:
    clock = FakeClock()
    budget = InProcessBudget(60, clock, sleep=clock.sleep, control=RateControl(60, floor=4))
    for _ in range(10):
        budget.pause(0)
        clock.now += 1.0
    assert budget.effective_rate() == 4.0


@pytest.mark.redis
def test_redis_429_lowers_the_rate_every_client_sees(redis_url: str, redis_key_prefix: str) -> None:
    key = redis_key_prefix + "budget"
    control = RateControl(600, step=100, recovery_seconds=0)
    clients = [redis.Redis.from_url(redis_url) for _ in range(2)]
    first, second = (RedisBudget(c, 600, key, control=control) for c in clients)
    assert second.effective_rate() == 600.0
    first.pause(0.3)
    second.pause(0.3)  # inside the pause: the same overload, not a second decrease
    assert (first.effective_rate(), second.effective_rate()) == (300.0, 300.0)
    assert 0 < clients[0].pttl(first.state_key) <= STATE_TTL_MS
    second.acquire(timeout=2)
    with pytest.raises(BudgetExhaustedError) as caught:
        first.acquire(timeout=0)  # the next slot is one interval at the lowered rate away
    assert caught.value.retry_after == pytest.approx(60.25 / 300, abs=0.02)
    first.succeeded()  # recovery period 0: one step per success, up to the limit
    assert second.effective_rate() == 400.0
    for _ in range(3):
        second.succeeded()
    assert first.effective_rate() == 600.0
    for client in clients:
        client.close()


@pytest.mark.redis
def test_redis_rate_never_drops_below_the_floor(redis_url: str, redis_key_prefix: str) -> None:
    budget = RedisBudget(
        redis.Redis.from_url(redis_url),
        60,
        redis_key_prefix + "budget",
        control=RateControl(60, floor=4),
    )
    for _ in range(10):
        budget.pause(0)  # a zero pause ends at once: every 429 is a new one
    assert budget.effective_rate() == 4.0


def test_redis_down_is_budget_unavailable() -> None:
    client = redis.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )
    with pytest.raises(BudgetUnavailableError):
        RedisBudget(client, 60, "unused").acquire(timeout=1)


# The backlog runs --------------------------------------------------------------------------


@attrs.frozen
class RunResult:
    """What one backlog run saw: request times at the simulator and each job's outcome."""

    times: list[float]
    statuses: list[int]
    outcomes: list[str]


def fetch_jobs(budget: RateBudget, base_url: str, jobs: Any, outcomes: Any) -> None:
    """Fetch ``psn/<name>`` for every name in ``jobs`` until it is empty."""
    with TrackerGgFetcher(base_url, budget=budget, timeout_seconds=10) as fetcher:
        while True:
            try:
                name = jobs.get(timeout=1)
            except queue.Empty:
                return
            try:
                fetcher.fetch_page(f"psn/{name}", None)
                outcomes.put("ok")
            except FetchError as exc:
                outcomes.put(exc.category)


def redis_worker(redis_url: str, key: str, base_url: str, jobs: Any, outcomes: Any) -> None:
    """A worker *process*: its own Redis connection and fetcher, the shared budget."""
    client = redis.Redis.from_url(redis_url)
    try:
        budget = RedisBudget(client, PER_MINUTE, key, window_seconds=WINDOW_SECONDS)
        fetch_jobs(budget, base_url, jobs, outcomes)
    finally:
        client.close()


def run_backlog(
    start_workers: Callable[[str, Any, Any], Callable[[], None]], mp: bool
) -> RunResult:
    """Serve a backlog of 200 profiles to three workers through a 120/min simulator."""
    context = multiprocessing.get_context("spawn")
    jobs: Any = context.Queue() if mp else queue.Queue()
    outcomes: Any = context.Queue() if mp else queue.Queue()
    for index in range(BACKLOG):
        jobs.put(f"player-{index}")
    with TrnSimulator(per_minute_limit=PER_MINUTE, window_seconds=WINDOW_SECONDS) as simulator:
        wait = start_workers(simulator.base_url, jobs, outcomes)
        collected = [outcomes.get(timeout=RUN_TIMEOUT_SECONDS) for _ in range(BACKLOG)]
        wait()
        recorded = simulator.requests
    return RunResult([r.at for r in recorded], [r.status for r in recorded], collected)


def start_processes(redis_url: str, key: str) -> Callable[[str, Any, Any], Callable[[], None]]:
    def start(base_url: str, jobs: Any, outcomes: Any) -> Callable[[], None]:
        context = multiprocessing.get_context("spawn")
        processes = [
            context.Process(target=redis_worker, args=(redis_url, key, base_url, jobs, outcomes))
            for _ in range(WORKERS)
        ]
        for process in processes:
            process.start()

        def wait() -> None:
            for process in processes:
                process.join(timeout=30)
                if process.is_alive():
                    process.terminate()
                    process.join(timeout=5)
            assert [process.exitcode for process in processes] == [0] * WORKERS

        return wait

    return start


def start_threads(base_url: str, jobs: Any, outcomes: Any) -> Callable[[], None]:
    budget = InProcessBudget(PER_MINUTE, window_seconds=WINDOW_SECONDS)
    threads = [
        threading.Thread(target=fetch_jobs, args=(budget, base_url, jobs, outcomes), daemon=True)
        for _ in range(WORKERS)
    ]
    for thread in threads:
        thread.start()

    def wait() -> None:
        for thread in threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads)

    return wait


@attrs.frozen
class BacklogRuns:
    """Both backlog runs, started together; ``redis`` is None when Redis is unreachable."""

    in_process: Future[RunResult]
    redis: Future[RunResult] | None
    redis_problem: str | None


@pytest.fixture(scope="module")
def backlog_runs() -> Iterator[BacklogRuns]:
    url = redis_test_url()
    problem = redis_unreachable_reason(url)
    prefix = f"test:trn:{uuid.uuid4().hex}:"
    with ThreadPoolExecutor(max_workers=2) as pool:
        in_process = pool.submit(run_backlog, start_threads, False)
        shared = None
        if problem is None:
            shared = pool.submit(run_backlog, start_processes(url, prefix + "budget"), True)
        yield BacklogRuns(in_process, shared, problem)
    if problem is None:
        delete_prefixed(url, prefix)


def assert_budget_kept_and_used(result: RunResult) -> None:
    assert result.outcomes == ["ok"] * BACKLOG
    assert len(result.times) == BACKLOG
    assert set(result.statuses) == {200}, "the simulator's own 120/min limit answered 429"
    busiest = max_in_window(result.times, WINDOW_SECONDS)
    quietest = min_in_full_windows(result.times, WINDOW_SECONDS)
    per_minute = (BACKLOG - 1) / (max(result.times) - min(result.times)) * WINDOW_SECONDS
    summary = f"busiest window {busiest}, quietest full window {quietest}, rate {per_minute:.1f}"
    assert busiest <= PER_MINUTE, summary
    assert quietest >= 0.9 * PER_MINUTE, summary
    assert per_minute >= 0.9 * PER_MINUTE, summary


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.timeout(RUN_TIMEOUT_SECONDS + 60)
def test_three_processes_share_the_redis_budget(backlog_runs: BacklogRuns) -> None:
    if backlog_runs.redis is None:
        redis_unavailable(backlog_runs.redis_problem or "Redis is unreachable")
        return
    assert_budget_kept_and_used(backlog_runs.redis.result(timeout=RUN_TIMEOUT_SECONDS))


@pytest.mark.slow
@pytest.mark.timeout(RUN_TIMEOUT_SECONDS + 60)
def test_three_threads_share_the_in_process_budget(backlog_runs: BacklogRuns) -> None:
    assert_budget_kept_and_used(backlog_runs.in_process.result(timeout=RUN_TIMEOUT_SECONDS))


@pytest.mark.redis
def test_redis_success_at_the_limit_costs_no_round_trip(
    redis_url: str, redis_key_prefix: str
) -> None:
    """The take answers the rate with the grant: a success then asks Redis only when the rate
    is below the limit (there is something to raise)."""
    key = redis_key_prefix + "budget"
    control = RateControl(600, step=100, recovery_seconds=0)
    client, other_client = redis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url)
    sent: list[str] = []
    evalsha = client.evalsha

    def counting(sha: str, numkeys: int, *args: Any) -> Any:
        sent.append(str(args[numkeys]))  # the action
        return evalsha(sha, numkeys, *args)

    client.evalsha = counting  # type: ignore[method-assign]
    budget = RedisBudget(client, 600, key, control=control)
    other = RedisBudget(other_client, 600, key, control=control)
    budget.acquire(timeout=2)
    budget.succeeded()
    assert sent == ["take"]
    other.pause(0)  # another process's 429: the shared rate halves
    budget.succeeded()  # granted before the 429: not counted
    assert other.effective_rate() == 300.0
    budget.acquire(timeout=2)  # its takes see the lowered rate (it may wait for a slot)
    budget.succeeded()
    assert sent[-1] == "success" and set(sent[:-1]) == {"take"}
    assert other.effective_rate() == 400.0
    for c in (client, other_client):
        c.close()
