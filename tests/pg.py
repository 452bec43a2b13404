"""PostgreSQL for the tests: reachability (fail in CI, skip elsewhere) and throwaway databases."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import psycopg
import pytest
from psycopg import pq, sql
from sqlalchemy import Engine, event

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


class WireTrace:
    """Records what every connection of an engine sends to PostgreSQL (libpq's trace).

    A round trip is one exchange ending in the server's ``ReadyForQuery``; its statement is the
    ``Query`` (simple protocol) or ``Parse`` (extended protocol) message the client sent.
    """

    def __init__(self, engine: Engine) -> None:
        self._traced: list[tuple[Any, IO[bytes]]] = []
        self._start: dict[int, int] = {}
        event.listen(engine, "connect", self._attach)

    def _attach(self, dbapi_connection: Any, _record: object) -> None:
        file = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the trace)
        self._traced.append((dbapi_connection, file))
        self._trace(dbapi_connection, file)

    @staticmethod
    def _trace(dbapi_connection: Any, file: IO[bytes]) -> None:
        dbapi_connection.pgconn.trace(file.fileno())
        dbapi_connection.pgconn.set_trace_flags(
            pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE
        )

    def _flush(self) -> None:
        """libpq buffers its trace; stopping and restarting it writes the buffer out."""
        for dbapi_connection, file in self._traced:
            if not dbapi_connection.closed:
                dbapi_connection.pgconn.untrace()
                self._trace(dbapi_connection, file)

    def mark(self) -> None:
        """Forget what was sent so far."""
        self._flush()
        self._start = {file.fileno(): os.fstat(file.fileno()).st_size for _, file in self._traced}

    def round_trips(self) -> list[str]:
        """The statement of each round trip since the last mark (connect excluded).

        Statements psycopg has prepared are executed without a ``Parse``: their text is the one
        parsed under the same name earlier.
        """
        self._flush()
        trips: list[str] = []
        for _, file in self._traced:
            fd = file.fileno()
            data = os.pread(fd, os.fstat(fd).st_size, 0)
            trips.extend(_trips(data, self._start.get(fd, 0)))
        return trips


def _trips(data: bytes, start: int) -> Iterator[str]:
    names: dict[str, str] = {}
    current = ""
    offset = 0
    for raw in data.splitlines(keepends=True):
        at, offset = offset, offset + len(raw)
        parts = raw.decode("utf-8", "replace").split("\t")
        if len(parts) < 4 or parts[0] not in ("F", "B"):
            continue
        kind, body = parts[2], parts[3].strip()
        if parts[0] == "F" and kind == "Query":
            current = " ".join(body.strip('"').split())
        elif parts[0] == "F" and kind == "Parse":  # '"<name>" "<statement>...'
            _, name, _, text = body.split('"', 3)
            if text.endswith(("N", "0")) and '"' in text:  # one line: '<statement>" <types>'
                text = text.rpartition('"')[0]
            current = " ".join(text.split())
            names[name] = current
        elif parts[0] == "F" and kind == "Bind" and not current:  # '"<portal>" "<name>" ...'
            name = body.split('"')[3]
            current = names.get(name, f"prepared {name}")
        elif parts[0] == "B" and kind == "ReadyForQuery":
            if current and at >= start:
                yield current
            current = ""
