"""Workers outlive Redis: a worker started while Redis is down waits for it; a busy or idle
worker whose Redis goes away and comes back (empty) resumes, and says so once per change.

Each test runs its own redis-server on a free port and stops and restarts it by PID.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.integration.private_redis import PrivateRedis, private_redis

from adapters.queue.rq_queue import RqJobQueue
from tracker_core.model import Priority

__all__ = ["private_redis"]
pytestmark = pytest.mark.slow

JOBS = "tests.integration.outage_worker"


def _wait(check: Callable[[], bool], seconds: float, what: str) -> float:
    """Poll until ``check``; the seconds it took."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - started


class Worker:
    """``work_lanes`` in a process group of its own, its log in a file."""

    def __init__(self, redis_url: str, queue_name: str, workdir: Path, *args: str) -> None:
        self.log_path = workdir / "worker.log"
        self.log_file = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", JOBS, redis_url, queue_name, *args],
            env={**os.environ, "OUTAGE_TEST_DIR": str(workdir)},
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def count(self, text: str) -> int:
        return self.log().count(text)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the worker and RQ's scheduler beside it
            self.proc.wait(10)
        self.log_file.close()
        print(f"--- worker log ---\n{self.log()}")  # pytest shows it when the test failed


@pytest.fixture
def setup(private_redis: PrivateRedis, tmp_path: Path) -> Iterator[tuple[PrivateRedis, Path, str]]:
    yield private_redis, tmp_path, f"outage-{uuid.uuid4().hex[:8]}"


def _blocked_clients(server: PrivateRedis) -> int:
    with server.client() as client:
        blocked: int = client.info("clients")["blocked_clients"]
    return blocked


def _queue(server: PrivateRedis, queue_name: str, job: str) -> RqJobQueue:
    return RqJobQueue(server.client(), queue_name=queue_name, job_func=f"{JOBS}.{job}")


def test_a_worker_started_while_redis_is_down_waits_then_works(
    setup: tuple[PrivateRedis, Path, str],
) -> None:
    server, workdir, queue_name = setup
    worker = Worker(server.url, queue_name, workdir)
    try:
        _wait(lambda: worker.count("Redis unavailable") == 1, 20, "the waiting line")
        assert worker.proc.poll() is None
        server.start()
        assert _queue(server, queue_name, "record").enqueue(["t1"], Priority.DEFAULT) == 1
        took = _wait(lambda: (workdir / "ran-t1").exists(), 20, "the job to run")
        print(f"started while Redis was down: a job ran {took:.1f} s after Redis came up")
        assert worker.proc.poll() is None
        assert worker.count("Redis unavailable") == 1
        assert worker.count("Redis reachable again; worker resuming") == 1
    finally:
        worker.stop()


def test_exit_on_unavailable_exits_at_once(setup: tuple[PrivateRedis, Path, str]) -> None:
    server, workdir, queue_name = setup
    worker = Worker(server.url, queue_name, workdir, "--exit-on-unavailable")
    try:
        assert worker.proc.wait(20) == 1
        assert "Redis unavailable: ConnectionError" in worker.log()
    finally:
        worker.stop()


def test_busy_and_idle_workers_survive_redis_restarts(
    setup: tuple[PrivateRedis, Path, str],
) -> None:
    server, workdir, queue_name = setup
    server.start()
    worker = Worker(server.url, queue_name, workdir)
    try:
        assert _queue(server, queue_name, "busy_until_go").enqueue(["busy"], Priority.DEFAULT) == 1
        _wait(lambda: (workdir / "started-busy").exists(), 20, "the busy job to start")

        server.stop()  # Redis dies under a busy worker
        (workdir / "go").touch()
        _wait(lambda: (workdir / "ran-busy").exists(), 20, "the busy job's own work to end")
        _wait(lambda: worker.count("Redis unavailable") >= 1, 20, "the worker to notice")
        server.start()  # back, empty
        assert _queue(server, queue_name, "record").enqueue(["after-busy"], Priority.DEFAULT) == 1
        took = _wait(lambda: (workdir / "ran-after-busy").exists(), 30, "a job after the outage")
        print(f"busy worker: a job ran {took:.1f} s after Redis came back")
        assert worker.proc.poll() is None

        _wait(lambda: worker.count("Job OK") == 1, 20, "the job's bookkeeping to end")
        # idle: RQ's worker is back in its wait for a job, a BLPOP (after a job it still talks to
        # Redis outside that wait, and an outage then ends that RQ worker, as under a busy one)
        _wait(lambda: _blocked_clients(server) == 1, 20, "RQ's worker to wait for a job")
        before = worker.count("could not connect to Redis")
        assert before <= 1  # at most once for the first outage, however many retries

        server.stop()  # Redis dies under an idle worker
        _wait(lambda: worker.count("could not connect to Redis") == before + 1, 30, "the idle one")
        server.start()
        assert _queue(server, queue_name, "record").enqueue(["after-idle"], Priority.DEFAULT) == 1
        took = _wait(
            lambda: (workdir / "ran-after-idle").exists(), 30, "a job after the 2nd outage"
        )
        print(f"idle worker: a job ran {took:.1f} s after Redis came back")
        _wait(lambda: worker.count("Job OK") == 2, 20, "the second job's bookkeeping to end")
        assert worker.proc.poll() is None
        log = worker.log()
        assert log.count("could not connect to Redis") == before + 1, log  # one per outage
        assert "Traceback" not in log, log
    finally:
        worker.stop()


@pytest.mark.parametrize("busy", [False, True], ids=["idle", "busy"])
def test_a_sigterm_stops_the_worker_with_exit_0(
    setup: tuple[PrivateRedis, Path, str], busy: bool
) -> None:
    """A supervisor's stop (SIGTERM to the worker's PID) ends it, idle or after its job; it is
    not taken for a crash that starts a fresh worker."""
    server, workdir, queue_name = setup
    server.start()
    worker = Worker(server.url, queue_name, workdir)
    try:
        _wait(lambda: worker.count("*** Listening on") == 1, 30, "the worker to listen")
        if busy:
            assert (
                _queue(server, queue_name, "busy_until_go").enqueue(["busy"], Priority.DEFAULT) == 1
            )
            _wait(lambda: (workdir / "started-busy").exists(), 20, "the busy job to start")
        worker.proc.send_signal(signal.SIGTERM)
        if busy:
            (workdir / "go").touch()
        try:
            code = worker.proc.wait(20)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the worker did not stop within 20 s\n{worker.log()}")
        assert code == 0, worker.log()
        log = worker.log()
        assert "quit unexpectedly" not in log, log
        assert log.count("listening on") == 1, log  # no fresh worker was started
        if busy:
            assert (workdir / "ran-busy").exists()  # the job it was running was finished
    finally:
        worker.stop()
