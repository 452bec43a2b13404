"""``trackers worker``'s loop (``entrypoints.runtime.worker``) run in the test process.

test_worker_outage.py (slow lane) runs the loop as a process of its own against a redis-server
it stops and starts; here the same code runs in-process and fast, so coverage counts it:
fakeredis stands for Redis (its server's ``connected`` flag is an outage), the loop's ``stop``
event is time-compressed (each wait is recorded and returns at once), jobs call back into the
test (tests/integration/worker_jobs.py), RQ's scheduler process is not forked (what would run
in it is recorded; one test forks a stand-in to stop), and signals are real, sent to this
process while the worker's handlers are installed (``signal_guard`` restores the previous
handlers).
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.context import ForkProcess
from pathlib import Path
from typing import Any

import fakeredis
import pytest
import redis
from dependency_injector import providers
from redis.backoff import NoBackoff
from redis.client import PubSubWorkerThread
from redis.retry import Retry
from rq.job import Job
from rq.scheduler import RQScheduler
from tests.integration.redis_support import Names, closed_port, names, real_redis, rq_redis_url
from tests.integration.worker_jobs import HOOKS, JOB_FUNC, Hook
from tests.signal_guard import Unhandled, signal_guard

from adapters.queue.rq_queue import RqJobQueue
from entrypoints.config import load_settings
from entrypoints.container import container_for, require_production
from entrypoints.runtime import worker as runtime_worker
from entrypoints.runtime.worker import (
    BACKOFF_START,
    Heartbeat,
    _one_line_scheduler_crash,
    _QuietReconnects,
    _QuietScheduler,
    _run_scheduler,
    _stop_on_signals,
    run_worker,
    wait_for_redis,
    work_lanes,
)
from tracker_core.errors import QueueUnavailableError
from tracker_core.model import Priority

__all__ = ["names", "real_redis", "rq_redis_url", "signal_guard"]  # fixtures used here
# RQ runs each job under a SIGALRM timer and cancels it afterwards, which cancels
# pytest-timeout's own SIGALRM too: a hung test here is ended by the timeout's thread instead.
pytestmark = pytest.mark.timeout(60, method="thread")


class CompressedStop(threading.Event):
    """The loop's stop event with time compressed: a wait returns at once, its timeout is
    recorded, and ``on_wait`` (given the number of waits so far) may act meanwhile."""

    def __init__(self, on_wait: Callable[[int], None] | None = None) -> None:
        super().__init__()
        self.waits: list[float | None] = []
        self._on_wait = on_wait

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        if self._on_wait is not None:
            self._on_wait(len(self.waits))
        return self.is_set()


class FakeFork:
    """Stands for the process ``_QuietScheduler.start`` forks: it records what would run."""

    def __init__(self, *, target: Callable[..., object], args: tuple[Any, ...], name: str) -> None:
        self.target, self.args, self.name = target, args, name
        self.pid: int | None = None  # RQ's teardown signals and joins only a real pid
        self.started = False

    def start(self) -> None:
        self.started = True

    def is_alive(self) -> bool:
        return False


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[FakeFork]:
    """The scheduler processes the worker started (never forked here)."""
    made: list[FakeFork] = []

    def fork(**kwargs: Any) -> FakeFork:
        made.append(FakeFork(**kwargs))
        return made[-1]

    monkeypatch.setattr(runtime_worker, "ForkProcess", fork)
    return made


@pytest.fixture(autouse=True)
def _stop_leftover_pubsub_threads() -> Iterator[None]:
    """RQ listens for commands on a pubsub thread per worker; should a test leave one running
    (the tests below check that none is), it must not outlive the test."""
    before = set(threading.enumerate())
    yield
    for thread in set(threading.enumerate()) - before:
        if isinstance(thread, PubSubWorkerThread):
            thread.stop()


@pytest.fixture
def pubsub_threads() -> Callable[[], list[PubSubWorkerThread]]:
    """The RQ command threads started since the fixture was set up that are still alive."""
    before = set(threading.enumerate())

    def alive() -> list[PubSubWorkerThread]:
        return [
            thread
            for thread in threading.enumerate()
            if isinstance(thread, PubSubWorkerThread) and thread not in before
        ]

    return alive


@pytest.fixture
def server() -> fakeredis.FakeServer:
    return fakeredis.FakeServer()


@pytest.fixture
def conn(server: fakeredis.FakeServer) -> fakeredis.FakeRedis:
    return fakeredis.FakeRedis(server=server)


@pytest.fixture
def queue_name() -> Iterator[str]:
    name = f"test-worker-{uuid.uuid4().hex[:12]}"
    yield name
    HOOKS.pop(name, None)


@pytest.fixture
def queue(conn: fakeredis.FakeRedis, queue_name: str) -> RqJobQueue:
    return RqJobQueue(conn, queue_name=queue_name, job_func=JOB_FUNC)


@pytest.fixture
def ran(queue_name: str) -> list[str]:
    """The tracker ids of the jobs that ran (a job records its id unless a test hooks it)."""
    seen: list[str] = []
    HOOKS[queue_name] = lambda tracker_id, _job: seen.append(tracker_id)
    return seen


def must_not_wait(_waits: int) -> None:
    raise AssertionError("the loop waited to start a fresh worker: it took a stop for a crash")


def on_job(queue_name: str, hook: Hook) -> None:
    HOOKS[queue_name] = hook


def messages(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger]


def count(caplog: pytest.LogCaptureFixture, logger: str, text: str) -> int:
    return sum(text in line for line in messages(caplog, logger))


def no_quiet_filter_left() -> bool:
    return not any(isinstance(f, _QuietReconnects) for f in logging.getLogger("rq.worker").filters)


def unreachable() -> redis.Redis:
    """A client of a loopback port nothing listens on, which fails at once (no retries)."""
    return redis.Redis(port=closed_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))


def heartbeats(conn: redis.Redis, queue: RqJobQueue) -> list[bytes]:
    return sorted(conn.scan_iter(match=queue.worker_key("*")))


# The quiet-reconnects filter and the scheduler's one-line crash


def record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("rq.worker", logging.ERROR, __file__, 1, msg, args, exc_info)


RQ_RETRY = "Worker %s: could not connect to Redis instance: %s retrying in %d seconds..."
RQ_QUIT = "Worker %s: found an unhandled exception, quitting..."


def test_rq_reconnect_lines_are_kept_once_per_outage() -> None:
    quiet = _QuietReconnects()
    verdicts = [
        quiet.filter(record(RQ_RETRY, "w", "refused", 1)),
        quiet.filter(record(RQ_RETRY, "w", "refused", 2)),
        quiet.filter(record(RQ_RETRY, "w", "refused", 4)),
        quiet.filter(record("Worker %s: cleaning registries", "w")),  # Redis answers again
        quiet.filter(record(RQ_RETRY, "w", "refused", 1)),
    ]
    assert verdicts == [True, False, False, True, True]


@pytest.mark.parametrize(
    "exc",
    [redis.ConnectionError("gone"), redis.TimeoutError("slow"), ConnectionResetError(104, "reset")],
    ids=["redis-connection", "redis-timeout", "socket-reset"],
)
def test_a_quit_on_a_lost_connection_is_one_line_and_starts_an_outage(exc: Exception) -> None:
    quiet = _QuietReconnects()
    try:
        raise exc
    except Exception as raised:
        quitting = record(RQ_QUIT, "w", exc=raised)
    assert quiet.filter(quitting)
    assert quitting.getMessage() == (
        f"Worker w: found an unhandled exception, quitting... "
        f"(Redis connection lost: {type(exc).__name__})"
    )
    assert quitting.exc_info is None and quitting.exc_text is None
    assert not quiet.filter(record(RQ_RETRY, "w", "refused", 1))  # the same outage


def test_a_quit_on_another_error_keeps_its_traceback() -> None:
    quiet = _QuietReconnects()
    assert quiet.filter(record(RQ_RETRY, "w", "refused", 1))
    bug = ValueError("a bug")
    try:
        raise bug
    except ValueError as raised:
        quitting = record(RQ_QUIT, "w", exc=raised)
    assert quiet.filter(quitting)
    assert quitting.getMessage() == "Worker w: found an unhandled exception, quitting..."
    assert quitting.exc_info is not None and quitting.exc_info[1] is bug
    assert quiet.filter(record(RQ_RETRY, "w", "refused", 1))  # that line ended the outage


CRASH = "Scheduler [PID %s] raised an exception.\n%s"


def traceback_ending(last: str) -> str:
    return f'Traceback (most recent call last):\n  File "x.py", line 1, in work\n{last}\n'


def test_a_scheduler_crash_on_a_lost_connection_is_one_line() -> None:
    for last in (
        "redis.exceptions.ConnectionError: Error 111 connecting to 127.0.0.1:6379.",
        "redis.exceptions.TimeoutError: Timeout reading from socket",
    ):
        crash = record(CRASH, 4242, traceback_ending(last))
        assert _one_line_scheduler_crash(crash)
        assert crash.getMessage() == f"Scheduler [PID 4242] stopped: Redis connection lost ({last})"


def test_other_scheduler_lines_are_left_alone() -> None:
    other = traceback_ending("ValueError: a bug")
    for kept in (
        record(CRASH, 4242, other),
        record("Scheduler for %s started with PID %s", "q:high", 4242),
        record("Scheduler [PID 4242] raised an exception."),  # no arguments to rewrite
    ):
        before = kept.getMessage()
        assert _one_line_scheduler_crash(kept)
        assert kept.getMessage() == before


# The heartbeat


class RecordingQueue(RqJobQueue):
    """The RQ queue, recording each worker name it beats for (and when)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.beats: list[tuple[str, float]] = []

    def beat(self, worker_name: str) -> None:
        self.beats.append((worker_name, time.monotonic()))
        super().beat(worker_name)

    def names_beaten(self) -> list[str]:
        return [name for name, _ in self.beats]


