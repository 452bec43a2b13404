"""A ``trackers worker`` loop over a test queue, run as its own process by the outage tests.

Usage: python -m tests.integration.outage_worker <redis url> <queue name> [--exit-on-unavailable]
The jobs (below) record what they do as files in ``$OUTAGE_TEST_DIR``, not in Redis, so the
test can see them while Redis is down.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

import redis

from adapters.queue.rq_queue import RqJobQueue
from entrypoints.runtime.worker import work_lanes


def _dir() -> Path:
    return Path(os.environ["OUTAGE_TEST_DIR"])


def record(tracker_id: str) -> None:
    """A quick job: it leaves ``ran-<tracker id>``."""
    (_dir() / f"ran-{tracker_id}").touch()


def busy_until_go(tracker_id: str) -> None:
    """A long job: ``started-<id>``, then it waits for the test's ``go`` file, then ``ran-<id>``."""
    (_dir() / f"started-{tracker_id}").touch()
    deadline = time.monotonic() + 60
    while not (_dir() / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    (_dir() / f"ran-{tracker_id}").touch()


def main() -> int:
    url, queue_name = sys.argv[1], sys.argv[2]
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(message)s")
    connection = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=5)
    queue = RqJobQueue(
        connection, queue_name=queue_name, job_func=f"{__name__}.record", worker_ttl=3
    )
    return work_lanes(
        queue,
        connection,
        exit_on_unavailable="--exit-on-unavailable" in sys.argv,
        backoff_cap=0.5,
    )


if __name__ == "__main__":
    sys.exit(main())
