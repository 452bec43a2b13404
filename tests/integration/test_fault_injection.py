"""Fault injection on real processes: workers SIGKILLed at random instants over a backlog, the
scheduler SIGKILLed, and Redis killed and restarted (empty) under load, strand nothing and
duplicate nothing; a schedule whose scheduler died after claiming it is finished exactly once.

A private redis-server (stopped and restarted by PID) and a PostgreSQL database created by the
test; ``trackers worker`` and ``trackers scheduler`` processes; the tracker.gg simulator
answering every request after a short delay so kills land before the claim, during the fetch,
during the store and during RQ's bookkeeping. Bounded: about a minute.

``FAULT_SEED`` replays a run (the seed is printed); ``FAULT_KILLS`` and ``FAULT_TRACKERS`` size
it (defaults 12 and 120).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.fakes import FixedClock
from tests.integration.private_redis import PrivateRedis, private_redis
from tests.pg import fresh_database

from adapters.sql.migrate import upgrade_database
from adapters.trackergg.simulator import TrnSimulator
from entrypoints.config import load_settings
from entrypoints.container import Container, container_for
from tracker_core.guilds import Guild, GuildMember
from tracker_core.model import TrackerStatus
from tracker_core.schedules import ScheduleStatus
from tracker_core.use_cases.schedules import CreateSchedule, claim_schedule, create_schedule
from tracker_core.use_cases.trackers import RegisterTrackers, register_trackers

__all__ = ["private_redis"]
pytestmark = [pytest.mark.postgres, pytest.mark.slow]
URL = "https://rocketleague.tracker.network/rocket-league/profile/epic/{}/overview"
TRACKERS = str(Path(sys.executable).parent / "trackers")
WORKERS = 3
LEASE = 10  # seconds: the smallest lease the settings allow
RECONCILE = 1


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll until ``condition``; the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)
    return time.monotonic() - started


class Cluster:
    """``trackers`` processes of one deployment, each in a process group of its own."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, command: str) -> subprocess.Popen[bytes]:
        with (self.logs / f"{command}-{len(self.processes)}.log").open("wb") as log:
            proc = subprocess.Popen(
                [TRACKERS, command],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(proc)
        return proc

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL the process and what it started (RQ's scheduler), by its group."""
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def stop(self) -> None:
        for proc in self.processes:
            self.kill(proc)


@pytest.fixture
def deployment(
    private_redis: PrivateRedis, tmp_path: Path
) -> Iterator[tuple[Cluster, Container, PrivateRedis, TrnSimulator]]:
    private_redis.start()
    with TrnSimulator() as simulator, fresh_database("tracker_faults") as url:
        upgrade_database(url)
        values = {
            "DATABASE_URL": url,
            "REDIS_URL": private_redis.url,
            "TRACKERS_QUEUE_NAME": f"faults-{uuid.uuid4().hex[:8]}",
            "TRN_API_BASE_URL": simulator.base_url,
            "TRACKER_INITIAL_SEASONS": "1",
            "TRN_RATE_LIMIT_PER_MINUTE": "100000",
            "TRACKER_LEASE_SECONDS": str(LEASE),
            "TRACKER_RECONCILE_SECONDS": str(RECONCILE),
            "TRACKER_MAX_SCRAPING_ATTEMPTS": "50",  # kills count as attempts; none may FAIL
        }
        container = container_for(load_settings(values))
        cluster = Cluster({**os.environ, **values}, tmp_path)
        try:
            yield cluster, container, private_redis, simulator
        finally:
            cluster.stop()
            container.engine().dispose()


def _counts(container: Container, ids: list[str]) -> dict[str, int]:
    uow = container.uow()
    with uow:
        found = uow.trackers.get_many(ids)
    counts: dict[str, int] = {}
    for tracker in found:
        counts[tracker.scraping_status] = counts.get(tracker.scraping_status, 0) + 1
    return counts


def _duplicates(container: Container) -> dict[str, int]:
    """Rows that exist more than once where each must exist once."""
    queries = {
        "seasons": "SELECT tracker_id, season_number FROM tracker_seasons "
        "GROUP BY tracker_id, season_number HAVING count(*) > 1",
        "snapshots": "SELECT tracker_id FROM tracker_snapshots "
        "GROUP BY tracker_id HAVING count(*) > 1",
        "successful logs": "SELECT tracker_id FROM scraping_logs WHERE status = 'SUCCESS' "
        "GROUP BY tracker_id HAVING count(*) > 1",
        "outbox": "SELECT tracker_id, kind, channel, target FROM notifications "
        "GROUP BY tracker_id, kind, channel, target HAVING count(*) > 1",
    }
    with container.engine().connect() as conn:
        return {name: len(conn.execute(text(sql)).all()) for name, sql in queries.items()}


def test_sigkilled_workers_and_a_redis_restart_strand_and_duplicate_nothing(
    deployment: tuple[Cluster, Container, PrivateRedis, TrnSimulator],
) -> None:
    cluster, container, server, simulator = deployment
    seed = int(os.environ.get("FAULT_SEED", str(random.randrange(10**6))))
    kills = int(os.environ.get("FAULT_KILLS", "12"))
    count = int(os.environ.get("FAULT_TRACKERS", "120"))
    print(f"FAULT_SEED={seed}")
    rng = random.Random(seed)
    simulator.set_rule(None, "slow", delay=0.05)  # each request: 50 ms, so kills land mid-job
    ids = [
        register_trackers(
            RegisterTrackers(user_id=str(10**17 + i), urls=(URL.format(f"p{i}"),)),
            uow=container.uow(),
            queue=container.queue(),
            clock=container.clock(),
            policy=container.policy(),
        )[0].id
        for i in range(count)
    ]
    guild = str(10**17 + 999_999)
    schedule_id = _schedule_claimed_by_a_dead_scheduler(container, guild, member=str(10**17))
    started = time.monotonic()
    scheduler = cluster.start("scheduler")
    workers = [cluster.start("worker") for _ in range(WORKERS)]
    _wait(lambda: _counts(container, ids).get(TrackerStatus.COMPLETED, 0) > 0, 60, "first scrape")

    for n in range(kills):
        time.sleep(rng.uniform(0.1, 0.8))
        victim = rng.randrange(WORKERS)
        cluster.kill(workers[victim])
        workers[victim] = cluster.start("worker")
        if n == kills // 3:  # the scheduler dies too
            cluster.kill(scheduler)
            scheduler = cluster.start("scheduler")
        if n == kills // 2:  # Redis dies under load and comes back empty
            server.stop()
            time.sleep(rng.uniform(0.5, 2.0))
            server.start()

    tail = _wait(
        lambda: _counts(container, ids) == {TrackerStatus.COMPLETED: count},
        LEASE * 6 + 30,
        f"every tracker COMPLETED (now {_counts(container, ids)})",
    )
    total = time.monotonic() - started
    print(f"{count} trackers, {kills} worker kills, 1 Redis restart: all COMPLETED {total:.1f} s")
    print(f"after start, {tail:.1f} s after the last fault (lease {LEASE} s, reconcile 1 s)")
    assert _duplicates(container) == {
        "seasons": 0,
        "snapshots": 0,
        "successful logs": 0,
        "outbox": 0,
    }
    uow = container.uow()
    with uow:
        schedule = uow.schedules.get(schedule_id)
    assert schedule is not None
    assert (schedule.status, schedule.attempts) == (ScheduleStatus.COMPLETED, 2)
    # its one member's tracker counts when the take-back found it PENDING, not IN_PROGRESS
    assert schedule.result in ({"processed": 0}, {"processed": 1})
    logs = cluster.log_text()
    assert "not found in Redis" not in logs  # RQ's bookkeeping never lost a live job's records
    assert "Traceback" not in logs


def _schedule_claimed_by_a_dead_scheduler(container: Container, guild: str, member: str) -> str:
    """A schedule a scheduler claimed 30 minutes ago before dying (its lease long expired)."""
    dead = FixedClock(container.clock().now() - timedelta(minutes=30))
    uow = container.uow()
    with uow:
        now = dead.now()
        uow.guilds.add(Guild(id=guild, name="G", created_at=now, updated_at=now))
        uow.guilds.replace_members(guild, [GuildMember(guild_id=guild, user_id=member)])
        uow.commit()
    schedule = create_schedule(
        CreateSchedule(guild_id=guild, scheduled_at=now + timedelta(seconds=1), created_by="1"),
        uow=container.uow(),
        clock=dead,
    )
    dead.advance(seconds=2)
    claimed = claim_schedule(
        schedule.id, uow=container.uow(), clock=dead, policy=container.policy()
    )
    assert claimed is not None
    return schedule.id
