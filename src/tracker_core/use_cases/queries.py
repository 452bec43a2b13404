"""Read use cases with the read rule: owner, an admin of a shared guild, or a system admin."""

from __future__ import annotations

from datetime import datetime

import attrs

from tracker_core.errors import Forbidden, NotFound
from tracker_core.guilds import User, is_guild_admin
from tracker_core.model import ScrapingLog, Tracker, TrackerQuery, TrackerSeason, TrackerSnapshot
from tracker_core.ports import JobQueue, UnitOfWork
from tracker_core.use_cases.common import live_tracker

READ_DENIED = "You can only view trackers for yourself or members of guilds where you are an admin"


@attrs.frozen
class Viewer:
    """Who is reading: a user id and whether it is a system admin."""

    user_id: str
    is_system_admin: bool = False


@attrs.frozen
class TrackerDetail:
    tracker: Tracker
    user: User | None
    snapshots: list[TrackerSnapshot]
    seasons: list[TrackerSeason]


@attrs.frozen
class TrackerStatusView:
    status: str
    error: str | None
    error_category: str | None
    last_scraped_at: datetime | None
    attempts: int
    next_attempt_at: datetime | None


@attrs.frozen
class ScrapingOverview:
    total: int
    by_status: dict[str, int]
    queue_depth: int
    eta_minutes: float


def can_view(uow: UnitOfWork, viewer: Viewer, owner_id: str) -> bool:
    """Owner, system admin, or an admin of a guild both currently belong to."""
    if viewer.is_system_admin or viewer.user_id == owner_id:
        return True
    shared = {m.guild_id for m in uow.guilds.memberships(owner_id)}
    for member in uow.guilds.memberships(viewer.user_id):
        if member.guild_id in shared and is_guild_admin(
            member, uow.guilds.settings(member.guild_id)
        ):
            return True
    return False


def _viewable(uow: UnitOfWork, viewer: Viewer, tracker_id: str) -> Tracker:
    tracker = live_tracker(uow, tracker_id)
    if not can_view(uow, viewer, tracker.user_id):
        raise Forbidden(READ_DENIED)
    return tracker


def get_tracker_detail(viewer: Viewer, tracker_id: str, *, uow: UnitOfWork) -> TrackerDetail:
    """The tracker, its owner, its latest 10 snapshots and its seasons (newest first).

    Raises:
        NotFound, Forbidden.
    """
    with uow:
        tracker = _viewable(uow, viewer, tracker_id)
        return TrackerDetail(
            tracker=tracker,
            user=uow.users.get(tracker.user_id),
            snapshots=uow.snapshots.for_tracker(tracker.id, limit=10),
            seasons=uow.seasons.for_tracker(tracker.id),
        )


def get_tracker_seasons(viewer: Viewer, tracker_id: str, *, uow: UnitOfWork) -> list[TrackerSeason]:
    """Seasons, newest first. Raises NotFound, Forbidden."""
    with uow:
        return uow.seasons.for_tracker(_viewable(uow, viewer, tracker_id).id)


def get_tracker_snapshots(
    viewer: Viewer, tracker_id: str, season: int | None, *, uow: UnitOfWork
) -> list[TrackerSnapshot]:
    """Snapshots, newest first, optionally of one season. Raises NotFound, Forbidden."""
    with uow:
        tracker = _viewable(uow, viewer, tracker_id)
        return uow.snapshots.for_tracker(tracker.id, season=season)


def get_tracker_status(viewer: Viewer, tracker_id: str, *, uow: UnitOfWork) -> TrackerStatusView:
    """Scraping status of one tracker. Raises NotFound, Forbidden."""
    with uow:
        t = _viewable(uow, viewer, tracker_id)
    return TrackerStatusView(
        status=t.scraping_status,
        error=t.scraping_error,
        error_category=t.error_category,
        last_scraped_at=t.last_scraped_at,
        attempts=t.scraping_attempts,
        next_attempt_at=t.next_attempt_at,
    )


def list_user_trackers(
    viewer: Viewer, user_id: str, query: TrackerQuery, *, uow: UnitOfWork
) -> tuple[list[Tracker], int]:
    """A user's trackers, if the viewer may read them. Raises Forbidden."""
    with uow:
        if not can_view(uow, viewer, user_id):
            raise Forbidden(READ_DENIED)
        return uow.trackers.search(attrs.evolve(query, user_ids=(user_id,)))


def list_guild_trackers(
    viewer: Viewer, guild_id: str, query: TrackerQuery, *, uow: UnitOfWork
) -> tuple[list[Tracker], int]:
    """Trackers of a guild's current members, for its admins and system admins.

    Raises:
        NotFound: no such guild. Forbidden: not an admin of it.
    """
    with uow:
        if uow.guilds.get(guild_id) is None:
            raise NotFound(f"Guild {guild_id} not found")
        settings = uow.guilds.settings(guild_id)
        if not viewer.is_system_admin and not is_guild_admin(
            uow.guilds.member(guild_id, viewer.user_id), settings
        ):
            raise Forbidden(READ_DENIED)
        members = tuple(m.user_id for m in uow.guilds.members(guild_id) if m.is_current)
        return uow.trackers.search(attrs.evolve(query, user_ids=members))


def search_trackers(query: TrackerQuery, *, uow: UnitOfWork) -> tuple[list[Tracker], int]:
    """Trackers matching the query (the caller checked access)."""
    with uow:
        return uow.trackers.search(query)


def search_scraping_logs(
    tracker_id: str | None, status: str | None, page: int, limit: int, *, uow: UnitOfWork
) -> tuple[list[ScrapingLog], int]:
    """Scraping logs, newest first."""
    with uow:
        return uow.scraping_logs.search(tracker_id, status, page, limit)


def scraping_overview(
    *, uow: UnitOfWork, queue: JobQueue, requests_per_minute: int
) -> ScrapingOverview:
    """Counts by status, queue depth and the time to drain the queue at the budget."""
    with uow:
        counts = uow.trackers.status_counts()
    depth = queue.depth()
    return ScrapingOverview(
        total=sum(counts.values()),
        by_status={str(k): v for k, v in counts.items()},
        queue_depth=depth,
        eta_minutes=round(depth / max(1, requests_per_minute), 1),
    )


@attrs.frozen
class TrackerChange:
    """One notification text of a tracker (what changed, or why it failed)."""

    at: datetime
    kind: str
    message: str


def list_tracker_changes(
    viewer: Viewer, tracker_id: str, limit: int, *, uow: UnitOfWork
) -> list[TrackerChange]:
    """The tracker's notification texts, newest first, each once whatever its channels.

    Raises:
        NotFound, Forbidden.
    """
    with uow:
        tracker = _viewable(uow, viewer, tracker_id)
        found = uow.notifications.for_tracker(tracker.id, limit * 4)
    seen: set[tuple[datetime, str]] = set()
    changes: list[TrackerChange] = []
    for n in found:
        if (n.created_at, n.message) in seen:
            continue
        seen.add((n.created_at, n.message))
        changes.append(TrackerChange(n.created_at, str(n.kind), n.message))
    return changes[:limit]
