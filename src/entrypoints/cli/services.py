"""The container's services as one-shot ``trackers`` commands use them, and their logging."""

from __future__ import annotations

import logging
import sys
from typing import cast

import attrs
import click

from adapters.queue.reconciler_queue import ReconcilerQueue
from entrypoints.cli.output import note
from entrypoints.config import Settings
from entrypoints.container import Container, get_container
from tracker_core.policy import Policy
from tracker_core.ports import Clock, JobQueue, UnitOfWork
from tracker_core.use_cases.queries import Viewer

LOG_LEVEL_KEY = "trackers.log_level"
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

OPERATOR = Viewer("cli-operator", is_system_admin=True)
"""Who reads when no ``--user`` is given: the operator may see every tracker."""


def setup_logging(default_level: str) -> None:
    """Log to stderr at ``--log-level`` (else ``default_level``), unless already configured."""
    ctx = click.get_current_context(silent=True)
    level = (ctx.meta.get(LOG_LEVEL_KEY) if ctx is not None else None) or default_level
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr)


@attrs.frozen
class Services:
    """The container's dependencies as one-shot commands use them."""

    container: Container
    settings: Settings
    queue: JobQueue

    def uow(self) -> UnitOfWork:
        """A fresh unit of work."""
        return cast(UnitOfWork, self.container.uow())

    @property
    def clock(self) -> Clock:
        """The container's clock."""
        return cast(Clock, self.container.clock())

    @property
    def policy(self) -> Policy:
        """The rules' numbers from the settings."""
        return cast(Policy, self.container.policy())

    def tell_embedded(self) -> None:
        """Say where queued work goes in embedded mode."""
        if self.settings.embedded and isinstance(self.queue, ReconcilerQueue):
            note(
                "Embedded mode: the running `trackers serve` picks these trackers up within "
                f"{self.settings.reconcile_seconds:g} s."
            )


def load_settings_of(container: Container) -> Settings:
    """The container's settings (raises ConfigError naming a malformed setting)."""
    settings: Settings = container.settings()
    return settings


def services() -> Services:
    """The process container's services; an overridden queue provider is used as is."""
    setup_logging("WARNING")
    container = get_container()
    settings = load_settings_of(container)
    queue: JobQueue
    if settings.embedded and not container.queue.overridden:
        queue = ReconcilerQueue(container.uow)
    else:
        queue = cast(JobQueue, container.queue())
    return Services(container, settings, queue)
