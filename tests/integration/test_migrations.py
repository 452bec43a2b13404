"""Alembic migrations on SQLite and PostgreSQL: up, one step down, up again, and no drift."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, inspect, text
from tests import pg

from adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    current_revision,
    downgrade_database,
    upgrade_database,
)
from adapters.sql.tables import metadata
from tracker_core.guilds import User
from tracker_core.schedules import ScheduleStatus

HEAD = "0009"
BEFORE_LEASE = "0003"
SECONDARY = {"ix_trackers_status", "ix_trackers_user_id_is_deleted", "ix_trackers_lease_expires_at"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    with pg.fresh_database("tracker_migrate") as url:
        yield url


def _tracker_indexes(url: str, table: str = "trackers") -> set[str]:
    engine = create_engine_for(url)
    try:
        return {ix["name"] for ix in inspect(engine).get_indexes(table) if ix["name"]}
    finally:
        engine.dispose()


def _columns(url: str, table: str) -> set[str]:
    engine = create_engine_for(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def _drift(url: str, target: MetaData) -> list[object]:
    engine = create_engine_for(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, target))
    finally:
        engine.dispose()


def test_upgrade_downgrade_one_step_and_upgrade_again_keeps_data(empty_url: str) -> None:
    assert current_revision(empty_url) is None
    upgrade_database(empty_url)
    assert current_revision(empty_url) == HEAD
    assert _tracker_indexes(empty_url) >= SECONDARY
    engine = create_engine_for(empty_url)
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with uow:
        uow.users.add(User(id="1", username="kept", created_at=now, updated_at=now))
        uow.commit()
    engine.dispose()

    assert "source_expires_at" in _columns(empty_url, "trackers")
    downgrade_database(empty_url, "-1")
    assert current_revision(empty_url) == "0010"
    assert "source_expires_at" not in _columns(empty_url, "trackers")
    covering = "ix_trackers_user_id_live_refresh"
    assert covering in _tracker_indexes(empty_url)
    downgrade_database(empty_url, "-1")
    assert current_revision(empty_url) == "0008"
    assert covering not in _tracker_indexes(empty_url)
    assert "stale" in _columns(empty_url, "league_pull_rows")
    downgrade_database(empty_url, "-1")
    assert current_revision(empty_url) == "0007"
    with pytest.raises(Exception, match="league_pull_rows"):
        _columns(empty_url, "league_pull_rows")
    notification_index = "ix_notifications_tracker_id_created_at"
    assert notification_index in _tracker_indexes(empty_url, "notifications")
    downgrade_database(empty_url, "-1")
    assert current_revision(empty_url) == "0004"
    assert notification_index not in _tracker_indexes(empty_url, "notifications")
    assert {"attempts", "lease_expires_at"} <= _columns(empty_url, "schedules")
    downgrade_database(empty_url, "-1")
    assert current_revision(empty_url) == BEFORE_LEASE
    assert not {"attempts", "lease_expires_at"} & _columns(empty_url, "schedules")
    assert "member_count" in _columns(empty_url, "guilds")
    downgrade_database(empty_url, "-1")
    assert current_revision(empty_url) == "0002"
    assert "member_count" not in _columns(empty_url, "guilds")
    downgrade_database(empty_url, "0001")
    assert current_revision(empty_url) == "0001"
    assert _tracker_indexes(empty_url) == {"uq_trackers_identity_live"}

    upgrade_database(empty_url)
    assert current_revision(empty_url) == HEAD
    assert _tracker_indexes(empty_url) >= SECONDARY
    with uow:
        kept = uow.users.get("1")
    assert kept is not None and kept.username == "kept"
    engine.dispose()


def test_migrations_match_the_tables(empty_url: str) -> None:
    upgrade_database(empty_url)
    assert _drift(empty_url, metadata) == []


def test_drift_is_detected(empty_url: str) -> None:
    upgrade_database(empty_url)
    changed = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.tables.values():
        table.to_metadata(changed)
    Table("trackers", changed, Column("added_later", Integer), extend_existing=True)
    changed.tables["schedules"].indexes.clear()
    diff = _drift(empty_url, changed)
    kinds = {entry[0] for entry in diff if isinstance(entry, tuple)}
    assert {"add_column", "remove_index"} <= kinds


def test_downgrade_to_base_removes_everything(empty_url: str) -> None:
    upgrade_database(empty_url)
    downgrade_database(empty_url, "base")
    engine = create_engine_for(empty_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_schedules_running_at_the_upgrade_get_an_expired_lease(empty_url: str) -> None:
    upgrade_database(empty_url, BEFORE_LEASE)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    stored = at if empty_url.startswith("postgresql") else at.replace(tzinfo=None)
    engine = create_engine_for(empty_url)
    with engine.begin() as conn:
        for schedule_id, status in (("s-running", "RUNNING"), ("s-pending", "PENDING")):
            conn.execute(
                text(
                    "INSERT INTO schedules (id, guild_id, scheduled_at, status, created_by, "
                    "executed_at, metadata, created_at, updated_at, version) VALUES "
                    "(:id, '1', :at, :status, '2', :at, '{}', :at, :at, 0)"
                ),
                {"id": schedule_id, "status": status, "at": stored},
            )
    upgrade_database(empty_url)
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    with uow:
        running, pending = uow.schedules.get("s-running"), uow.schedules.get("s-pending")
        abandoned = [s.id for s in uow.schedules.abandoned(at)]
    engine.dispose()
    assert running is not None and pending is not None
    assert (running.status, running.attempts, running.lease_expires_at) == (
        ScheduleStatus.RUNNING,
        1,
        at,
    )
    assert (pending.attempts, pending.lease_expires_at) == (0, None)
    assert abandoned == ["s-running"]
