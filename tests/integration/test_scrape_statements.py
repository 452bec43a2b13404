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
from sqlalchemy import Engine, event, update
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
from adapters.sql.tables import trackers
from tracker_core.mmr import MmrConfig
from tracker_core.model import StoredSeasons, TrackerStatus
from tracker_core.policy import Policy
from tracker_core.ports import ProfileFetcher
from tracker_core.stats import ProfilePage
from tracker_core.use_cases.scraping import run_scrape

IN_PROGRESS = TrackerStatus.IN_PROGRESS

OWNER = "111111111111111111"
GUILD = "222222222222222222"
ROUND_TRIPS = {"postgresql": 2, "sqlite": 11}
"""PostgreSQL, round trips on the wire. Claim: one statement in autocommit (``WITH claimed AS
(UPDATE trackers ... RETURNING ...) SELECT ... LEFT JOIN tracker_seasons LEFT JOIN
guild_members``: the tracker, its seasons and its owner's memberships with their guilds'
settings). Store: one statement in autocommit, the UPDATE of the tracker fenced by the lease
and the season, snapshot, log, activity and outbox rows inserted only if it updated the row
(``WITH guard AS (UPDATE ... RETURNING id), w0 AS (INSERT ... SELECT ... FROM guard) ...``): no
BEGIN, no COMMIT. SQLite, statements sent: ``BEGIN IMMEDIATE`` for each unit (no COMMITs on the
listener), the claim's UPDATE, the seasons' and the memberships' SELECTs, the fenced UPDATE and
one INSERT per table."""
STATEMENTS_POSTGRES = 2
"""PostgreSQL statements seen by the event listener: the two round trips."""
IN_A_GUILD = {"round_trips": 6, "statements": 5, "sqlite": 6}
"""An owner in a guild (webhook, MMR, review flags) reads in the store: the owner's trackers for
the rating (which sends the fenced UPDATE first, in a transaction: BEGIN, then the UPDATE on its
own) and the two reads of the review flags (the tracker's recent snapshots for a rating drop,
other holders of the platform account); the inserts, the rating and the webhook's outbox row
included, are one more statement, then COMMIT: 8 round trips, 7 statements. SQLite: one
INSERT more, for the ratings, and the reads."""


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


def _scrape(engine: Engine, fetcher: ProfileFetcher, clock: FixedClock, tracker_id: str) -> Any:
    return run_scrape(
        tracker_id,
        uow=SqlAlchemyUnitOfWork(create_session_factory(engine)),
        fetcher=fetcher,
        clock=clock,
        policy=Policy(),
        rng=random.Random(1),
    )


def _add_owner_and_tracker(uow: SqlAlchemyUnitOfWork, *, in_guild: bool) -> None:
    """OWNER with tracker ``t1``; with ``in_guild``, a member of GUILD (MMR and a webhook)."""
    with uow:
        uow.users.add(a.user(OWNER))
        uow.trackers.add(a.tracker("t1", OWNER, "player"))
        if in_guild:
            uow.guilds.add(a.guild(GUILD))
            uow.guilds.save_member(a.member(GUILD, OWNER))
            uow.guilds.save_settings(GUILD, attrs.evolve(a.custom_settings(), mmr=MmrConfig()))
        uow.commit()


@pytest.mark.parametrize("in_guild", [False, True], ids=["no-guild", "guild"])
def test_a_one_season_scrape_stays_within_its_statement_budget(
    engine: Engine, in_guild: bool
) -> None:
    wire = pg.WireTrace(engine) if engine.dialect.name == "postgresql" else None
    clock = FixedClock(a.at(0))
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    _add_owner_and_tracker(uow, in_guild=in_guild)
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
    extra = IN_A_GUILD if in_guild else dict.fromkeys(IN_A_GUILD, 0)
    if wire is not None:
        assert len(trips) == ROUND_TRIPS["postgresql"] + extra["round_trips"], "\n".join(
            t[:90] for t in trips
        )
        assert len(sent) == STATEMENTS_POSTGRES + extra["statements"], sent
        assert len(sent) <= 8  # the budget for a one-season scrape
    else:
        assert len(trips) <= ROUND_TRIPS["sqlite"] + extra["sqlite"], trips


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


class _ConnectionDroppingFetcher:
    """Answers like ``inner``, after the server has dropped the job's idle pooled connection
    (a PostgreSQL restart during the fetch)."""

    def __init__(self, inner: FakeFetcher, database: str) -> None:
        self._inner, self._database = inner, database

    def fetch_page(self, api_path: str, season: int | None) -> ProfilePage:
        with pg.admin() as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (self._database,),
            )
        return self._inner.fetch_page(api_path, season)


