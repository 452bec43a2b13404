"""The job of the in-process worker tests (test_worker_in_process.py), enqueued by dotted path.

Those tests run the worker loop in the test process, so the job can call back into the test:
``HOOKS[<queue name>]`` gets the tracker id and the running RQ job.
"""

from __future__ import annotations

from collections.abc import Callable

from rq import get_current_job
from rq.job import Job

Hook = Callable[[str, Job], None]
HOOKS: dict[str, Hook] = {}

JOB_FUNC = f"{__name__}.call_hook"


def call_hook(tracker_id: str) -> None:
    job = get_current_job()
    assert job is not None, "must run inside an RQ job"
    queue_name = job.origin.rsplit(":", 1)[0]  # lanes are "<queue name>:<priority>"
    HOOKS[queue_name](tracker_id, job)
