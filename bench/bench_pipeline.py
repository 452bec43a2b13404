"""Pipeline overhead: 2,000 trackers through 2 RQ workers against the TRN simulator (no limit).

Reports trackers/second and CPU milliseconds per tracker of the worker processes, and the
ratio of that per-tracker CPU cost to an RQ no-op job run by the same workers in the same run.
Needs PostgreSQL and Redis on loopback; creates and drops its own database and keys.

    .venv/bin/python bench/bench_pipeline.py [--trackers 2000]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.pg import fresh_database

from adapters.queue.rq_queue import RqJobQueue
from adapters.sql.migrate import upgrade_database
from adapters.trackergg.simulator import TrnSimulator
from entrypoints.config import load_settings
from entrypoints.container import container_for, require_production
from tracker_core.model import Priority
from tracker_core.use_cases.trackers import RegisterTrackers, register_trackers

TRACKERS = str(Path(sys.executable).parent / "trackers")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
URL = "https://rocketleague.tracker.network/rocket-league/profile/steam/{}/overview"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_workers(env: dict[str, str], count: int = 2) -> tuple[float, float]:
    """Run ``count`` burst workers until the queue is drained: (wall seconds, CPU seconds)."""
    cpu0, wall0 = children_cpu(), time.perf_counter()
    procs = [
        subprocess.Popen(
            [TRACKERS, "worker", "--burst"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    for proc in procs:
        if proc.wait(900) != 0:
            raise SystemExit(f"worker exited with {proc.returncode}")
    return time.perf_counter() - wall0, children_cpu() - cpu0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trackers", type=int, default=2000)
    n = parser.parse_args().trackers
    client = redis.Redis.from_url(REDIS_URL)
    name = f"bench-pipeline-{uuid.uuid4().hex[:8]}"
    with TrnSimulator() as sim, fresh_database("tracker_bench_pipeline") as url:
        upgrade_database(url)
        values = {
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "TRACKERS_QUEUE_NAME": name,
            "TRN_API_BASE_URL": sim.base_url,
            "TRN_RATE_LIMIT_PER_MINUTE": "10000000",
            "TRACKER_INITIAL_SEASONS": "0",
        }
        env = {**os.environ, **values}
        c = require_production(container_for(load_settings(values)), "the benchmark")
        try:
            _, startup_cpu = run_workers(env)  # empty queue: imports and connections only
            noop = RqJobQueue(c.redis(), queue_name=name, job_func="builtins.str")
            noop.enqueue([f"c{i:024d}" for i in range(n)], Priority.DEFAULT)
            noop_wall, noop_cpu = run_workers(env)
            for i in range(n):
                register_trackers(
                    RegisterTrackers(user_id=str(10**17 + i), urls=(URL.format(f"bench{i}"),)),
                    uow=c.uow(),
                    queue=c.queue(),
                    clock=c.clock(),
                    policy=c.policy(),
                )
            wall, cpu = run_workers(env)
            uow = c.uow()
            with uow:
                counts = uow.trackers.status_counts()
        finally:
            c.engine().dispose()
            for key in client.scan_iter(f"*{name}*"):
                client.delete(key)
    per_tracker = (cpu - startup_cpu) / n * 1000
    per_noop = (noop_cpu - startup_cpu) / n * 1000
    print(
        f"trackers: {n}, 2 workers, simulator without limit; statuses: "
        f"{ {str(k): v for k, v in counts.items() if v} }"
    )
    print(f"worker startup (2 processes, empty queue): {startup_cpu * 1000:.0f} ms CPU")
    print(f"scrape pipeline: {n / wall:.1f} trackers/s, {per_tracker:.2f} ms CPU per tracker")
    print(f"RQ no-op job:    {n / noop_wall:.1f} jobs/s, {per_noop:.2f} ms CPU per job")
    print(f"ratio per-tracker CPU / no-op job CPU: {per_tracker / per_noop:.1f}x")


if __name__ == "__main__":
    main()
