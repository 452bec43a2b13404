"""JobQueue adapters: RQ on Redis for production, worker threads for the embedded mode."""

from adapters.queue.inline_queue import InProcessJobQueue
from adapters.queue.rq_queue import RqJobQueue, job_id_for

__all__ = ["InProcessJobQueue", "RqJobQueue", "job_id_for"]
