"""The RQ job queue against a real Redis (and, for the contract, fakeredis)."""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import fakeredis
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.scheduler import RQScheduler
from tests.fakes import FakeUnitOfWork, FixedClock
from tests.integration.redis_support import (
    Names,
    closed_port,
    counting_client,
    delete_tagged_keys,
    names,
    real_redis,
    rq_redis_url,
)

from adapters.queue.rq_queue import RqJobQueue, job_id_for
from tracker_core.errors import QueueUnavailableError
from tracker_core.model import Priority, TrackerStatus
from tracker_core.policy import Policy
from tracker_core.ports import JobQueue
from tracker_core.use_cases.processing import reconcile
from tracker_core.use_cases.trackers import RegisterTrackers, register_trackers

__all__ = ["names", "real_redis", "rq_redis_url"]  # fixtures used by this module

JOBS = "tests.integration.rq_test_jobs"
# RQ times each job with SIGALRM and cancels the alarm after it, which would also cancel
# pytest-timeout's own alarm: a hung test here is ended by the timeout's thread instead.
pytestmark = [
    pytest.mark.redis,
    pytest.mark.xdist_group("timing"),
    pytest.mark.timeout(120, method="thread"),
]


@pytest.fixture(params=["redis", "fakeredis"])
def client(request: pytest.FixtureRequest, names: Names) -> redis.Redis:
    """The real Redis, or fakeredis (its Lua scripting needs the ``lupa`` package)."""
    if request.param == "redis":
        real: redis.Redis = request.getfixturevalue("real_redis")
        return real
    pytest.importorskip("lupa", reason="fakeredis runs Lua scripts with lupa")
    return fakeredis.FakeRedis(server=fakeredis.FakeServer())


def make_queue(client: redis.Redis, names: Names, **kwargs: Any) -> RqJobQueue:
    kwargs.setdefault("job_func", f"{JOBS}.record_and_release")
    return RqJobQueue(client, queue_name=names.queue_name, **kwargs)


def lane_key(names: Names, priority: Priority) -> str:
    return f"rq:queue:{names.queue_name}:{priority.value}"


def status(client: redis.Redis, names: Names, tracker_id: str) -> str | None:
    raw = client.hget(Job.key_for(job_id_for(names.queue_name, tracker_id)), "status")
    return raw.decode() if isinstance(raw, bytes) else raw


def work(client: redis.Redis, queue: RqJobQueue, names: Names) -> list[str]:
    """Run a burst worker over the lanes (alive: it has a heartbeat, as ``trackers worker``
    keeps); what the test jobs recorded."""
    worker = SimpleWorker(queue.lanes, connection=client, name=f"worker-{names.tag}")
    queue.beat(worker.name)
    worker.work(burst=True)
    queue.forget(worker.name)
    ran: list[bytes] = client.lrange(f"{names.queue_name}:ran", 0, -1)  # type: ignore[assignment]
    return [entry.decode() for entry in ran]


# The contract, on real Redis and on fakeredis.


def test_the_same_tracker_enqueued_20_times_from_4_threads_is_one_job(
    client: redis.Redis, names: Names
) -> None:
    queue: JobQueue = make_queue(client, names)
    tracker = names.tracker(1)
    barrier = threading.Barrier(4)
    counts: list[int] = []

    def hammer() -> None:
        barrier.wait(5)
        counts.append(sum(queue.enqueue([tracker], Priority.DEFAULT) for _ in range(20)))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert len(counts) == 4
    assert sum(counts) == 1
    assert client.lrange(lane_key(names, Priority.DEFAULT), 0, -1) == [
        job_id_for(names.queue_name, tracker).encode()
    ]
    assert status(client, names, tracker) == "queued"
    assert queue.is_queued(tracker)


def test_only_trackers_without_a_job_are_queued(client: redis.Redis, names: Names) -> None:
    queue = make_queue(client, names)
    first = names.trackers(3)
    more = [names.tracker(n) for n in (3, 4)]

    assert queue.enqueue(first, Priority.HIGH) == 3
    assert queue.enqueue(first + more + more, Priority.LOW) == 2

    assert queue.depth() == 5
    assert queue.lane_depths() == {Priority.HIGH: 3, Priority.DEFAULT: 0, Priority.LOW: 2}
    assert client.llen(lane_key(names, Priority.HIGH)) == 3
    assert client.llen(lane_key(names, Priority.LOW)) == 2
    assert not queue.is_queued(names.tracker(5))


