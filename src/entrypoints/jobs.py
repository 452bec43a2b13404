"""Job functions run by the workers (RQ enqueues them by dotted path)."""

from __future__ import annotations

import logging

from adapters.queue.rq_queue import RqJobQueue
from entrypoints.container import get_container
from entrypoints.shared_metrics import process_metrics
from tracker_core.use_cases.scraping import run_scrape

log = logging.getLogger("trackers.jobs")


def scrape_tracker(tracker_id: str) -> str:
    """Scrape one tracker.

    A retryable failure leaves the tracker PENDING with ``nextAttemptAt``; the reconciler
    queues it for that instant (a job cannot re-queue itself while it is still running).
    """
    c = get_container()
    queue = c.queue()
    try:
        outcome = run_scrape(
            tracker_id,
            uow=c.uow(),
            fetcher=c.fetcher(),
            clock=c.clock(),
            policy=c.policy(),
            rng=c.rng(),
        )
    finally:
        if isinstance(queue, RqJobQueue):
            queue.release(tracker_id)
    process_metrics().scrapes.labels(outcome.result).inc()
    log.info("scrape %s: %s %s", tracker_id, outcome.result, outcome.error_category or "")
    return outcome.result
