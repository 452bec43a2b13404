"""Job functions the RQ integration tests enqueue by dotted path, as production does with
``entrypoints.runtime.jobs.scrape_tracker``. Each records what it saw under ``<queue name>:ran``."""

from __future__ import annotations

import redis
from rq import get_current_job

from adapters.queue.rq_queue import RqJobQueue
from tracker_core.model import Priority


def _context() -> tuple[redis.Redis, RqJobQueue, str]:
    job = get_current_job()
    assert job is not None, "must run inside an RQ job"
    queue_name = job.origin.rsplit(":", 1)[0]  # lanes are "<queue name>:<priority>"
    connection: redis.Redis = job.connection
    return connection, RqJobQueue(connection, queue_name=queue_name), queue_name


def record_and_release(tracker_id: str) -> None:
    """What a scrape job does at its end: release the tracker's claim."""
    connection, queue, queue_name = _context()
    connection.rpush(f"{queue_name}:ran", tracker_id)
    queue.release(tracker_id)


def try_to_requeue_itself(tracker_id: str) -> None:
    """Records whether the running job counts as queued and whether enqueueing it again works."""
    connection, queue, queue_name = _context()
    again = queue.enqueue([tracker_id], Priority.HIGH)
    connection.rpush(f"{queue_name}:ran", f"{tracker_id} queued={queue.is_queued(tracker_id)}")
    connection.rpush(f"{queue_name}:ran", f"{tracker_id} enqueued={again}")
    queue.release(tracker_id)


def release_then_fail(tracker_id: str) -> None:
    """A job that fails in RQ's eyes (after releasing, as a ``finally`` would)."""
    _, queue, _ = _context()
    queue.release(tracker_id)
    raise RuntimeError(f"job for {tracker_id} failed on purpose")