def test_not_before_gives_a_scheduled_job(client: redis.Redis, names: Names) -> None:
    queue = make_queue(client, names)
    tracker = names.tracker(1)
    later = datetime.now(UTC) + timedelta(minutes=5)

    assert queue.enqueue([tracker], Priority.DEFAULT, not_before=later) == 1

    assert status(client, names, tracker) == "scheduled"
    registry = queue.lanes[1].scheduled_job_registry.key
    assert client.zscore(registry, job_id_for(names.queue_name, tracker)) == math.ceil(
        later.timestamp()
    )
    assert client.llen(lane_key(names, Priority.DEFAULT)) == 0
    assert queue.is_queued(tracker)
    assert queue.enqueue([tracker], Priority.HIGH) == 0
    assert queue.depth() == 1
    assert queue.lane_depths()[Priority.DEFAULT] == 1


def test_a_not_before_in_the_past_queues_at_once(client: redis.Redis, names: Names) -> None:
    queue = make_queue(client, names)
    earlier = datetime.now(UTC) - timedelta(minutes=5)

    assert queue.enqueue([names.tracker(1)], Priority.LOW, not_before=earlier) == 1

    assert status(client, names, names.tracker(1)) == "queued"
    assert client.llen(lane_key(names, Priority.LOW)) == 1


def test_after_redis_lost_everything_nothing_is_queued_and_enqueue_works(
    client: redis.Redis, names: Names
) -> None:
    queue = make_queue(client, names)
    trackers = names.trackers(3)
    queue.enqueue(trackers, Priority.DEFAULT)

    delete_tagged_keys(client, names.tag)  # what a flush does to this test's keys

    assert not any(queue.is_queued(t) for t in trackers)
    assert queue.depth() == 0
    assert queue.enqueue(trackers, Priority.DEFAULT) == 3


def test_the_claim_of_an_enqueuer_that_died_expires(client: redis.Redis, names: Names) -> None:
    queue = make_queue(client, names, claim_ttl=0.3)
    tracker = names.tracker(1)
    client.set(queue.marker_key(tracker), "1", px=300)  # claimed, then the process died

    assert queue.is_queued(tracker)
    assert queue.enqueue([tracker], Priority.DEFAULT) == 0
    time.sleep(0.4)
    assert not queue.is_queued(tracker)
    assert queue.enqueue([tracker], Priority.DEFAULT) == 1


def test_a_job_waiting_longer_than_the_claim_stays_the_only_one(
    client: redis.Redis, names: Names
) -> None:
    queue = make_queue(client, names, claim_ttl=0.2)
    tracker = names.tracker(1)
    queue.enqueue([tracker], Priority.LOW)
    queue.enqueue([names.tracker(2)], Priority.LOW, not_before=datetime.now(UTC) + timedelta(1))
    time.sleep(0.3)  # the claims expired; the jobs still wait

    assert not client.exists(queue.marker_key(tracker))
    assert queue.is_queued(tracker)
    assert queue.enqueue([tracker, names.tracker(2)], Priority.HIGH) == 0
    assert queue.depth() == 2


def test_a_tracker_id_unfit_for_a_job_id_is_refused(client: redis.Redis, names: Names) -> None:
    queue = make_queue(client, names)
    with pytest.raises(ValueError):
        queue.enqueue([names.tracker(1), "bad:id"], Priority.DEFAULT)
    assert queue.depth() == 0
    assert not queue.is_queued(names.tracker(1))


# Real Redis only: round trips, RQ workers and scheduler, an unreachable server.


def test_bulk_enqueue_is_two_round_trips_whatever_the_count(
    rq_redis_url: str, real_redis: redis.Redis, names: Names
) -> None:
    counted, trips = counting_client(rq_redis_url)
    queue = make_queue(counted, names)
    queue.enqueue([names.tracker(999_999)], Priority.DEFAULT)  # connect, load script, version

    for start, count in ((0, 10), (10, 2000)):
        trips.count = 0
        ids = [names.tracker(n) for n in range(start, start + count)]
        assert queue.enqueue(ids, Priority.DEFAULT) == count
        assert trips.count == 2  # the claim script, then one MULTI/EXEC pipeline

    trips.count = 0
    later = datetime.now(UTC) + timedelta(hours=1)
    assert queue.enqueue(names.trackers(3000), Priority.LOW, not_before=later) == 990
    assert trips.count == 2
    assert real_redis.llen(lane_key(names, Priority.DEFAULT)) == 2011
    counted.close()