@pytest.mark.postgres
def test_a_store_on_a_dropped_connection_is_sent_again() -> None:
    """The store's one statement runs alone in autocommit: when the pooled connection was
    dropped during the fetch, it is sent again on a new connection and the result is kept."""
    with pg.fresh_database("tracker_store") as url:
        upgrade_database(url)
        engine = create_engine_for(url)
        try:
            uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
            with uow:
                uow.users.add(a.user(OWNER))
                uow.trackers.add(a.tracker("t1", OWNER, "player"))
                uow.commit()
            fetcher = FakeFetcher()
            fetcher.pages[("steam/player", None)] = page(available=(34,))
            dropping = _ConnectionDroppingFetcher(fetcher, url.rpartition("/")[2])
            outcome = _scrape(engine, dropping, FixedClock(a.at(0)), "t1")
            assert outcome.result == "completed"
            with uow:
                tracker = uow.trackers.get("t1")
                assert tracker is not None and tracker.scraping_status == TrackerStatus.COMPLETED
                assert [s.season_number for s in uow.seasons.for_tracker("t1")] == [34]
                assert uow.scraping_logs.search("t1", None, 1, 10)[1] == 1
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
def test_the_memberships_the_claim_returns_are_those_a_read_finds(
    engine: Engine, memberships: int
) -> None:
    """The claim reads the owner's memberships and the tracker's seasons (their numbers, the
    newest in full) in its own statement on PostgreSQL (a row per membership): the unit of work
    then answers exactly what separate reads answer (current memberships only, in guild order,
    each guild's settings; the seasons as ``for_scrape`` reads them alone)."""
    clock = FixedClock(a.at(0))
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    guilds = [f"30000000000000000{n}" for n in range(4)]
    seasons = [
        a.season("s33", "t1", 33),
        a.season("s34", "t1", 34, rating=1900),
        a.season("s31", "t1", 31, rating=1700),
    ]
    with uow:
        uow.users.add(a.user(OWNER))
        uow.trackers.add(a.tracker("t1", OWNER, "player"))
        uow.seasons.upsert_many(seasons)
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
        expected_seasons = uow.seasons.for_scrape("t1")
    assert len(expected) == memberships
    assert expected_seasons == StoredSeasons(frozenset({31, 33, 34}), seasons[1])
    with uow:
        claimed = uow.trackers.claim("t1", clock.now(), timedelta(minutes=5), "token-1")
        assert claimed is not None
        assert uow.seasons.for_scrape("t1") == expected_seasons
        assert uow.guilds.memberships(OWNER) == expected
        assert [uow.guilds.settings(m.guild_id) for m in expected] == expected_settings
        uow.commit()
    assert a.saved_scrape(uow, claimed, "another-token") is None  # lease not held
    saved = a.saved_scrape(uow, claimed, "token-1")
    assert saved is not None and saved.id == "t1"


class _LeaseStealingFetcher:
    """Answers like ``inner``, after another job has taken the tracker's lease."""

    def __init__(self, inner: FakeFetcher, engine: Engine) -> None:
        self._inner, self._engine = inner, engine

    def fetch_page(self, api_path: str, season: int | None) -> ProfilePage:
        with self._engine.begin() as connection:
            connection.execute(update(trackers).values(lease_token="another-job"))
        return self._inner.fetch_page(api_path, season)


@pytest.mark.parametrize("in_guild", [False, True], ids=["no-guild", "guild"])
def test_a_result_whose_lease_was_lost_stores_nothing(engine: Engine, in_guild: bool) -> None:
    """The fenced save fails when another job holds the lease: nothing of the result is stored
    (PostgreSQL sends the save with the inserts, each taking its rows only from the save)."""
    clock = FixedClock(a.at(0))
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    _add_owner_and_tracker(uow, in_guild=in_guild)
    fetcher = FakeFetcher()
    fetcher.pages[("steam/player", None)] = page(available=(34,))
    outcome = _scrape(engine, _LeaseStealingFetcher(fetcher, engine), clock, "t1")
    assert outcome.result == "skipped"
    with uow:
        tracker = uow.trackers.get("t1")
        assert tracker is not None
        assert (tracker.scraping_status, tracker.lease_token) == (IN_PROGRESS, "another-job")
        assert uow.seasons.for_tracker("t1") == []
        assert uow.snapshots.for_tracker("t1") == []
        assert uow.notifications.for_tracker("t1", 10) == []
        assert uow.scraping_logs.search("t1", None, 1, 10)[1] == 0
        assert uow.ratings.for_guild(GUILD) == []
