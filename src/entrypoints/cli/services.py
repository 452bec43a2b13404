"""The container's services as one-shot ``trackers`` commands use them, and their logging."""

from __future__ import annotations

import logging
import sys

import attrs
import click

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
        return self.container.uow()

    @property
    def clock(self) -> Clock:
        """The container's clock."""
        return self.container.clock()

    @property
    def policy(self) -> Policy:
        """The rules' numbers from the settings."""
        return self.container.policy()

    def tell_embedded(self) -> None:
        """Say where queued work goes in embedded mode."""
        if self.settings.embedded:
            note(
                "Embedded mode: the running `trackers serve` picks these trackers up within "
                f"{self.settings.reconcile_seconds:g} s."
            )


def load_settings_of(container: Container) -> Settings:
    """The container's settings."""
    return container.settings()


def services() -> Services:
    """The process container's services, with the queue of one-shot commands.

    In the embedded mode that queue only leaves trackers PENDING for the serving process
    (``EmbeddedContainer.command_queue``); in production it is the Redis queue.
    """
    setup_logging("WARNING")
    container = get_container()
    return Services(container, container.settings(), container.command_queue())
