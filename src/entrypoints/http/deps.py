"""Typed access to the container of the app serving the current request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, g

from adapters.sql.ping import ThreadPing, UnitOfWorkPing
from entrypoints.config import Settings
from entrypoints.use_cases import UseCases
from tracker_core.ports import Clock, JobQueue, UnitOfWork

if TYPE_CHECKING:
    from entrypoints.container import Container
    from entrypoints.http.auth import Principal

CONTAINER_KEY = "trackers.container"


def container() -> Container:
    """The container the app was created with."""
    found: Container = current_app.extensions[CONTAINER_KEY]
    return found


def uow() -> UnitOfWork:
    """A new unit of work (for the health check and the audit row; views use use_cases())."""
    return container().uow()


def database_ping() -> ThreadPing | UnitOfWorkPing:
    """The health check's database ping."""
    return container().database_ping()


def queue() -> JobQueue:
    """The job queue."""
    return container().queue()


def clock() -> Clock:
    """The clock."""
    return container().clock()


def use_cases() -> UseCases:
    """The use cases, bound to this app's unit of work, queue, clock and policy."""
    return container().use_cases()


def settings() -> Settings:
    """The settings."""
    return container().settings()


def principal() -> Principal:
    """The authenticated user of this request (set by the blueprint's auth hook)."""
    found: Principal = g.principal
    return found
