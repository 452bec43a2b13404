"""Round trips of the read path, counted on the wire: PostgreSQL (libpq trace) and Redis.

A unit of work that only reads sends its statements and nothing else (no pre-ping, no
BEGIN/ROLLBACK); a page of trackers and its total are one statement; the throttle is one Redis
command; ``GET /api/trackers/me`` costs one PostgreSQL and one Redis round trip.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
import redis
from dependency_injector import providers
from sqlalchemy import Engine, event
from tests import pg
from tests.contract import aggregates as a
from tests.http.conftest import USER, session_keys
from tests.integration.redis_support import rq_redis_url  # noqa: F401 (fixture)

from adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    upgrade_database,
)
from adapters.sql.ping import ThreadPing
from adapters.throttle import RedisThrottle
from entrypoints.config import load_settings
from entrypoints.container import container_for, require_production
from entrypoints.http.app import create_app
from tracker_core.errors import StorageUnavailableError
from tracker_core.model import TrackerQuery

pytestmark = pytest.mark.postgres


@attrs.define
class Db:
    engine: Engine
    wire: pg.WireTrace
    uow: SqlAlchemyUnitOfWork
    url: str


@pytest.fixture(scope="module")
def db() -> Iterator[Db]:
    with pg.fresh_database("tracker_trips") as url:
        upgrade_database(url)
        engine = create_engine_for(url)
        wire = pg.WireTrace(engine)
        uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
        with uow:
            uow.users.add(a.user(USER))
            for n in range(3):
                uow.trackers.add(a.tracker(f"t{n}", USER, f"player{n}", minute=n))
            uow.commit()
        try:
            yield Db(engine, wire, uow, url)
        finally:
            engine.dispose()


def test_a_page_and_its_total_are_one_round_trip(db: Db) -> None:
    db.wire.mark()
    with db.uow as uow:
        found, total = uow.trackers.search(TrackerQuery(user_ids=(USER,), limit=2))
    assert ([t.id for t in found], total) == (["t2", "t1"], 3)
    trips = db.wire.round_trips()
    assert len(trips) == 1, trips
    assert trips[0].startswith("SELECT trackers.id")


def test_a_page_past_the_end_still_knows_the_total(db: Db) -> None:
    db.wire.mark()
    with db.uow as uow:
        assert uow.trackers.search(TrackerQuery(user_ids=(USER,), limit=2, page=3)) == ([], 3)
    assert len(db.wire.round_trips()) == 2


def test_a_unit_of_work_that_writes_opens_its_transaction_at_the_first_write(db: Db) -> None:
    db.wire.mark()
    with db.uow as uow:
        tracker = uow.trackers.get("t0")
        assert tracker is not None
        uow.trackers.mark_pending(["t0"], a.at(10))
        uow.commit()
    trips = db.wire.round_trips()
    assert [t.split(" ")[0] for t in trips] == ["SELECT", "BEGIN", "UPDATE", "COMMIT"], trips


def test_leaving_without_commit_rolls_back_the_write(db: Db) -> None:
    with db.uow as uow:
        tracker = uow.trackers.get("t1")
        assert tracker is not None
        uow.trackers.mark_pending(["t1"], a.at(20))
    with db.uow as uow:
        again = uow.trackers.get("t1")
        assert again is not None and again.version == tracker.version


def _drop_connections(url: str) -> None:
    with pg.admin() as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (url.rpartition("/")[2],),
        )


def test_a_read_on_a_dropped_connection_is_retried_once(db: Db) -> None:
    with db.uow as uow:
        uow.trackers.get("t2")
    _drop_connections(db.url)
    with db.uow as uow:
        found = uow.trackers.get("t2")
    assert found is not None and found.id == "t2"


def test_a_page_on_a_dropped_connection_is_retried_once(db: Db) -> None:
    with db.uow as uow:
        uow.trackers.search(TrackerQuery(user_ids=(USER,), limit=2))
    _drop_connections(db.url)
    with db.uow as uow:
        found, total = uow.trackers.search(TrackerQuery(user_ids=(USER,), limit=2))
    assert total == 3 and len(found) == 2


def test_a_page_is_seen_by_statement_listeners(db: Db) -> None:
    seen: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.uow as uow:
            uow.trackers.search(TrackerQuery(user_ids=(USER,), limit=2))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(seen) == 1 and seen[0].startswith("SELECT trackers.id")


def test_connections_go_back_to_the_pool_out_of_autocommit(db: Db) -> None:
    with db.uow as uow:
        uow.trackers.search(TrackerQuery(user_ids=(USER,), limit=2))
        uow.trackers.mark_pending(["t0"], a.at(40))
    with db.engine.connect() as conn:
        driver: Any = conn.connection.driver_connection
        assert driver.autocommit is False
        conn.exec_driver_sql("CREATE TEMP TABLE rolled_back (n int)")
        conn.rollback()
        assert conn.exec_driver_sql("SELECT to_regclass('rolled_back')").scalar() is None


def test_a_dropped_connection_inside_a_transaction_is_storage_unavailable(db: Db) -> None:
    with pytest.raises(StorageUnavailableError), db.uow as uow:
        uow.trackers.mark_pending(["t2"], a.at(30))
        _drop_connections(db.url)
        uow.trackers.get("t2")
    with db.uow as uow:
        assert uow.trackers.get("t2") is not None


def test_the_health_ping_is_one_round_trip_on_the_threads_own_connection(db: Db) -> None:
    ping = ThreadPing(db.engine)
    ping.ping()
    checked_out = db.engine.pool.checkedout()  # type: ignore[attr-defined]
    db.wire.mark()
    ping.ping()
    assert db.wire.round_trips() == ["SELECT 1"]
    assert db.engine.pool.checkedout() == checked_out  # type: ignore[attr-defined]


def test_the_health_ping_replaces_a_dropped_connection(db: Db) -> None:
    ping = ThreadPing(db.engine)
    ping.ping()
    _drop_connections(db.url)
    ping.ping()
    db.wire.mark()
    ping.ping()
    assert db.wire.round_trips() == ["SELECT 1"]


def test_the_health_ping_says_unavailable_when_the_database_is_down() -> None:
    engine = create_engine_for("postgresql://postgres@127.0.0.1:1/nowhere", connect_timeout=1)
    try:
        with pytest.raises(StorageUnavailableError):
            ThreadPing(engine).ping()
    finally:
        engine.dispose()


class CountingConnection(redis.Connection):
    """A Redis connection that counts the requests it writes (one per round trip)."""

    sent = 0

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.sent += 1
        super().send_packed_command(command, check_health)


def _counting_redis(url: str) -> redis.Redis:
    return redis.Redis(
        connection_pool=redis.ConnectionPool.from_url(url, connection_class=CountingConnection)
    )


@pytest.mark.redis
def test_the_throttle_is_one_redis_round_trip(rq_redis_url: str) -> None:  # noqa: F811
    client = _counting_redis(rq_redis_url)
    key = f"test-throttle-{uuid.uuid4().hex}:"
    throttle = RedisThrottle(client, limit=2, ttl_ms=60000, prefix=key)
    try:
        throttle.hit("c")  # the first call loads the script into the server
        CountingConnection.sent = 0
        answers = [throttle.hit("c") for _ in range(3)]
        assert CountingConnection.sent == 3
        assert answers[0] is None and answers[1] is not None and 0 < answers[1] <= 60
        assert 59_000 < int(client.pttl(key + "c")) <= 60_000
    finally:
        client.delete(key + "c")
        client.close()


@pytest.mark.redis
def test_get_my_trackers_is_one_postgres_and_one_redis_round_trip(
    db: Db,
    rq_redis_url: str,  # noqa: F811
) -> None:
    keys = session_keys()
    settings = load_settings(
        {},
        database_url=db.url,
        redis_url=rq_redis_url,
        jwt_public_key=keys.public_pem,
        throttle_limit=1000,
    )
    container = require_production(container_for(settings), "the round-trip test")
    container.engine.override(providers.Object(db.engine))
    client = _counting_redis(rq_redis_url)
    container.redis.override(providers.Object(client))
    http = create_app(container).test_client()
    headers = {"Authorization": f"Bearer {keys.token(USER)}"}
    try:
        assert http.get("/api/trackers/me", headers=headers).status_code == 200
        db.wire.mark()
        CountingConnection.sent = 0
        response = http.get("/api/trackers/me?limit=2", headers=headers)
        assert response.status_code == 200
        assert response.get_json()["pagination"]["total"] == 3
        trips = db.wire.round_trips()
        assert len(trips) == 1, trips
        assert CountingConnection.sent == 1
    finally:
        client.delete(f"trackers:throttle:user:{USER}")
        client.close()


def test_memberships_and_settings_are_read_once_until_their_tables_change(db: Db) -> None:
    guild = "333333333333333333"
    with db.uow as uow:
        uow.guilds.add(a.guild(guild))
        uow.commit()
    db.wire.mark()
    with db.uow as uow:
        assert uow.guilds.memberships(USER) == []
        assert uow.guilds.memberships(USER) == []
        first = uow.guilds.settings(guild)
        assert uow.guilds.settings(guild) == first
        assert len(db.wire.round_trips()) == 2
        uow.guilds.save_member(a.member(guild, USER))
        assert [m.guild_id for m in uow.guilds.memberships(USER)] == [guild]
        uow.guilds.save_settings(guild, a.custom_settings())
        assert uow.guilds.settings(guild) == a.custom_settings()
        uow.guilds.delete(guild)
        assert uow.guilds.memberships(USER) == []
        uow.commit()
