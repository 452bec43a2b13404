"""``trackers worker``: RQ workers on the scrape queue's lanes, highest priority first."""

from __future__ import annotations

import logging

from rq import SimpleWorker

from adapters.queue.rq_queue import RqJobQueue
from entrypoints.container import Container

log = logging.getLogger("trackers.worker")


def run_worker(container: Container, *, burst: bool = False) -> int:
    """Work the high, default and low lanes until stopped (or drained with ``burst``).

    Jobs run in this process (no fork per job), so the database pool and the HTTP client are
    reused; a job that kills the process leaves its tracker to the lease reaper.
    """
    queue = container.queue()
    if not isinstance(queue, RqJobQueue):
        raise RuntimeError("trackers worker needs REDIS_URL (production mode)")
    worker = SimpleWorker(queue.lanes, connection=container.redis())
    log.info("worker %s listening on %s", worker.name, queue.lane_names)
    worked = worker.work(burst=burst, with_scheduler=True)
    return 0 if worked or burst else 1
