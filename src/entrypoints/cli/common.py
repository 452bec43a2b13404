"""What every ``trackers`` command shares: services, ``--json``, output and error exits."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast, get_args

import attrs
import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from entrypoints.config import ConfigError, Settings
from entrypoints.container import Container, get_container
from tracker_core.errors import RateLimited, TrackerError
from tracker_core.model import Priority, TrackerStatus
from tracker_core.policy import Policy
from tracker_core.ports import Clock, JobQueue, UnitOfWork
from tracker_core.urls import Platform
from tracker_core.use_cases.queries import Viewer

F = TypeVar("F", bound=Callable[..., Any])

JSON_KEY = "trackers.json"
LOG_LEVEL_KEY = "trackers.log_level"
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
EXIT_FAILURE = 1
EXIT_CONFIG = 2
PIPE_WIDTH = 200
SNOWFLAKE = re.compile(r"[0-9]{17,20}")
CUID = re.compile(r"c[a-z0-9]{24}")
STATUSES = [s.value for s in TrackerStatus]
PLATFORMS = list(get_args(Platform))

OPERATOR = Viewer("cli-operator", is_system_admin=True)
"""Who reads when no ``--user`` is given: the operator may see every tracker."""


class CliError(click.ClickException):
    """A failure reported on stderr (as JSON with ``--json``) with a non-zero exit code."""

    exit_code = EXIT_FAILURE

    def __init__(
        self,
        message: str,
        *,
        code: str = "ERROR",
        as_json: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.as_json = as_json
        self.extra = extra or {}

    def show(self, file: Any = None) -> None:
        """Print the error to stderr."""
        if self.as_json:
            body = {"error": self.message, "code": self.code, **self.extra}
            click.echo(json.dumps(body), err=True)
        else:
            click.echo(f"Error: {self.message}", err=True)


class CliConfigError(CliError):
    """A missing or malformed setting, or a command the configured mode does not allow."""

    exit_code = EXIT_CONFIG


def config_error(message: str) -> CliError:
    """A configuration problem: exit code 2."""
    return CliConfigError(message, code="CONFIG_ERROR", as_json=json_mode())


def translate_errors(ctx: click.Context, run: Callable[[], Any]) -> Any:
    """Run a command, mapping core errors to exit 1 and configuration errors to exit 2."""
    try:
        return run()
    except ConfigError as exc:
        as_json = bool(ctx.meta.get(JSON_KEY))
        raise CliConfigError(str(exc), code="CONFIG_ERROR", as_json=as_json) from exc
    except TrackerError as exc:
        as_json = bool(ctx.meta.get(JSON_KEY))
        extra = {"retryAfter": exc.retry_after} if isinstance(exc, RateLimited) else {}
        raise CliError(exc.message, code=exc.code, as_json=as_json, extra=extra) from exc


def setup_logging(default_level: str) -> None:
    """Log to stderr at ``--log-level`` (else ``default_level``), unless already configured."""
    ctx = click.get_current_context(silent=True)
    level = (ctx.meta.get(LOG_LEVEL_KEY) if ctx is not None else None) or default_level
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr)


def json_mode() -> bool:
    """Whether the running command was given ``--json``."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(JSON_KEY))


def _remember_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    ctx.meta[JSON_KEY] = value
    return value


def json_option(func: F) -> F:
    """Add ``--json`` (machine output on stdout) to a command."""
    option = click.option(
        "--json",
        "as_json",
        is_flag=True,
        is_eager=True,
        expose_value=False,
        callback=_remember_json,
        help="Print machine-readable JSON instead of tables.",
    )
    return option(func)


def console(*, stderr: bool = False) -> Console:
    """A rich console on the current stdout (or stderr); made per call so tests capture it.

    Piped output gets wide lines so that ids and URLs are never cut.
    """
    file = sys.stderr if stderr else sys.stdout
    width = None if file.isatty() or os.environ.get("COLUMNS") else PIPE_WIDTH
    return Console(file=file, width=width, highlight=False, soft_wrap=True)


def progress_bar(label: str) -> Progress:
    """A progress bar on stderr (hidden with ``--json``) for long operations."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console(stderr=True),
        disable=json_mode(),
    )


def emit(data: Any, human: Callable[[Console], None]) -> None:
    """JSON of ``data`` with ``--json``, else the ``human`` rendering."""
    if json_mode():
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        human(console())


def note(message: str) -> None:
    """A hint for humans on stderr (never in ``--json`` output)."""
    if not json_mode():
        console(stderr=True).print(message, style="dim")


def _snowflake(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not SNOWFLAKE.fullmatch(value):
        raise click.BadParameter("must be a Discord snowflake id (17-20 digits)", param=param)
    return value


def snowflake_option(flag: str, dest: str, *, required: bool, help: str) -> Callable[[F], F]:
    """An option holding a Discord id (17–20 digits)."""
    return click.option(flag, dest, required=required, callback=_snowflake, help=help)


def check_cuid(value: str) -> str:
    """The value if it is a CUID (a tracker id), else a usage error (exit 2)."""
    if not CUID.fullmatch(value):
        raise click.BadParameter(f"Invalid CUID format: {value}")
    return value


def _cuid(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    return check_cuid(value)


def tracker_id_argument(func: F) -> F:
    """The TRACKER_ID argument (CUID format)."""
    return click.argument("tracker_id", callback=_cuid)(func)


def paging_options(func: F) -> F:
    """``--page`` (≥ 1) and ``--limit`` (1–100), as in the HTTP API."""
    func = click.option(
        "--limit", default=50, show_default=True, type=click.IntRange(1, 100), help="Page size."
    )(func)
    return click.option(
        "--page", default=1, show_default=True, type=click.IntRange(min=1), help="Page."
    )(func)


def _statuses(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> tuple[TrackerStatus, ...]:
    return tuple(TrackerStatus(v.upper()) for v in values)


def _platforms(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    return tuple(v.upper() for v in values)


def tracker_status_option(func: F) -> F:
    """``--status`` (repeatable, any case) as ``statuses``: a tuple of :class:`TrackerStatus`."""
    return click.option(
        "--status",
        "statuses",
        multiple=True,
        type=click.Choice(STATUSES, case_sensitive=False),
        callback=_statuses,
        help="Only trackers in this status (repeatable).",
    )(func)


def platform_option(func: F) -> F:
    """``--platform`` (repeatable, any case) as ``platforms``: a tuple of upper-case names."""
    return click.option(
        "--platform",
        "platforms",
        multiple=True,
        type=click.Choice(PLATFORMS, case_sensitive=False),
        callback=_platforms,
        help="Only trackers of this platform (repeatable).",
    )(func)


class ReconcilerQueue:
    """Embedded-mode queue of one-shot CLI commands.

    The in-process queue lives in the ``trackers serve`` process; a command only leaves its
    trackers PENDING in the database, where that process's reconciler picks them up.
    """

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self._uow_factory = uow_factory

    def enqueue(
        self, tracker_ids: Sequence[str], priority: Priority, *, not_before: datetime | None = None
    ) -> int:
        """Nothing to send: the trackers are PENDING in the database already."""
        return len(tracker_ids)

    def is_queued(self, tracker_id: str) -> bool:
        """Unknown from here: the serving process deduplicates its own queue."""
        return False

    def depth(self) -> int:
        """PENDING trackers: what the serving process still has to work through."""
        with self._uow_factory() as uow:
            return uow.trackers.status_counts().get(TrackerStatus.PENDING, 0)


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
