"""Queue adapter of one-shot commands in the embedded mode: the serving process does the work."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from tracker_core.model import Priority, TrackerStatus
from tracker_core.ports import UnitOfWork


class ReconcilerQueue:
    """Embedded-mode queue of one-shot CLI commands.

    The in-process queue lives in the ``trackers serve`` process; a command only leaves its
    trackers PENDING in the database, where that process's reconciler picks them up.
    """

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self._uow_factory = uow_factory

    def enqueue(
        self, tracker_ids: Sequence[str], priority: Priority, *, not_before: datetime | None = None
    ) -> int:
        """Nothing to send: the trackers are PENDING in the database already."""
        return len(tracker_ids)

    def is_queued(self, tracker_id: str) -> bool:
        """Unknown from here: the serving process deduplicates its own queue."""
        return False

    def depth(self) -> int:
        """PENDING trackers: what the serving process still has to work through."""
        with self._uow_factory() as uow:
            return uow.trackers.status_counts().get(TrackerStatus.PENDING, 0)

    def lane_depths(self) -> dict[Priority, int]:
        """Unknown from here: the lanes are in the serving process's memory."""
        return {}

    def discard(self, tracker_ids: Sequence[str]) -> None:
        """Nothing to forget: no job of this process runs (the reconciler is the server's)."""
