"""The health check's database ping: ``SELECT 1`` on a connection each thread keeps."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from adapters.sql.database import storage_errors
from adapters.sql.engine import normalise_url
from tracker_core.errors import StorageUnavailableError
from tracker_core.ports import UnitOfWork


class ThreadPing:
    """One ``SELECT 1`` round trip on a driver connection of the calling thread's own.

    The connection is made by the engine (same URL, connect arguments and ``connect`` listeners)
    and detached from its pool, so it takes none of the pool's slots and a ``/health`` call pays
    no checkout, no autocommit switch and no unit of work: a ``gthread`` worker keeps one per
    thread, a forked child makes its own. It runs in autocommit (a ping opens no transaction).
    A held connection that fails (e.g. PostgreSQL restarted and dropped it) is closed and the
    ping tried once more on a new one, so a recovered database shows at once; a new connection
    that fails too means the database is down.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._local = threading.local()

    def ping(self) -> None:
        """One round trip to the database.

        Raises:
            StorageUnavailableError: the database cannot be reached.
        """
        held: tuple[int, Any] | None = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            try:
                self._send(held[1])
                return
            except self._error:
                self._drop(held[1])
        self._local.held = None
        connection = self._connect()
        try:
            self._send(connection)
        except self._error as exc:
            self._drop(connection)
            raise StorageUnavailableError("Database unavailable") from exc
        self._local.held = (os.getpid(), connection)

    def _connect(self) -> Any:
        try:
            with storage_errors():  # what the pool raises (its timeout)
                proxied = self._engine.raw_connection()
        except self._error as exc:  # the driver's own connect error
            raise StorageUnavailableError("Database unavailable") from exc
        driver: Any = proxied.driver_connection
        proxied.detach()
        driver.autocommit = True
        return driver

    @staticmethod
    def _send(connection: Any) -> None:
        cursor = connection.cursor()
        try:
            cursor.execute("SELECT 1")
            cursor.fetchall()
        finally:
            cursor.close()

    @staticmethod
    def _drop(connection: Any) -> None:
        connection.close()  # psycopg closes a broken connection without raising


class UnitOfWorkPing:
    """The ping through a new unit of work (SQLite, and any unit of work without an engine)."""

    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow

    def ping(self) -> None:
        """One round trip to the database.

        Raises:
            StorageUnavailableError: the database cannot be reached.
        """
        with self._uow() as uow:
            uow.ping()


def database_ping(
    url: str, engine: Callable[[], Engine], uow: Callable[[], UnitOfWork]
) -> ThreadPing | UnitOfWorkPing:
    """PostgreSQL: a :class:`ThreadPing` on ``engine()``; otherwise a :class:`UnitOfWorkPing`."""
    if normalise_url(url).get_backend_name() == "postgresql":
        return ThreadPing(engine())
    return UnitOfWorkPing(uow)
