"""Queries that grow with their answer: the status overview and a 3,000-tracker guild's selection
at 10k, 100k and 300k trackers, as ratios to their time at 10k (and to a primary-key lookup).

Usage: ``.venv/bin/python bench/bench_growth.py [--rounds 5]`` (env ``BENCH_POSTGRES_URL``, the
maintenance database, default ``postgresql://postgres@127.0.0.1:5432/postgres``).

For each size a new database is migrated and seeded with ``INSERT ... SELECT generate_series``
(4 trackers per user; 1 in 7 PENDING, the rest scraped in the last 48 h; 3 % deleted), then
``VACUUM ANALYZE``d at the default planner settings. The guild holds the owners of exactly 3,000
trackers. The three databases live side by side and the rounds interleave them, so that the
load of a shared machine falls on every size alike. Timed through ``SqlAlchemyUnitOfWork``
(median of ``--rounds`` rounds, each the median of 30 calls; the rounds give the range):

- ``pk``: ``trackers.get(id)``, the floor;
- ``overview``: ``trackers.status_counts()`` as the API serves it (the process's 5 s cache);
- ``overview uncached``: the count itself (what every request paid before);
- ``guild``: ``pending_or_stale_ids(now - 24 h, guild)`` (an index-only scan of
  ``ix_trackers_user_id_live_refresh``);
- ``guild heap``: the same call on a connection with ``enable_indexonlyscan = off``: an index
  scan that reads each tracker's heap page, the plan before that covering index (migration
  0010);
- ``guild join``: the former join form of the same selection (for comparison).

The 300k / 10k ratio of the guild cases is also given round by round (the sizes of one round
are timed seconds apart, so a busy minute weighs on both sides), and, as a measure the load of
the machine does not blur, the shared buffers one guild selection touches (``EXPLAIN (ANALYZE,
BUFFERS)``).

Exits 1 when the overview at 300k is above 2x its time at 10k, or the guild selection is.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, false, select, text, true

from adapters.sql import (
    SqlAlchemyUnitOfWork,
    StatusCountsCache,
    create_engine_for,
    create_session_factory,
    upgrade_database,
)
from adapters.sql.tables import LIVE, guild_members, trackers
from bench_queries import bench_database

SIZES = (10_000, 100_000, 300_000)
GUILD = "900000000000000000"
GUILD_TRACKERS = 3_000
NOW = datetime(2026, 6, 1, tzinfo=UTC)
SEED = """
INSERT INTO users (id, username, created_at, updated_at)
SELECT (100000000000000000 + n)::text, 'user' || n, now(), now()
FROM generate_series(0, :users - 1) AS n;
INSERT INTO guilds (id, name, is_active, created_at, updated_at)
VALUES (:guild, 'League', true, now(), now());
INSERT INTO guild_members (guild_id, user_id, roles, is_banned, is_deleted)
SELECT :guild, (100000000000000000 + n * (:users / :members))::text, '[]'::jsonb, false, false
FROM generate_series(0, :members - 1) AS n;
INSERT INTO trackers (id, url, game, platform, username, identity, api_path, user_id,
    is_active, is_deleted, last_scraped_at, scraping_status, scraping_attempts, created_at,
    updated_at, version)
SELECT 'c' || lpad(n::text, 24, '0'), 'https://example.invalid/' || n, 'ROCKET_LEAGUE',
    'STEAM', 'player' || n, 'steam:player' || n, 'steam/player' || n,
    (100000000000000000 + n / 4)::text, true, n % 33 = 1,
    CASE WHEN n % 7 = 0 THEN NULL ELSE :now - (n % 2880) * interval '1 minute' END,
    CASE WHEN n % 7 = 0 THEN 'PENDING' ELSE 'COMPLETED' END, 0, now(), now(), 0
