"""Real worker and scheduler processes: a SIGKILLed worker loses nothing; a schedule left
RUNNING by a dead scheduler is taken back; a league is processed end to end."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from tests.fakes import FixedClock
from tests.pg import fresh_database

from adapters.sql.migrate import upgrade_database
from adapters.trackergg.simulator import TrnSimulator
from entrypoints.config import Settings, load_settings
from entrypoints.container import container_for, require_production
from tracker_core.guilds import Guild, GuildMember
from tracker_core.model import TrackerStatus
from tracker_core.schedules import ScheduleStatus
from tracker_core.use_cases.processing import reconcile
from tracker_core.use_cases.schedules import CreateSchedule, claim_schedule, create_schedule
from tracker_core.use_cases.trackers import RegisterTrackers, register_trackers

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.xdist_group("timing"),
]
URL = "https://rocketleague.tracker.network/rocket-league/profile/epic/{}/overview"
TRACKERS = str(Path(sys.executable).parent / "trackers")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def _require_redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis unreachable: {exc}")
        pytest.skip(f"Redis unreachable: {exc}")
    return client


class Deployment:
    """A production-mode deployment: its settings, a container and its worker processes."""

    def __init__(self, settings: Settings, env: dict[str, str]) -> None:
        self.settings = settings
        self.env = env
        self.container = require_production(container_for(settings), "the worker test")
        self.processes: list[subprocess.Popen[bytes]] = []

    def start_worker(self) -> subprocess.Popen[bytes]:
        """A worker in a process group of its own (RQ forks a scheduler process beside it)."""
        return self.start("worker")

    def start(self, command: str) -> subprocess.Popen[bytes]:
        """``trackers <command>`` in a process group of its own."""
        proc = subprocess.Popen(
            [TRACKERS, command],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.processes.append(proc)
        return proc

    @staticmethod
    def signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        """Send ``sig`` to the worker and the processes it started."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)

    def stop(self) -> None:
        for proc in self.processes:
            self.signal_group(proc, signal.SIGTERM)
        for proc in self.processes:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                self.signal_group(proc, signal.SIGKILL)
                proc.wait(5)
        time.sleep(0.5)  # let forked schedulers see the TERM, then make sure none is left
        for proc in self.processes:
            self.signal_group(proc, signal.SIGKILL)
        self.container.engine().dispose()

    def statuses(self, ids: list[str]) -> dict[str, int]:
        uow = self.container.uow()
        with uow:
            found = uow.trackers.get_many(ids)
        counts: dict[str, int] = {}
        for tracker in found:
            counts[tracker.scraping_status] = counts.get(tracker.scraping_status, 0) + 1
        return counts

    def register(self, names: list[str], user_prefix: int = 10**17) -> list[str]:
        c = self.container
        return [
            register_trackers(
                RegisterTrackers(user_id=str(user_prefix + i), urls=(URL.format(name),)),
                uow=c.uow(),
                queue=c.queue(),
                clock=c.clock(),
                policy=c.policy(),
            )[0].id
            for i, name in enumerate(names)
        ]


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def deployment_factory() -> Iterator[Callable[..., Deployment]]:
    client = _require_redis()
    made: list[tuple[Deployment, str]] = []
    with fresh_database("tracker_workers") as url:
        upgrade_database(url)

        def make(simulator: TrnSimulator, **env: str) -> Deployment:
            name = f"test-workers-{uuid.uuid4().hex[:8]}"
            values = {
                "DATABASE_URL": url,
                "REDIS_URL": REDIS_URL,
                "TRACKERS_QUEUE_NAME": name,
                "TRN_API_BASE_URL": simulator.base_url,
                "TRACKER_INITIAL_SEASONS": "0",
                "TRN_RATE_LIMIT_PER_MINUTE": "100000",
                **env,
            }
            full_env = {**os.environ, **values}
            deployment = Deployment(load_settings(values), full_env)
            made.append((deployment, name))
            return deployment

        try:
            yield make
        finally:
            for deployment, name in made:
                deployment.stop()
                for key in client.scan_iter(f"*{name}*"):
                    client.delete(key)


