"""Alembic environment: the tables' metadata, batch mode on SQLite, one migrator at a time."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from adapters.sql.engine import create_engine_for
from adapters.sql.tables import metadata

MIGRATION_LOCK_KEY = 7_310_421_993  # pg advisory lock: concurrent `trackers migrate` wait


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_offline() -> None:
    """Emit the SQL instead of running it (``--sql``)."""
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online(connection: Connection) -> None:
    """Run the migrations in one transaction on ``connection``."""
    _configure(connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"))
        context.run_migrations()


def main() -> None:
    given = context.config.attributes.get("connection")
    if context.is_offline_mode():
        run_offline()
    elif given is not None:
        run_online(given)
    else:
        engine = create_engine_for(context.config.get_main_option("sqlalchemy.url") or "")
        try:
            with engine.connect() as connection:
                run_online(connection)
                connection.commit()
        finally:
            engine.dispose()


main()