def test_re_enqueueing_failed_jobs_in_bulk_stays_two_round_trips(
    rq_redis_url: str, real_redis: redis.Redis, names: Names
) -> None:
    queue = make_queue(real_redis, names, job_func=f"{JOBS}.release_then_fail")
    trackers = names.trackers(50)
    queue.enqueue(trackers, Priority.DEFAULT)
    work(real_redis, queue, names)
    assert {status(real_redis, names, t) for t in trackers} == {"failed"}
    failed = queue.lanes[1].failed_job_registry

    counted, trips = counting_client(rq_redis_url)
    again = make_queue(counted, names)
    again.enqueue([names.tracker(999_999)], Priority.DEFAULT)  # warm up
    trips.count = 0
    assert again.enqueue(trackers, Priority.DEFAULT) == 50
    assert trips.count == 2
    assert {status(real_redis, names, t) for t in trackers} == {"queued"}
    assert failed.get_job_ids() == []
    counted.close()


def test_workers_take_high_then_default_then_low_and_release_frees_the_tracker(
    real_redis: redis.Redis, names: Names
) -> None:
    queue = make_queue(real_redis, names)
    low, default, high = names.trackers(3)
    queue.enqueue([low], Priority.LOW)
    queue.enqueue([default], Priority.DEFAULT)
    queue.enqueue([high], Priority.HIGH)

    assert work(real_redis, queue, names) == [high, default, low]

    assert not any(queue.is_queued(t) for t in (low, default, high))
    assert real_redis.exists(Job.key_for(job_id_for(names.queue_name, high))) == 0  # result_ttl 0
    assert queue.enqueue([low, default, high], Priority.HIGH) == 3


def test_a_finished_job_kept_by_result_ttl_does_not_block_a_new_one(
    real_redis: redis.Redis, names: Names
) -> None:
    queue = make_queue(real_redis, names, result_ttl=600)
    tracker = names.tracker(1)
    queue.enqueue([tracker], Priority.DEFAULT)
    work(real_redis, queue, names)
    finished = queue.lanes[1].finished_job_registry
    assert status(real_redis, names, tracker) == "finished"
    assert finished.get_job_ids() == [job_id_for(names.queue_name, tracker)]

    assert queue.enqueue([tracker], Priority.DEFAULT) == 1

    assert status(real_redis, names, tracker) == "queued"
    assert finished.get_job_ids() == []
    assert Job.fetch(job_id_for(names.queue_name, tracker), connection=real_redis).ended_at is None
    assert work(real_redis, queue, names) == [tracker, tracker]


def test_a_running_job_counts_as_queued(real_redis: redis.Redis, names: Names) -> None:
    queue = make_queue(real_redis, names, job_func=f"{JOBS}.try_to_requeue_itself")
    tracker = names.tracker(1)
    queue.enqueue([tracker], Priority.DEFAULT)

    assert work(real_redis, queue, names) == [f"{tracker} queued=True", f"{tracker} enqueued=0"]
    assert not queue.is_queued(tracker)
    assert queue.depth() == 0


def test_the_depth_survives_redis_dropping_its_connection(
    rq_redis_url: str, real_redis: redis.Redis, names: Names
) -> None:
    own = f"depth-{names.tag}"  # only this test's connections are dropped (Redis is shared)
    client = redis.Redis.from_url(rq_redis_url, socket_timeout=5, client_name=own)
    queue = make_queue(client, names)
    queue.enqueue([names.tracker(1)], Priority.LOW)
    assert queue.depth() == 1
    for found in real_redis.client_list():
        if found["name"] == own:
            real_redis.client_kill_filter(_id=found["id"])
    queue.enqueue([names.tracker(2)], Priority.HIGH)
    assert queue.depth() == 2
    assert queue.lane_depths() == {Priority.HIGH: 1, Priority.DEFAULT: 0, Priority.LOW: 1}


def test_rq_scheduler_moves_a_deferred_job_to_its_lane_when_due(
    real_redis: redis.Redis, names: Names
) -> None:
    queue = make_queue(real_redis, names)
    tracker = names.tracker(1)
    queue.enqueue([tracker], Priority.HIGH, not_before=datetime.now(UTC) + timedelta(seconds=0.5))
    scheduler = RQScheduler(queue.lane_names, connection=real_redis, name=f"sched-{names.tag}")
    scheduler.acquire_locks()

    scheduler.enqueue_scheduled_jobs()
    assert status(real_redis, names, tracker) == "scheduled"
    time.sleep(1.6)  # RQ works in whole seconds; our score is rounded up
    scheduler.enqueue_scheduled_jobs()

    assert status(real_redis, names, tracker) == "queued"
    assert work(real_redis, queue, names) == [tracker]
    scheduler.release_locks()


