"""A short-lived cache of the trackers-by-status counts, shared by the units of work of a process.

Counting every live tracker grows with the table (an index-only scan of one entry per tracker);
the admin overview, ``/metrics`` and the reconciler's depth ask for it often and are content with
counts a few seconds old.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tracker_core.model import TrackerStatus

STATUS_COUNTS_MAX_AGE_SECONDS = 5.0


class StatusCountsCache:
    """The last counts read and when; at most one refresh at a time per process."""

    def __init__(
        self,
        max_age: float = STATUS_COUNTS_MAX_AGE_SECONDS,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_age = max_age
        self._now = now
        self._lock = threading.Lock()
        self._counts: dict[TrackerStatus, int] | None = None
        self._read_at = 0.0

    def get(self, count: Callable[[], dict[TrackerStatus, int]]) -> dict[TrackerStatus, int]:
        """The cached counts, or ``count()`` when they are older than ``max_age`` seconds."""
        with self._lock:
            if self._counts is None or self._now() - self._read_at >= self._max_age:
                self._counts = count()
                self._read_at = self._now()
            return dict(self._counts)
