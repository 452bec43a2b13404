"""``--wait``: follow queued trackers with a progress bar until their scrapes have ended."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from time import monotonic, sleep
from typing import Any, TypeVar

import click

from entrypoints.cli.errors import CliError
from entrypoints.cli.output import json_mode, progress_bar
from entrypoints.cli.services import OPERATOR, Services
from tracker_core.errors import NotFoundError
from tracker_core.model import TrackerStatus

F = TypeVar("F", bound=Callable[..., Any])

RUNNING = frozenset({TrackerStatus.PENDING, TrackerStatus.IN_PROGRESS})
DELETED = "DELETED"


def wait_options(func: F) -> F:
    """``--wait`` and ``--timeout`` for commands that queue trackers."""
    func = click.option(
        "--timeout",
        default=600.0,
        show_default=True,
        type=click.FloatRange(min=1),
        help="Seconds to wait at most with --wait.",
    )(func)
    return click.option(
        "--wait",
        is_flag=True,
        help="Wait until every queued tracker is COMPLETED or FAILED (exit 1 if any FAILED).",
    )(func)


def _final_status(svc: Services, tracker_id: str) -> str | None:
    """The tracker's status once its scrape has ended, None while it runs."""
    try:
        status = svc.use_cases.get_tracker_status(OPERATOR, tracker_id).status
    except NotFoundError:
        return DELETED
    return None if status in RUNNING else str(status)


def wait_for_trackers(
    svc: Services, tracker_ids: Sequence[str], timeout: float, *, spent: float = 0.0
) -> dict[str, int]:
    """Poll until no tracker is PENDING or IN_PROGRESS; how many ended in each status.

    ``spent``: seconds of ``timeout`` already used (by scrapes run in this process).

    Raises:
        CliError: the timeout ran out, or a tracker ended FAILED.
    """
    pending = list(dict.fromkeys(tracker_ids))
    total = len(pending)
    ended: dict[str, int] = {}
    interval = min(5.0, max(1.0, len(pending) / 200))
    deadline = monotonic() + max(0.0, timeout - spent)
    with progress_bar("Scraping") as progress:
        task = progress.add_task("scrape", total=total)
        while pending:
            still = []
            for tracker_id in pending:
                final = _final_status(svc, tracker_id)
                if final is None:
                    still.append(tracker_id)
                else:
                    ended[final] = ended.get(final, 0) + 1
            progress.update(task, completed=total - len(still))
            pending = still
            if pending and monotonic() >= deadline:
                raise CliError(
                    f"Timed out after {timeout:g} s: {len(pending)} tracker(s) still queued",
                    as_json=json_mode(),
                )
            if pending:
                sleep(interval)
    if ended.get(str(TrackerStatus.FAILED)):
        raise CliError(f"{ended['FAILED']} tracker(s) FAILED", as_json=json_mode(), extra=ended)
    return ended
