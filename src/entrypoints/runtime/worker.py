"""``trackers worker``: RQ workers on the scrape queue's lanes, highest priority first."""

from __future__ import annotations

import logging

import redis
from rq import SimpleWorker

from entrypoints.container import ProductionContainer
from tracker_core.errors import QueueUnavailable

log = logging.getLogger("trackers.worker")


def run_worker(container: ProductionContainer, *, burst: bool = False) -> int:
    """Work the high, default and low lanes until stopped (or drained with ``burst``).

    Jobs run in this process (no fork per job), so the database pool and the HTTP client are
    reused; a job that kills the process leaves its tracker to the lease reaper.

    Raises:
        QueueUnavailable: Redis cannot be reached at start.
    """
    queue = container.queue()
    connection = container.redis()
    try:
        connection.ping()
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise QueueUnavailable(f"Redis unavailable: {type(exc).__name__}: {exc}") from None
    worker = SimpleWorker(queue.lanes, connection=connection)
    log.info("worker %s listening on %s", worker.name, queue.lane_names)
    worked = worker.work(burst=burst, with_scheduler=True)
    return 0 if worked or burst else 1
