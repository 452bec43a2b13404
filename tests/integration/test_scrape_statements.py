"""The statements of one scrape, counted on PostgreSQL (on the wire) and SQLite (as sent).

A refresh scrape of a tracker whose owner is in no guild, one season: the claim, the fetch (a
fake fetcher) and the store.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from tests import pg
from tests.builders import page
from tests.contract import aggregates as a
from tests.fakes import FakeFetcher, FixedClock

from adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    upgrade_database,
)
from tracker_core.model import TrackerStatus
from tracker_core.policy import Policy
from tracker_core.use_cases.scraping import run_scrape

OWNER = "111111111111111111"
BUDGET = {"postgresql": 16, "sqlite": 14}
"""PostgreSQL, round trips on the wire. Claim: SELECT tracker, SELECT seasons, BEGIN, UPDATE,
COMMIT. Store: SELECT tracker, SELECT seasons, BEGIN, season upsert, snapshot, UPDATE tracker,
log, activity, memberships, outbox (the first scrape notifies), COMMIT (the ratings reuse the
memberships read in the same unit of work). SQLite, statements sent: the same without the
COMMITs (``BEGIN IMMEDIATE`` for each unit)."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'scrape.sqlite3'}"
        upgrade_database(url)
        engine = create_engine_for(url)
        yield engine
        engine.dispose()
        return
    with pg.fresh_database("tracker_scrape") as url:
        upgrade_database(url)
        engine = create_engine_for(url)
        yield engine
        engine.dispose()


def _scrape(engine: Engine, fetcher: FakeFetcher, clock: FixedClock, tracker_id: str) -> Any:
    return run_scrape(
        tracker_id,
        uow=SqlAlchemyUnitOfWork(create_session_factory(engine)),
        fetcher=fetcher,
        clock=clock,
        policy=Policy(),
        rng=random.Random(1),
    )


def test_a_one_season_scrape_stays_within_its_statement_budget(engine: Engine) -> None:
    wire = pg.WireTrace(engine) if engine.dialect.name == "postgresql" else None
    clock = FixedClock(a.at(0))
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    with uow:
        uow.users.add(a.user(OWNER))
        uow.trackers.add(a.tracker("t1", OWNER, "player"))
        uow.commit()
    fetcher = FakeFetcher()
    fetcher.pages[("steam/player", None)] = page(available=(34,))
    sent: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        sent.append(" ".join(statement.split())[:60])

    event.listen(engine, "before_cursor_execute", record)
    if wire is not None:
        wire.mark()
    outcome = _scrape(engine, fetcher, clock, "t1")
    event.remove(engine, "before_cursor_execute", record)
    trips = wire.round_trips() if wire is not None else sent
    assert outcome.result == "completed"
    with uow:
        tracker = uow.trackers.get("t1")
        assert tracker is not None and tracker.scraping_status == TrackerStatus.COMPLETED
    assert any(t.startswith("INSERT INTO tracker_snapshots") for t in trips), trips
    assert len(trips) <= BUDGET[engine.dialect.name], trips
