"""User endpoints ``/api/trackers`` (JWT): a user's own trackers and what they may read."""

from __future__ import annotations

from typing import Any

from entrypoints.http import deps
from entrypoints.http.requests import (
    AddBody,
    EmptyBody,
    OwnTrackersQuery,
    RegisterBody,
    SnapshotBody,
    SnapshotsQuery,
    TrackersQuery,
    UpdateTrackerBody,
)
from entrypoints.http.routing import RouteTable
from entrypoints.responses import api as res
from tracker_core.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    RuleViolationError,
)
from tracker_core.model import Tracker, TrackerQuery, TrackerStatus
from tracker_core.use_cases.trackers import (
    AddTracker,
    CreateManualSnapshot,
    RefreshOutcome,
    RefreshTracker,
    RegisterTrackers,
    UpdateTracker,
)

ROUTES = RouteTable("trackers", "/api/trackers", "user", "Trackers")
READ = (NotFoundError, ForbiddenError)
WRITE = (NotFoundError, ForbiddenError, ConflictError)
ENQUEUED = "Refresh job enqueued successfully"
ALREADY_RUNNING = "Tracker is already being refreshed"
ALREADY_QUEUED = "Tracker is already queued for refresh"
FROM_STORAGE = "Tracker data is fresh: served from storage (tracker.gg's cache has not expired)"
DELETED = "Tracker deleted successfully"
SELF = "/<except(register,add,me):id>"


def tracker_query(query: OwnTrackersQuery) -> TrackerQuery:
    """The core's tracker query for the list query parameters."""
    return TrackerQuery(
        platforms=(query.platform,) if query.platform else (),
        statuses=query.status,
        is_active=query.is_active,
        sort_by=query.sort_by,
        sort_order=query.sort_order,
        page=query.page,
        limit=query.limit,
    )


def tracker_page(found: tuple[list[Tracker], int], query: OwnTrackersQuery) -> res.TrackerPage:
    """A page of trackers."""
    trackers, total = found
    items = [res.tracker(t) for t in trackers]
    return res.TrackerPage(items, res.pagination(total, query.page, query.limit))


@ROUTES.route(
    "POST",
    "/register",
    summary="Register 1-4 trackers (the user must have none)",
    response="TrackerArray",
    body=RegisterBody,
    errors=(RuleViolationError, ConflictError),
)
def register(body: RegisterBody) -> list[res.Tracker]:
    """Register the caller's first trackers, all or nothing."""
    me = deps.principal()
    cmd = RegisterTrackers(user_id=me.user_id, urls=tuple(body.urls), profile=me.profile)
    trackers = deps.use_cases().register_trackers(cmd)
    return [res.tracker(t) for t in trackers]


@ROUTES.route(
    "POST",
    "/add",
    summary="Add one tracker (or restore one's own deleted one)",
    response="Tracker",
    body=AddBody,
    errors=(RuleViolationError, ConflictError),
)
def add(body: AddBody) -> res.Tracker:
    """Add one tracker within the per-user limit."""
    me = deps.principal()
    cmd = AddTracker(user_id=me.user_id, url=body.url, profile=me.profile)
    tracker = deps.use_cases().add_tracker(cmd)
    return res.tracker(tracker)


@ROUTES.route(
    "GET", "/me", summary="The caller's trackers", response="TrackerPage", query=OwnTrackersQuery
)
def mine(query: OwnTrackersQuery) -> res.TrackerPage:
    """The caller's trackers, filtered, sorted and paged."""
    me = deps.principal()
    found = deps.use_cases().list_user_trackers(me.viewer, me.user_id, tracker_query(query))
    return tracker_page(found, query)


@ROUTES.route(
    "GET",
    "",
    summary="The caller's trackers, or with guildId those of the guild's members",
    response="TrackerPage",
    query=TrackersQuery,
    errors=READ,
)
def listing(query: TrackersQuery) -> res.TrackerPage:
    """Own trackers, or (guild admins and system admins) the trackers of a guild's members."""
    me = deps.principal()
    core = tracker_query(query)
    if query.guild_id is None:
        found = deps.use_cases().list_user_trackers(me.viewer, me.user_id, core)
    else:
        found = deps.use_cases().list_guild_trackers(me.viewer, query.guild_id, core)
    return tracker_page(found, query)


@ROUTES.route(
    "GET",
    "/user/<userId>",
    summary="Another user's trackers (read rule)",
    response="TrackerPage",
    query=OwnTrackersQuery,
    errors=(ForbiddenError,),
)
def of_user(userId: str, query: OwnTrackersQuery) -> res.TrackerPage:
    """A user's trackers, for the user, an admin of a shared guild, or a system admin."""
    me = deps.principal()
    found = deps.use_cases().list_user_trackers(me.viewer, userId, tracker_query(query))
    return tracker_page(found, query)


