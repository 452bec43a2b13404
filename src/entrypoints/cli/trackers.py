"""A user's trackers from the command line: register, add, list, show, refresh, delete."""

from __future__ import annotations

import click

from entrypoints.cli.embedded import start_queued
from entrypoints.cli.options import (
    json_option,
    paging_options,
    platform_option,
    snowflake_option,
    tracker_id_argument,
    tracker_status_option,
)
from entrypoints.cli.output import emit
from entrypoints.cli.services import OPERATOR, services
from entrypoints.cli.views import detail_json, detail_view, tracker_json, trackers_table
from entrypoints.cli.wait import wait_options
from entrypoints.responses import api as res
from entrypoints.responses.base import instant
from tracker_core.guilds import UserProfile
from tracker_core.model import TrackerQuery, TrackerStatus
from tracker_core.urls import Platform
from tracker_core.use_cases.queries import Viewer
from tracker_core.use_cases.trackers import (
    AddTracker,
    RefreshTracker,
    RegisterTrackers,
)


def _profile(username: str | None) -> UserProfile | None:
    return UserProfile(username=username) if username else None


@click.command()
@snowflake_option("--user", "user_id", required=True, help="Discord user id of the owner.")
@click.option("--username", default=None, help="Username stored when the user is new.")
@click.argument("urls", nargs=-1, required=True)
@json_option
def register(user_id: str, username: str | None, urls: tuple[str, ...]) -> None:
    """Register a user's first 1-4 trackers.

    All or nothing; the new trackers are queued for their first scrape.
    """
    svc = services()
    cmd = RegisterTrackers(user_id=user_id, urls=urls, profile=_profile(username))
    trackers = svc.use_cases.register_trackers(cmd)
    emit(
        [tracker_json(t) for t in trackers],
        lambda out: out.print(trackers_table(trackers, title="Registered", width=out.width)),
    )
    start_queued(svc, [t.id for t in trackers], wait=False, timeout=0)


@click.command()
@snowflake_option("--user", "user_id", required=True, help="Discord user id of the owner.")
@click.option("--username", default=None, help="Username stored when the user is new.")
@click.argument("url")
@json_option
def add(user_id: str, username: str | None, url: str) -> None:
    """Add one tracker to a user.

    At most TRACKER_MAX_PER_USER per user; the tracker is queued for its scrape. Re-adding
    one's own deleted tracker restores it with its history.
    """
    svc = services()
    cmd = AddTracker(user_id=user_id, url=url, profile=_profile(username))
    tracker = svc.use_cases.add_tracker(cmd)
    emit(
        tracker_json(tracker),
        lambda out: out.print(trackers_table([tracker], title="Added", width=out.width)),
    )
    start_queued(svc, [tracker.id], wait=False, timeout=0)


@click.command("list")
@snowflake_option("--user", "user_id", required=False, help="Only this user's trackers.")
@snowflake_option("--guild", "guild_id", required=False, help="Only this guild's members'.")
@tracker_status_option
@platform_option
@paging_options
@json_option
def list_trackers(
    user_id: str | None,
    guild_id: str | None,
    statuses: tuple[TrackerStatus, ...],
    platforms: tuple[Platform, ...],
    page: int,
    limit: int,
) -> None:
    """List trackers, newest first.

    Deleted trackers are never listed; paging as in the HTTP API.
    """
    if user_id and guild_id:
        raise click.UsageError("--user and --guild cannot be combined")
    svc = services()
    query = TrackerQuery(
        user_ids=(user_id,) if user_id else None,
        platforms=platforms,
        statuses=statuses,
        page=page,
        limit=limit,
    )
    if guild_id:
        found, total = svc.use_cases.list_guild_trackers(OPERATOR, guild_id, query)
    else:
        found, total = svc.use_cases.search_trackers(query)
    title = f"Trackers (page {page}, {len(found)} of {total})"
    emit(
        {
            "data": [tracker_json(t) for t in found],
            "pagination": res.pagination(total, page, limit),
        },
        lambda out: out.print(trackers_table(found, title=title, width=out.width)),
    )


@click.command()
@tracker_id_argument
@snowflake_option(
    "--user",
    "user_id",
    required=False,
    help="Read as this user (the read rule applies); default: as the operator.",
)
@json_option
def show(tracker_id: str, user_id: str | None) -> None:
    """Show one tracker with its seasons and latest snapshots."""
    svc = services()
    viewer = Viewer(user_id) if user_id else OPERATOR
    detail = svc.use_cases.get_tracker_detail(viewer, tracker_id)
    emit(detail_json(detail), lambda out: out.print(detail_view(detail)))


@click.command()
@tracker_id_argument
@snowflake_option(
    "--user",
    "user_id",
    required=False,
    help="Act as this owner (cooldown applies); default: as the operator (no cooldown).",
)
@wait_options
@json_option
def refresh(tracker_id: str, user_id: str | None, wait: bool, timeout: float) -> None:
    """Queue a tracker's scrape at high priority.

    Nothing happens when a job already has it (queued or running), or when tracker.gg's cache
    of the profile is still fresh (the stored data is the answer: no request).
    """
    svc = services()
    cmd = RefreshTracker(tracker_id=tracker_id, actor_id=user_id)
    outcome = svc.use_cases.refresh_tracker(cmd)
    if outcome.fresh_until is not None:
        message = (
            "Tracker data is fresh: served from storage, no request to tracker.gg "
            f"(its cache expires at {instant(outcome.fresh_until)})"
        )
    elif outcome.enqueued:
        message = "Refresh job enqueued successfully"
    else:
        message = f"A job already has this tracker ({outcome.status}): no second job"
    data: dict[str, object] = {
        "message": message,
        "trackerId": outcome.tracker_id,
        "status": str(outcome.status),
        "enqueued": outcome.enqueued,
    }
    if outcome.fresh_until is not None:  # nothing queued: nothing to start or wait for
        data["freshUntil"] = instant(outcome.fresh_until)
        emit(data, lambda out: out.print(message))
        return
    if not wait:
        emit(data, lambda out: out.print(message))
    final = start_queued(svc, [tracker_id], wait=wait, timeout=timeout)
    if final is not None:
        data["final"] = final
        emit(data, lambda out: out.print(message))


@click.command()
@tracker_id_argument
@snowflake_option(
    "--user",
    "user_id",
    required=False,
    help="Act as this user (owner only); default: as the tracker's owner.",
)
@json_option
def delete(tracker_id: str, user_id: str | None) -> None:
    """Soft-delete a tracker.

    It is hidden, no longer processed, and its URL is free again.
    """
    svc = services()
    actor = user_id or svc.use_cases.get_tracker_detail(OPERATOR, tracker_id).tracker.user_id
    deleted = svc.use_cases.delete_tracker(actor, tracker_id)
    emit(tracker_json(deleted), lambda out: out.print(f"Deleted tracker {deleted.id}."))
