"""Background processing against real PostgreSQL, Redis and the TRN simulator (issue 5)."""

from __future__ import annotations

import os
import random
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from rq import SimpleWorker
from rq.job import Job
from tests.fakes import FixedClock
from tests.pg import fresh_database

from adapters.clock import SystemClock
from adapters.queue.rq_queue import RqJobQueue, job_id_for
from adapters.sql.migrate import upgrade_database
from adapters.sql.unit_of_work import SqlAlchemyUnitOfWork
from adapters.trackergg.simulator import Behaviour, TrnSimulator
from entrypoints.config import load_settings
from entrypoints.container import (
    ProductionContainer,
    container_for,
    require_production,
    set_container,
)
from tracker_core.guilds import Guild
from tracker_core.model import TrackerStatus
from tracker_core.policy import Policy
from tracker_core.schedules import ScheduleStatus
from tracker_core.use_cases.processing import reconcile
from tracker_core.use_cases.schedules import (
    CreateSchedule,
    cancel_schedule,
    create_schedule,
    run_due_schedules,
)
from tracker_core.use_cases.scraping import run_scrape
from tracker_core.use_cases.trackers import RegisterTrackers, register_trackers

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.xdist_group("timing")]
URL = "https://rocketleague.tracker.network/rocket-league/profile/steam/{}/overview"
GUILD = "100000000000000001"


def _redis() -> redis.Redis:
    client = redis.Redis.from_url(
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), socket_connect_timeout=2
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis unreachable: {exc}")
        pytest.skip(f"Redis unreachable: {exc}")
    return client


@pytest.fixture
def simulator() -> Iterator[TrnSimulator]:
    with TrnSimulator() as sim:
        yield sim


@pytest.fixture
def container(simulator: TrnSimulator) -> Iterator[ProductionContainer]:
    client = _redis()
    name = f"test-pipeline-{uuid.uuid4().hex[:8]}"
    with fresh_database("tracker_pipeline") as url:
        upgrade_database(url)
        settings = load_settings(
            {},
            database_url=url,
            redis_url="redis://127.0.0.1:6379/0",
            trn_api_base_url=simulator.base_url,
            trn_rate_limit_per_minute=100_000,
            tracker_initial_seasons=0,
            queue_name=name,
        )
        c = require_production(container_for(settings), "the pipeline test")
        set_container(c)
        try:
            yield c
        finally:
            set_container(None)
            c.engine().dispose()
            for key in client.scan_iter(f"*{name}*"):
                client.delete(key)


def _register(c: ProductionContainer, count: int) -> list[str]:
    ids = []
    for i in range(count):
        [t] = register_trackers(
            RegisterTrackers(user_id=str(10**17 + i), urls=(URL.format(f"player{i}"),)),
            uow=c.uow(),
            queue=c.queue(),
            clock=c.clock(),
            policy=c.policy(),
        )
        ids.append(t.id)
    return ids


def _statuses(c: ProductionContainer, ids: list[str]) -> dict[str, int]:
    uow = c.uow()
    with uow:
        found = uow.trackers.get_many(ids)
    counts: dict[str, int] = {}
    for t in found:
        counts[t.scraping_status] = counts.get(t.scraping_status, 0) + 1
    return counts


def _drain(c: ProductionContainer) -> None:
    queue = c.queue()
    assert isinstance(queue, RqJobQueue)
    SimpleWorker(queue.lanes, connection=c.redis()).work(burst=True)


@pytest.mark.slow
def test_redis_losing_every_queued_job_strands_nothing(container: ProductionContainer) -> None:
    ids = _register(container, 500)
    queue = container.queue()
    assert queue.depth() == 500
    name = container.settings().queue_name
    lost = [Job.key_for(job_id_for(name, i)) for i in ids]
    lost += list(container.redis().scan_iter(f"*{container.settings().queue_name}*"))
    container.redis().delete(*lost)  # what a FLUSHALL does to this test's keys
    assert queue.depth() == 0
    result = reconcile(
        uow=container.uow(), queue=queue, clock=container.clock(), policy=container.policy()
    )
    assert result.requeued == 500
    _drain(container)
    assert _statuses(container, ids) == {TrackerStatus.COMPLETED: 500}
    uow = container.uow()
    with uow:
        assert all(len(uow.snapshots.for_tracker(i)) == 1 for i in ids[:20])


