"""An unreachable database is StorageUnavailableError (HTTP 503), within a bounded time."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from tests import pg

from adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    upgrade_database,
)
from tracker_core.errors import NotFoundError, StorageUnavailableError


def _uow(url: str, connect_timeout: float = 5) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(
        create_session_factory(create_engine_for(url, connect_timeout=connect_timeout))
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections but never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


def _assert_unavailable_within(uow: SqlAlchemyUnitOfWork, seconds: float) -> None:
    started = time.monotonic()
    with pytest.raises(StorageUnavailableError), uow:
        uow.users.get("1")
    assert time.monotonic() - started < seconds


def test_closed_port_is_storage_unavailable() -> None:
    _assert_unavailable_within(_uow(f"postgresql://postgres@127.0.0.1:{_free_port()}/x"), 5)


def test_server_that_never_answers_is_cut_by_the_connect_timeout(silent_server: int) -> None:
    url = f"postgresql://postgres@127.0.0.1:{silent_server}/x"
    _assert_unavailable_within(_uow(url, connect_timeout=2), 6)


def test_sqlite_file_that_cannot_be_opened_is_storage_unavailable(tmp_path: Path) -> None:
    _assert_unavailable_within(_uow(f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite3'}"), 5)


@pytest.mark.postgres
def test_connection_lost_mid_transaction_then_recovered() -> None:
    with pg.fresh_database("tracker_outage") as url:
        upgrade_database(url)
        engine = create_engine_for(url)
        uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
        name = url.rpartition("/")[2]
        with pytest.raises(StorageUnavailableError), uow:
            uow.trackers.mark_pending(["t1"], datetime.now(UTC))  # opens the transaction
            with pg.admin() as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )
            uow.trackers.pending_ids()
        with uow:  # the first read finds its pooled connection dead and retries once
            assert uow.trackers.pending_ids() == []
        engine.dispose()


class AdminShutdown(Exception):  # noqa: N818 (named after the psycopg class it stands for)
    """Stands for psycopg's AdminShutdown: the server terminated the connection."""

    sqlstate = "57P01"


def _closing_fails(tmp_path: Path) -> SqlAlchemyUnitOfWork:
    """A SQLite unit of work whose connection fails to roll back and close, like PostgreSQL
    restarting between a read and the end of its transaction."""
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    upgrade_database(url)
    connect = create_session_factory(create_engine_for(url))

    def connection() -> Connection:
        made = connect()

        def close() -> None:
            Connection.close(made)
            raise OperationalError("ROLLBACK", {}, AdminShutdown("terminating connection"))

        made.close = close  # type: ignore[method-assign]
        return made

    return SqlAlchemyUnitOfWork(connection)


def test_a_rollback_that_fails_at_the_end_of_a_read_is_storage_unavailable(
    tmp_path: Path,
) -> None:
    uow = _closing_fails(tmp_path)
    with pytest.raises(StorageUnavailableError), uow:
        assert uow.users.get("1") is None
    with pytest.raises(StorageUnavailableError), uow:  # the unit of work is usable again
        uow.users.get("1")


def test_a_failing_rollback_does_not_mask_the_error_of_the_block(tmp_path: Path) -> None:
    uow = _closing_fails(tmp_path)
    with pytest.raises(NotFoundError), uow:
        raise NotFoundError("Tracker not found")
