"""A numbers pull and the standings are a fixed number of statements, whatever the guild's
size (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert
from tests import pg
from tests.builders import season
from tests.fakes import FixedClock

from adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    upgrade_database,
)
from adapters.sql.mapping import season_to_row
from adapters.sql.tables import guild_members, guilds, tracker_seasons, trackers, users
from tracker_core.model import TrackerSeason
from tracker_core.use_cases.league import CreatePull, create_pull, guild_standings

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
STATEMENT_BUDGET = 12


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'pulls.sqlite3'}"
        upgrade_database(url)
        found = create_engine_for(url)
        yield found
        found.dispose()
        return
    with pg.fresh_database("tracker_pull_statements") as url:
        upgrade_database(url)
        found = create_engine_for(url)
        yield found
        found.dispose()


def seed(engine: Engine, guild_id: str, count: int) -> None:
    """A guild of ``count`` members with two trackers of three seasons each."""
    user_rows, member_rows, tracker_rows, season_rows = [], [], [], []
    for i in range(count):
        user_id = f"{guild_id[:6]}{i:012d}"
        user_rows.append({"id": user_id, "username": user_id, "created_at": NOW, "updated_at": NOW})
        member_rows.append(
            {
                "guild_id": guild_id,
                "user_id": user_id,
                "roles": [],
                "is_banned": False,
                "is_deleted": False,
            }
        )
        for k in range(2):
            tracker_id = f"c{guild_id[:6]}{i:014d}{k:04d}"
            tracker_rows.append(
                {
                    "id": tracker_id,
                    "url": tracker_id,
                    "game": "ROCKET_LEAGUE",
                    "platform": "STEAM",
                    "username": tracker_id,
                    "identity": tracker_id,
                    "api_path": tracker_id,
                    "user_id": user_id,
                    "is_active": True,
                    "is_deleted": False,
                    "last_scraped_at": NOW - timedelta(days=k),
                    "scraping_status": "COMPLETED",
                    "scraping_attempts": 0,
                    "created_at": NOW,
                    "updated_at": NOW,
                    "version": 0,
                }
            )
            for number in (32, 33, 34):
                stats = season(number, twos=(1000 + i + k * 50, 60), threes=(900 + i, 40))
                season_rows.append(
                    season_to_row(
                        TrackerSeason(
                            id=f"s{tracker_id[1:]}{number}"[:32],
                            tracker_id=tracker_id,
                            stats=stats,
                            scraped_at=NOW,
                            created_at=NOW,
                            updated_at=NOW,
                        )
                    )
                )
    with engine.begin() as conn:
        conn.execute(
            insert(guilds).values(
                id=guild_id, name="League", is_active=True, created_at=NOW, updated_at=NOW
            )
        )
        conn.execute(insert(users), user_rows)
        conn.execute(insert(guild_members), member_rows)
        conn.execute(insert(trackers), tracker_rows)
        conn.execute(insert(tracker_seasons), season_rows)


def statements(engine: Engine, guild_id: str) -> tuple[int, int]:
    """(statements of a pull, statements of the standings) of the guild."""
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    counted: list[str] = []

    def count(*args: Any) -> None:
        counted.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        made = create_pull(CreatePull(guild_id=guild_id, name="p"), uow=uow, clock=FixedClock(NOW))
        pulled = len(counted)
        counted.clear()
        standings = guild_standings(guild_id, uow=uow, clock=FixedClock(NOW))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert made.member_count == len(standings)
    return pulled, len(counted)


def test_pull_and_standings_statements_do_not_grow_with_the_guild(engine: Engine) -> None:
    seed(engine, "100000000000000001", 10)
    seed(engine, "200000000000000002", 300)
    small = statements(engine, "100000000000000001")
    large = statements(engine, "200000000000000002")
    assert small == large
    assert large[0] <= STATEMENT_BUDGET and large[1] <= STATEMENT_BUDGET
