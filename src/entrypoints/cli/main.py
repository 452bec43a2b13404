"""The ``trackers`` command line: run the service and operate it (SPEC §8).

Start-up is lazy: this module imports click alone, and each command's module (with the
container, SQLAlchemy, Redis, rich …) is imported only when that command runs or shows its
own help. ``trackers --help`` prints the one-line summaries kept in :data:`COMMANDS`;
``tests/cli/test_cli_startup.py`` checks that they are the commands' own.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Sequence
from typing import Any, NamedTuple

import click

from entrypoints.cli.output import JSON_REQUESTED_KEY, LOG_LEVEL_KEY

LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"]
EXIT_USAGE = 2


class _Entry(NamedTuple):
    """Where a top-level command lives, and its one-line summary for ``trackers --help``."""

    module: str
    attr: str
    summary: str

    def load(self) -> click.Command:
        """The command, its module imported now."""
        command = getattr(importlib.import_module(self.module), self.attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.module}.{self.attr} is not a click command")
        return command


_CLI = "entrypoints.cli."
COMMANDS: dict[str, _Entry] = {
    "serve": _Entry(_CLI + "server", "serve", "Run the HTTP API."),
    "worker": _Entry(_CLI + "server", "worker", "Run an RQ scrape worker (production mode)."),
    "scheduler": _Entry(_CLI + "server", "scheduler", "Run the scheduler (production mode)."),
    "migrate": _Entry(_CLI + "server", "migrate", "Apply the database migrations."),
    "register": _Entry(_CLI + "trackers", "register", "Register a user's first 1-4 trackers."),
    "add": _Entry(_CLI + "trackers", "add", "Add one tracker to a user."),
    "list": _Entry(_CLI + "trackers", "list_trackers", "List trackers, newest first."),
    "show": _Entry(
        _CLI + "trackers", "show", "Show one tracker with its seasons and latest snapshots."
    ),
    "history": _Entry(
        _CLI + "history",
        "history",
        "Show a tracker's rating history with a sparkline per playlist.",
    ),
    "refresh": _Entry(_CLI + "trackers", "refresh", "Queue a tracker's scrape at high priority."),
    "delete": _Entry(_CLI + "trackers", "delete", "Soft-delete a tracker."),
    "user": _Entry(_CLI + "history", "user", "Show users (a user's profile and trackers)."),
    "guild": _Entry(
        _CLI + "guilds", "guild", "Manage guilds: add, list, show, sync members, settings."
    ),
    "mmr": _Entry(_CLI + "guilds", "mmr", "Show a guild's MMR leaderboard with its inputs."),
    "process-pending": _Entry(
        _CLI + "ops", "process_pending_command", "Queue every PENDING tracker (guarded)."
    ),
    "process": _Entry(
        _CLI + "ops", "process_command", "Queue a guild's pending or stale trackers."
    ),
    "batch-refresh": _Entry(_CLI + "ops", "batch_refresh", "Queue trackers for a refresh."),
    "schedule": _Entry(_CLI + "ops", "schedule", "Schedule guild processing (add, list, cancel)."),
    "status": _Entry(_CLI + "ops", "status", "Show counts by status, queue depth and ETA."),
    "logs": _Entry(_CLI + "ops", "logs", "Show scraping logs, newest first."),
    "export": _Entry(_CLI + "export", "export", "Export trackers with current ratings as CSV."),
    "league": _Entry(
        _CLI + "league",
        "league",
        "Eligibility, numbers pulls, overrides, diffs, review flags, manual entry.",
    ),
    "dev-token": _Entry(
        _CLI + "devkeys", "dev_token", "Print a JWT for a local user (embedded mode only)."
    ),
}


def _json_requested(args: Sequence[str]) -> bool:
    """Whether ``--json`` is among the arguments (before a ``--`` that ends the options)."""
    for arg in args:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False


class JsonUsageError(click.UsageError):
    """A usage error of a ``--json`` command: ``{"error", "code": "USAGE_ERROR"}`` on stderr."""

    def show(self, file: Any = None) -> None:
        """Print the error to stderr as one JSON object."""
        body = {"error": self.format_message(), "code": "USAGE_ERROR"}
        if self.ctx is not None:
            body["usage"] = self.ctx.get_usage()
        click.echo(json.dumps(body), err=True)


def _as_json_usage(ctx: click.Context, exc: click.UsageError) -> click.UsageError:
    if not ctx.meta.get(JSON_REQUESTED_KEY) or isinstance(exc, JsonUsageError):
        return exc
    return JsonUsageError(exc.format_message(), exc.ctx)


class TrackersGroup(click.Group):
    """The root group: lazy commands; core errors exit 1, configuration and usage errors 2."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Remember whether ``--json`` was asked for, so usage errors can answer in JSON."""
        requested = _json_requested(args)
        try:
            ctx = super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            if not requested:
                raise
            converted = JsonUsageError(exc.format_message(), exc.ctx)
            raise converted from exc
        ctx.meta[JSON_REQUESTED_KEY] = requested
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        """Run the chosen command, translating the errors it raises on purpose."""
        from entrypoints.cli.errors import translate_errors

        try:
            return translate_errors(ctx, functools.partial(super().invoke, ctx))
        except click.UsageError as exc:
            raise _as_json_usage(ctx, exc) from exc

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Commands in the order of the manual rather than alphabetically."""
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, its module imported now."""
        entry = COMMANDS.get(cmd_name)
        return None if entry is None else entry.load()

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from :data:`COMMANDS`, without importing any command."""
        width = max(len(name) for name in COMMANDS)
        limit = formatter.width - 6 - width
        rows = [
            (name, click.Command(name, help=entry.summary).get_short_help_str(limit))
            for name, entry in COMMANDS.items()
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


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

    Every command answers --help; most take --json for machine output (errors too, as JSON
    on stderr). Exit codes: 0 ok, 1 the operation failed, 2 bad usage or configuration.
    Shell completion: docs/cli.md.
    """
    ctx.meta[LOG_LEVEL_KEY] = log_level.upper() if log_level else None


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="trackers")


__all__ = ["COMMANDS", "EXIT_USAGE", "cli", "main"]
