"""The rules hold under concurrency (SPEC §2.3.3): real threads, real databases."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy.engine import Connection
from tests import pg
from tests.fakes import FakeQueue, FixedClock

from adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    upgrade_database,
)
from tracker_core.errors import AlreadyRegisteredError, LimitReachedError
from tracker_core.guilds import Guild, User
from tracker_core.policy import Policy
from tracker_core.schedules import Schedule, ScheduleStatus
from tracker_core.use_cases.schedules import claim_schedule
from tracker_core.use_cases.trackers import (
    AddTracker,
    RegisterTrackers,
    add_tracker,
    register_trackers,
)

T = TypeVar("T")
URL = "https://rocketleague.tracker.network/rocket-league/profile/steam/{}/overview"
CLOCK = FixedClock()


@pytest.fixture(scope="module")
def pg_sessions() -> Iterator[Callable[[], Connection]]:
    with pg.fresh_database("tracker_race") as url:
        upgrade_database(url)
        engine = create_engine_for(url)
        yield create_session_factory(engine)
        engine.dispose()


@pytest.fixture
def sqlite_sessions(tmp_path: Path) -> Iterator[Callable[[], Connection]]:
    url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    upgrade_database(url)
    engine = create_engine_for(url)
    yield create_session_factory(engine)
    engine.dispose()


def _race(calls: list[Callable[[], T]]) -> list[T | Exception]:
    """Run every call on its own thread, released at the same instant; results or errors."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | Exception:
        barrier.wait()
        try:
            return call()
        except Exception as exc:  # the outcome under test, inspected by the caller
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _create_user(sessions: Callable[[], Connection], user_id: str) -> None:
    uow = SqlAlchemyUnitOfWork(sessions)
    with uow:
        uow.users.add(
            User(id=user_id, username=user_id, created_at=CLOCK.now(), updated_at=CLOCK.now())
        )
        uow.commit()


def _fifty_adds(sessions: Callable[[], Connection], user_id: str) -> None:
    _create_user(sessions, user_id)

    def adder(i: int) -> Callable[[], Any]:
        cmd = AddTracker(user_id=user_id, url=URL.format(f"{user_id}-{i}"))
        uow = SqlAlchemyUnitOfWork(sessions)
        return lambda: add_tracker(cmd, uow=uow, queue=FakeQueue(), clock=CLOCK, policy=Policy())

    outcomes = _race([adder(i) for i in range(50)])
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert all(isinstance(e, LimitReachedError) for e in errors), errors
    assert len(outcomes) - len(errors) == 4
    uow = SqlAlchemyUnitOfWork(sessions)
    with uow:
        assert len(uow.trackers.for_user(user_id)) == 4


@pytest.mark.postgres
def test_fifty_simultaneous_adds_leave_four_trackers_on_postgres(
    pg_sessions: Callable[[], Connection],
) -> None:
    _fifty_adds(pg_sessions, "700000000000000001")


def test_fifty_simultaneous_adds_leave_four_trackers_on_sqlite(
    sqlite_sessions: Callable[[], Connection],
) -> None:
    _fifty_adds(sqlite_sessions, "700000000000000002")


@pytest.mark.postgres
def test_two_users_racing_for_one_url_leave_one_owner(
    pg_sessions: Callable[[], Connection],
) -> None:
    for round_no in range(20):
        url = URL.format(f"contested-{round_no}")
        users = [f"71{round_no:03d}000000000001", f"71{round_no:03d}000000000002"]

        def registrar(user_id: str, url: str = url) -> Callable[[], Any]:
            cmd = RegisterTrackers(user_id=user_id, urls=(url,))
            uow = SqlAlchemyUnitOfWork(pg_sessions)
            return lambda: register_trackers(
                cmd, uow=uow, queue=FakeQueue(), clock=CLOCK, policy=Policy()
            )

        outcomes = _race([registrar(u) for u in users])
        errors = [o for o in outcomes if isinstance(o, Exception)]
        assert len(errors) == 1 and isinstance(errors[0], AlreadyRegisteredError), outcomes
        uow = SqlAlchemyUnitOfWork(pg_sessions)
        with uow:
            owner = uow.trackers.live_by_identity(f"steam:contested-{round_no}")
            assert owner is not None and owner.user_id in users
            assert sum(len(uow.trackers.for_user(u)) for u in users) == 1


@pytest.mark.postgres
def test_two_claimers_claim_each_due_schedule_exactly_once(
    pg_sessions: Callable[[], Connection],
) -> None:
    now = CLOCK.now()
    ids = [f"cschedrace{i:015d}" for i in range(100)]
    uow = SqlAlchemyUnitOfWork(pg_sessions)
    with uow:
        uow.guilds.add(Guild(id="720000000000000001", name="Race", created_at=now, updated_at=now))
        for i, schedule_id in enumerate(ids):
            uow.schedules.add(
                Schedule(
                    id=schedule_id,
                    guild_id="720000000000000001",
                    scheduled_at=now - timedelta(minutes=1 + i % 7),
                    created_by="720000000000000009",
                    created_at=now - timedelta(days=1),
                    updated_at=now - timedelta(days=1),
                )
            )
        uow.commit()

    def claimer() -> list[str]:
        own = SqlAlchemyUnitOfWork(pg_sessions)
        won = [claim_schedule(i, uow=own, clock=CLOCK, policy=Policy()) for i in ids]
        return [s.id for s in won if s is not None]

    first, second = _race([claimer, claimer])
    assert isinstance(first, list) and isinstance(second, list)
    assert not set(first) & set(second)
    assert sorted(first + second) == ids
    with uow:
        stored = [uow.schedules.get(i) for i in ids]
        assert all(s is not None and s.status == ScheduleStatus.RUNNING for s in stored)
        assert all(s is not None and s.version == 1 for s in stored)