def wait_until(check: Callable[[], bool], seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


@pytest.mark.xdist_group("timing")
def test_the_heartbeat_beats_at_once_then_every_third_of_its_ttl_until_stopped(
    conn: fakeredis.FakeRedis, queue_name: str
) -> None:
    queue = RecordingQueue(conn, queue_name=queue_name, worker_ttl=0.06)
    heartbeat = Heartbeat(queue)
    heartbeat.start("w1")
    assert queue.names_beaten() == ["w1"]  # before the first renewal is due
    wait_until(lambda: len(queue.beats) >= 4)
    heartbeat.stop()

    assert not heartbeat._thread.is_alive()
    assert not conn.exists(queue.worker_key("w1"))  # dropped at once, not left to expire
    assert set(queue.names_beaten()) == {"w1"}
    times = [at for _, at in queue.beats]
    # every ttl / 3 (20 ms), less the clock's granularity
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.015


def test_a_switched_heartbeat_beats_for_the_fresh_worker_and_forgets_the_old(
    conn: fakeredis.FakeRedis, queue_name: str
) -> None:
    queue = RecordingQueue(conn, queue_name=queue_name)
    heartbeat = Heartbeat(queue)
    heartbeat.switch("w1")
    heartbeat.switch("w2")  # a fresh RQ worker after an outage
    assert queue.names_beaten() == ["w1", "w2"]
    assert heartbeats(conn, queue) == [queue.worker_key("w2").encode()]
    assert 29_000 < conn.pttl(queue.worker_key("w2")) <= 30_000  # it lasts worker_ttl
    heartbeat.stop()  # never started (the loop stopped before its first worker): no thread
    assert heartbeats(conn, queue) == []


class SlowBeats:
    """A queue whose beat for ``slow`` blocks until released (a Redis round trip in flight)."""

    worker_ttl = 30.0

    def __init__(self, slow: str) -> None:
        self.slow, self.keys = slow, set[str]()
        self.in_flight, self.release = threading.Event(), threading.Event()

    def beat(self, worker_name: str) -> None:
        if worker_name == self.slow and threading.current_thread().name == "beat":
            self.in_flight.set()
            self.release.wait(5)
        self.keys.add(worker_name)

    def forget(self, worker_name: str) -> None:
        self.keys.discard(worker_name)


def test_a_beat_in_flight_for_the_old_worker_cannot_outlive_the_switch() -> None:
    """The renewal thread read the old name just before a switch: its beat must not land after
    the switch forgot that key (the reconciler would think the dead worker alive for a TTL)."""
    queue = SlowBeats("old")
    heartbeat = Heartbeat(queue)  # type: ignore[arg-type]
    heartbeat.switch("old")
    beat = threading.Thread(target=heartbeat.beat_once, name="beat")
    beat.start()
    assert queue.in_flight.wait(5)
    switch = threading.Thread(target=heartbeat.switch, args=("new",))
    switch.start()
    switch.join(0.2)  # without the lock it would be done by now, before the beat lands
    queue.release.set()
    beat.join(5)
    switch.join(5)
    assert queue.keys == {"new"}


def test_the_heartbeat_says_once_that_redis_is_gone_and_once_that_it_is_back(
    server: fakeredis.FakeServer,
    conn: fakeredis.FakeRedis,
    queue: RqJobQueue,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    heartbeat = Heartbeat(queue)
    heartbeat.switch("w1")
    server.connected = False
    heartbeat.switch("w2")  # forgetting w1 and beating w2 both fail
    heartbeat.switch("w3")
    assert messages(caplog, "trackers.worker") == [
        "worker heartbeat: Redis unavailable (ConnectionError)"
    ]
    server.connected = True
    heartbeat.switch("w4")
    heartbeat.switch("w5")
    assert messages(caplog, "trackers.worker")[1:] == ["worker heartbeat: Redis reachable again"]
    assert conn.exists(queue.worker_key("w5"))
    assert conn.pttl(queue.worker_key("w1")) > 0  # not forgotten in the outage: it expires


# Waiting for Redis


def test_waiting_for_redis_that_answers_takes_no_time_and_says_nothing(
    conn: fakeredis.FakeRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    stop = CompressedStop()
    assert wait_for_redis(conn, stop)
    assert stop.waits == [] and caplog.records == []


def test_waiting_for_redis_doubles_the_delay_up_to_the_cap_and_says_so_twice(
    server: fakeredis.FakeServer, conn: fakeredis.FakeRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    server.connected = False

    def back_after_six(waits: int) -> None:
        server.connected = waits >= 6

    stop = CompressedStop(back_after_six)
    assert wait_for_redis(conn, stop, backoff_start=0.25, backoff_cap=3.0)
    assert stop.waits == [0.25, 0.5, 1.0, 2.0, 3.0, 3.0]
    assert messages(caplog, "trackers.worker") == [
        "Redis unavailable (ConnectionError); waiting for it, retrying after 0.25 s, "
        "the wait doubling up to 3 s",
        "Redis reachable again; worker resuming",
    ]


def test_a_stop_while_waiting_for_redis_ends_the_wait(
    server: fakeredis.FakeServer, conn: fakeredis.FakeRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    server.connected = False
    stop = CompressedStop(lambda waits: stop.set() if waits == 3 else None)
    assert not wait_for_redis(conn, stop)
    assert stop.waits == [0.5, 1.0, 2.0]
    assert count(caplog, "trackers.worker", "reachable again") == 0


# Signals outside RQ's worker


def test_sigterm_and_sigint_set_the_stop_event(signal_guard: Unhandled) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        stop = threading.Event()
        assert _stop_on_signals(stop)
        signal.raise_signal(signum)
        assert stop.is_set()
    assert signal_guard.signals == []


def test_off_the_main_thread_no_handler_is_installed(signal_guard: Unhandled) -> None:
    before = signal.getsignal(signal.SIGTERM)
    answers: list[bool] = []
    thread = threading.Thread(target=lambda: answers.append(_stop_on_signals(threading.Event())))
    thread.start()
    thread.join(5)
    assert answers == [True]
    assert signal.getsignal(signal.SIGTERM) is before


# The worker loop


def test_a_burst_works_the_lanes_highest_first_while_the_worker_beats(
    conn: fakeredis.FakeRedis,
    queue: RqJobQueue,
    queue_name: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    seen: list[tuple[str, int]] = []
    on_job(
        queue_name,
        lambda tracker_id, job: seen.append(
            (tracker_id, conn.exists(queue.worker_key(str(job.worker_name))))
        ),
    )
    queue.enqueue(["low"], Priority.LOW)
    queue.enqueue(["default"], Priority.DEFAULT)
    queue.enqueue(["high"], Priority.HIGH)

    assert work_lanes(queue, conn, burst=True) == 0

    assert seen == [("high", 1), ("default", 1), ("low", 1)]  # its heartbeat lived meanwhile
    assert heartbeats(conn, queue) == []  # and is dropped when it ends
    (listening,) = [m for m in messages(caplog, "trackers.worker") if "listening on" in m]
    assert listening.endswith(f"['{queue_name}:high', '{queue_name}:default', '{queue_name}:low']")
    assert no_quiet_filter_left()


def test_a_job_whose_record_redis_lost_while_it_ran_ends_in_one_warning(
    conn: fakeredis.FakeRedis,
    queue: RqJobQueue,
    queue_name: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Redis restarted without data while the first job ran: RQ finds no record to finish. It
    did not fail (its work is stored), so one warning, no traceback; the next job runs."""
    caplog.set_level(logging.INFO)
    seen: list[str] = []

    def lose_first(tracker_id: str, job: Job) -> None:
        seen.append(tracker_id)
        if tracker_id == "first":
            conn.delete(job.key)

    on_job(queue_name, lose_first)
    queue.enqueue(["first"], Priority.HIGH)
    queue.enqueue(["second"], Priority.DEFAULT)

    assert work_lanes(queue, conn, burst=True) == 0

    assert seen == ["first", "second"]
    lost = [m for m in messages(caplog, "trackers.worker") if "lost in Redis" in m]
    assert lost == [
        f"job {queue.job_id('first')}: its record was lost in Redis while it ran (done)"
    ]
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not conn.exists(Job.key_for(queue.job_id("first")))  # no half record left behind


def test_redis_gone_for_rq_s_bookkeeping_of_a_finished_job_is_one_warning(
    server: fakeredis.FakeServer,
    conn: fakeredis.FakeRedis,
    queue: RqJobQueue,
    queue_name: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Redis drops as the first job's function returns and is back a moment later: RQ's
    heartbeat of the finished job fails, and RQ reports the job as having raised. Its work is
    stored, so one warning, not RQ's traceback; the worker goes on to the next job."""
    caplog.set_level(logging.INFO)
    seen: list[str] = []

    def drop_redis_after_first(tracker_id: str, _job: Job) -> None:
        seen.append(tracker_id)
        if tracker_id == "first":
            server.connected = False

    heartbeat = Job.heartbeat

    def heartbeat_then_redis_back(job: Job, *args: Any, **kwargs: Any) -> None:
        try:
            heartbeat(job, *args, **kwargs)
        finally:
            server.connected = True  # a restart: back for RQ's next step

    monkeypatch.setattr(Job, "heartbeat", heartbeat_then_redis_back)
    on_job(queue_name, drop_redis_after_first)
    queue.enqueue(["first"], Priority.HIGH)
    queue.enqueue(["second"], Priority.DEFAULT)

    assert work_lanes(queue, conn, burst=True) == 0

    assert seen == ["first", "second"]
    assert (
        messages(caplog, "trackers.worker").count(
            f"job {queue.job_id('first')}: Redis went away while RQ recorded it (ConnectionError)"
        )
        == 1
    )
    assert not [r for r in caplog.records if "Traceback" in r.getMessage() or r.exc_info]
    assert count(caplog, "rq.worker", "exception raised while executing") == 0


def hold_scheduler_locks(conn: redis.Redis, queue_name: str) -> None:
    """As another worker's scheduler does."""
    for lane in ("high", "default", "low"):
        conn.set(RQScheduler.get_locking_key(f"{queue_name}:{lane}"), "another-scheduler", ex=60)


def schedule_due(conn: redis.Redis, queue: RqJobQueue, tracker_id: str) -> None:
    """A scheduled job whose time has come (RQ's scheduler moves it to its lane)."""
    queue.enqueue([tracker_id], Priority.DEFAULT, not_before=datetime.now(UTC) + timedelta(hours=1))
    registry = queue.lanes[1].scheduled_job_registry
    conn.zadd(registry.key, {queue.job_id(tracker_id): time.time() - 1})


@pytest.mark.parametrize("held_elsewhere", [False, True], ids=["free", "held-elsewhere"])
def test_a_burst_first_queues_due_scheduled_jobs_unless_another_scheduler_does(
    conn: fakeredis.FakeRedis,
    queue: RqJobQueue,
    queue_name: str,
    ran: list[str],
    held_elsewhere: bool,
) -> None:
    schedule_due(conn, queue, "due")
    if held_elsewhere:
        hold_scheduler_locks(conn, queue_name)

    assert work_lanes(queue, conn, burst=True) == 0

    assert ran == ([] if held_elsewhere else ["due"])
    assert queue.lane_depths()[Priority.DEFAULT] == (1 if held_elsewhere else 0)
    locks = [conn.get(RQScheduler.get_locking_key(lane.name)) for lane in queue.lanes]
    assert locks == ([b"another-scheduler"] * 3 if held_elsewhere else [None] * 3)


def test_exit_on_unavailable_raises_at_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    connection = unreachable()
    queue = RqJobQueue(connection, queue_name="test-worker-unreachable")
    with pytest.raises(QueueUnavailableError, match=r"^Redis unavailable: ConnectionError$"):
        work_lanes(queue, connection, exit_on_unavailable=True)
    assert caplog.records == []  # no waiting, no worker
    assert no_quiet_filter_left()


def test_exit_on_unavailable_works_when_redis_answers(
    conn: fakeredis.FakeRedis, queue: RqJobQueue, ran: list[str]
) -> None:
    queue.enqueue(["t1"], Priority.DEFAULT)
    assert work_lanes(queue, conn, burst=True, exit_on_unavailable=True) == 0
    assert ran == ["t1"]


def test_started_while_redis_is_down_the_worker_waits_then_works(
    server: fakeredis.FakeServer,
    conn: fakeredis.FakeRedis,
    queue: RqJobQueue,
    ran: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    queue.enqueue(["t1"], Priority.DEFAULT)
    server.connected = False

    def back_after_four(waits: int) -> None:
        server.connected = waits >= 4

    stop = CompressedStop(back_after_four)
    assert work_lanes(queue, conn, burst=True, stop=stop, backoff_cap=2.0) == 0

    assert stop.waits == [BACKOFF_START, 1.0, 2.0, 2.0]
    assert ran == ["t1"]
    lines = messages(caplog, "trackers.worker")
    assert lines[:2] == [
        "Redis unavailable (ConnectionError); waiting for it, retrying after 0.5 s, "
        "the wait doubling up to 2 s",
        "Redis reachable again; worker resuming",
    ]
    assert sum("listening on" in line for line in lines) == 1


def test_redis_going_away_as_the_worker_is_made_means_waiting_again(
    server: fakeredis.FakeServer,
    conn: fakeredis.FakeRedis,
    queue: RqJobQueue,
    ran: list[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Redis answered the wait's ping, then went away before RQ's worker (which talks to Redis
    in its constructor) was made: the loop waits for Redis again instead of crashing."""
    caplog.set_level(logging.INFO)
    queue.enqueue(["t1"], Priority.DEFAULT)
    made = runtime_worker._LaneWorker.__init__

    def made_while_redis_goes(self: Any, *args: Any, **kwargs: Any) -> None:
        if not getattr(made_while_redis_goes, "failed", False):
            made_while_redis_goes.failed = True  # type: ignore[attr-defined]
            server.connected = False
        made(self, *args, **kwargs)

    monkeypatch.setattr(runtime_worker._LaneWorker, "__init__", made_while_redis_goes)

    def back_after_two(waits: int) -> None:
        server.connected = waits >= 2

    stop = CompressedStop(back_after_two)
    assert work_lanes(queue, conn, burst=True, stop=stop) == 0
    assert ran == ["t1"]
    lines = messages(caplog, "trackers.worker")
    assert "Redis went away as a worker started (ConnectionError)" in lines
    assert sum("listening on" in line for line in lines) == 1


def test_a_sigterm_while_waiting_for_redis_at_start_exits_0(
    server: fakeredis.FakeServer,
    conn: fakeredis.FakeRedis,
    queue: RqJobQueue,
    signal_guard: Unhandled,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A supervisor's stop before Redis ever answered: no worker was started, none is stopped."""
    caplog.set_level(logging.INFO)
    server.connected = False
    stop = CompressedStop(
        lambda waits: os.kill(os.getpid(), signal.SIGTERM) if waits == 2 else None
    )
    assert work_lanes(queue, conn, stop=stop) == 0
    assert stop.is_set() and stop.waits == [0.5, 1.0]
    assert signal_guard.signals == []  # the loop's own handler took it
    assert count(caplog, "trackers.worker", "listening on") == 0
    assert no_quiet_filter_left()


def test_redis_lost_under_a_busy_worker_starts_a_fresh_worker_once_it_is_back(
    server: fakeredis.FakeServer,
    conn: fakeredis.FakeRedis,
    queue: RqJobQueue,
    queue_name: str,
    caplog: pytest.LogCaptureFixture,
    pubsub_threads: Callable[[], list[PubSubWorkerThread]],
) -> None:
    caplog.set_level(logging.INFO)
    seen: list[tuple[str, str, bool]] = []

    def job(tracker_id: str, rq_job: Job) -> None:
        worker = str(rq_job.worker_name)
        if tracker_id == "cut":
            seen.append((tracker_id, worker, True))
            server.connected = False  # Redis goes away while the job runs
            return
        earlier = seen[0][1]
        seen.append((tracker_id, worker, bool(conn.exists(queue.worker_key(earlier)))))

    on_job(queue_name, job)
    queue.enqueue(["cut"], Priority.HIGH)
    queue.enqueue(["after"], Priority.LOW)

    def back_after_two(waits: int) -> None:
        server.connected = waits >= 2

    stop = CompressedStop(back_after_two)
    assert work_lanes(queue, conn, burst=True, stop=stop, backoff_cap=1.0) == 0

    (cut, after) = seen
    assert cut[0] == "cut" and after[0] == "after"
    assert cut[1] != after[1]  # a fresh RQ worker …
    assert after[2] is False  # … whose heartbeat replaced the old one's
    assert stop.waits == [0.5, 1.0]
    (quit_line,) = [r for r in caplog.records if "unhandled exception" in r.getMessage()]
    assert quit_line.getMessage().endswith("quitting... (Redis connection lost: ConnectionError)")
    assert quit_line.exc_info is None
    lines = messages(caplog, "trackers.worker")
    assert (
        lines.count(
            f"worker {cut[1]} lost Redis (ConnectionError); a fresh worker starts once it is back"
        )
        == 1
    )
    assert count(caplog, "trackers.worker", "Redis unavailable (ConnectionError)") == 1
    assert count(caplog, "trackers.worker", "Redis reachable again") == 1
    assert count(caplog, "trackers.worker", "listening on") == 2
    assert heartbeats(conn, queue) == []
    assert no_quiet_filter_left()
    # The lost worker could not unsubscribe; its command thread still ends (within a wake-up,
    # or RQ's 2 s pause after a failed reconnect), closing its connection: none per outage.
    for thread in pubsub_threads():
        thread.join(timeout=10)
    assert pubsub_threads() == []


def test_a_sigterm_while_busy_finishes_the_job_then_exits_0(
    conn: fakeredis.FakeRedis,
    queue: RqJobQueue,
    queue_name: str,
    forks: list[FakeFork],
    signal_guard: Unhandled,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    seen: list[str] = []

    def job(tracker_id: str, _job: Job) -> None:
        if tracker_id == "busy":
            os.kill(os.getpid(), signal.SIGTERM)  # a supervisor's stop, mid-job
        seen.append(tracker_id)

    on_job(queue_name, job)
    queue.enqueue(["busy"], Priority.HIGH)
    queue.enqueue(["next"], Priority.LOW)
    stop = CompressedStop(must_not_wait)

    assert work_lanes(queue, conn, stop=stop) == 0

    assert seen == ["busy"]  # finished; the next job was left queued
    assert queue.lane_depths()[Priority.LOW] == 1
    assert stop.is_set() and signal_guard.signals == []
    assert count(caplog, "trackers.worker", "listening on") == 1
    assert count(caplog, "trackers.worker", "quit unexpectedly") == 0
    assert count(caplog, "rq.worker", "warm shut down requested") == 1
    # Not in burst mode, the worker started RQ's scheduler as a process of its own
    (fork,) = forks
    assert fork.started and fork.name == "Scheduler"
    assert fork.target is _run_scheduler
    (scheduler,) = fork.args
    assert isinstance(scheduler, _QuietScheduler)
    assert scheduler.status == RQScheduler.Status.STARTED
    assert scheduler._connection is None  # a client cannot cross the fork
    assert scheduler._process is fork


def test_a_signal_while_the_worker_starts_stops_it_before_its_first_job(
    conn: fakeredis.FakeRedis,
    queue_name: str,
    forks: list[FakeFork],
    signal_guard: Unhandled,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The SIGTERM lands after the loop's handler is installed, before RQ's is."""
    caplog.set_level(logging.INFO)
    seen: list[str] = []
    hold_scheduler_locks(conn, queue_name)

    def job(tracker_id: str, _job: Job) -> None:
        seen.append(tracker_id)  # wrong: stop the worker anyway, so the test ends
        os.kill(os.getpid(), signal.SIGTERM)

    class SignalledAtFirstBeat(RqJobQueue):
        signalled = False

        def beat(self, worker_name: str) -> None:
            if not self.signalled:  # the first beat comes just before RQ's worker starts
                self.signalled = True
                os.kill(os.getpid(), signal.SIGTERM)
            super().beat(worker_name)

    on_job(queue_name, job)
    queue = SignalledAtFirstBeat(conn, queue_name=queue_name, job_func=JOB_FUNC)
    queue.enqueue(["t1"], Priority.DEFAULT)
    stop = CompressedStop(must_not_wait)

    assert work_lanes(queue, conn, stop=stop) == 0

    assert seen == [] and queue.depth() == 1
    assert stop.is_set() and signal_guard.signals == []
    assert count(caplog, "rq.worker", "stopping on request") == 1
    assert count(caplog, "trackers.worker", "listening on") == 1
    assert forks == []  # another worker's scheduler holds the lanes: none is started


def test_a_worker_that_quits_on_an_unexpected_error_is_replaced(
    conn: fakeredis.FakeRedis,
    queue: RqJobQueue,
    queue_name: str,
    forks: list[FakeFork],
    signal_guard: Unhandled,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    high = queue.lanes[0].key
    seen: list[tuple[str, str]] = []

    def job(tracker_id: str, rq_job: Job) -> None:
        seen.append((tracker_id, str(rq_job.worker_name)))
        if tracker_id == "break":
            conn.set(high, "not a list")  # RQ's next dequeue fails: it quits
        else:
            os.kill(os.getpid(), signal.SIGTERM)  # the fresh worker is stopped after its job

    def repair(_waits: int) -> None:
        conn.delete(high)
        queue.enqueue(["again"], Priority.DEFAULT)

    on_job(queue_name, job)
    queue.enqueue(["break"], Priority.HIGH)
    stop = CompressedStop(repair)

    assert work_lanes(queue, conn, stop=stop) == 0

    assert [t for t, _ in seen] == ["break", "again"]
    first, fresh = (w for _, w in seen)
    assert first != fresh
    assert stop.waits == [BACKOFF_START]
    assert (
        messages(caplog, "trackers.worker").count(
            f"worker {first} quit unexpectedly; a fresh worker starts"
        )
        == 1
    )
    (quit_line,) = [r for r in caplog.records if "unhandled exception" in r.getMessage()]
    assert quit_line.exc_info is not None  # not a lost connection: the traceback is kept
    assert signal_guard.signals == []


@pytest.mark.redis
def test_a_sigterm_while_idle_on_real_redis_exits_0(
    real_redis: redis.Redis,
    names: Names,
    forks: list[FakeFork],
    signal_guard: Unhandled,
    caplog: pytest.LogCaptureFixture,
    pubsub_threads: Callable[[], list[PubSubWorkerThread]],
) -> None:
    """RQ waits for a job in a blocking BLPOP; the signal ends the wait and the worker."""
    caplog.set_level(logging.INFO)
    queue = RqJobQueue(real_redis, queue_name=names.queue_name, job_func=JOB_FUNC)
    lane_workers = f"rq:workers:{queue.lanes[0].name}"

    def idle() -> bool:
        workers = real_redis.smembers(lane_workers)
        return any(real_redis.hget(key, "state") == b"idle" for key in workers)

    def stop_when_idle() -> None:
        deadline = time.monotonic() + 10
        while not idle() and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(os.getpid(), signal.SIGTERM)  # sent even when late, so a failure is an assert

    helper = threading.Thread(target=stop_when_idle, daemon=True)
    stop = CompressedStop(must_not_wait)
    started = time.monotonic()
    helper.start()

    assert work_lanes(queue, real_redis, stop=stop) == 0

    helper.join(5)
    assert time.monotonic() - started < 5
    assert stop.is_set() and signal_guard.signals == []
    assert count(caplog, "trackers.worker", "listening on") == 1
    assert count(caplog, "trackers.worker", "quit unexpectedly") == 0
    assert heartbeats(real_redis, queue) == []
    assert pubsub_threads() == []  # the command thread ended before the worker returned


def test_run_worker_works_the_lanes_of_the_configured_queue_on_the_container_s_redis(
    conn: fakeredis.FakeRedis,
    ran: list[str],
    queue_name: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    settings = load_settings(
        {}, data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0", queue_name=queue_name
    )
    container = require_production(container_for(settings), "the test")
    container.redis.override(providers.Object(conn))
    RqJobQueue(conn, queue_name=queue_name, job_func=JOB_FUNC).enqueue(["t1"], Priority.LOW)

    assert run_worker(container, burst=True, exit_on_unavailable=True) == 0

    assert ran == ["t1"]
    (listening,) = [m for m in messages(caplog, "trackers.worker") if "listening on" in m]
    assert listening.endswith(str([f"{queue_name}:{p}" for p in ("high", "default", "low")]))
    assert heartbeats(conn, container.queue()) == []


# RQ's scheduler process, run here


def test_the_scheduler_process_ends_in_one_line_when_redis_is_unreachable(
    signal_guard: Unhandled, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    connection = unreachable()
    scheduler = _QuietScheduler(["test-worker-unreachable:high"], connection=connection)
    try:
        with pytest.raises(SystemExit) as exited:
            _run_scheduler(scheduler)
    finally:
        logging.getLogger("rq.scheduler").removeFilter(_one_line_scheduler_crash)
    assert exited.value.code == 1
    (crash,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    message = crash.getMessage()
    assert message.startswith(f"Scheduler [PID {os.getpid()}] stopped: Redis connection lost (")
    assert "ConnectionError" in message and "Traceback" not in message
    assert "\n" not in message


def test_a_stopped_scheduler_process_ends_normally(
    conn: fakeredis.FakeRedis,
    queue: RqJobQueue,
    signal_guard: Unhandled,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    scheduler = _QuietScheduler(queue.lanes, connection=conn)
    scheduler.acquire_locks()
    scheduler.request_stop()  # what its SIGTERM handler does
    try:
        _run_scheduler(scheduler)  # returns: no SystemExit
    finally:
        logging.getLogger("rq.scheduler").removeFilter(_one_line_scheduler_crash)
    assert scheduler.status == RQScheduler.Status.STOPPED
    assert [conn.get(RQScheduler.get_locking_key(lane.name)) for lane in queue.lanes] == [None] * 3
    assert count(caplog, "rq.scheduler", "has stopped") == 1


def _ignores_sigterm(pipe: Connection) -> None:
    """A scheduler process that never ends by itself (as one stuck after its fork would)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    pipe.send("ready")
    time.sleep(60)


def _ends_on_sigterm(pipe: Connection) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not a handler inherited from the test
    pipe.send("ready")
    time.sleep(60)


@pytest.mark.parametrize("stuck", [False, True], ids=["stops", "stuck"])
def test_a_worker_s_teardown_waits_a_bounded_time_for_its_scheduler(
    conn: fakeredis.FakeRedis,
    queue: RqJobQueue,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    stuck: bool,
) -> None:
    monkeypatch.setattr(runtime_worker, "SCHEDULER_STOP_SECONDS", 0.5)
    worker = runtime_worker._LaneWorker(queue.lanes, connection=conn, stop=threading.Event())
    worker.scheduler = _QuietScheduler(queue.lanes, connection=conn)
    ours, theirs = multiprocessing.Pipe()
    process = ForkProcess(target=_ignores_sigterm if stuck else _ends_on_sigterm, args=(theirs,))
    worker.scheduler._process = process  # type: ignore[assignment]  # rq types it as None
    process.start()
    try:
        assert ours.recv() == "ready"  # its SIGTERM handling is in place
        started = time.monotonic()
        worker.stop_scheduler()
        took = time.monotonic() - started
    finally:
        if process.exitcode is None:
            process.kill()
            process.join()
    assert process.exitcode == (-signal.SIGKILL if stuck else -signal.SIGTERM)
    assert took < 10
    killed = count(caplog, "trackers.worker", "did not stop within 0.5 s of SIGTERM; killing it")
    assert killed == (1 if stuck else 0)