def test_an_unreachable_redis_is_queue_unavailable(names: Names) -> None:
    client = redis.Redis(
        host="127.0.0.1",
        port=closed_port(),
        socket_connect_timeout=0.5,
        socket_timeout=0.5,
        retry=Retry(NoBackoff(), 0),  # redis-py's default retries take seconds per call
    )
    queue = make_queue(client, names)
    calls = {
        "enqueue": lambda: queue.enqueue([names.tracker(1)], Priority.DEFAULT),
        "is_queued": lambda: queue.is_queued(names.tracker(1)),
        "depth": queue.depth,
        "release": lambda: queue.release(names.tracker(1)),
    }
    started = time.monotonic()
    for name, call in calls.items():
        with pytest.raises(QueueUnavailableError, match="unavailable"):
            call()
        assert name
    assert time.monotonic() - started < 10


# Jobs RQ calls live but that are dead: the reconciler must be able to queue their trackers.


def _take_like_a_worker(client: redis.Redis, queue: RqJobQueue, name: str) -> Job:
    """What an RQ worker does before running a job: pop it and mark it started (then it dies)."""
    result = Queue.dequeue_any(queue.lanes, None, connection=client)
    assert result is not None
    job, _ = result
    worker = SimpleWorker(queue.lanes, connection=client, name=name)
    worker.prepare_execution(job)
    worker.prepare_job_execution(job)
    return job


def test_a_started_job_whose_worker_died_is_dropped_and_queued_again(
    client: redis.Redis, names: Names
) -> None:
    queue = make_queue(client, names)
    alive, dead = names.tracker(1), names.tracker(2)
    queue.enqueue([alive, dead], Priority.DEFAULT)
    _take_like_a_worker(client, queue, f"alive-{names.tag}")
    _take_like_a_worker(client, queue, f"dead-{names.tag}")
    queue.beat(f"alive-{names.tag}")
    started = queue.lanes[1].started_job_registry
    assert len(started.get_job_ids(cleanup=False)) == 2

    assert queue.enqueue([alive, dead], Priority.DEFAULT) == 1  # only the dead worker's tracker

    assert (status(client, names, alive), status(client, names, dead)) == ("started", "queued")
    assert started.get_job_ids(cleanup=False) == [job_id_for(names.queue_name, alive)]
    assert client.keys(f"rq:execution:{job_id_for(names.queue_name, dead)}*") == []
    assert client.lrange(lane_key(names, Priority.DEFAULT), 0, -1) == [
        job_id_for(names.queue_name, dead).encode()
    ]
    assert queue.enqueue([dead], Priority.DEFAULT) == 0  # queued again: live


def test_a_worker_that_stops_beating_counts_as_dead(client: redis.Redis, names: Names) -> None:
    queue = make_queue(client, names)
    tracker, worker = names.tracker(1), f"w-{names.tag}"
    queue.enqueue([tracker], Priority.DEFAULT)
    _take_like_a_worker(client, queue, worker)
    queue.beat(worker)
    assert queue.enqueue([tracker], Priority.DEFAULT) == 0
    queue.forget(worker)  # what expiry of the heartbeat does
    assert queue.enqueue([tracker], Priority.DEFAULT) == 1


def test_a_queued_job_in_no_lane_is_queued_again_after_the_grace(
    client: redis.Redis, names: Names
) -> None:
    patient = make_queue(client, names, lost_grace=3600)
    queue = make_queue(client, names, lost_grace=0)
    tracker, waiting = names.tracker(1), names.tracker(2)
    queue.enqueue([tracker], Priority.DEFAULT, not_before=datetime.now(UTC) + timedelta(hours=1))
    queue.enqueue([waiting], Priority.LOW)
    client.delete(lane_key(names, Priority.LOW), queue.lanes[1].scheduled_job_registry.key)
    client.rpush(lane_key(names, Priority.LOW), job_id_for(names.queue_name, waiting))

    # first seen lost: not yet (a worker may have just popped it); the listed one is live
    assert patient.enqueue([tracker, waiting], Priority.DEFAULT) == 0
    assert patient.enqueue([tracker, waiting], Priority.DEFAULT) == 0  # within the grace
    assert queue.enqueue([tracker, waiting], Priority.DEFAULT) == 1
    assert (status(client, names, tracker), status(client, names, waiting)) == ("queued", "queued")
    assert work(client, queue, names) == [tracker, waiting]  # default lane before low


