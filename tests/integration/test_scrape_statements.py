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
ROUND_TRIPS = {"postgresql": 7, "sqlite": 11}
"""PostgreSQL, round trips on the wire. Claim: the conditional UPDATE ... RETURNING (autocommit),
SELECT seasons. Store: BEGIN, UPDATE tracker (fenced by the lease), memberships, one statement
inserting the season, snapshot, log, activity and outbox rows (``WITH`` chained), COMMIT.
SQLite, statements sent: ``BEGIN IMMEDIATE`` for each unit, no COMMITs on the listener, one
INSERT per table."""
STATEMENTS_POSTGRES = 6
"""PostgreSQL statements seen by the event listener: the round trips but the COMMIT."""


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
        sent.append(" ".join(statement.split()))

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
    assert any("INSERT INTO tracker_snapshots" in s for s in sent), sent
    assert len(trips) <= ROUND_TRIPS[engine.dialect.name], trips
    if wire is not None:
        assert len(sent) <= STATEMENTS_POSTGRES, sent
