"""Helpers shared by the use-case modules."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from tracker_core.errors import NotFoundError, QueueUnavailableError
from tracker_core.guilds import User, UserProfile
from tracker_core.model import Priority, Tracker
from tracker_core.ports import JobQueue, UnitOfWork

log = logging.getLogger("tracker_core")

TRACKER_NOT_FOUND = "Tracker not found"


def live_tracker(uow: UnitOfWork, tracker_id: str) -> Tracker:
    """The non-deleted tracker; deleted ones are 404 to users.

    Raises:
        NotFoundError: no such tracker, or it is deleted.
    """
    tracker = uow.trackers.get(tracker_id)
    if tracker is None or tracker.is_deleted:
        raise NotFoundError(TRACKER_NOT_FOUND)
    return tracker


def upsert_user(uow: UnitOfWork, user_id: str, profile: UserProfile | None, now: datetime) -> User:
    """The user, created or updated with only the supplied fields."""
    user = uow.users.get(user_id)
    if user is None:
        user = (profile or UserProfile()).new_user(user_id, now)
        uow.users.add(user)
    elif profile is not None and user.apply_profile(profile, now):
        uow.users.save(user)
    return user


def enqueue_after_commit(
    queue: JobQueue, ids: Sequence[str], priority: Priority, *, not_before: datetime | None = None
) -> int:
    """Queue committed work; if the queue is down, the reconciler will queue it later."""
    if not ids:
        return 0
    try:
        return queue.enqueue(ids, priority, not_before=not_before)
    except QueueUnavailableError as exc:
        log.warning("queue unavailable, %d tracker(s) left to the reconciler: %s", len(ids), exc)
        return 0
