"""Options and arguments shared by ``trackers`` commands, validated as the HTTP API does."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar, get_args

import click

from entrypoints.cli.output import JSON_KEY
from tracker_core.model import TrackerStatus
from tracker_core.urls import Platform

F = TypeVar("F", bound=Callable[..., Any])

SNOWFLAKE = re.compile(r"[0-9]{17,20}")
CUID = re.compile(r"c[a-z0-9]{24}")
STATUSES = [s.value for s in TrackerStatus]
PLATFORMS = list(get_args(Platform))


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


def _snowflake(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not SNOWFLAKE.fullmatch(value):
        raise click.BadParameter("must be a Discord snowflake id (17-20 digits)", param=param)
    return value


def snowflake_option(flag: str, dest: str, *, required: bool, help: str) -> Callable[[F], F]:
    """An option holding a Discord id (17–20 digits)."""
    return click.option(flag, dest, required=required, callback=_snowflake, help=help)


def _snowflake_argument(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not SNOWFLAKE.fullmatch(value):
        raise click.BadParameter("must be a Discord snowflake id (17-20 digits)", param=param)
    return value


def guild_id_argument(func: F) -> F:
    """The GUILD_ID argument (a Discord snowflake)."""
    return click.argument("guild_id", callback=_snowflake_argument)(func)


def user_id_argument(func: F) -> F:
    """The USER_ID argument (a Discord snowflake)."""
    return click.argument("user_id", callback=_snowflake_argument)(func)


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


_PLATFORM_NAMES: dict[str, Platform] = {p: p for p in get_args(Platform)}


def _platforms(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> tuple[Platform, ...]:
    return tuple(_PLATFORM_NAMES[v.upper()] for v in values)


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
