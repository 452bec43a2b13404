"""The transaction a unit of work holds, shared by its repositories, and error translation."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

import attrs
import psycopg
from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    InvalidRequestError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.sql.compiler import SQLCompiler

from tracker_core.errors import ConflictError, StorageUnavailableError

SQLITE_BATCH = 500  # bound parameters per IN list, well under SQLite's variable limit
SHORT_LIST = 100  # up to this many values, a plain IN (...) is cheaper than an array parameter
WRITES = "tracker_writes"
"""Execution option of a ``SELECT`` that writes (``WITH x AS (UPDATE ...) SELECT ...``): it runs
in the transaction and drops remembered reads, like any write."""


@contextmanager
def storage_errors() -> Iterator[None]:
    """Translate "the database cannot be reached" into the domain's StorageUnavailableError.

    A PostgreSQL serialization failure or deadlock (SQLSTATE class 40) is a ConflictError.
    """
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        if _sqlstate(exc).startswith("40"):
            raise ConflictError("Concurrent update, please retry") from exc
        raise StorageUnavailableError("Database unavailable") from exc
    except (DisconnectionError, PoolTimeout) as exc:
        raise StorageUnavailableError("Database unavailable") from exc


def _sqlstate(exc: DBAPIError) -> str:
    return str(getattr(exc.orig, "sqlstate", None) or "")


class Database:
    """The connection of one unit of work; every statement of its repositories runs here.

    PostgreSQL: the connection runs in autocommit until the first statement that is not a plain
    ``SELECT`` (or a savepoint) needs a transaction; only then is ``BEGIN`` sent. A unit of work
    that only reads costs one round trip per statement and no ``BEGIN``/``ROLLBACK``. Reads in
    autocommit see what a ``READ COMMITTED`` transaction would (a snapshot per statement). While
    no transaction is open, a statement that fails because the pooled connection was dropped is
    retried once on a new connection (nothing can be lost: nothing is uncommitted). Autocommit
    is switched on the driver's connection itself and switched back before the connection
    returns to the pool (SQLAlchemy's ``isolation_level`` option did the same at several times
    the CPU per unit of work).

    SQLite: every unit of work opens its transaction (``BEGIN IMMEDIATE``) at once, so writers
    serialize; there are no round trips to save.
    """

    def __init__(self, connect: Callable[[], Connection]) -> None:
        self._connect = connect
        self._connection: Connection | None = None
        self._lazy = False
        self._in_transaction = False
        self._memo: dict[Hashable, tuple[frozenset[str], Any]] = {}
        self._deferred: list[tuple[Table, tuple[str, ...], tuple[str, ...], dict[str, Any]]] = []
        self._guard: _Guard | None = None
        self.live_trackers: set[str] = set()
        """Ids of trackers read as non-deleted in this unit of work (see tracker ``save``)."""

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("repository used outside 'with uow:'")
        return self._connection

    @property
    def dialect(self) -> str:
        return self.connection.dialect.name

    def begin(self) -> None:
        """Take a connection (PostgreSQL: in autocommit; SQLite: take the write lock now)."""
        if self._connection is not None:
            raise RuntimeError("unit of work is already open")
        self._connection = self._open()
        self._in_transaction = not self._lazy
        self.live_trackers = set()
        self._memo.clear()
        self._deferred = []
        self._guard = None

    def _open(self) -> Connection:
        with storage_errors():
            connection = self._connect()
            try:
                self._lazy = connection.dialect.name == "postgresql"
                if self._lazy:
                    # Only the driver's flag: SQLAlchemy sends nothing of its own for BEGIN or
                    # COMMIT on psycopg, so it need not know (``end`` switches it back).
                    driver: Any = connection.connection.driver_connection
                    driver.autocommit = True
                else:
                    connection.begin()
            except BaseException:
                connection.close()
                raise
        return connection

    def _close(self, connection: Connection) -> None:
        """End what is open and give the connection back to the pool as the pool lent it.

        A PostgreSQL connection whose autocommit could not be switched back (dropped, or the
        rollback failed) is discarded rather than pooled.
        """
        pooled = not self._lazy
        try:
            if not pooled and not connection.invalidated:
                self._end(connection, commit=False)  # sends nothing unless one is open
                driver: Any = connection.connection.driver_connection
                if not (driver.closed or driver.broken):
                    driver.autocommit = False
                    pooled = True
        finally:
            if not pooled and not connection.invalidated:
                connection.invalidate()
            connection.close()

    def end(self) -> None:
        """Give the connection back; an uncommitted transaction is rolled back.

        Raises:
            StorageUnavailableError: the ROLLBACK or the connection's return failed (e.g. the
                server is restarting); the connection is forgotten either way.
        """
        connection, self._connection = self._connection, None
        self.live_trackers = set()
        self._memo.clear()
        self._deferred = []
        self._guard = None
        self._in_transaction = False
        if connection is not None:
            with storage_errors():
                self._close(connection)

    def commit(self) -> None:
        """Send the deferred writes, then commit.

        PostgreSQL: when they are the unit of work's only writes, the one statement that carries
        them commits by itself (no ``BEGIN``/``COMMIT``).

        Raises:
            the guard's error (:meth:`defer_guarded`) when its UPDATE matched no row; nothing
            of the unit of work is then written.
        """
        if self._pending() and self._lazy and not self._in_transaction:
            self._flush(alone=True)
        self.flush()
        with storage_errors():
            self._end(self.connection, commit=True)
        self._in_transaction = not self._lazy

    def rollback(self) -> None:
        self._deferred = []
        self._guard = None
        with storage_errors():
            self._end(self.connection, commit=False)
        self._in_transaction = not self._lazy
        self.live_trackers = set()
        self._memo.clear()

    def _end(self, connection: Connection, *, commit: bool) -> None:
        """COMMIT or ROLLBACK what is open. PostgreSQL: the ``BEGIN`` went on the driver's
        cursor (:meth:`_begin_transaction`), so SQLAlchemy may not know of the transaction; the
        driver ends it (sending nothing when the server has none open), errors wrapped and a
        dropped connection invalidated as SQLAlchemy's own ``commit`` would."""
        if not self._lazy or connection.in_transaction():
            # SQLAlchemy ends it through the driver's commit/rollback, the same statement.
            connection.commit() if commit else connection.rollback()
            return
        driver: Any = connection.connection.driver_connection
        try:
            driver.commit() if commit else driver.rollback()
        except Exception as exc:
            connection._handle_dbapi_exception(
                exc, "COMMIT" if commit else "ROLLBACK", None, None, None
            )
            raise

    def defer(
        self,
        table: Table,
        row: dict[str, Any],
        keys: tuple[str, ...] = (),
        keep: tuple[str, ...] = (),
    ) -> None:
        """Queue the INSERT of ``row``; with ``keys``, an upsert on them that updates every
        other column but ``keep``.

        Queued rows are sent before the next statement of the unit of work or at commit,
        together: PostgreSQL, one statement for all of them (one ``INSERT`` per table chained
        as ``WITH``); SQLite, one statement per table. A failure of a queued row (e.g. a
        foreign key) surfaces there.
        """
        self._forget_table(table.name)
        self._deferred.append((table, keys, keep, row))

    def defer_guarded(
        self, statement: Any, params: dict[str, Any], lost: Callable[[], Exception]
    ) -> None:
        """PostgreSQL: queue a conditional ``UPDATE ... RETURNING`` (a compare-and-set of one
        row) that every write queued with it depends on.

        It is sent with them as one statement (``WITH guard AS (UPDATE ...)``, each INSERT
        taking its rows only when the guard updated its row); when the guard matches no row,
        nothing is written and ``lost()`` is raised (at the commit, or at the statement that
        sends the queued writes first). Reads see the guard's write: they send it first.
        """
        if not self._lazy:
            raise RuntimeError("only PostgreSQL defers a guarded write")
        if self._guard is not None:
            raise RuntimeError("one guarded write per transaction")
        self._forget(statement)
        self._guard = _Guard(statement, params, lost)

    def _pending(self) -> bool:
        """Writes are queued (rows, or a guarded write)."""
        return bool(self._deferred) or self._guard is not None

    def flush(self) -> None:
        """Send the queued writes now (in the transaction)."""
        if self._pending():
            self._flush(alone=False)

    def _flush(self, *, alone: bool) -> None:
        pending, self._deferred = self._deferred, []
        guard, self._guard = self._guard, None
        groups: dict[tuple[Table, tuple[str, ...], tuple[str, ...], tuple[str, ...]], list[Any]]
        groups = {}
        for table, keys, keep, row in pending:
            groups.setdefault((table, keys, keep, tuple(row)), []).append(row)
        for table, *_ in groups:
            self._forget_table(table.name)
        if self.dialect != "postgresql":
            for (table, keys, keep, columns), rows in groups.items():
                self.execute(_insert_rows(self.dialect, table, keys, keep, columns), rows)
            return
        shape = tuple((key, len(rows)) for key, rows in groups.items())
        # A multi-row INSERT is not in SQLAlchemy's statement cache: planned once per shape.
        plan = _flush_plan(
            shape, None if guard is None else guard.statement, self.connection.dialect
        )
        values = plan.values(list(groups.values()), {} if guard is None else guard.params)
        if not alone and not self._in_transaction:
            self._begin_transaction()
        try:
            with storage_errors():
                found = self._send(plan.sql, values, fetch=guard is not None)
        except StorageUnavailableError as exc:
            if not (alone and _dropped(exc)):
                raise
            # Alone, in autocommit: nothing of the unit of work is written yet, so it is sent
            # again on a new connection (a guard whose first sending did commit before the drop
            # then matches nothing: the caller sees a lost lease, and the result is stored).
            self._reconnect()
            with storage_errors():
                found = self._send(plan.sql, values, fetch=guard is not None)
        if guard is not None and found != [(1,)]:
            raise guard.lost()

    def execute_alone(self, statement: Any, params: Any = None) -> CursorResult[Any]:
        """Run one writing statement that is complete by itself (a compare-and-set).

        PostgreSQL: when the unit of work has no transaction open and nothing queued, it runs
        in autocommit, committed as it runs (no ``BEGIN``/``COMMIT``; a later rollback of the
        unit of work cannot undo it), retried once on a new connection if the pooled one was
        dropped. Otherwise it is part of the transaction, like :meth:`execute`.
        """
        if self._lazy and not self._in_transaction and not self._pending():
            self._forget(statement)
            try:
                return self._run(statement, params, retry=True)
            except _ReconnectedError:
                # Sent again on a new connection: a compare-and-set that did run before the
                # drop now finds its own result and matches nothing (the caller sees a lost
                # claim or lease; the lease expires and the tracker is taken back).
                return self._run(statement, params)
        return self.execute(statement, params)

    def remember(self, key: Hashable, tables: frozenset[str], read: Callable[[], Any]) -> Any:
        """``read()``, once per unit of work until a statement writes to one of ``tables``.

        For small reads that a use case repeats (a user's memberships, a guild's settings);
        the value must be immutable.
        """
        found = self._memo.get(key)
        if found is not None:
            return found[1]
        value = read()
        self._memo[key] = (tables, value)
        return value

    def prime(self, key: Hashable, tables: frozenset[str], value: Any) -> None:
        """Hold ``value`` for one ``take(key)`` (dropped like ``remember``'s values)."""
        self._memo[key] = (tables, value)

    def take(self, key: Hashable) -> Any:
        """The value primed under ``key`` (once), or None."""
        found = self._memo.pop(key, None)
        return None if found is None else found[1]

    def _forget(self, statement: Any) -> None:
        """Drop what ``remember`` holds from the table a writing statement changes."""
        if not self._memo:
            return
        name = getattr(getattr(statement, "table", None), "name", None)
        if name is None:
            self._memo.clear()
            return
        self._forget_table(name)

    def _forget_table(self, name: str) -> None:
        """Drop what ``remember`` holds from table ``name``."""
        if not self._memo:
            return
        for key in [k for k, (tables, _) in self._memo.items() if name in tables]:
            del self._memo[key]

    def ping(self) -> None:
        """One round trip to the database (``SELECT 1``)."""
        self.rows(_PING, {})

    def execute(self, statement: Any, params: Any = None) -> CursorResult[Any]:
        """Run one statement; in the transaction, which it opens unless it only reads.

        Queued writes (:meth:`defer`, :meth:`defer_guarded`) are sent first.
        """
        if self._pending():
            self.flush()
        if not _reads_only(statement):
            self._forget(statement)
            if not self._in_transaction:
                self._begin_transaction()
                return self._run(statement, params)
        try:
            return self._run(statement, params, retry=not self._in_transaction)
        except _ReconnectedError:
            return self._run(statement, params)

    def rows(
        self, statement: Any, params: dict[str, Any], *, alone: bool = False
    ) -> list[dict[str, Any]]:
        """The rows of a statement built once (a ``SELECT``, or a write with ``RETURNING``;
        values as parameters, IN lists of one parameter each), as dicts keyed by the columns'
        keys, values converted as SQLAlchemy would. ``alone``: see :meth:`execute_alone`.

        PostgreSQL: sent on the driver's cursor with the SQL compiled once per statement (and
        set of parameter names), the rows read as tuples (no result metadata, no row objects:
        for a page of trackers that was most of SQLAlchemy's CPU per request); listeners of
        ``before_cursor_execute`` still see it; transactions, errors (translated, a read or an
        ``alone`` write retried once on a dropped connection) as :meth:`execute` and
        :meth:`execute_alone` handle them. Elsewhere it is :meth:`execute`.
        """
        if not self._lazy:
            run = self.execute_alone if alone else self.execute
            return [dict(row) for row in run(statement, params).mappings()]
        reads = _reads_only(statement)
        ready = _prepared(statement, self.connection.dialect, () if reads else tuple(params))
        if alone and not self._in_transaction and not self._pending():
            self._forget(statement)
            try:
                return self._fetch(ready, params, retry=True)
            except _ReconnectedError:
                return self._fetch(ready, params)  # as in execute_alone
        if self._pending():
            self.flush()
        if not reads:
            self._forget(statement)
            if not self._in_transaction:
                self._begin_transaction()
        try:
            return self._fetch(ready, params, retry=not self._in_transaction)
        except _ReconnectedError:
            return self._fetch(ready, params)

    def _fetch(
        self, ready: _Prepared, params: dict[str, Any], *, retry: bool = False
    ) -> list[dict[str, Any]]:
        try:
            with storage_errors():
                found = self._send(ready.sql, ready.parameters(params), fetch=True)
        except StorageUnavailableError as exc:
            if retry and _dropped(exc):
                self._reconnect()
                raise _ReconnectedError from exc
            raise
        return ready.dicts(found)

    def _send(
        self, sql: str, values: dict[str, Any] | list[Any] | None, *, fetch: bool
    ) -> list[tuple[Any, ...]]:
        """Run ``sql`` on the driver's cursor: SQLAlchemy's listeners and error handling (it
        wraps the driver's error and invalidates a dropped connection, as ``execute`` would).

        ``values``: by name, or already in the order of ``sql``'s parameters (a list, as
        :meth:`_flush` builds them); listeners and errors see them by name either way.
        """
        connection = self.connection
        driver: Any = connection.connection.driver_connection
        cursor: Any = driver.cursor() if values is None else psycopg.RawCursor(driver)
        try:
            if connection._has_events or connection.engine._has_events:
                connection.dispatch.before_cursor_execute(
                    connection, cursor, sql, _named(sql, values), None, False
                )
            if values is None:
                cursor.execute(sql)  # the simple protocol, as SQLAlchemy sends it
            else:
                positional, names = _positional(sql)
                if isinstance(values, dict):
                    cursor.execute(positional, [values[name] for name in names])
                else:
                    cursor.execute(positional, values)
            return cursor.fetchall() if fetch else []
        except Exception as exc:
            connection._handle_dbapi_exception(exc, sql, _named(sql, values), cursor, None)
            raise
        finally:
            cursor.close()

    def _run(self, statement: Any, params: Any, *, retry: bool = False) -> CursorResult[Any]:
        try:
            with storage_errors():
                return self.connection.execute(statement, params)
        except StorageUnavailableError as exc:
            if retry and _dropped(exc):
                self._reconnect()
                raise _ReconnectedError from exc
            raise

    def _begin_transaction(self) -> None:
        if not self._lazy:
            raise RuntimeError("only PostgreSQL opens its transaction at the first write")
        # On the driver's cursor (SQLAlchemy's execute of a text ``BEGIN`` cost several times
        # the CPU of the round trip); :meth:`_end` ends it.
        try:
            self._send_begin(retry=True)
        except _ReconnectedError:
            self._send_begin()
        self._in_transaction = True

    def _send_begin(self, *, retry: bool = False) -> None:
        try:
            with storage_errors():
                self._send("BEGIN", None, fetch=False)
        except StorageUnavailableError as exc:
            if retry and _dropped(exc):
                self._reconnect()
                raise _ReconnectedError from exc
            raise

    def _reconnect(self) -> None:
        """Replace a connection that the server dropped."""
        self._close(self.connection)
        self._connection = None
        self._connection = self._open()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: a failing statement inside it leaves the outer one usable."""
        self.flush()
        if not self._in_transaction:
            self._begin_transaction()
        try:
            with storage_errors(), self.connection.begin_nested():
                yield
        except BaseException:
            self._memo.clear()  # what was read inside may have been rolled back
            raise

    def insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """An INSERT of this dialect (with ``on_conflict_*``)."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def upsert(self, table: Table, keys: tuple[str, ...], columns: tuple[str, ...]) -> Any:
        """INSERT ... ON CONFLICT (keys) DO UPDATE of the other columns; values as parameters.

        Built once per table, dialect and column set: execute it with a dict of the values.
        """
        return _upsert(self.dialect, table, keys, columns)

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
            ConflictError: the row changed (or vanished) since it was read.
        """
        params = {**values, "version": version + 1, "cas_id": row_id, "cas_version": version}
        if self.execute(_compare_and_set(table), params).rowcount != 1:
            raise ConflictError(f"{table.name} {row_id} was changed concurrently")

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


@functools.cache
def _compare_and_set(table: Table) -> Any:
    """UPDATE of the columns given as parameters where id and version still match."""
    return update(table).where(
        table.c.id == bindparam("cas_id"), table.c.version == bindparam("cas_version")
    )


@functools.cache
def _upsert(dialect: str, table: Table, keys: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    statement = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    changed = {c: statement.excluded[c] for c in columns if c not in keys}
    return statement.on_conflict_do_update(index_elements=list(keys), set_=changed)


_Group = tuple[Table, tuple[str, ...], tuple[str, ...], tuple[str, ...]]


@functools.cache
def _insert_rows(
    dialect: str,
    table: Table,
    keys: tuple[str, ...],
    keep: tuple[str, ...],
    columns: tuple[str, ...],
) -> Any:
    """The INSERT (or upsert) of one row of these columns, for an executemany."""
    statement = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    if not keys:
        return statement
    changed = {c: statement.excluded[c] for c in columns if c not in keys and c not in keep}
    return statement.on_conflict_do_update(index_elements=list(keys), set_=changed)


@attrs.frozen
class _Guard:
    """A queued conditional UPDATE the other queued writes depend on (``defer_guarded``)."""

    statement: Any
    params: dict[str, Any]
    lost: Callable[[], Exception]


def _guarded_rows(guard: Any, table: Table, columns: tuple[str, ...], g: int, count: int) -> Any:
    """The rows of group ``g`` as a ``SELECT`` from the guard's CTE: none when the guard
    updated nothing (psycopg's dialect casts each parameter to its column's type)."""
    rows = [
        select(*(bindparam(f"p{g}_{r}_{c}", type_=table.c[c].type) for c in columns)).select_from(
            guard
        )
        for r in range(count)
    ]
    return rows[0] if count == 1 else union_all(*rows)


@functools.cache
def _batch(shape: tuple[tuple[_Group, int], ...], guarded: Any = None) -> Any:
    """PostgreSQL: every group's multi-row INSERT in one statement (``WITH`` chained), the
    values as parameters ``p<group>_<row>_<column>``.

    ``guarded``: an ``UPDATE ... RETURNING`` sent first (``WITH guard AS (...)``); each
    INSERT then takes its rows from it (none when it updated no row), and the statement
    answers how many rows it updated.
    """
    guard = None if guarded is None else guarded.cte("guard")
    parts = []
    for g, ((table, keys, keep, columns), count) in enumerate(shape):
        statement: Any
        if guard is not None:
            statement = postgresql.insert(table).from_select(
                list(columns), _guarded_rows(guard, table, columns, g, count)
            )
        else:
            statement = postgresql.insert(table).values(
                [
                    {c: bindparam(f"p{g}_{r}_{c}", type_=table.c[c].type) for c in columns}
                    for r in range(count)
                ]
            )
        if keys:
            changed = {c: statement.excluded[c] for c in columns if c not in keys and c not in keep}
            statement = statement.on_conflict_do_update(index_elements=list(keys), set_=changed)
        parts.append(statement)
    if guard is not None:
        answer = select(func.count()).select_from(guard)
        return answer.add_cte(*(part.cte(f"w{g}") for g, part in enumerate(parts)))
    *chained, last = parts
    if not chained:
        return last
    return last.add_cte(*(part.cte(f"w{g}") for g, part in enumerate(chained)))


_Processor = Callable[[Any], Any]
_REQUIRED: Any = object()
"""The default of a parameter that has no value of its own in the statement."""


@attrs.frozen
class _FlushPlan:
    """A compiled batch (:func:`_batch`) and, for each of its parameters in the order of the
    positional form that is sent, where its value comes from.

    SQLAlchemy's ``construct_params`` (a value looked up for every bind of the statement) and
    the dict of ``p<group>_<row>_<column>`` names built for it on every store were a
    measurable share of a scrape's CPU; the plan is made once per shape and guard, and each
    store then fills a list in order.
    """

    sql: str  # as compiled (named parameters): what listeners and errors see
    size: int
    cells: tuple[tuple[int, int, int, str], ...]
    """(position, group, row, column): a value of a queued row."""
    params: tuple[tuple[int, str, str, Any], ...]
    """(position, key, name, default): a parameter of the guard, given by key or name (as
    ``construct_params`` looks it up), else the value bound in the statement itself
    (``_REQUIRED``: none)."""
    processors: tuple[tuple[int, _Processor], ...]
    """(position, SQLAlchemy's bind processor of that parameter's type)."""

    def values(
        self, rows: Sequence[Sequence[Mapping[str, Any]]], params: Mapping[str, Any]
    ) -> list[Any]:
        """The values to send: ``rows`` by group (in the shape's order), ``params`` the
        guard's.

        Raises:
            InvalidRequestError: the guard's parameters lack one that its statement needs
                (as ``construct_params`` would).
        """
        values: list[Any] = [None] * self.size
        for position, g, r, column in self.cells:
            values[position] = rows[g][r][column]
        for position, key, name, default in self.params:
            if key in params:
                values[position] = params[key]
            elif name in params:
                values[position] = params[name]
            elif default is _REQUIRED:
                raise InvalidRequestError(
                    f"A value is required for bind parameter {key!r}", code="cd3x"
                )
            else:
                values[position] = default
        for position, process in self.processors:
            values[position] = process(values[position])
        return values


@functools.cache
def _flush_plan(
    shape: tuple[tuple[_Group, int], ...], guarded: Any, dialect: Dialect
) -> _FlushPlan:
    """``_batch(shape, guarded)`` compiled for ``dialect``, and its plan."""
    compiled = cast(SQLCompiler, _batch(shape, guarded).compile(dialect=dialect))
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError("a batch takes no expanding or literal-execute parameters")
    if any(bind.callable is not None for bind in compiled.bind_names):
        raise ValueError("a batch takes no parameters whose value is a callable")
    cells = {
        f"p{g}_{r}_{column}": (g, r, column)
        for g, ((_, _, _, columns), count) in enumerate(shape)
        for r in range(count)
        for column in columns
    }
    # Non-required binds: the values bound in the statement itself (e.g. the 1 of version + 1).
    defaults = compiled.construct_params(_check=False, escape_names=False) or {}
    processors = cast(Mapping[str, _Processor], compiled._bind_processors)
    # By the name in the SQL (escaped); a name bound twice takes its last bind, as in
    # ``construct_params``.
    binds = {
        compiled.escaped_bind_names.get(name, name): (bind, name)
        for bind, name in compiled.bind_names.items()
    }
    _, names = _positional(compiled.string)
    planned_cells: list[tuple[int, int, int, str]] = []
    planned_params: list[tuple[int, str, str, Any]] = []
    planned_processors: list[tuple[int, _Processor]] = []
    for position, escaped in enumerate(names):
        bind, name = binds[escaped]
        if name in cells:
            planned_cells.append((position, *cells[name]))
        else:
            default = _REQUIRED if bind.required else defaults[name]
            planned_params.append((position, bind.key, name, default))
        process = processors.get(name)
        if process is not None:
            planned_processors.append((position, process))
    return _FlushPlan(
        sql=compiled.string,
        size=len(names),
        cells=tuple(planned_cells),
        params=tuple(planned_params),
        processors=tuple(planned_processors),
    )


@attrs.frozen
class _Prepared:
    """A plain SELECT compiled once for a dialect, with SQLAlchemy's conversions."""

    sql: str
    defaults: dict[str, Any]  # the values bound in the statement itself (e.g. ``false``)
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]
    keys: tuple[str, ...]
    results: tuple[tuple[int, Callable[[Any], Any]], ...]

    def parameters(self, params: dict[str, Any]) -> dict[str, Any]:
        values = {**self.defaults, **params}
        for name, process in self.binds:
            if name in values:
                values[name] = process(values[name])
        return values

    def dicts(self, found: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        keys, results = self.keys, self.results
        if not results:
            return [dict(zip(keys, row, strict=True)) for row in found]
        rows = []
        for row in found:
            values = list(row)
            for index, process in results:
                values[index] = process(values[index])
            rows.append(dict(zip(keys, values, strict=True)))
        return rows


@functools.lru_cache(maxsize=256)
def _prepared(statement: Any, dialect: Dialect, names: tuple[str, ...]) -> _Prepared:
    """Compile a statement without expanding parameters (IN lists of one parameter each);
    ``names``: the parameters given to a write (an UPDATE sets the columns among them)."""
    compiled = statement.compile(dialect=dialect, column_keys=list(names) or None)
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError("prepared statements take no expanding or literal-execute parameters")
    required = {name for bind, name in compiled.bind_names.items() if bind.required}
    defaults = {
        name: value
        for name, value in (compiled.construct_params(_check=False) or {}).items()
        if name not in required
    }
    processors = cast(Mapping[str, Callable[[Any], Any]], compiled._bind_processors)
    columns = list(statement.exported_columns)
    results = []
    for index, column in enumerate(columns):
        process = column.type._cached_result_processor(dialect, None)
        if process is not None:
            results.append((index, process))
    return _Prepared(
        sql=compiled.string,
        defaults=defaults,
        binds=tuple(processors.items()),
        keys=tuple(str(column.key) for column in columns),
        results=tuple(results),
    )


_PING: Select[Any] = select(literal_column("1"))
_PLACEHOLDER = re.compile(r"%(?:\((\w+)\)s|%)")
"""SQLAlchemy's ``pyformat`` for psycopg: ``%(name)s`` a parameter, ``%%`` a literal ``%``."""


@functools.lru_cache(maxsize=512)
def _positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """``sql`` with ``$1``, ``$2``, ... for its named parameters, and their names in that order.

    Sent on psycopg's ``RawCursor``, which takes the statement as it is: its own cursor parses
    the named form again on every execution of a statement longer than 4 KB (psycopg caches
    only shorter ones), which was a fifth of a scrape's CPU for the store's one statement.
    """
    numbers: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        return f"${numbers.setdefault(name, len(numbers) + 1)}"

    positional = _PLACEHOLDER.sub(number, sql)
    return positional, tuple(numbers)


def _named(sql: str, values: dict[str, Any] | list[Any] | None) -> dict[str, Any] | None:
    """``values`` by name (a list: by the names of ``sql``'s parameters, in order)."""
    if isinstance(values, list):
        return dict(zip(_positional(sql)[1], values, strict=True))
    return values


class _ReconnectedError(Exception):
    """The statement failed on a dropped connection and may run again on the new one."""


def _reads_only(statement: Any) -> bool:
    """A plain SELECT (no ``FOR UPDATE``, no writing ``WITH``: see ``WRITES``) that may run
    outside a transaction."""
    return (
        isinstance(statement, Select)
        and statement._for_update_arg is None
        and not statement.get_execution_options().get(WRITES, False)
    )


def _dropped(exc: StorageUnavailableError) -> bool:
    cause = exc.__cause__
    return isinstance(cause, DBAPIError) and cause.connection_invalidated
