"""The transaction a unit of work holds, shared by its repositories, and error translation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement, Table, any_, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from tracker_core.errors import Conflict, StorageUnavailable

SQLITE_BATCH = 500  # bound parameters per IN list, well under SQLite's variable limit
SHORT_LIST = 100  # up to this many values, a plain IN (...) is cheaper than an array parameter


@contextmanager
def storage_errors() -> Iterator[None]:
    """Translate "the database cannot be reached" into the domain's StorageUnavailable.

    A PostgreSQL serialization failure or deadlock (SQLSTATE class 40) is a Conflict.
    """
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        if _sqlstate(exc).startswith("40"):
            raise Conflict("Concurrent update, please retry") from exc
        raise StorageUnavailable("Database unavailable") from exc
    except (DisconnectionError, PoolTimeout) as exc:
        raise StorageUnavailable("Database unavailable") from exc


def _sqlstate(exc: DBAPIError) -> str:
    return str(getattr(exc.orig, "sqlstate", None) or "")


class Database:
    """The open session of one unit of work; every statement of its repositories runs here."""

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._factory = session_factory
        self._session: Session | None = None
        self.live_trackers: set[str] = set()
        """Ids of trackers read as non-deleted in this transaction (see tracker ``save``)."""

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("repository used outside 'with uow:'")
        return self._session

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def begin(self) -> None:
        """Open a session and its transaction (SQLite: take the write lock now)."""
        if self._session is not None:
            raise RuntimeError("unit of work is already open")
        session = self._factory()
        try:
            with storage_errors():
                session.connection()
        except BaseException:
            session.close()
            raise
        self._session = session
        self.live_trackers = set()

    def end(self) -> None:
        """Close the session; an uncommitted transaction is rolled back.

        Raises:
            StorageUnavailable: the ROLLBACK or the connection's return failed (e.g. the
                server is restarting); the session is forgotten either way.
        """
        session, self._session = self._session, None
        self.live_trackers = set()
        if session is not None:
            with storage_errors():
                session.close()

    def commit(self) -> None:
        with storage_errors():
            self.session.commit()

    def rollback(self) -> None:
        with storage_errors():
            self.session.rollback()
        self.live_trackers = set()

    def execute(self, statement: Any, params: Any = None) -> CursorResult[Any]:
        """Run one statement in the transaction."""
        with storage_errors():
            return self.session.connection().execute(statement, params)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: a failing statement inside it leaves the outer one usable."""
        with storage_errors(), self.session.begin_nested():
            yield

    def insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """An INSERT of this dialect (with ``on_conflict_*``)."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def insert_new(self, table: Table, values: dict[str, Any], keys: Sequence[str]) -> bool:
        """Insert unless a row with the same ``keys`` exists; False when it did."""
        statement = (
            self.insert(table)
            .values(values)
            .on_conflict_do_nothing(index_elements=list(keys))
            .returning(*table.primary_key.columns)
        )
        return self.execute(statement).first() is not None

    def compare_and_set(
        self, table: Table, row_id: str, version: int, values: dict[str, Any]
    ) -> None:
        """Update the row if it still has ``version``, setting ``version + 1``.

        Raises:
            Conflict: the row changed (or vanished) since it was read.
        """
        statement = (
            update(table)
            .where(table.c.id == row_id, table.c.version == version)
            .values({**values, "version": version + 1})
        )
        if self.execute(statement).rowcount != 1:
            raise Conflict(f"{table.name} {row_id} was changed concurrently")

    def one_of(self, column: ColumnElement[Any], values: Sequence[str]) -> ColumnElement[bool]:
        """``column IN values`` as one condition (long lists: one array parameter on PostgreSQL)."""
        if len(values) > SHORT_LIST and self.dialect == "postgresql":
            return column == any_(
                bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
            )
        return column.in_(values)

    def among(self, column: ColumnElement[Any], values: Iterable[str]) -> list[ColumnElement[bool]]:
        """``column IN values`` as one condition (PostgreSQL) or several batches (SQLite)."""
        items = list(dict.fromkeys(values))
        if not items:
            return []
        if self.dialect == "postgresql":
            return [self.one_of(column, items)]
        return [column.in_(items[i : i + SQLITE_BATCH]) for i in range(0, len(items), SQLITE_BATCH)]
