"""The scheduler loop's periodic tasks over fakes: cron once per instant, schedules, dispatch,
reconciling, a failing task, and the loop itself (its stop event time-compressed)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import fakeredis
import pytest
from dependency_injector import providers
from tests.fakes import FakeQueue, FakeUnitOfWork, FixedClock, RecordingNotifier

from adapters.locks import InProcessTickLock, RedisTickLock
from entrypoints.config import load_settings
from entrypoints.container import container_for
from entrypoints.runtime.scheduler import SchedulerLoop, latest_cron_instant, run_scheduler
from entrypoints.shared_metrics import process_metrics
from tracker_core.guilds import Guild
from tracker_core.model import Priority
from tracker_core.notifications import DeliveryStatus, Notification
from tracker_core.policy import Policy
from tracker_core.schedules import ScheduleStatus
from tracker_core.use_cases.schedules import CreateSchedule, claim_schedule, create_schedule
from tracker_core.use_cases.trackers import RegisterTrackers, register_trackers

TickLock = InProcessTickLock | RedisTickLock
URL = "https://rocketleague.tracker.network/rocket-league/profile/steam/{}/overview"
T0 = datetime(2026, 3, 1, 2, 0, 30, tzinfo=UTC)


def make(
    uow: FakeUnitOfWork,
    queue: FakeQueue,
    clock: FixedClock,
    lock: TickLock,
    notifier: RecordingNotifier,
) -> SchedulerLoop:
    c = container_for(load_settings({}))
    c.uow.override(providers.Object(uow))
    c.queue.override(providers.Object(queue))
    c.clock.override(providers.Object(clock))
    c.tick_lock.override(providers.Object(lock))
    c.notifier.override(providers.Object(notifier))
    return SchedulerLoop(c)


def test_latest_cron_instant_is_utc_and_inclusive() -> None:
    assert latest_cron_instant("0 2 * * *", T0) == T0.replace(second=0)
    assert latest_cron_instant("0 2 * * *", T0.replace(second=0)) == T0.replace(second=0)
    assert latest_cron_instant("0 2 * * *", T0 - timedelta(minutes=1)) == T0.replace(
        day=28, month=2, second=0
    )


def test_two_schedulers_run_the_periodic_refresh_once_per_instant() -> None:
    uow, queue, clock, lock = FakeUnitOfWork(), FakeQueue(), FixedClock(T0), InProcessTickLock()
    for i in range(3):
        register_trackers(
            RegisterTrackers(user_id=str(i), urls=(URL.format(i),)),
            uow=uow,
            queue=FakeQueue(),
            clock=clock,
            policy=Policy(),
        )
    loops = [make(uow, queue, clock, lock, RecordingNotifier()) for _ in range(2)]
    for loop in loops:
        loop.run_cron()
        loop.run_cron()
    assert sorted(p for _, p in queue.history) == [Priority.LOW] * 3
    queue.jobs.clear()
    clock.advance(hours=1)  # outside the 10-minute window of 02:00: nothing
    loops[0].run_cron()
    assert queue.jobs == {}
    clock.advance(days=1, hours=-1)
    loops[1].run_cron()
    assert len(queue.jobs) == 3


def test_a_tick_runs_due_schedules_and_delivers_notifications() -> None:
    uow, queue, clock = FakeUnitOfWork(), FakeQueue(), FixedClock(T0 + timedelta(hours=5))
    notifier = RecordingNotifier()
    with uow:
        uow.guilds.add(Guild(id="100000000000000001", name="g", created_at=T0, updated_at=T0))
        uow.commit()
    schedule = create_schedule(
        CreateSchedule(
            guild_id="100000000000000001",
            scheduled_at=clock.now() + timedelta(seconds=1),
            created_by="1",
        ),
        uow=uow,
        clock=clock,
    )
    register_trackers(
        RegisterTrackers(user_id="1", urls=(URL.format("x"),)),
        uow=uow,
        queue=queue,
        clock=clock,
        policy=Policy(),
    )
    with uow:
        uow.notifications.add(
            Notification(
                id="c" + "9" * 24,
                kind="TRACKER_UPDATE",
                channel="LOG",
                target="1",
                tracker_id="t",
                user_id="1",
                message="2v2: 1450 → 1502 (+52)",
                created_at=T0,
            )
        )
        uow.commit()
    clock.advance(seconds=2)
    loop = make(uow, queue, clock, InProcessTickLock(), notifier)
    loop.tick()
    assert uow.committed.schedules[schedule.id].status == ScheduleStatus.COMPLETED
    assert uow.committed.schedules[schedule.id].result == {"processed": 0}
    assert [n.message for n in notifier.sent] == ["2v2: 1450 → 1502 (+52)"]
    assert uow.committed.notifications["c" + "9" * 24].status == DeliveryStatus.SENT


def test_a_tick_takes_back_a_schedule_whose_scheduler_died() -> None:
    uow, queue, clock = FakeUnitOfWork(), FakeQueue(), FixedClock(T0)
    with uow:
        uow.guilds.add(Guild(id="100000000000000001", name="g", created_at=T0, updated_at=T0))
        uow.commit()
    schedule = create_schedule(
        CreateSchedule(
            guild_id="100000000000000001", scheduled_at=T0 + timedelta(seconds=1), created_by="1"
        ),
        uow=uow,
        clock=clock,
    )
    clock.advance(seconds=2)
    loop = make(uow, queue, clock, InProcessTickLock(), RecordingNotifier())
    policy = loop.c.policy()
    assert claim_schedule(schedule.id, uow=uow, clock=clock, policy=policy) is not None  # dies
    loop.tick()
    assert uow.committed.schedules[schedule.id].status == ScheduleStatus.RUNNING
    clock.advance(seconds=policy.lease.total_seconds())
    loop.tick()
    loop.tick()
    done = uow.committed.schedules[schedule.id]
    assert (done.status, done.attempts, done.result) == (
        ScheduleStatus.COMPLETED,
        2,
        {"processed": 0},
    )


class BuggyLock(InProcessTickLock):
    def claim(self, name: str, tick: datetime, ttl_seconds: int = 86400) -> bool:
        raise RuntimeError("a bug")


def redis_gone() -> RedisTickLock:
    server = fakeredis.FakeServer()
    server.connected = False
    return RedisTickLock(fakeredis.FakeRedis(server=server))


def ticks() -> float:
    value = process_metrics().registry.get_sample_value("scheduler_ticks_total")
    return value or 0.0


def due_notification(uow: FakeUnitOfWork) -> None:
    with uow:
        uow.notifications.add(
            Notification(
                id="c" + "8" * 24,
                kind="TRACKER_UPDATE",
                channel="LOG",
                target="1",
                tracker_id="t",
                user_id="1",
                message="2v2: 1500 → 1480 (-20)",
                created_at=T0,
            )
        )
        uow.commit()


@pytest.mark.parametrize(
    ("lock", "level", "line"),
    [
        (
            redis_gone,
            logging.WARNING,
            "scheduler task cron failed: Redis unavailable: ConnectionError",
        ),
        (BuggyLock, logging.ERROR, "scheduler task cron crashed"),
    ],
    ids=["redis-gone", "crash"],
)
def test_a_failing_task_is_logged_and_the_others_still_run(
    lock: Callable[[], TickLock], level: int, line: str, caplog: pytest.LogCaptureFixture
) -> None:
    uow, queue, clock = FakeUnitOfWork(), FakeQueue(), FixedClock(T0)
    notifier = RecordingNotifier()
    due_notification(uow)
    loop = make(uow, queue, clock, lock(), notifier)
    before = ticks()
    with caplog.at_level(logging.INFO, logger="trackers.scheduler"):
        loop.tick()
    (failed,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert (failed.levelno, failed.getMessage()) == (level, line)
    assert (failed.exc_info is not None) is (level == logging.ERROR)  # a crash's traceback
    assert [n.message for n in notifier.sent] == ["2v2: 1500 → 1480 (-20)"]  # ran after cron
    assert ticks() == before + 1


def test_the_first_tick_reconciles_and_says_what_it_queued(
    caplog: pytest.LogCaptureFixture,
) -> None:
    uow, queue, clock = FakeUnitOfWork(), FakeQueue(), FixedClock(T0 + timedelta(hours=5))
    register_trackers(  # registered while the queue was away: left PENDING
        RegisterTrackers(user_id="1", urls=(URL.format("a"), URL.format("b"))),
        uow=uow,
        queue=FakeQueue(),
        clock=clock,
        policy=Policy(),
    )
    loop = make(uow, queue, clock, InProcessTickLock(), RecordingNotifier())
    with caplog.at_level(logging.INFO, logger="trackers.scheduler"):
        loop.tick()
        loop.tick()  # within reconcile_seconds: no second reconcile
    assert len(queue.history) == 2
    assert [r.getMessage() for r in caplog.records] == [
        "reconciled: 0 expired lease(s), 2 re-queued"
    ]


class StopAfter(threading.Event):
    """A stop event set at the n-th wait of the loop; each wait returns at once, its timeout
    recorded."""

    def __init__(self, waits: int) -> None:
        super().__init__()
        self.limit = waits
        self.waits: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        if len(self.waits) >= self.limit:
            self.set()
        return self.is_set()


def test_the_loop_ticks_once_per_tick_period_until_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    uow, queue, clock = FakeUnitOfWork(), FakeQueue(), FixedClock(T0 + timedelta(hours=5))
    loop = make(uow, queue, clock, InProcessTickLock(), RecordingNotifier())
    loop.tick_seconds = 2.0
    stop = StopAfter(3)
    before = ticks()
    with caplog.at_level(logging.INFO, logger="trackers.scheduler"):
        loop.run(stop)
    assert ticks() == before + 3
    assert len(stop.waits) == 3
    assert all(wait is not None and 0.0 <= wait < 2.0 for wait in stop.waits)  # less the tick
    assert [r.getMessage() for r in caplog.records] == ["scheduler started", "scheduler stopped"]


def test_run_scheduler_returns_at_once_when_already_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    c = container_for(load_settings({}))
    c.uow.override(providers.Object(FakeUnitOfWork()))
    stop = threading.Event()
    stop.set()
    before = ticks()
    with caplog.at_level(logging.INFO, logger="trackers.scheduler"):
        run_scheduler(c, stop_event=stop)
    assert ticks() == before
    assert [r.getMessage() for r in caplog.records] == ["scheduler started", "scheduler stopped"]
