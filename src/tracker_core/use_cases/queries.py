"""Read use cases with the read rule: owner, an admin of a shared guild, or a system admin."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from tracker_core.errors import ForbiddenError, NotFoundError
from tracker_core.fetching import planned_requests
from tracker_core.guilds import User, is_guild_admin
from tracker_core.model import (
    ScrapingLog,
    Tracker,
    TrackerQuery,
    TrackerSeason,
    TrackerSnapshot,
    TrackerStatus,
)
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
    """Counts by status, the queue, and the time to drain it at the request budget.

    ``requests_queued`` is what the PENDING trackers will ask tracker.gg for: a first scrape
    makes 1 + initial-seasons requests, any other one request; ``eta_minutes`` divides it by
    the per-minute budget. ``lane_depths`` is empty when the queue cannot tell its lanes.
    """

    total: int
    by_status: dict[str, int]
    queue_depth: int
    eta_minutes: float
    lane_depths: dict[str, int] = attrs.field(factory=dict)
    first_scrapes_queued: int = 0
    requests_queued: int = 0


@attrs.frozen
class BudgetUse:
    """Requests made over the last ``window`` against what the budget allows in it."""

    requests: int
    allowed: int
    window: timedelta

    @property
    def percent(self) -> float:
        return round(100 * self.requests / max(1, self.allowed), 1)


BUDGET_WINDOW = timedelta(hours=1)


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
        raise ForbiddenError(READ_DENIED)
    return tracker


def get_tracker_detail(viewer: Viewer, tracker_id: str, *, uow: UnitOfWork) -> TrackerDetail:
    """The tracker, its owner, its latest 10 snapshots and its seasons (newest first).

    Raises:
        NotFoundError, ForbiddenError.
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
    """Seasons, newest first. Raises NotFoundError, ForbiddenError."""
    with uow:
        return uow.seasons.for_tracker(_viewable(uow, viewer, tracker_id).id)


def get_tracker_snapshots(
    viewer: Viewer, tracker_id: str, season: int | None, *, uow: UnitOfWork
) -> list[TrackerSnapshot]:
    """Snapshots, newest first, optionally of one season. Raises NotFoundError, ForbiddenError."""
    with uow:
        tracker = _viewable(uow, viewer, tracker_id)
        return uow.snapshots.for_tracker(tracker.id, season=season)


def get_tracker_status(viewer: Viewer, tracker_id: str, *, uow: UnitOfWork) -> TrackerStatusView:
    """Scraping status of one tracker. Raises NotFoundError, ForbiddenError."""
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
    """A user's trackers, if the viewer may read them. Raises ForbiddenError."""
    with uow:
        if not can_view(uow, viewer, user_id):
            raise ForbiddenError(READ_DENIED)
        return uow.trackers.search(attrs.evolve(query, user_ids=(user_id,)))


def list_guild_trackers(
    viewer: Viewer, guild_id: str, query: TrackerQuery, *, uow: UnitOfWork
) -> tuple[list[Tracker], int]:
    """Trackers of a guild's current members, for its admins and system admins.

    Raises:
        NotFoundError: no such guild. ForbiddenError: not an admin of it.
    """
    with uow:
        if uow.guilds.get(guild_id) is None:
            raise NotFoundError(f"Guild {guild_id} not found")
        settings = uow.guilds.settings(guild_id)
        if not viewer.is_system_admin and not is_guild_admin(
            uow.guilds.member(guild_id, viewer.user_id), settings
        ):
            raise ForbiddenError(READ_DENIED)
        members = tuple(m.user_id for m in uow.guilds.members(guild_id) if m.is_current)
        return uow.trackers.search(attrs.evolve(query, user_ids=members))


def search_trackers(query: TrackerQuery, *, uow: UnitOfWork) -> tuple[list[Tracker], int]:
    """Trackers matching the query (the caller checked access)."""
    with uow:
        return uow.trackers.search(query)


def search_scraping_logs(
    tracker_id: str | None,
    status: str | None,
    page: int,
    limit: int,
    *,
    uow: UnitOfWork,
    category: str | None = None,
) -> tuple[list[ScrapingLog], int]:
    """Scraping logs, newest first (of one tracker, status and error category when given)."""
    with uow:
        return uow.scraping_logs.search(tracker_id, status, page, limit, category)


def scraping_overview(
    *, uow: UnitOfWork, queue: JobQueue, requests_per_minute: int, initial_seasons: int
) -> ScrapingOverview:
    """Counts by status, queue depth per lane and the time to drain the PENDING trackers'
    requests at the budget."""
    with uow:
        counts = uow.trackers.status_counts()
        first = uow.trackers.pending_first_scrapes()
    pending = counts.get(TrackerStatus.PENDING, 0)
    first = min(first, pending)
    requests = first * planned_requests(first_scrape=True, initial_seasons=initial_seasons) + (
        pending - first
    ) * planned_requests(first_scrape=False, initial_seasons=initial_seasons)
    return ScrapingOverview(
        total=sum(counts.values()),
        by_status={str(k): v for k, v in counts.items()},
        queue_depth=queue.depth(),
        eta_minutes=round(requests / max(1, requests_per_minute), 1),
        lane_depths={str(lane): n for lane, n in queue.lane_depths().items()},
        first_scrapes_queued=first,
        requests_queued=requests,
    )


def budget_use(*, uow: UnitOfWork, now: datetime, requests_per_minute: int) -> BudgetUse:
    """Pages requested from tracker.gg over the last hour, against the hour's budget."""
    with uow:
        made = uow.scraping_logs.requests_since(now - BUDGET_WINDOW)
    allowed = requests_per_minute * int(BUDGET_WINDOW.total_seconds() // 60)
    return BudgetUse(made, allowed, BUDGET_WINDOW)


def failure_categories(*, uow: UnitOfWork) -> list[tuple[str, int]]:
    """Every FAILED scrape counted by error category, most frequent first."""
    with uow:
        counts = uow.scraping_logs.failure_categories()
    named = [(category or "unknown", n) for category, n in counts.items() if n]
    return sorted(named, key=lambda item: (-item[1], item[0]))


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
        NotFoundError, ForbiddenError.
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