def test_a_scheduled_job_no_scheduler_moved_is_queued_again_after_the_grace(
    client: redis.Redis, names: Names
) -> None:
    """The worker holding RQ's scheduler lock was killed: its due jobs stay in the scheduled
    registry (the lock outlives it by a minute); after the grace the reconciler's enqueue
    drops such a job and queues the tracker in its lane."""
    patient = make_queue(client, names, lost_grace=3600)
    queue = make_queue(client, names, lost_grace=5)
    overdue, due_now, later = names.tracker(1), names.tracker(2), names.tracker(3)
    soon = datetime.now(UTC) + timedelta(hours=1)
    queue.enqueue([overdue, due_now, later], Priority.DEFAULT, not_before=soon)
    registry = queue.lanes[1].scheduled_job_registry.key
    now = time.time()
    client.zadd(registry, {job_id_for(names.queue_name, overdue): math.floor(now - 60)})
    client.zadd(registry, {job_id_for(names.queue_name, due_now): math.floor(now - 1)})

    assert patient.enqueue([overdue, due_now, later], Priority.DEFAULT) == 0
    assert queue.enqueue([overdue, due_now, later], Priority.DEFAULT) == 1
    assert [status(client, names, t) for t in (overdue, due_now, later)] == [
        "queued",
        "scheduled",  # due a second ago: RQ's scheduler may still be on its way
        "scheduled",
    ]
    assert client.lrange(lane_key(names, Priority.DEFAULT), 0, -1) == [
        job_id_for(names.queue_name, overdue).encode()
    ]
    assert work(client, queue, names) == [overdue]


def test_discard_drops_dead_jobs_and_leaves_a_live_workers_job(
    client: redis.Redis, names: Names
) -> None:
    queue = make_queue(client, names)
    alive, dead = names.tracker(1), names.tracker(2)
    queue.enqueue([alive, dead], Priority.DEFAULT)
    _take_like_a_worker(client, queue, f"alive-{names.tag}")
    _take_like_a_worker(client, queue, f"dead-{names.tag}")
    queue.beat(f"alive-{names.tag}")

    queue.discard([alive, dead])

    assert (status(client, names, alive), status(client, names, dead)) == ("started", None)
    assert queue.lanes[1].started_job_registry.get_job_ids(cleanup=False) == [
        job_id_for(names.queue_name, alive)
    ]
    assert queue.enqueue([alive, dead], Priority.DEFAULT) == 1


def test_the_reconciler_queues_again_a_tracker_whose_worker_died_before_claiming_it(
    real_redis: redis.Redis, names: Names
) -> None:
    uow, clock = FakeUnitOfWork(), FixedClock(datetime(2026, 3, 1, tzinfo=UTC))
    queue = make_queue(real_redis, names)
    url = "https://rocketleague.tracker.network/rocket-league/profile/steam/{}/overview"
    [tracker] = register_trackers(
        RegisterTrackers(user_id="100000000000000001", urls=(url.format(names.tag),)),
        uow=uow,
        queue=queue,
        clock=clock,
        policy=Policy(),
    )
    _take_like_a_worker(real_redis, queue, f"killed-{names.tag}")  # killed before the claim
    with uow:
        stored = uow.trackers.get(tracker.id)
    assert (
        stored is not None
        and stored.scraping_status == TrackerStatus.PENDING
        and stored.version == 0
    )

    result = reconcile(uow=uow, queue=queue, clock=clock, policy=Policy())

    assert result.requeued == 1
    assert status(real_redis, names, tracker.id) == "queued"
    assert reconcile(uow=uow, queue=queue, clock=clock, policy=Policy()).requeued == 0


def test_a_big_batch_finds_the_one_job_missing_from_its_lane(
    client: redis.Redis, names: Names
) -> None:
    queue = make_queue(client, names, lost_grace=0)
    trackers = names.trackers(12)  # more than 8: the lane is read once, not searched per job
    queue.enqueue(trackers, Priority.DEFAULT)
    client.lrem(lane_key(names, Priority.DEFAULT), 0, job_id_for(names.queue_name, trackers[5]))

    assert queue.enqueue(trackers, Priority.DEFAULT) == 0  # first seen missing
    assert queue.enqueue(trackers, Priority.DEFAULT) == 1
    assert client.llen(lane_key(names, Priority.DEFAULT)) == 12
