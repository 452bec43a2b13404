"""The container's services as one-shot ``trackers`` commands use them, and their logging."""

from __future__ import annotations

import logging
import sys

import attrs
import click

from entrypoints.cli.output import LOG_LEVEL_KEY
from entrypoints.config import Settings
from entrypoints.container import Container, get_container
from entrypoints.use_cases import UseCases
from tracker_core.use_cases.queries import Viewer

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
    """The container as one-shot commands use it: settings and use cases."""

    container: Container
    settings: Settings

    @property
    def use_cases(self) -> UseCases:
        """The use cases of one-shot commands (queuing on ``command_queue``)."""
        return self.container.command_use_cases()


def load_settings_of(container: Container) -> Settings:
    """The container's settings."""
    return container.settings()


def services() -> Services:
    """The process container's services.

    Their use cases queue on ``command_queue``: in the embedded mode it only leaves trackers
    PENDING for the serving process; in production it is the Redis queue.
    """
    setup_logging("WARNING")
    container = get_container()
    return Services(container, container.settings())
