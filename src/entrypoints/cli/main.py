"""The ``trackers`` command line: run the service and operate it (SPEC §8)."""

from __future__ import annotations

import functools
from typing import Any

import click

from entrypoints.cli.devkeys import dev_token
from entrypoints.cli.errors import translate_errors
from entrypoints.cli.export import export
from entrypoints.cli.league import league
from entrypoints.cli.ops import (
    batch_refresh,
    logs,
    process_command,
    process_pending_command,
    schedule,
    status,
)
from entrypoints.cli.server import migrate, scheduler, serve, worker
from entrypoints.cli.services import LOG_LEVEL_KEY
from entrypoints.cli.trackers import add, delete, list_trackers, refresh, register, show

LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"]


class TrackersGroup(click.Group):
    """The root group: core errors exit 1, configuration errors exit 2, both on stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the chosen command, translating the errors it raises on purpose."""
        return translate_errors(ctx, functools.partial(super().invoke, ctx))

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Commands in the order of the manual rather than alphabetically."""
        return list(self.commands)


@click.group(cls=TrackersGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    default=None,
    help="Log level on stderr (default: INFO for serve/worker/scheduler/migrate, else WARNING).",
)
@click.version_option(package_name="tracker-service", prog_name="trackers")
@click.pass_context
def cli(ctx: click.Context, log_level: str | None) -> None:
    """Tracker Service: Rocket League tracker registration, fetching and league MMR.

    Settings come from the environment (docs/configuration.md). Without REDIS_URL everything
    runs embedded in `trackers serve` on SQLite; with it, run `migrate`, `worker`,
    `scheduler` and `serve` as separate processes (docs/deployment.md).

    Every command answers --help; most take --json for machine output. Exit codes: 0 ok,
    1 the operation failed, 2 bad usage or configuration.
    """
    ctx.meta[LOG_LEVEL_KEY] = log_level.upper() if log_level else None


for command in (
    serve,
    worker,
    scheduler,
    migrate,
    register,
    add,
    list_trackers,
    show,
    refresh,
    delete,
    process_pending_command,
    process_command,
    batch_refresh,
    schedule,
    status,
    logs,
    export,
    league,
    dev_token,
):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="trackers")
