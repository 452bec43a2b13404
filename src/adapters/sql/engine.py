"""Engines for PostgreSQL (psycopg 3) and SQLite, configured for the unit of work's needs."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import StaticPool

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
POOL_RECYCLE_SECONDS = 1800  # below the idle timeouts of common proxies and load balancers


def normalise_url(url: str | URL) -> URL:
    """The URL with its driver made explicit: ``postgresql://`` becomes psycopg 3.

    Raises:
        ValueError: neither a PostgreSQL nor a SQLite URL.
    """
    parsed = make_url(url)
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        return parsed.set(drivername="sqlite+pysqlite")
    raise ValueError(f"Unsupported database URL scheme: {parsed.drivername}")


def create_engine_for(
    url: str | URL,
    *,
    connect_timeout: float = 5,
    busy_timeout: float = SQLITE_BUSY_TIMEOUT_SECONDS,
) -> Engine:
    """An engine for ``url``; statements never echo their parameters (tokens stay secret).

    PostgreSQL: psycopg 3, ``connect_timeout`` seconds to connect, connections replaced after
    ``POOL_RECYCLE_SECONDS``. No pre-ping on checkout (it would cost a round trip per unit of
    work): the unit of work retries a statement once when it finds its connection dropped.
    SQLite (a file): WAL, foreign keys, ``busy_timeout`` seconds of waiting for the lock, and
    every transaction opened with ``BEGIN IMMEDIATE`` so that writers serialize.

    Raises:
        ValueError: an unsupported URL scheme.
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(
            parsed,
            pool_recycle=POOL_RECYCLE_SECONDS,
            pool_timeout=max(connect_timeout, 10),
            hide_parameters=True,
            connect_args={"connect_timeout": max(2, round(connect_timeout))},
        )
    return _sqlite_engine(parsed, busy_timeout)


def create_session_factory(engine: Engine) -> Callable[[], Connection]:
    """What a ``SqlAlchemyUnitOfWork`` opens its connections with (``engine.connect``).

    A plain Core connection, not an ORM ``Session``: the repositories only run Core statements,
    and a session's bookkeeping cost more CPU per unit of work than the statement itself.
    """
    return engine.connect


def _sqlite_engine(url: URL, busy_timeout: float) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    options: dict[str, Any] = {"hide_parameters": True}
    if in_memory:
        options["poolclass"] = StaticPool
    engine = create_engine(
        url,
        connect_args={"timeout": busy_timeout, "check_same_thread": False},
        **options,
    )
    busy_ms = int(busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # pysqlite's own BEGIN handling is turned off; the "begin" hook below emits ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
