"""Repository queries at 100,000 trackers on PostgreSQL, as ratios to a primary-key lookup.

Usage: ``.venv/bin/python bench/bench_queries.py`` (env ``BENCH_POSTGRES_URL``: the maintenance
database of the server, default ``postgresql://postgres@127.0.0.1:5432/postgres``). Creates its
own database, seeds it with COPY, ANALYZEs, times each query through the SQLAlchemy unit of
work and prints each statement's EXPLAIN ANALYZE plan; then does it again with
``random_page_cost = 1.1`` (SSD setting), and drops the database. Results: docs/benchmarks.md.
"""

from __future__ import annotations

import os
import random
import secrets
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Engine, event

from adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    upgrade_database,
)
from tracker_core.model import TrackerQuery

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TRACKERS, USERS, GUILDS = 100_000, 25_000, 50
BIG_GUILD_USERS = 3_750  # x 4 trackers each = 15,000 trackers
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
STATUSES = ["COMPLETED"] * 70 + ["PENDING"] * 15 + ["FAILED"] * 10 + ["IN_PROGRESS"] * 5
TRACKER_COLUMNS = (
    "id, url, game, platform, username, identity, api_path, user_id, is_active, is_deleted, "
    "last_scraped_at, scraping_status, scraping_attempts, lease_expires_at, created_at, "
    "updated_at, version"
)


@contextmanager
def bench_database() -> Iterator[str]:
    """A new database on the server, dropped at the end; yields its URL."""
    name = f"tracker_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{ADMIN_URL.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def user_id(n: int) -> str:
    """The snowflake-like id of seeded user ``n``."""
    return f"{100000000000000000 + n}"


def tracker_rows(rng: random.Random) -> Iterator[tuple[Any, ...]]:
    """Four trackers per user: mostly scraped in the last two days, some pending or failed."""
    for n in range(TRACKERS):
        status = rng.choice(STATUSES)
        scraped = None if status == "PENDING" else NOW - timedelta(minutes=rng.randint(1, 2880))
        lease = NOW + timedelta(minutes=rng.randint(-30, 10)) if status == "IN_PROGRESS" else None
        created = NOW - timedelta(days=365) + timedelta(seconds=n * 300)
        name = f"player{n}"
        yield (
            f"c{n:024d}",
            f"https://rocketleague.tracker.network/rocket-league/profile/steam/{name}/overview",
            "ROCKET_LEAGUE",
            "STEAM",
            name,
            f"steam:{name}",
            f"steam/{name}",
            user_id(n // 4),
            rng.random() > 0.05,
            rng.random() < 0.03,
            scraped,
            status,
            0,
            lease,
            created,
            created,
            0,
        )


def member_rows() -> Iterator[tuple[str, str, str]]:
    """Guild 0 holds the owners of 15,000 trackers; every user is also in one other guild."""
    for n in range(USERS):
        if n < BIG_GUILD_USERS:
            yield guild_id(0), user_id(n), "[]"
        yield guild_id(1 + n % (GUILDS - 1)), user_id(n), "[]"


def guild_id(n: int) -> str:
    """The snowflake-like id of seeded guild ``n``."""
    return f"{900000000000000000 + n}"


def seed(url: str) -> None:
    """Load users, guilds, members and trackers with COPY, then ANALYZE."""
    rng = random.Random(3)
    started = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY users (id, username, created_at, updated_at) FROM STDIN") as copy:
            for n in range(USERS):
                copy.write_row((user_id(n), f"user{n}", NOW, NOW))
        with cur.copy("COPY guilds (id, name, is_active, created_at, updated_at) FROM STDIN") as cp:
            for n in range(GUILDS):
                cp.write_row((guild_id(n), f"Guild {n}", True, NOW, NOW))
        with cur.copy(
            "COPY guild_members (guild_id, user_id, roles, is_banned, is_deleted) FROM STDIN"
        ) as copy:
            for g, u, roles in member_rows():
                copy.write_row((g, u, roles, False, False))
        with cur.copy(f"COPY trackers ({TRACKER_COLUMNS}) FROM STDIN") as copy:
            for row in tracker_rows(rng):
                copy.write_row(row)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"seeded {TRACKERS:,} trackers, {USERS:,} users, {GUILDS} guilds "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip


def median_ms(call: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``call`` in milliseconds, after two warm-up calls."""
    call()
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def statements_of(engine: Engine, call: Callable[[], object]) -> list[tuple[str, Any]]:
    """The SQL statements (with parameters) that ``call`` sends."""
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def explain(engine: Engine, statement: str, params: Any) -> list[str]:
    """The EXPLAIN ANALYZE lines of one statement."""
    with engine.connect() as conn:
        result = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {statement}", params)
        return [row[0] for row in result]


def cases(uow: SqlAlchemyUnitOfWork) -> list[tuple[str, Callable[[], object], int]]:
    """(name, call, repetitions) of each measured query; the first is the baseline."""
    rng = random.Random(7)
    stale = NOW - timedelta(hours=24)
    trackers = uow.trackers

    def by_id() -> object:
        return trackers.get(f"c{rng.randrange(TRACKERS):024d}")

    def page() -> object:
        return trackers.search(TrackerQuery(user_ids=(user_id(rng.randrange(USERS)),)))

    def guild(n: int) -> Callable[[], object]:
        return lambda: trackers.pending_or_stale_ids(stale, guild_id(n))

    return [
        ("primary-key lookup (baseline)", by_id, 300),
        ("user's tracker page (count + page)", page, 300),
        ("pending-or-stale, 15,000-tracker guild", guild(0), 30),
        ("pending-or-stale, 2,000-tracker guild", guild(1), 30),
        ("admin status overview", trackers.status_counts, 30),
    ]


def measure(url: str, label: str) -> None:
    """Time every case inside one open unit of work, then print the EXPLAIN of each."""
    engine = create_engine_for(url)
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    with uow:
        timings = [(name, median_ms(call, n)) for name, call, n in cases(uow)]
    baseline = timings[0][1]
    print(f"\n### {label}\n\n| query | median ms | ratio to baseline |\n|---|---:|---:|")
    for name, ms in timings:
        print(f"| {name} | {ms:.3f} | {ms / baseline:.1f} |")
    for name, call, _ in cases(uow):
        with uow:
            for statement, params in statements_of(engine, call):
                print(f"\n-- {name}: {' '.join(statement.split())[:150]}")
                print("\n".join(explain(engine, statement, params)))
    engine.dispose()


def run(url: str) -> None:
    """Migrate, seed, and measure with the default and with the SSD planner setting."""
    upgrade_database(url)
    seed(url)
    measure(url, "PostgreSQL defaults (random_page_cost = 4)")
    with psycopg.connect(url, autocommit=True) as conn:
        name = sql.Identifier(url.rpartition("/")[2])
        conn.execute(sql.SQL("ALTER DATABASE {} SET random_page_cost = 1.1").format(name))
    measure(url, "SSD setting (random_page_cost = 1.1)")


def main() -> int:
    with bench_database() as url:
        run(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