def test_a_worker_killed_mid_job_loses_nothing(deployment_factory) -> None:
    with TrnSimulator() as simulator:
        simulator.set_rule("^slowpoke$", "slow", delay=6.0)
        # Time-compressed: a 2 s lease (a test may lower the 10 s minimum).
        d = deployment_factory(simulator, TRACKER_LEASE_SECONDS="2", TRACKER_LEASE_MIN_SECONDS="1")
        [tid] = d.register(["slowpoke"])
        worker = d.start_worker()
        _wait(lambda: d.statuses([tid]) == {TrackerStatus.IN_PROGRESS: 1}, 30, "IN_PROGRESS")
        time.sleep(0.5)
        d.signal_group(worker, signal.SIGKILL)  # the worker's machine dies: all its processes
        worker.wait(5)
        simulator.clear_rules()
        c = d.container
        results = []

        def lease_reaped() -> bool:
            results.append(
                reconcile(uow=c.uow(), queue=c.queue(), clock=c.clock(), policy=c.policy())
            )
            return bool(results[-1].expired)

        _wait(lease_reaped, 10, "the lease to run out")
        assert results[-1].expired == (tid,) and results[-1].requeued == 1
        assert all(not r.expired and r.requeued == 0 for r in results[:-1])
        d.start_worker()
        _wait(lambda: d.statuses([tid]) == {TrackerStatus.COMPLETED: 1}, 30, "COMPLETED")
        uow = c.uow()
        with uow:
            seasons = uow.seasons.for_tracker(tid)
            snapshots = uow.snapshots.for_tracker(tid)
            tracker = uow.trackers.get(tid)
        assert len(snapshots) == 1 and len({s.season_number for s in seasons}) == len(seasons)
        assert tracker is not None and tracker.scraping_attempts == 0


def test_a_scheduler_takes_back_the_schedule_of_a_scheduler_that_died(deployment_factory) -> None:
    with TrnSimulator() as simulator:
        d = deployment_factory(simulator, TRACKER_RECONCILE_SECONDS="3600")
        c = d.container
        guild_id = str(10**17 + 777)
        [tid] = d.register(["orphaned"])
        dead = FixedClock(c.clock().now() - timedelta(minutes=30))  # it died 30 minutes ago
        uow = c.uow()
        with uow:
            now = dead.now()
            uow.guilds.add(Guild(id=guild_id, name="G", created_at=now, updated_at=now))
            uow.guilds.replace_members(
                guild_id, [GuildMember(guild_id=guild_id, user_id=str(10**17))]
            )
            uow.commit()
        schedule = create_schedule(
            CreateSchedule(
                guild_id=guild_id, scheduled_at=now + timedelta(seconds=1), created_by="1"
            ),
            uow=c.uow(),
            clock=dead,
        )
        dead.advance(seconds=2)
        assert claim_schedule(schedule.id, uow=c.uow(), clock=dead, policy=c.policy()) is not None

        def finished() -> bool:
            with uow:
                found = uow.schedules.get(schedule.id)
            return found is not None and found.status == ScheduleStatus.COMPLETED

        d.start("scheduler")
        _wait(finished, 30, "the abandoned schedule to complete")
        with uow:
            done = uow.schedules.get(schedule.id)
        assert done is not None and done.attempts == 2 and done.result == {"processed": 1}
        assert c.queue().is_queued(tid)


def test_a_league_is_processed_within_the_budget(deployment_factory) -> None:
    budget = 600
    with TrnSimulator(per_minute_limit=budget) as simulator:
        d = deployment_factory(simulator, TRN_RATE_LIMIT_PER_MINUTE=str(budget))
        c = d.container
        guilds = [str(10**17 + 900 + g) for g in range(3)]
        ids = d.register([f"league{i}" for i in range(300)])
        uow = c.uow()
        with uow:
            for g, guild_id in enumerate(guilds):
                now = c.clock().now()
                uow.guilds.add(Guild(id=guild_id, name=f"G{g}", created_at=now, updated_at=now))
                uow.guilds.replace_members(
                    guild_id,
                    [
                        GuildMember(guild_id=guild_id, user_id=str(10**17 + i))
                        for i in range(g * 100, (g + 1) * 100)
                    ],
                )
            uow.commit()
        d.start_worker()
        d.start_worker()
        _wait(lambda: d.statuses(ids) == {TrackerStatus.COMPLETED: 300}, 120, "300 COMPLETED")
        with uow:
            for guild_id in guilds:
                assert len(uow.ratings.for_guild(guild_id)) == 100
        times = sorted(r.at for r in simulator.requests)
        assert len(times) >= 300
        busiest = max(sum(1 for t in times[i:] if t < start + 60) for i, start in enumerate(times))
        assert busiest <= budget
        assert not [r for r in simulator.requests if r.status == 429]
