"""Pipeline overhead: 2,000 trackers through 2 RQ workers against the TRN simulator (no limit).

Reports trackers/second and CPU milliseconds per tracker of the worker processes, and the
ratio of that per-tracker CPU cost to an RQ no-op job run by the same workers in the same run.
Needs PostgreSQL and Redis on loopback; creates and drops its own database and keys.

    .venv/bin/python bench/bench_pipeline.py [--trackers 2000] [--rounds 3]

Each round starts the workers on an empty queue (their start-up CPU, subtracted from the
others), then on ``--trackers`` no-op jobs, then on as many new trackers' first scrapes;
the ratio is taken per round, and its median and range reported.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
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
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n = args.trackers
    client = redis.Redis.from_url(REDIS_URL)
    name = f"bench-pipeline-{uuid.uuid4().hex[:8]}"
    rounds: list[tuple[float, float, float, float, float]] = []
    served: list[float] = []  # this process's CPU per tracker while the workers scrape
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
            noop = RqJobQueue(c.redis(), queue_name=name, job_func="builtins.str")
            for r in range(args.rounds):
                # Each round measures the start-up, the no-op jobs and the scrapes (n new
                # trackers: first scrapes), so that the noise of this shared machine falls on
                # every ratio alike rather than on one phase of a single run.
                _, startup_cpu = run_workers(env)  # empty queue: imports and connections only
                noop.enqueue([f"c{r}{i:023d}" for i in range(n)], Priority.DEFAULT)
                noop_wall, noop_cpu = run_workers(env)
                for i in range(n):
                    register_trackers(
                        RegisterTrackers(
                            user_id=str(10**17 + r * n + i),
                            urls=(URL.format(f"bench{r}x{i}"),),
                        ),
                        uow=c.uow(),
                        queue=c.queue(),
                        clock=c.clock(),
                        policy=c.policy(),
                    )
                own = resource.getrusage(resource.RUSAGE_SELF)
                wall, cpu = run_workers(env)
                after = resource.getrusage(resource.RUSAGE_SELF)
                served.append(
                    (after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime) / n * 1000
                )
                rounds.append((startup_cpu, noop_wall, noop_cpu, wall, cpu))
            uow = c.uow()
            with uow:
                counts = uow.trackers.status_counts()
        finally:
            c.engine().dispose()
            for key in client.scan_iter(f"*{name}*"):
                client.delete(key)

    def spread(values: list[float], digits: int = 2) -> str:
        return (
            f"{statistics.median(values):.{digits}f} "
            f"({min(values):.{digits}f}-{max(values):.{digits}f})"
        )

    per_tracker = [(cpu - start) / n * 1000 for start, _, _, _, cpu in rounds]
    per_noop = [(noop_cpu - start) / n * 1000 for start, _, noop_cpu, _, _ in rounds]
    ratios = [t / o for t, o in zip(per_tracker, per_noop, strict=True)]
    print(
        f"trackers: {n} per round, {args.rounds} rounds, 2 workers, simulator without limit; "
        f"statuses: { {str(k): v for k, v in counts.items() if v} }"
    )
    startups = [start * 1000 for start, *_ in rounds]
    print(f"worker startup (2 processes, empty queue): {spread(startups, 0)} ms CPU")
    print(
        f"scrape pipeline: {spread([n / r[3] for r in rounds], 1)} trackers/s, "
        f"{spread(per_tracker)} ms CPU per tracker"
    )
    print(
        f"RQ no-op job:    {spread([n / r[1] for r in rounds], 1)} jobs/s, "
        f"{spread(per_noop)} ms CPU per job"
    )
    print(f"ratio per-tracker CPU / no-op job CPU, median (min-max): {spread(ratios)}")
    print(
        f"the simulator (in this process, not counted) meanwhile: {spread(served)} ms CPU per "
        "tracker, on the same two cores"
    )


if __name__ == "__main__":
    main()
