"""The in-process job queue of the embedded mode: worker threads over three priority lanes.

Nothing here is durable, on purpose: the database is the source of truth and the reconciler
queues every PENDING tracker again at start, so a crash loses no work.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from tracker_core.errors import QueueUnavailableError
from tracker_core.model import Priority

log = logging.getLogger(__name__)

_LANE_ORDER = (Priority.HIGH, Priority.DEFAULT, Priority.LOW)


class InProcessJobQueue:
    """JobQueue on worker threads: one job per tracker, high before default before low."""

    def __init__(self, handler: Callable[[str], object], *, workers: int = 2) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._handler = handler
        self._workers = workers
        self._cond = threading.Condition()
        self._lanes: dict[Priority, deque[str]] = {p: deque() for p in _LANE_ORDER}
        # (monotonic deadline, sequence, tracker id, priority): jobs deferred by not_before.
        self._timers: list[tuple[float, int, str, Priority]] = []
        self._seq = itertools.count()
        self._waiting: set[str] = set()
        self._running: set[str] = set()
        self._threads: list[threading.Thread] = []
        self._stopping = False

    def start(self) -> None:
        """Start the worker threads (jobs queued before start run then)."""
        with self._cond:
            if self._stopping:
                raise RuntimeError("a stopped InProcessJobQueue cannot be started again")
            if self._threads:
                return
            self._threads = [
                threading.Thread(target=self._work, name=f"scrape-worker-{n}", daemon=True)
                for n in range(self._workers)
            ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Let running jobs finish, drop waiting ones; whether every worker ended in time."""
        with self._cond:
            self._stopping = True
            for lane in self._lanes.values():
                lane.clear()
            self._timers.clear()
            self._waiting.clear()
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    def drain(self, timeout: float) -> bool:
        """Wait until nothing is queued, deferred or running; False when ``timeout`` ran out."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._waiting and not self._running, timeout)

    def enqueue(
        self, tracker_ids: Sequence[str], priority: Priority, *, not_before: datetime | None = None
    ) -> int:
        """Queue each tracker not already queued, deferred or running; how many were new.

        Raises:
            QueueUnavailableError: the queue was stopped.
        """
        delay = _seconds_until(not_before)
        new = 0
        with self._cond:
            if self._stopping:
                raise QueueUnavailableError("The in-process job queue is stopped")
            for tracker_id in tracker_ids:
                if tracker_id in self._waiting or tracker_id in self._running:
                    continue
                self._waiting.add(tracker_id)
                if delay > 0:
                    deadline = time.monotonic() + delay
                    heapq.heappush(self._timers, (deadline, next(self._seq), tracker_id, priority))
                else:
                    self._lanes[priority].append(tracker_id)
                new += 1
            if new:
                self._cond.notify_all()
        return new

    def is_queued(self, tracker_id: str) -> bool:
        """Whether the tracker is queued, deferred or running."""
        with self._cond:
            return tracker_id in self._waiting or tracker_id in self._running

    def discard(self, tracker_ids: Sequence[str]) -> None:
        """Forget running jobs whose lease expired (a hung handler must not block a retry)."""
        with self._cond:
            self._running.difference_update(tracker_ids)

    def depth(self) -> int:
        """Jobs waiting to run, deferred ones included."""
        with self._cond:
            return len(self._waiting)

    def lane_depths(self) -> dict[Priority, int]:
        """Jobs waiting in each lane, deferred ones counted in the lane they will join."""
        with self._cond:
            depths = {p: len(lane) for p, lane in self._lanes.items()}
            for _, _, _, priority in self._timers:
                depths[priority] += 1
            return depths

    def _work(self) -> None:
        while True:
            tracker_id = self._next()
            if tracker_id is None:
                return
            try:
                self._handler(tracker_id)
            except Exception:
                # The tracker stays in the database; the reconciler retries what is PENDING.
                log.exception("scrape job for tracker %s failed", tracker_id)
            finally:
                with self._cond:
                    self._running.discard(tracker_id)
                    self._cond.notify_all()

    def _next(self) -> str | None:
        """Block until a job is due (highest lane first) or the queue stops (None)."""
        with self._cond:
            while not self._stopping:
                self._promote_due_timers()
                for priority in _LANE_ORDER:
                    lane = self._lanes[priority]
                    if lane:
                        tracker_id = lane.popleft()
                        self._waiting.discard(tracker_id)
                        self._running.add(tracker_id)
                        return tracker_id
                wait = self._timers[0][0] - time.monotonic() if self._timers else None
                self._cond.wait(wait)
            return None

    def _promote_due_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, tracker_id, priority = heapq.heappop(self._timers)
            self._lanes[priority].append(tracker_id)


def _seconds_until(not_before: datetime | None) -> float:
    """Seconds from now until ``not_before`` (naive means UTC); 0 when None or past."""
    if not_before is None:
        return 0.0
    if not_before.tzinfo is None:
        not_before = not_before.replace(tzinfo=UTC)
    return max(0.0, (not_before - datetime.now(UTC)).total_seconds())
