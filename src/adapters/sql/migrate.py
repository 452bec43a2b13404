"""Alembic, run programmatically: no alembic.ini, the scripts ship inside this package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import URL

from adapters.sql.database import storage_errors
from adapters.sql.engine import create_engine_for, normalise_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | URL) -> Config:
    """An Alembic configuration for ``url`` pointing at the packaged migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    rendered = normalise_url(url).render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def _run(url: str | URL, action: str, target: str) -> None:
    engine = create_engine_for(url)
    try:
        with storage_errors(), engine.connect() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            getattr(command, action)(config, target)
            connection.commit()
    finally:
        engine.dispose()


def upgrade_database(url: str | URL, target: str = "head") -> None:
    """Apply every migration up to ``target`` (what ``trackers migrate`` runs).

    Raises:
        StorageUnavailableError: the database cannot be reached.
    """
    _run(url, "upgrade", target)


def downgrade_database(url: str | URL, target: str) -> None:
    """Revert migrations down to ``target`` (a revision id, ``-1`` or ``base``).

    Raises:
        StorageUnavailableError: the database cannot be reached.
    """
    _run(url, "downgrade", target)


def current_revision(url: str | URL) -> str | None:
    """The revision the database is at (None: never migrated)."""
    engine = create_engine_for(url)
    try:
        with storage_errors(), engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
