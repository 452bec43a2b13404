"""Budget headroom as tracker.gg sees it: three real ``trackers worker`` processes share the Redis
budget and drain a backlog through a loopback proxy that holds every request for a random
0-100 ms (seeded) before it reaches the simulator, which records when each one arrives.

Over the arrivals at the simulator: no sliding window ever holds more than the limit (and the
simulator, enforcing the same limit, never answered 429), while every window that starts at an
arrival once all three workers run, and ends before the run does, holds at least 0.95 of it.

Time-compressed, and what that proves. The budget's window (``TRN_RATE_WINDOW_SECONDS``) is
WINDOW_SECONDS instead of 60 s and the limit PER_WINDOW, so the grant interval
(``(window + 0.25 s margin) / limit`` = 0.51 s) is that of a real 118/min budget; the jitter
(0-100 ms) and the margin (0.25 s) are the real ones, not scaled. The run lasts RUN_WINDOWS
windows, 50 s: the issue's five minutes of backlog, compressed (the sliding windows start
anywhere in the first 40 s). This is faithful where it matters and
pessimistic elsewhere:

- Never above the limit: L+1 arrivals inside one window need two requests L grants apart whose
  grant-to-arrival delays differ by more than the margin (L intervals = window + margin). That
  depends on the delays (jitter, a worker or the proxy stalled between grant and arrival) and
  the margin only, both real here, not on the window's length.
- At least 0.95 in use: a saturated budget uses ``window / (window + margin + lateness)``,
  where the lateness is how much later than due each grant is taken (a worker's sleep
  overshoot, the Redis round trip) times the grants per window. With a 10 s window the margin
  costs 2.5 % instead of 0.4 % of a real minute, and the lateness the same share per grant, so
  usage here is a lower bound of usage over a real minute.

Not covered: delays larger than the margin (a worker stalled for more than 0.15 s beyond the
jitter between its grant and its request, FlareSolverr's seconds); see docs/fetching.md.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import rq
from tests.integration.jitter_proxy import JitterProxy
from tests.pg import fresh_database

from adapters.sql.migrate import upgrade_database
from adapters.trackergg.simulator import API_PREFIX, TrnSimulator
from entrypoints.config import load_settings
from entrypoints.container import ProductionContainer, container_for, require_production
from tracker_core.use_cases.trackers import RegisterTrackers, register_trackers

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.xdist_group("timing"),
]

WINDOW_SECONDS = 10.0  # one compressed "minute"
PER_WINDOW = 20  # grant interval (10 s + 0.25 s) / 20 = 0.5125 s, as 118/min over a minute
MAX_JITTER = 0.100
RUN_WINDOWS = 5
WORKERS = 3
BACKLOG = PER_WINDOW * (RUN_WINDOWS + 3)  # more than the workers can drain: never idle
TRACKERS = str(Path(sys.executable).parent / "trackers")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
URL = "https://rocketleague.tracker.network/rocket-league/profile/epic/{}/overview"


def window_counts(times: list[float], window: float) -> list[tuple[float, int]]:
    """(start, requests in ``[start, start + window)``) for every request as a start."""
    ordered = sorted(times)
    counts, end = [], 0
    for start, moment in enumerate(ordered):
        while end < len(ordered) and ordered[end] < moment + window:
            end += 1
        counts.append((moment, end - start))
    return counts


def test_window_counts() -> None:
    assert window_counts([0, 1, 9.9, 10, 12], 10) == [(0, 3), (1, 3), (9.9, 3), (10, 2), (12, 1)]


def _redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis unreachable: {exc}")
        pytest.skip(f"Redis unreachable: {exc}")
    return client


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


@contextlib.contextmanager
def _workers(env: dict[str, str], count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` ``trackers worker`` processes, each in a process group of its own (RQ forks a
    scheduler beside it); TERM then KILL to every group at the end."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(count):
            procs.append(
                subprocess.Popen(
                    [TRACKERS, "worker"],
                    env={**os.environ, **env},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        yield procs
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def _register_backlog(container: ProductionContainer) -> None:
    c = container
    for index in range(0, BACKLOG, 4):
        urls = tuple(URL.format(f"jitter-{n}") for n in range(index, index + 4))
        register_trackers(
            RegisterTrackers(user_id=str(10**17 + index), urls=urls),
            uow=c.uow(),
            queue=c.queue(),
            clock=c.clock(),
            policy=c.policy(),
        )


@pytest.mark.timeout(150)
def test_three_workers_behind_jitter_never_exceed_the_limit_and_use_95_percent() -> None:
    client = _redis()
    name = f"test-jitter-{uuid.uuid4().hex[:8]}"
    with (
        fresh_database("tracker_jitter") as url,
        TrnSimulator(PER_WINDOW, window_seconds=WINDOW_SECONDS) as simulator,
        JitterProxy(simulator.root_url, max_delay=MAX_JITTER, seed=12) as proxy,
    ):
        env = {
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "TRACKERS_QUEUE_NAME": name,
            "TRN_API_BASE_URL": proxy.root_url + API_PREFIX,
            "TRACKER_INITIAL_SEASONS": "0",
            "TRN_RATE_LIMIT_PER_MINUTE": str(PER_WINDOW),
            "TRN_RATE_WINDOW_SECONDS": str(WINDOW_SECONDS),
        }
        container = require_production(container_for(load_settings(env)), "the jitter test")
        lane = rq.Queue(container.queue().lane_names[0], connection=client)
        try:
            with _workers(env, WORKERS):  # they touch the database only once a job comes
                upgrade_database(url)
                _register_backlog(container)
                _wait(lambda: rq.Worker.count(queue=lane) == WORKERS, 60, "three workers")
                listening = time.monotonic()
                # the run starts with the first request sent once all three are listening
                _wait(lambda: any(r.at >= listening for r in simulator.requests), 10, "a request")
                begin = next(r.at for r in simulator.requests if r.at >= listening)
                end = begin + RUN_WINDOWS * WINDOW_SECONDS
                _wait(lambda: time.monotonic() >= end + 0.5, end - begin + 5, "the run")
                recorded = simulator.requests
                left = container.queue().depth()
        finally:
            container.engine().dispose()
            for key in client.scan_iter(f"*{name}*"):
                client.delete(key)
    arrivals = [r.at for r in recorded if begin <= r.at <= end]
    statuses = {r.status for r in recorded}
    busiest = max(n for _, n in window_counts([r.at for r in recorded], WINDOW_SECONDS))
    full = [
        n for start, n in window_counts(arrivals, WINDOW_SECONDS) if start + WINDOW_SECONDS <= end
    ]
    gaps = sorted(later - earlier for earlier, later in itertools.pairwise(arrivals))
    interval = (WINDOW_SECONDS + 0.25) / PER_WINDOW
    rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) * WINDOW_SECONDS
    summary = (
        f"{len(recorded)} requests, {len(arrivals)} in the run; busiest window {busiest}, "
        f"quietest full window {min(full)} of {PER_WINDOW}; {rate / PER_WINDOW:.3f} of the limit "
        f"used; "
        f"closest arrivals {gaps[0]:.3f} s (grant interval {interval:.4f} s); statuses {statuses}"
    )
    print(summary)  # shown with -s: the numbers of docs/benchmarks.md
    assert left > 0, "the backlog ran out before the run ended"
    assert statuses == {200}, summary
    assert busiest <= PER_WINDOW, summary
    assert min(full) >= 0.95 * PER_WINDOW, summary
    assert rate >= 0.95 * PER_WINDOW, summary
    # the jitter was there: some arrivals came closer together than any two grants can
    assert gaps[0] < interval - 0.02, summary
    assert len(proxy.delays) >= len(recorded)  # (a request may still be held at the end)
