"""How ``trackers`` commands print: ``--json`` output, rich tables and progress on a console."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from entrypoints.responses.base import to_json

if TYPE_CHECKING:  # rich is imported when a command prints, not when the CLI starts
    from rich.console import Console
    from rich.progress import Progress

JSON_KEY = "trackers.json"
JSON_REQUESTED_KEY = "trackers.json_requested"
LOG_LEVEL_KEY = "trackers.log_level"
PIPE_WIDTH = 200


def json_mode() -> bool:
    """Whether the running command was given ``--json``."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(JSON_KEY))


def console(*, stderr: bool = False) -> Console:
    """A rich console on the current stdout (or stderr); made per call so tests capture it.

    Piped output gets wide lines so that ids and URLs are never cut.
    """
    from rich.console import Console

    file = sys.stderr if stderr else sys.stdout
    width = None if file.isatty() or os.environ.get("COLUMNS") else PIPE_WIDTH
    return Console(file=file, width=width, highlight=False, soft_wrap=True)


def progress_bar(label: str) -> Progress:
    """A progress bar on stderr (hidden with ``--json``) for long operations."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console(stderr=True),
        disable=json_mode(),
    )


def emit(data: Any, human: Callable[[Console], None]) -> None:
    """JSON of ``data`` (response objects of :mod:`entrypoints.responses`, or lists and dicts
    holding them) with ``--json``, else the ``human`` rendering."""
    if json_mode():
        click.echo(json.dumps(to_json(data), indent=2, ensure_ascii=False))
    else:
        human(console())


def note(message: str) -> None:
    """A hint for humans on stderr (never in ``--json`` output)."""
    if not json_mode():
        console(stderr=True).print(message, style="dim")
