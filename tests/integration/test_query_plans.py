"""Plans that grow with their answer: a guild's selection stays index-driven at the default
planner settings, on a table large enough for the planner to prefer a sequential scan of a join,
and reads only the covering index (an index-only scan: no heap page per member once vacuumed).

60,000 trackers of 15,000 users (``INSERT ... SELECT generate_series``, about a second); the big
guild holds the owners of 15 % of them, the small one of 1 %.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from tests import pg

from adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    upgrade_database,
)

pytestmark = pytest.mark.postgres

USERS = 15_000
NOW = datetime(2026, 6, 1, tzinfo=UTC)
BIG, SMALL = "900000000000000000", "900000000000000001"

SEED = """
INSERT INTO users (id, username, created_at, updated_at)
SELECT (100000000000000000 + n)::text, 'user' || n, now(), now()
FROM generate_series(0, :users - 1) AS n;
INSERT INTO guilds (id, name, is_active, created_at, updated_at)
VALUES (:big, 'Big', true, now(), now()), (:small, 'Small', true, now(), now());
INSERT INTO guild_members (guild_id, user_id, roles, is_banned, is_deleted)
SELECT :big, (100000000000000000 + n)::text, '[]'::jsonb, false, false
FROM generate_series(0, :users * 15 / 100 - 1) AS n
UNION ALL
SELECT :small, (100000000000000000 + n)::text, '[]'::jsonb, false, false
FROM generate_series(:users - :users / 100, :users - 1) AS n;
INSERT INTO trackers (id, url, game, platform, username, identity, api_path, user_id,
    is_active, is_deleted, last_scraped_at, scraping_status, scraping_attempts, created_at,
    updated_at, version)
SELECT 'c' || lpad(n::text, 24, '0'), 'https://example.invalid/' || n, 'ROCKET_LEAGUE',
    'STEAM', 'player' || n, 'steam:player' || n, 'steam/player' || n,
    (100000000000000000 + n / 4)::text, true, n % 33 = 0,
    CASE WHEN n % 7 = 0 THEN NULL ELSE :now - (n % 2880) * interval '1 minute' END,
    CASE WHEN n % 7 = 0 THEN 'PENDING' ELSE 'COMPLETED' END, 0, now(), now(), 0
FROM generate_series(0, :users * 4 - 1) AS n;
"""


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with pg.fresh_database("tracker_plans") as url:
        upgrade_database(url)
        engine = create_engine_for(url)
        params = {"users": USERS, "big": BIG, "small": SMALL, "now": NOW}
        with engine.begin() as conn:
            for statement in SEED.split(";"):
                if statement.strip():
                    conn.execute(text(statement), params)
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        try:
            yield engine
        finally:
            engine.dispose()


def _plan_of_selection(engine: Engine, guild_id: str) -> tuple[list[str], dict[str, Any]]:
    sent: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        sent.append((statement, params))

    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    event.listen(engine, "before_cursor_execute", record)
    try:
        with uow:
            ids = uow.trackers.pending_or_stale_ids(NOW - timedelta(hours=24), guild_id)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    [(statement, params)] = sent
    with engine.connect() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", params).scalar_one()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return ids, plan[0]["Plan"]


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


@pytest.mark.parametrize("guild_id", [BIG, SMALL])
def test_a_guild_selection_reads_trackers_through_the_user_index(
    engine: Engine, guild_id: str
) -> None:
    ids, plan = _plan_of_selection(engine, guild_id)
    on_trackers = [n for n in _nodes(plan) if n.get("Relation Name") == "trackers"]
    assert on_trackers, plan
    assert {n["Node Type"] for n in on_trackers} == {"Index Only Scan"}, plan
    assert {n.get("Index Name") for n in on_trackers} == {"ix_trackers_user_id_live_refresh"}, plan
    owners = USERS * 15 // 100 if guild_id == BIG else USERS // 100
    assert 0 < len(ids) <= owners * 4


def test_the_selection_answers_the_guilds_pending_or_stale_trackers(engine: Engine) -> None:
    ids, _ = _plan_of_selection(engine, SMALL)
    with engine.connect() as conn:
        expected = conn.execute(
            text(
                "SELECT t.id FROM trackers t JOIN guild_members m ON m.user_id = t.user_id "
                "WHERE m.guild_id = :g AND NOT t.is_deleted AND t.is_active "
                "AND (t.scraping_status = 'PENDING' OR t.last_scraped_at < :stale) ORDER BY t.id"
            ),
            {"g": SMALL, "stale": NOW - timedelta(hours=24)},
        ).scalars()
        assert ids == list(expected)