@ROUTES.route(
    "GET",
    SELF,
    summary="A tracker with its owner, latest 10 snapshots and seasons",
    response="TrackerWithDetails",
    errors=READ,
)
def show(id: str) -> res.TrackerWithDetails:
    """One tracker in full."""
    detail = deps.use_cases().get_tracker_detail(deps.principal().viewer, id)
    return res.tracker_with_details(detail)


@ROUTES.route(
    "GET", "/<id>/detail", summary="{tracker, seasons}", response="TrackerDetail", errors=READ
)
def detail(id: str) -> res.TrackerDetail:
    """The tracker and its seasons."""
    found = deps.use_cases().get_tracker_detail(deps.principal().viewer, id)
    return res.tracker_detail(found)


@ROUTES.route(
    "GET", "/<id>/status", summary="Scraping status", response="TrackerStatus", errors=READ
)
def scraping_status(id: str) -> res.TrackerStatus:
    """Where the tracker's scraping stands."""
    return res.status(deps.use_cases().get_tracker_status(deps.principal().viewer, id))


@ROUTES.route(
    "GET", "/<id>/seasons", summary="Seasons, newest first", response="SeasonArray", errors=READ
)
def seasons(id: str) -> list[res.Season]:
    """The tracker's seasons."""
    found = deps.use_cases().get_tracker_seasons(deps.principal().viewer, id)
    return [res.season(s) for s in found]


@ROUTES.route(
    "GET",
    "/<id>/snapshots",
    summary="Rating history, newest first",
    response="SnapshotArray",
    query=SnapshotsQuery,
    errors=READ,
)
def snapshots(id: str, query: SnapshotsQuery) -> list[res.Snapshot]:
    """The tracker's snapshots, optionally of one season."""
    viewer = deps.principal().viewer
    found = deps.use_cases().get_tracker_snapshots(viewer, id, query.season)
    return [res.snapshot(s) for s in found]


@ROUTES.route(
    "POST",
    "/<id>/snapshots",
    summary="Record a manual snapshot (owner)",
    response="Snapshot",
    body=SnapshotBody,
    errors=(*WRITE, RuleViolationError),
)
def add_snapshot(id: str, body: SnapshotBody) -> res.Snapshot:
    """Record ratings entered by the owner."""
    cmd = CreateManualSnapshot(
        actor_id=deps.principal().user_id,
        tracker_id=id,
        season_number=body.season_number,
        ratings={"1v1": body.ones, "2v2": body.twos, "3v3": body.threes, "4v4": body.fours},
        games_played={
            "1v1": body.ones_games_played,
            "2v2": body.twos_games_played,
            "3v3": body.threes_games_played,
            "4v4": body.fours_games_played,
        },
    )
    return res.snapshot(deps.use_cases().create_manual_snapshot(cmd))


@ROUTES.route(
    "POST",
    "/<id>/refresh",
    summary="Refresh now (owner; cooldown applies)",
    response="RefreshResult",
    body=EmptyBody,
    errors=(*WRITE, RateLimitedError),
)
def refresh(id: str, body: EmptyBody) -> res.RefreshResult:
    """Queue the tracker at high priority unless a job already has it."""
    cmd = RefreshTracker(tracker_id=id, actor_id=deps.principal().user_id)
    return refresh_answer(deps.use_cases().refresh_tracker(cmd))


def refresh_answer(
    outcome: RefreshOutcome, *, enqueued_text: str | None = None
) -> res.RefreshResult:
    """``{message, trackerId, status}`` of a refresh, plus ``freshUntil`` when it was answered
    from storage. ``enqueued_text`` overrides the message of every other case (the admin
    route always says it enqueued)."""
    if outcome.served_from_storage:
        return res.RefreshResult(
            FROM_STORAGE, outcome.tracker_id, outcome.status, fresh_until=outcome.fresh_until
        )
    if enqueued_text is not None:
        text = enqueued_text
    elif outcome.enqueued:
        text = ENQUEUED
    elif outcome.status == TrackerStatus.IN_PROGRESS:
        text = ALREADY_RUNNING
    else:
        text = ALREADY_QUEUED
    return res.RefreshResult(text, outcome.tracker_id, outcome.status)


@ROUTES.route(
    "PUT",
    SELF,
    summary="Change displayName or isActive (owner)",
    response="Tracker",
    body=UpdateTrackerBody,
    errors=(*WRITE, RuleViolationError),
)
def update(id: str, body: UpdateTrackerBody) -> res.Tracker:
    """Update one's own tracker."""
    cmd = UpdateTracker(
        actor_id=deps.principal().user_id,
        tracker_id=id,
        display_name=body.display_name,
        is_active=body.is_active,
    )
    return res.tracker(deps.use_cases().update_tracker(cmd))


@ROUTES.route("DELETE", SELF, summary="Soft delete (owner)", response="Deleted", errors=WRITE)
def delete(id: str) -> Any:
    """Soft-delete one's own tracker."""
    tracker = deps.use_cases().delete_tracker(deps.principal().user_id, id)
    return res.Deleted(DELETED, tracker.id)