def test_two_schedulers_run_each_due_schedule_exactly_once(container: ProductionContainer) -> None:
    c = container
    clock = FixedClock(datetime.now(UTC))
    uow = c.uow()
    with uow:
        uow.guilds.add(
            Guild(id=GUILD, name="League", created_at=clock.now(), updated_at=clock.now())
        )
        uow.commit()
    ids = [
        create_schedule(
            CreateSchedule(
                guild_id=GUILD, scheduled_at=clock.now() + timedelta(seconds=5), created_by="1"
            ),
            uow=c.uow(),
            clock=clock,
        ).id
        for _ in range(51)
    ]
    cancel_schedule(ids[-1], uow=c.uow(), clock=clock)
    clock.advance(seconds=10)
    runs: list[str] = []
    lock = threading.Lock()

    def scheduler() -> None:
        done = run_due_schedules(
            uow=SqlAlchemyUnitOfWork(c.session_factory()),
            queue=c.queue(),
            clock=clock,
            policy=c.policy(),
        )
        with lock:
            runs.extend(r.schedule_id for r in done)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(runs) == sorted(ids[:-1])
    with uow:
        statuses = [uow.schedules.get(i).status for i in ids]  # type: ignore[union-attr]
    assert statuses[:-1] == [ScheduleStatus.COMPLETED] * 50
    assert statuses[-1] == ScheduleStatus.CANCELLED


def test_a_schedule_missed_beyond_the_grace_fails_and_within_runs(
    container: ProductionContainer,
) -> None:
    c = container
    clock = FixedClock(datetime.now(UTC))
    uow = c.uow()
    with uow:
        uow.guilds.add(Guild(id=GUILD, name="L", created_at=clock.now(), updated_at=clock.now()))
        uow.commit()
    late = create_schedule(
        CreateSchedule(
            guild_id=GUILD, scheduled_at=clock.now() + timedelta(hours=1), created_by="1"
        ),
        uow=c.uow(),
        clock=clock,
    )
    recent = create_schedule(
        CreateSchedule(
            guild_id=GUILD, scheduled_at=clock.now() + timedelta(hours=20), created_by="1"
        ),
        uow=c.uow(),
        clock=clock,
    )
    clock.advance(hours=26)  # nothing ran meanwhile
    runs = run_due_schedules(uow=c.uow(), queue=c.queue(), clock=clock, policy=Policy())
    assert [r.schedule_id for r in runs] == [recent.id]
    with uow:
        missed = uow.schedules.get(late.id)
    assert missed is not None and missed.status == ScheduleStatus.FAILED
    assert missed.error_message is not None and missed.error_message.startswith(
        "Missed: scheduler was not running at "
    )


@pytest.mark.parametrize(
    ("behaviour", "expected", "attempts", "logs"),
    [("not_found", TrackerStatus.FAILED, 1, 1), ("server_error", TrackerStatus.FAILED, 3, 3)],
)
def test_retry_policy_per_category_against_the_simulator(
    container: ProductionContainer,
    simulator: TrnSimulator,
    behaviour: Behaviour,
    expected: TrackerStatus,
    attempts: int,
    logs: int,
) -> None:
    simulator.set_rule("player0", behaviour)
    [tid] = _register(container, 1)
    clock = FixedClock(datetime.now(UTC))
    for _ in range(5):
        run_scrape(
            tid,
            uow=container.uow(),
            fetcher=container.fetcher(),
            clock=clock,
            policy=container.policy(),
            rng=random.Random(0),
        )
        clock.advance(hours=1)
    uow = container.uow()
    with uow:
        tracker = uow.trackers.get(tid)
        entries, total = uow.scraping_logs.search(tid, None, 1, 50)
    assert tracker is not None and tracker.scraping_status == expected
    assert tracker.scraping_attempts == attempts and total == logs
    assert {e.error_category for e in entries} == {
        "not_found" if behaviour == "not_found" else "upstream"
    }


def test_rate_limited_scrape_waits_out_retry_after(
    container: ProductionContainer, simulator: TrnSimulator
) -> None:
    simulator.set_rule("player0", "rate_limited", retry_after=7)
    [tid] = _register(container, 1)
    now = SystemClock().now()
    outcome = run_scrape(
        tid,
        uow=container.uow(),
        fetcher=container.fetcher(),
        clock=FixedClock(now),
        policy=container.policy(),
        rng=random.Random(0),
    )
    assert outcome.result == "retry" and outcome.error_category == "rate_limited"
    assert outcome.retry_at == now + timedelta(seconds=7)
    uow = container.uow()
    with uow:
        tracker = uow.trackers.get(tid)
    assert tracker is not None and tracker.scraping_status == TrackerStatus.PENDING
    assert tracker.next_attempt_at == now + timedelta(seconds=7)
    assert container.queue().is_queued(tid)  # queued once at registration, never twice
