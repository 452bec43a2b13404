"""The bot's full guild sync of 2,000 members, as a ratio to a bare bulk insert of the same rows.

Usage: ``.venv/bin/python bench/bench_sync.py [--rounds 5]`` (env ``BENCH_POSTGRES_URL``: the
maintenance database of the server, default ``postgresql://postgres@127.0.0.1:5432/postgres``).

For SQLite (a temporary file) and PostgreSQL (a new database, dropped at the end), each round
times, on freshly migrated tables:

- ``floor``: one transaction inserting the 2,000 users and the 2,000 membership rows with two
  plain executemany INSERTs through the same SQLAlchemy engine (no reads, no upsert logic);
- ``sync new``: ``sync_guild`` of a new guild with 2,000 new members (what the bot's start-up
  does the first time);
- ``sync again``: the same guild synced again with half the members replaced and every role
  changed (a later start-up).

Prints the median and range of each, in milliseconds, and the ratios to the floor. Results:
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import Engine, insert

from adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    upgrade_database,
)
from adapters.sql.tables import guild_members, guilds, metadata, users
from tracker_core.guilds import UserProfile
from tracker_core.ports import Clock
from tracker_core.use_cases.guilds import GuildData
from tracker_core.use_cases.members import MemberData, SyncGuild, sync_guild

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MEMBERS = 2000
GUILD = "100000000000000001"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ROLE = "300000000000000001"


class _Clock:
    def now(self) -> datetime:
        return NOW


CLOCK: Clock = _Clock()


@contextmanager
def postgres_url() -> Iterator[str]:
    """A new database on the server, dropped at the end."""
    name = f"tracker_bench_sync_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{ADMIN_URL.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def members(first: int, roles: tuple[str, ...]) -> tuple[MemberData, ...]:
    return tuple(
        MemberData(
            user_id=str(first + i),
            roles=roles,
            nickname=f"nick{i}" if i % 3 else None,
            profile=UserProfile(username=f"user{i}"),
        )
        for i in range(MEMBERS)
    )


def empty_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in (guild_members, guilds, users):
            conn.execute(metadata.tables[table.name].delete())


def floor(engine: Engine) -> None:
    """The same rows with two bare bulk INSERTs in one transaction."""
    user_rows = [
        {
            "id": m.user_id,
            "username": m.profile.username,
            "created_at": NOW,
            "updated_at": NOW,
            "version": 0,
        }
        for m in members(10**17, (ROLE,))
    ]
    member_rows = [
        {
            "guild_id": GUILD,
            "user_id": row["id"],
            "roles": [ROLE],
            "nickname": None,
            "is_banned": False,
            "is_deleted": False,
        }
        for row in user_rows
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(guilds).values(
                id=GUILD, name="League", is_active=True, created_at=NOW, updated_at=NOW, version=0
            )
        )
        conn.execute(insert(users), user_rows)
        conn.execute(insert(guild_members), member_rows)


def sync_new(engine: Engine) -> None:
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    cmd = SyncGuild(
        guild_id=GUILD,
        members=members(10**17, (ROLE,)),
        guild=GuildData(name="League", owner_id=GUILD, member_count=MEMBERS),
        admin_roles=(ROLE,),
    )
    sync_guild(cmd, uow=uow, clock=CLOCK)


def sync_again(engine: Engine) -> None:
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    half = members(10**17 + MEMBERS // 2, ())[: MEMBERS // 2] + members(2 * 10**17, ())
    cmd = SyncGuild(guild_id=GUILD, members=half[:MEMBERS], guild=GuildData(name="League"))
    sync_guild(cmd, uow=uow, clock=CLOCK)


def timed(engine: Engine, work: Callable[[Engine], None], setup: Callable[[Engine], None]) -> float:
    setup(engine)
    start = time.perf_counter()
    work(engine)
    return (time.perf_counter() - start) * 1000


def run(name: str, url: str, rounds: int) -> None:
    upgrade_database(url)
    engine = create_engine_for(url)
    results: dict[str, list[float]] = {"floor": [], "sync new": [], "sync again": []}
    try:
        for _ in range(rounds):
            results["floor"].append(timed(engine, floor, empty_tables))
            results["sync new"].append(timed(engine, sync_new, empty_tables))
            results["sync again"].append(timed(engine, sync_again, lambda _: None))
    finally:
        engine.dispose()
    base = statistics.median(results["floor"])
    print(f"\n{name}: {MEMBERS} members, {rounds} rounds (ms: median [min-max], ratio to floor)")
    for label, values in results.items():
        median = statistics.median(values)
        print(
            f"  {label:<11} {median:8.1f} [{min(values):.1f}-{max(values):.1f}]"
            f"  x{median / base:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{Path(folder) / 'sync.sqlite3'}", args.rounds)
    with postgres_url() as url:
        run("PostgreSQL", url, args.rounds)


if __name__ == "__main__":
    main()
