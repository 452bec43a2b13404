"""A numbers pull of a 2,000-member guild, as a ratio to a bare bulk insert of the same rows.

Usage: ``.venv/bin/python bench/bench_pulls.py [--rounds 5] [--members 2000]`` (env
``BENCH_POSTGRES_URL``: the maintenance database of the server, default
``postgresql://postgres@127.0.0.1:5432/postgres``).

For SQLite (a temporary file) and PostgreSQL (a new database, dropped at the end), the guild is
seeded once: every member has two live trackers (the second one stronger for every third
member) with three stored seasons each, plus a deleted tracker, so the two-newest-seasons
filter and the live filter both do work. Each round times:

- ``floor``: one transaction inserting the same number of pull rows (the rows a pull writes)
  with one plain executemany INSERT through the same SQLAlchemy engine;
- ``pull``: ``create_pull`` -- reading every member's trackers and seasons, choosing the
  strongest tracker, eligibility over two seasons, and writing the numbered pull (one
  transaction);
- ``standings``: ``guild_standings`` (what ``GET …/mmr`` computes).

Prints the median and range of each, in milliseconds, and the ratios to the floor. Results:
docs/benchmarks.md. The issue's bar: a pull under 2 s on PostgreSQL.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Engine, delete, insert

from adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    upgrade_database,
)
from adapters.sql.mapping import season_to_row
from adapters.sql.tables import (
    guild_members,
    guild_settings,
    guilds,
    league_pull_rows,
    league_pulls,
    tracker_seasons,
    trackers,
    users,
)
from tracker_core.guilds import GuildSettings
from tracker_core.league import EligibilityRules
from tracker_core.model import TrackerSeason
from tracker_core.stats import PlaylistStats, SeasonStats
from tracker_core.use_cases.league import CreatePull, create_pull, guild_standings

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
GUILD = "100000000000000001"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class _Clock:
    def now(self) -> datetime:
        return NOW


@contextmanager
def postgres_url() -> Iterator[str]:
    """A new database on the server, dropped at the end."""
    name = f"tracker_bench_pulls_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{ADMIN_URL.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _stats(rating: int, games: int) -> PlaylistStats:
    return PlaylistStats(rating=rating, matches_played=games, all_time_peak_rating=rating + 40)


def _season(tracker_id: str, number: int, rating: int) -> dict[str, Any]:
    stats = SeasonStats(
        number,
        f"Season {number}",
        {
            "1v1": _stats(rating - 200, 30),
            "2v2": _stats(rating, 40 + number),
            "3v3": _stats(rating + 25, 20),
            "4v4": None,
        },
    )
    at = NOW - timedelta(days=40 - number)
    row = TrackerSeason(
        id=f"s{tracker_id[1:]}{number}"[:32],
        tracker_id=tracker_id,
        stats=stats,
        scraped_at=at,
        created_at=at,
        updated_at=at,
    )
    return season_to_row(row)


def _tracker(tracker_id: str, user_id: str, *, deleted: bool = False) -> dict[str, Any]:
    return {
        "id": tracker_id,
        "url": f"https://tracker.gg/rocket-league/profile/steam/{tracker_id}/overview",
        "game": "ROCKET_LEAGUE",
        "platform": "STEAM",
        "username": tracker_id,
        "identity": f"steam:{tracker_id}",
        "api_path": f"steam/{tracker_id}",
        "user_id": user_id,
        "is_active": True,
        "is_deleted": deleted,
        "deleted_at": NOW if deleted else None,
        "last_scraped_at": NOW - timedelta(days=1),
        "scraping_status": "COMPLETED",
        "scraping_attempts": 0,
        "created_at": NOW,
        "updated_at": NOW,
        "version": 0,
    }


def seed(engine: Engine, members: int) -> None:
    """The guild, its settings (eligibility over two seasons), members, trackers, seasons."""
    settings = GuildSettings(
        eligibility=EligibilityRules(2, {"twos": 50, "combined": 80}),
    ).to_dict()
    user_rows, member_rows, tracker_rows, season_rows = [], [], [], []
    for i in range(members):
        user_id = str(10**17 + i)
        user_rows.append({"id": user_id, "username": f"u{i}", "created_at": NOW, "updated_at": NOW})
        member_rows.append(
            {
                "guild_id": GUILD,
                "user_id": user_id,
                "roles": [],
                "is_banned": False,
                "is_deleted": False,
            }
        )
        for k in range(3):
            tracker_id = f"c{i:020d}{k:04d}"
            tracker_rows.append(_tracker(tracker_id, user_id, deleted=k == 2))
            base = 800 + (i * 7) % 900 + (150 if k == 1 and i % 3 == 0 else 0)
            season_rows += [_season(tracker_id, n, base + n) for n in (32, 33, 34)]
    with engine.begin() as conn:
        conn.execute(
            insert(guilds).values(
                id=GUILD, name="League", is_active=True, created_at=NOW, updated_at=NOW
            )
        )
        conn.execute(insert(guild_settings).values(guild_id=GUILD, settings=settings))
        conn.execute(insert(users), user_rows)
        conn.execute(insert(guild_members), member_rows)
        conn.execute(insert(trackers), tracker_rows)
        conn.execute(insert(tracker_seasons), season_rows)


def floor(engine: Engine, members: int) -> None:
    """The same number of pull rows with one bare executemany INSERT (plus the header)."""
    pull_id = "cfloor" + secrets.token_hex(8)
    rows = [
        {
            "pull_id": pull_id,
            "user_id": str(10**17 + i),
            "tracker_id": f"c{i:020d}0001",
            "mmr": 1000 + i,
            "algorithm": "ASCENDANCY",
            "inputs": {"twos": 1000 + i, "twosGames": 74, "threes": 1025 + i},
            "eligible": True,
            "reasons": [],
            "games": {"ones": 60, "twos": 148, "threes": 40, "fours": 0, "combined": 188},
            "data_at": NOW,
            "stale": False,
            "reason": "highest ASCENDANCY MMR 1150 of 2 trackers (next 1000)",
        }
        for i in range(members)
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(league_pulls).values(
                id=pull_id,
                guild_id="floor",
                number=1,
                name="floor",
                created_at=NOW,
                settings={},
                member_count=members,
            )
        )
        conn.execute(insert(league_pull_rows), rows)


def pull(engine: Engine, members: int) -> None:
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    made = create_pull(CreatePull(guild_id=GUILD, name="bench"), uow=uow, clock=_Clock())
    assert made.member_count == members


def standings(engine: Engine, members: int) -> None:
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    assert len(guild_standings(GUILD, uow=uow, clock=_Clock())) == members


def clear_pulls(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(league_pull_rows))
        conn.execute(delete(league_pulls))


def timed(engine: Engine, members: int, work: Callable[[Engine, int], None]) -> float:
    clear_pulls(engine)
    start = time.perf_counter()
    work(engine, members)
    return (time.perf_counter() - start) * 1000


def run(name: str, url: str, rounds: int, members: int) -> None:
    upgrade_database(url)
    engine = create_engine_for(url)
    results: dict[str, list[float]] = {"floor": [], "pull": [], "standings": []}
    try:
        seed(engine, members)
        for _ in range(rounds):
            for label, work in (("floor", floor), ("pull", pull), ("standings", standings)):
                results[label].append(timed(engine, members, work))
    finally:
        engine.dispose()
    base = statistics.median(results["floor"])
    print(
        f"\n{name}: {members} members, {2 * members} live trackers, {9 * members} seasons,"
        f" {rounds} rounds (ms: median [min-max], ratio to floor)"
    )
    for label, values in results.items():
        median = statistics.median(values)
        print(
            f"  {label:<10} {median:8.1f} [{min(values):.1f}-{max(values):.1f}]"
            f"  x{median / base:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--members", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{Path(folder) / 'pulls.sqlite3'}", args.rounds, args.members)
    with postgres_url() as url:
        run("PostgreSQL", url, args.rounds, args.members)


if __name__ == "__main__":
    main()
