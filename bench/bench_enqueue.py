"""Enqueue N trackers (default 15,000) through RqJobQueue vs a raw redis-py pipeline (issue 5).

The baseline pushes the same number of equivalent jobs in one pipeline: per job one HSET of
the fields RQ stores (the call pickled and zlib-compressed, as RQ does) and one RPUSH. It does
no deduplication, so the ratio includes RqJobQueue's claim round trip.

    .venv/bin/python bench/bench_enqueue.py [--count 15000] [--rounds 5] [--redis-url URL]

Uses queue names and tracker ids of its own (a random tag) and deletes its keys afterwards.
Exits 1 when RqJobQueue takes more than twice the faster baseline.
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import time
import uuid
import zlib
from collections.abc import Callable
from datetime import UTC, datetime

import redis

from adapters.queue.rq_queue import DEFAULT_JOB_FUNC, RqJobQueue, job_id_for
from tracker_core.model import Priority


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def raw_enqueue(
    client: redis.Redis, lane: str, tracker_ids: list[str], *, one_push: bool = False
) -> None:
    """The baseline: one pipeline, an HSET per job, and an RPUSH per job (or one for all)."""
    with client.pipeline() as pipe:
        pipe.sadd("rq:queues", f"rq:queue:{lane}")
        for tracker_id in tracker_ids:
            job_id = job_id_for(lane, tracker_id)
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            call: tuple[str, None, tuple[str], dict[str, object]] = (
                DEFAULT_JOB_FUNC,
                None,
                (tracker_id,),
                {},
            )
            pipe.hset(
                f"rq:job:{job_id}",
                mapping={
                    "created_at": stamp,
                    "enqueued_at": stamp,
                    "data": zlib.compress(pickle.dumps(call)),
                    "origin": lane,
                    "description": f"{DEFAULT_JOB_FUNC}('{tracker_id}')",
                    "status": "queued",
                    "timeout": 600,
                    "result_ttl": 0,
                    "failure_ttl": 604800,
                },
            )
            if not one_push:
                pipe.rpush(f"rq:queue:{lane}", job_id)
        if one_push:
            pipe.rpush(f"rq:queue:{lane}", *(job_id_for(lane, t) for t in tracker_ids))
        pipe.execute()


def cleanup(client: redis.Redis, tag: str) -> None:
    keys = list(client.scan_iter(match=f"*{tag}*", count=5000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])
    members = [m for m in client.smembers("rq:queues") if tag.encode() in m]
    if members:
        client.srem("rq:queues", *members)


LIMIT = 2.0
VARIANTS = ("RqJobQueue.enqueue", "raw, RPUSH per job", "raw, one RPUSH")


def one_round(client: redis.Redis, count: int) -> list[tuple[float, float]]:
    """(wall, cpu) of each variant, each on fresh names."""
    tag = uuid.uuid4().hex[:10]
    try:
        queue = RqJobQueue(client, queue_name=f"bench-{tag}")
        queue.enqueue([f"w{tag}"], Priority.DEFAULT)  # warm up: script cached, server version
        ids = [f"c{tag}q{n:07d}" for n in range(count)]
        ours = timed(lambda: queue.enqueue(ids, Priority.DEFAULT))
        if client.llen(f"rq:queue:bench-{tag}:default") != count + 1:
            raise SystemExit("RqJobQueue did not queue every tracker")
        per_job = [f"c{tag}r{n:07d}" for n in range(count)]
        raw = timed(lambda: raw_enqueue(client, f"bench-raw-{tag}:default", per_job))
        batched = [f"c{tag}b{n:07d}" for n in range(count)]
        one_push = timed(
            lambda: raw_enqueue(client, f"bench-one-{tag}:default", batched, one_push=True)
        )
        return [ours, raw, one_push]
    finally:
        cleanup(client, tag)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=15_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    client = redis.Redis.from_url(args.redis_url)
    rounds = [one_round(client, args.count) for _ in range(args.rounds)]
    client.close()
    walls = [statistics.median(r[i][0] for r in rounds) for i in range(len(VARIANTS))]
    cpus = [statistics.median(r[i][1] for r in rounds) for i in range(len(VARIANTS))]
    print(f"{args.count} trackers, median of {args.rounds} rounds")
    for name, wall, cpu in zip(VARIANTS, walls, cpus, strict=True):
        per = wall / args.count * 1e6
        print(f"{name:<20} {wall:7.3f} s wall {cpu:7.3f} s CPU {per:6.1f} µs/tracker")
    for name, wall in zip(VARIANTS[1:], walls[1:], strict=True):
        print(f"ratio vs {name:<20} {walls[0] / wall:5.2f}x (limit {LIMIT}x)")
    if walls[0] / min(walls[1:]) > LIMIT:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
