"""SQLAlchemy persistence for SQLite and PostgreSQL: repositories, unit of work, migrations."""

from adapters.sql.engine import create_engine_for, create_session_factory
from adapters.sql.migrate import current_revision, downgrade_database, upgrade_database
from adapters.sql.status_counts import StatusCountsCache
from adapters.sql.unit_of_work import SqlAlchemyUnitOfWork

__all__ = [
    "SqlAlchemyUnitOfWork",
    "StatusCountsCache",
    "create_engine_for",
    "create_session_factory",
    "current_revision",
    "downgrade_database",
    "upgrade_database",
]
