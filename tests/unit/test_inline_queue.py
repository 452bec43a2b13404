"""The in-process job queue of the embedded mode."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from adapters.queue.inline_queue import InProcessJobQueue
from tracker_core.errors import QueueUnavailableError
from tracker_core.model import Priority
from tracker_core.ports import JobQueue

WAIT = 5.0


class Handler:
    """Records the trackers it ran; can hold a tracker until released, or fail on one."""

    def __init__(self) -> None:
        self.ran: list[str] = []
        self.started: dict[str, threading.Event] = {}
        self.gates: dict[str, threading.Event] = {}
        self.failing: set[str] = set()
        self.lock = threading.Lock()

    def hold(self, tracker_id: str) -> threading.Event:
        self.started[tracker_id] = threading.Event()
        self.gates[tracker_id] = threading.Event()
        return self.gates[tracker_id]

    def __call__(self, tracker_id: str) -> None:
        if tracker_id in self.gates:
            self.started[tracker_id].set()
            assert self.gates[tracker_id].wait(WAIT)
        with self.lock:
            self.ran.append(tracker_id)
        if tracker_id in self.failing:
            raise RuntimeError(f"scrape of {tracker_id} blew up")


@pytest.fixture
def handler() -> Handler:
    return Handler()


@pytest.fixture
def queue(handler: Handler) -> Iterator[InProcessJobQueue]:
    running = InProcessJobQueue(handler, workers=1)
    yield running
    for gate in handler.gates.values():
        gate.set()
    running.stop(WAIT)


def test_it_is_a_job_queue(queue: InProcessJobQueue) -> None:
    port: JobQueue = queue
    assert port.depth() == 0


def test_a_tracker_is_queued_once_until_its_job_ended(
    queue: InProcessJobQueue, handler: Handler
) -> None:
    assert queue.enqueue(["a", "a", "b"], Priority.DEFAULT) == 2
    assert queue.enqueue(["a"], Priority.HIGH) == 0
    assert queue.depth() == 2
    gate = handler.hold("a")

    queue.start()
    assert handler.started["a"].wait(WAIT)
    assert queue.is_queued("a")
    assert queue.enqueue(["a"], Priority.HIGH) == 0  # running
    gate.set()
    assert queue.drain(WAIT)

    assert not queue.is_queued("a")
    assert sorted(handler.ran) == ["a", "b"]
    assert queue.enqueue(["a"], Priority.HIGH) == 1
    assert queue.drain(WAIT)
    assert handler.ran.count("a") == 2


def test_enqueueing_from_many_threads_yields_one_job(
    queue: InProcessJobQueue, handler: Handler
) -> None:
    barrier = threading.Barrier(4)
    counts: list[int] = []

    def hammer() -> None:
        barrier.wait(WAIT)
        counts.append(sum(queue.enqueue(["t"], Priority.DEFAULT) for _ in range(20)))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)

    assert sum(counts) == 1
    queue.start()
    assert queue.drain(WAIT)
    assert handler.ran == ["t"]


def test_higher_lanes_run_first(queue: InProcessJobQueue, handler: Handler) -> None:
    queue.enqueue(["low-1", "low-2"], Priority.LOW)
    queue.enqueue(["default-1"], Priority.DEFAULT)
    queue.enqueue(["high-1", "high-2"], Priority.HIGH)

    queue.start()
    assert queue.drain(WAIT)

    assert handler.ran == ["high-1", "high-2", "default-1", "low-1", "low-2"]


def test_not_before_defers_the_job(queue: InProcessJobQueue, handler: Handler) -> None:
    queue.start()
    start = time.monotonic()
    later = datetime.now(UTC) + timedelta(seconds=0.4)

    assert queue.enqueue(["later"], Priority.HIGH, not_before=later) == 1
    assert queue.enqueue(["now"], Priority.LOW) == 1
    assert queue.enqueue(["later"], Priority.HIGH) == 0
    assert queue.is_queued("later")

    assert queue.drain(WAIT)
    assert handler.ran == ["now", "later"]
    assert time.monotonic() - start >= 0.35


def test_a_past_not_before_runs_at_once(queue: InProcessJobQueue, handler: Handler) -> None:
    queue.start()
    queue.enqueue(["t"], Priority.DEFAULT, not_before=datetime.now(UTC) - timedelta(hours=1))
    assert queue.drain(1.0)
    assert handler.ran == ["t"]


def test_a_failing_job_is_logged_and_the_worker_goes_on(
    queue: InProcessJobQueue, handler: Handler, caplog: pytest.LogCaptureFixture
) -> None:
    handler.failing.add("bad")
    queue.enqueue(["bad", "good"], Priority.DEFAULT)

    with caplog.at_level(logging.ERROR, logger="adapters.queue.inline_queue"):
        queue.start()
        assert queue.drain(WAIT)
        queue.enqueue(["after"], Priority.DEFAULT)
        assert queue.drain(WAIT)

    assert handler.ran == ["bad", "good", "after"]
    failures = [r for r in caplog.records if "bad" in r.getMessage()]
    assert len(failures) == 1
    assert failures[0].exc_info is not None
    assert failures[0].exc_info[0] is RuntimeError


def test_stop_lets_the_running_job_finish_and_drops_the_waiting_ones(
    queue: InProcessJobQueue, handler: Handler
) -> None:
    gate = handler.hold("running")
    queue.enqueue(["running", "waiting"], Priority.DEFAULT)
    queue.start()
    assert handler.started["running"].wait(WAIT)

    stopped: list[bool] = []
    stopper = threading.Thread(target=lambda: stopped.append(queue.stop(WAIT)))
    stopper.start()
    time.sleep(0.1)
    assert stopped == []  # still waiting for the running job
    gate.set()
    stopper.join(WAIT)

    assert stopped == [True]
    assert handler.ran == ["running"]
    assert not queue.is_queued("waiting")
    with pytest.raises(QueueUnavailableError):
        queue.enqueue(["another"], Priority.HIGH)


def test_stop_and_drain_give_up_at_their_timeout(
    queue: InProcessJobQueue, handler: Handler
) -> None:
    handler.hold("stuck")
    queue.enqueue(["stuck"], Priority.DEFAULT)
    queue.start()
    assert handler.started["stuck"].wait(WAIT)

    assert queue.drain(0.1) is False
    assert queue.stop(0.1) is False


def test_lane_depths_count_waiting_and_deferred_jobs_per_lane(queue: InProcessJobQueue) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    queue.enqueue(["a", "b"], Priority.LOW)
    queue.enqueue(["c"], Priority.HIGH, not_before=later)
    assert queue.lane_depths() == {Priority.HIGH: 1, Priority.DEFAULT: 0, Priority.LOW: 2}
    assert sum(queue.lane_depths().values()) == queue.depth()
