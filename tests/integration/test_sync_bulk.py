"""A full guild sync is a handful of bulk statements, whatever the number of members."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from tests import pg
from tests.fakes import FixedClock

from adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    upgrade_database,
)
from tracker_core.guilds import UserProfile
from tracker_core.use_cases.guilds import GuildData
from tracker_core.use_cases.members import MemberData, SyncGuild, sync_guild

GUILD = "100000000000000001"
STATEMENT_BUDGET = 16


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'sync.sqlite3'}"
        upgrade_database(url)
        found = create_engine_for(url)
        yield found
        found.dispose()
        return
    with pg.fresh_database("tracker_sync") as url:
        upgrade_database(url)
        found = create_engine_for(url)
        yield found
        found.dispose()


def members(count: int, prefix: int, roles: tuple[str, ...] = ("300000000000000001",)) -> Any:
    return tuple(
        MemberData(
            user_id=str(prefix + i),
            roles=roles,
            nickname=None if i % 2 else f"nick{i}",
            profile=UserProfile(username=f"user{i}"),
        )
        for i in range(count)
    )


def test_a_2000_member_sync_is_a_few_bulk_statements(engine: Engine) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]).split()[0])

    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    guild = GuildData(name="League", owner_id=GUILD, member_count=2000)
    event.listen(engine, "before_cursor_execute", count)
    try:
        first = SyncGuild(
            guild_id=GUILD, members=members(2000, 10**17), guild=guild, admin_roles=("1" * 18,)
        )
        assert sync_guild(first, uow=uow, clock=clock).members_synced == 2000
        created = len(statements)
        statements.clear()
        # Half leave, 1,000 join, everyone's roles change, the survivors are renamed.
        later = members(1000, 10**17 + 1000, roles=()) + members(1000, 2 * 10**17)
        again = SyncGuild(guild_id=GUILD, members=later, guild=guild)
        assert sync_guild(again, uow=uow, clock=clock).members_synced == 2000
        updated = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert created <= STATEMENT_BUDGET, statements
    assert updated <= STATEMENT_BUDGET, statements
    with uow:
        stored = uow.guilds.members(GUILD)
        assert len(stored) == 2000
        assert {m.user_id for m in stored} == {m.user_id for m in later}
        renamed = uow.users.get(str(10**17 + 1000))
        assert renamed is not None and renamed.username == "user0"