FROM generate_series(0, :trackers - 1) AS n;
"""


def median_ms(call: Callable[[], object], repeat: int = 30) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _no_index_only_scans(dbapi_connection: Any, _record: object) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET enable_indexonlyscan = off")
    dbapi_connection.commit()


def shared_buffers(engine: Engine, call: Callable[[], object]) -> int:
    """Shared buffers (hit + read) the one statement of ``call`` touches, from ``EXPLAIN
    (ANALYZE, BUFFERS)`` on ``engine``: a measure of its work that load does not blur."""
    sent: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        sent.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    [(statement, params)] = [(q, p) for q, p in sent if q.lstrip().upper().startswith("SELECT")]
    with engine.connect() as conn:
        plan = conn.exec_driver_sql(
            f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}", params
        ).scalar_one()
    node = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    return int(node["Shared Hit Blocks"] + node["Shared Read Blocks"])


def prepare(stack: ExitStack, size: int) -> tuple[dict[str, Callable[[], object]], dict[str, int]]:
    """A seeded database of ``size`` trackers; the timed calls on it."""
    url = stack.enter_context(bench_database())
    upgrade_database(url)
    engine = create_engine_for(url)
    stack.callback(engine.dispose)
    users = size // 4
    params = {
        "users": users,
        "members": GUILD_TRACKERS // 4,
        "trackers": size,
        "guild": GUILD,
        "now": NOW,
    }
    with engine.begin() as conn:
        for statement in SEED.split(";"):
            if statement.strip():
                conn.execute(text(statement), params)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    connect = create_session_factory(engine)
    heap_engine = create_engine_for(url)
    stack.callback(heap_engine.dispose)
    event.listen(heap_engine, "connect", _no_index_only_scans)
    heap = SqlAlchemyUnitOfWork(create_session_factory(heap_engine))
    cached = SqlAlchemyUnitOfWork(connect, StatusCountsCache())
    plain = SqlAlchemyUnitOfWork(connect)
    stale = NOW - timedelta(hours=24)
    join = (
        select(trackers.c.id)
        .join(
            guild_members,
            (guild_members.c.user_id == trackers.c.user_id)
            & (guild_members.c.guild_id == GUILD)
            & (guild_members.c.is_banned == false())
            & (guild_members.c.is_deleted == false()),
        )
        .where(
            LIVE,
            trackers.c.is_active == true(),
            trackers.c.scraping_status != "IN_PROGRESS",
            (trackers.c.scraping_status == "PENDING")
            | trackers.c.last_scraped_at.is_(None)
            | (trackers.c.last_scraped_at < stale),
        )
        .order_by(trackers.c.id)
    )

    def in_uow(
        uow: SqlAlchemyUnitOfWork, call: Callable[[SqlAlchemyUnitOfWork], object]
    ) -> Callable[[], object]:
        def run() -> object:
            with uow:
                return call(uow)

        return run

    def joined_ids() -> list[str]:
        with engine.connect() as conn:
            return list(conn.execute(join).scalars())

    with plain:
        selected = plain.trackers.pending_or_stale_ids(stale, GUILD)
    assert selected == joined_ids(), "the two forms of the selection disagree"
    cases = {
        "pk": in_uow(plain, lambda u: u.trackers.get(f"c{size // 2:024d}")),
        "overview": in_uow(cached, lambda u: u.trackers.status_counts()),
        "overview uncached": in_uow(plain, lambda u: u.trackers.status_counts()),
        "guild": in_uow(plain, lambda u: u.trackers.pending_or_stale_ids(stale, GUILD)),
        "guild heap": in_uow(heap, lambda u: u.trackers.pending_or_stale_ids(stale, GUILD)),
        "guild join": joined_ids,
    }
    for call in cases.values():
        call()
        call()
    print(f"  {size:,} trackers: guild selection returns {len(selected):,} ids")
    buffers = {
        "guild": shared_buffers(engine, cases["guild"]),
        "guild heap": shared_buffers(heap_engine, cases["guild heap"]),
    }
    return cases, buffers


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    by_size: dict[int, dict[str, list[float]]] = {}
    with ExitStack() as stack:
        prepared = {size: prepare(stack, size) for size in SIZES}
        calls = {size: cases for size, (cases, _) in prepared.items()}
        for size, cases in calls.items():
            by_size[size] = {name: [] for name in cases}
        for _ in range(args.rounds):  # sizes interleaved: a busy moment hits all of them
            for size, cases in calls.items():
                for name, call in cases.items():
                    by_size[size][name].append(median_ms(call))
    names = list(by_size[SIZES[0]])
    print(f"median ms (min-max over {args.rounds} rounds); ratio to the same case at 10k")
    header = "".join(f"{f'{s:,}':>30}" for s in SIZES)
    print(f"{'case':<20}{header}")
    failed = False
    for name in names:
        cells = []
        base = statistics.median(by_size[SIZES[0]][name])
        for size in SIZES:
            runs = by_size[size][name]
            med = statistics.median(runs)
            cells.append(f"{med:.3f} ({min(runs):.2f}-{max(runs):.2f}) {med / base:.1f}x")
        print(f"{name:<20}" + "".join(f"{c:>30}" for c in cells))
        if name in ("overview", "guild"):
            ratio = statistics.median(by_size[SIZES[-1]][name]) / base
            ok = ratio <= 2.0
            failed |= not ok
            print(f"  {name}: 300k / 10k = {ratio:.2f} (goal <= 2.0) {'ok' if ok else 'MISSED'}")
        if name.startswith("guild"):
            rounds = zip(by_size[SIZES[0]][name], by_size[SIZES[-1]][name], strict=True)
            per_round = sorted(big / small for small, big in rounds)
            print(
                f"  {name}: 300k / 10k within a round: median {statistics.median(per_round):.2f}"
                f" ({per_round[0]:.2f}-{per_round[-1]:.2f})"
            )
    print("shared buffers one execution touches (hit + read); ratio to 10k")
    for name in prepared[SIZES[0]][1]:
        base_buffers = prepared[SIZES[0]][1][name]
        cells = [
            f"{prepared[size][1][name]:,} {prepared[size][1][name] / base_buffers:.2f}x"
            for size in SIZES
        ]
        print(f"{name:<20}" + "".join(f"{c:>30}" for c in cells))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
