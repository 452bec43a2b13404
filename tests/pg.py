"""PostgreSQL for the tests: reachability (fail in CI, skip elsewhere) and throwaway databases."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def admin() -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit connection to the maintenance database."""
    return psycopg.connect(ADMIN_URL, connect_timeout=3, autocommit=True)


def require_postgres() -> None:
    """Fail (``CI=true``) or skip the calling test when PostgreSQL cannot be reached."""
    try:
        with admin() as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL not reachable at {ADMIN_URL}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def database_url(name: str) -> str:
    """The URL of database ``name`` on the test server."""
    base, _, _ = ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


@contextmanager
def fresh_database(prefix: str = "tracker_test") -> Iterator[str]:
    """A new empty database (``<prefix>_<random>``), dropped afterwards; yields its URL."""
    require_postgres()
    name = f"{prefix}_{secrets.token_hex(6)}"
    with admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(name)
    finally:
        with admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
