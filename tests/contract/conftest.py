"""The three targets of the repository contract: the in-memory fake, SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from sqlalchemy import Engine, func, select, text

from adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    upgrade_database,
)
from adapters.sql.tables import metadata
from tests import pg
from tests.fakes import FakeUnitOfWork

BACKENDS = ["fake", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@attrs.define
class Backend:
    """One target: its unit of work, plus a peek at rows the ports cannot read back."""

    name: str
    uow: FakeUnitOfWork | SqlAlchemyUnitOfWork
    engine: Engine | None = None

    def count(self, table: str) -> int:
        """Committed rows of ``activity_logs`` or ``audit_logs``."""
        if isinstance(self.uow, FakeUnitOfWork):
            store = self.uow.committed
            return len(store.activity if table == "activity_logs" else store.audit)
        assert self.engine is not None
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.count()).select_from(metadata.tables[table])
            ).scalar_one()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    """One migrated PostgreSQL database for the whole run, dropped at the end."""
    with pg.fresh_database("tracker_contract") as url:
        upgrade_database(url)
        engine = create_engine_for(url)
        yield engine
        engine.dispose()


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(table.name for table in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} CASCADE"))


@pytest.fixture(params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> Iterator[Backend]:
    if request.param == "fake":
        yield Backend("fake", FakeUnitOfWork())
        return
    if request.param == "sqlite":
        path = tmp_path / "contract.sqlite3"
        shutil.copy(sqlite_template, path)
        engine = create_engine_for(f"sqlite:///{path}")
    else:
        engine = request.getfixturevalue("pg_engine")
        _truncate_all(engine)
    yield Backend(request.param, SqlAlchemyUnitOfWork(create_session_factory(engine)), engine)
    if request.param == "sqlite":
        engine.dispose()


@pytest.fixture
def uow(backend: Backend) -> FakeUnitOfWork | SqlAlchemyUnitOfWork:
    return backend.uow
