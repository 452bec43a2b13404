"""The statements of one scrape, counted on PostgreSQL (on the wire) and SQLite (as sent).

A refresh scrape of a tracker whose owner is in no guild, one season: the claim, the fetch (a
fake fetcher) and the store.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
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
from tracker_core.mmr import MmrConfig
from tracker_core.model import TrackerStatus
from tracker_core.policy import Policy
from tracker_core.use_cases.scraping import run_scrape

OWNER = "111111111111111111"
GUILD = "222222222222222222"
ROUND_TRIPS = {"postgresql": 5, "sqlite": 11}
"""PostgreSQL, round trips on the wire. Claim: one statement in autocommit (``WITH claimed AS
(UPDATE trackers ... RETURNING ...) SELECT ... LEFT JOIN tracker_seasons``). Store: BEGIN,
UPDATE tracker (fenced by the lease) with the owner's memberships and their guilds' settings
(``WITH saved AS (UPDATE ... RETURNING ...) SELECT ... LEFT JOIN guild_members``), one
statement inserting the season, snapshot, log, activity and outbox rows (``WITH`` chained),
COMMIT. SQLite, statements sent: ``BEGIN IMMEDIATE`` for each unit (no COMMITs on the
listener), the claim's UPDATE and the seasons' SELECT, the memberships' SELECT, and one INSERT
per table."""
STATEMENTS_POSTGRES = 4
"""PostgreSQL statements seen by the event listener: the round trips but the COMMIT."""
IN_A_GUILD = 3
"""An owner in a guild (webhook, MMR, review flags) adds the read of the owner's trackers for
the rating and the two reads of the review flags (the tracker's recent snapshots for a rating
drop, other holders of the platform account); the rating and the webhook's outbox row join the
one INSERT statement (SQLite: one INSERT more, for the ratings)."""


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


@pytest.mark.parametrize("in_guild", [False, True], ids=["no-guild", "guild"])
def test_a_one_season_scrape_stays_within_its_statement_budget(
    engine: Engine, in_guild: bool
) -> None:
    wire = pg.WireTrace(engine) if engine.dialect.name == "postgresql" else None
    clock = FixedClock(a.at(0))
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    with uow:
        uow.users.add(a.user(OWNER))
        uow.trackers.add(a.tracker("t1", OWNER, "player"))
        if in_guild:
            uow.guilds.add(a.guild(GUILD))
            uow.guilds.save_member(a.member(GUILD, OWNER))
            uow.guilds.save_settings(GUILD, attrs.evolve(a.custom_settings(), mmr=MmrConfig()))
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
        assert [s.season_number for s in uow.seasons.for_tracker("t1")] == [34]
        assert len(uow.snapshots.for_tracker("t1")) == 1
        channels = sorted(n.channel for n in uow.notifications.for_tracker("t1", 10))
        assert channels == (["DISCORD_DM", "WEBHOOK"] if in_guild else ["DISCORD_DM"])
        ratings = uow.ratings.for_guild(GUILD)
        assert [r.tracker_id for r in ratings] == (["t1"] if in_guild else [])
    assert any("INSERT INTO tracker_snapshots" in s for s in sent), sent
    extra = IN_A_GUILD if in_guild else 0
    if wire is not None:
        assert len(trips) == ROUND_TRIPS["postgresql"] + extra, "\n".join(t[:90] for t in trips)
        assert len(sent) == STATEMENTS_POSTGRES + extra, sent
    else:
        assert len(trips) <= ROUND_TRIPS["sqlite"] + 2 * extra, trips


@pytest.mark.postgres
def test_a_lone_claim_on_a_dropped_connection_is_sent_again() -> None:
    with pg.fresh_database("tracker_claim") as url:
        upgrade_database(url)
        engine = create_engine_for(url)
        try:
            uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
            with uow:
                uow.users.add(a.user(OWNER))
                uow.trackers.add(a.tracker("t1", OWNER, "player"))
                uow.commit()
            with pg.admin() as admin:  # the pooled connection dies while idle
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (url.rpartition("/")[2],),
                )
            with uow:
                claimed = uow.trackers.claim("t1", a.at(1), timedelta(minutes=5), "tok1")
                uow.commit()
            assert claimed is not None and claimed.lease_token == "tok1"
        finally:
            engine.dispose()


def test_a_source_that_ignores_the_season_parameter_stores_each_season_once(
    engine: Engine,
) -> None:
    """tracker.gg answering the current season to every ``?season=`` of a first scrape: the
    current season is stored once, the earlier ones count as failed (PARTIAL), and the store
    does not fail (PostgreSQL refuses an upsert that touches a row twice)."""
    clock = FixedClock(a.at(0))
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    with uow:
        uow.users.add(a.user(OWNER))
        uow.trackers.add(a.tracker("t1", OWNER, "player"))
        uow.commit()
    fetcher = FakeFetcher()  # answers the current page whatever season is asked for
    fetcher.pages[("steam/player", None)] = page(available=(31, 32, 33, 34))
    outcome = _scrape(engine, fetcher, clock, "t1")
    assert outcome.result == "completed"
    assert [season for _, season in fetcher.calls] == [None, 33, 32, 31]
    with uow:
        assert [s.season_number for s in uow.seasons.for_tracker("t1")] == [34]
        [log], _ = uow.scraping_logs.search("t1", None, 1, 10)
        assert (log.status, log.seasons_scraped, log.seasons_failed) == ("PARTIAL", 1, 3)


@pytest.mark.parametrize("memberships", [0, 1, 3])
def test_the_memberships_the_save_returns_are_those_a_read_finds(
    engine: Engine, memberships: int
) -> None:
    """The store's save reads the owner's memberships in its own statement on PostgreSQL: the
    unit of work then answers exactly what a separate read answers (current memberships only,
    in guild order, each guild's settings), and a lost lease returns no tracker."""
    clock = FixedClock(a.at(0))
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    guilds = [f"30000000000000000{n}" for n in range(4)]
    with uow:
        uow.users.add(a.user(OWNER))
        uow.trackers.add(a.tracker("t1", OWNER, "player"))
        for n, guild_id in enumerate(reversed(guilds)):
            uow.guilds.add(a.guild(guild_id))
            uow.guilds.save_settings(guild_id, attrs.evolve(a.custom_settings(), mmr=MmrConfig()))
            if n < memberships:
                uow.guilds.save_member(a.member(guild_id, OWNER, roles=(f"r{n}",)))
        uow.guilds.save_member(a.member(guilds[0], OWNER, is_banned=True))  # not current
        uow.commit()
    with uow:
        expected = uow.guilds.memberships(OWNER)
        expected_settings = [uow.guilds.settings(m.guild_id) for m in expected]
    assert len(expected) == memberships
    with uow:
        claimed = uow.trackers.claim("t1", clock.now(), timedelta(minutes=5), "token-1")
        assert claimed is not None
        uow.commit()
    with uow:
        assert uow.trackers.save_scrape(claimed, "another-token") is None  # lease not held
    with uow:
        saved = uow.trackers.save_scrape(claimed, "token-1")
        assert saved is not None and saved.id == "t1"
        assert uow.guilds.memberships(OWNER) == expected
        assert [uow.guilds.settings(m.guild_id) for m in expected] == expected_settings
        uow.commit()
