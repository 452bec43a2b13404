"""A tracker's rating history (with a terminal sparkline per playlist) and ``user show``."""

from __future__ import annotations

import click

from entrypoints.cli.options import json_option, tracker_id_argument, user_id_argument
from entrypoints.cli.output import emit
from entrypoints.cli.services import OPERATOR, services
from entrypoints.cli.views import history_view, tracker_json, user_view
from entrypoints.responses import api as res
from entrypoints.responses.base import to_json
from tracker_core.model import TrackerQuery

USER_TRACKERS_LIMIT = 100


@click.command()
@tracker_id_argument
@click.option(
    "--season", type=click.IntRange(min=1), default=None, help="Only this season's snapshots."
)
@click.option(
    "--rows",
    type=click.IntRange(min=0),
    default=15,
    show_default=True,
    help="Newest snapshots listed under the sparklines (they cover every snapshot).",
)
@json_option
def history(tracker_id: str, season: int | None, rows: int) -> None:
    """Show a tracker's rating history with a sparkline per playlist.

    Every stored snapshot (each scrape and manual entry), oldest to newest in the
    sparklines, with each ranked playlist's first, last, lowest and highest rating.
    --json prints the snapshots, newest first, as GET /api/trackers/:id/snapshots does.
    """
    svc = services()
    snapshots = svc.use_cases.get_tracker_snapshots(OPERATOR, tracker_id, season)
    data = {"trackerId": tracker_id, "snapshots": [res.snapshot(s) for s in snapshots]}
    emit(data, lambda out: out.print(history_view(snapshots, rows)))


@click.group()
def user() -> None:
    """Show users (a user's profile and trackers)."""


@user.command("show")
@user_id_argument
@json_option
def user_show(user_id: str) -> None:
    """Show a user: profile and (non-deleted) trackers."""
    svc = services()
    found = svc.use_cases.get_user(user_id)
    trackers, total = svc.use_cases.list_user_trackers(
        OPERATOR, user_id, TrackerQuery(limit=USER_TRACKERS_LIMIT)
    )
    data = {**to_json(res.user(found)), "trackers": [tracker_json(t) for t in trackers]}
    emit(data, lambda out: out.print(user_view(found, trackers, total, width=out.width)))
