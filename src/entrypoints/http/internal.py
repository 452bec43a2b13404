"""Bot endpoints ``/internal`` (bot API key): health, registration, processing, schedules."""

from __future__ import annotations

from flask import Response

from entrypoints.http import deps
from entrypoints.http.health import health_response
from entrypoints.http.requests import (
    BotAddBody,
    BotRegisterBody,
    EmptyBody,
    ProcessGuildBody,
    ScheduleBody,
    ScheduleListQuery,
    UserData,
)
from entrypoints.http.routing import RouteTable
from entrypoints.responses import api as res
from tracker_core.errors import ConflictError, NotFoundError, RuleViolationError
from tracker_core.guilds import UserProfile
from tracker_core.use_cases.schedules import CreateSchedule
from tracker_core.use_cases.trackers import (
    AddTracker,
    RegisterTrackers,
)

ROUTES = RouteTable("internal", "/internal", "bot", "Bot")


def profile(data: UserData | None) -> UserProfile | None:
    """The user fields the bot supplied (None: none at all)."""
    if data is None:
        return None
    return UserProfile(
        username=data.username,
        global_name=data.global_name,
        avatar=data.avatar,
        email=data.email,
    )


@ROUTES.route("GET", "/health", summary="Health for the bot", response="Health")
def health() -> Response:
    """Status, uptime, database and queue checks."""
    return health_response()


@ROUTES.route(
    "POST",
    "/trackers/register-multiple",
    summary="Register 1-4 trackers for a user",
    response="TrackerArray",
    body=BotRegisterBody,
    errors=(RuleViolationError, ConflictError),
)
def register_multiple(body: BotRegisterBody) -> list[res.Tracker]:
    """Register a user's first trackers, all or nothing."""
    cmd = RegisterTrackers(
        user_id=body.user_id,
        urls=tuple(body.urls),
        profile=profile(body.user_data),
        channel_id=body.channel_id,
        interaction_token=body.interaction_token,
    )
    trackers = deps.use_cases().register_trackers(cmd)
    return [res.tracker(t) for t in trackers]


@ROUTES.route(
    "POST",
    "/trackers/add",
    summary="Add one tracker for a user",
    response="Tracker",
    body=BotAddBody,
    errors=(RuleViolationError, ConflictError),
)
def add(body: BotAddBody) -> res.Tracker:
    """Add one tracker within the per-user limit."""
    cmd = AddTracker(
        user_id=body.user_id,
        url=body.url,
        profile=profile(body.user_data),
        channel_id=body.channel_id,
        interaction_token=body.interaction_token,
    )
    tracker = deps.use_cases().add_tracker(cmd)
    return res.tracker(tracker)


@ROUTES.route(
    "POST",
    "/trackers/process-pending",
    summary="Queue every pending tracker that passes the processing guard",
    response="ProcessResult",
    body=EmptyBody,
)
def pending(body: EmptyBody) -> res.ProcessResult:
    """``{processed, trackers}``."""
    return res.processed(deps.use_cases().process_pending())


@ROUTES.route(
    "POST",
    "/trackers/process",
    summary="Queue a guild's pending, never-scraped or stale trackers",
    response="ProcessResult",
    body=ProcessGuildBody,
    errors=(NotFoundError,),
)
def process(body: ProcessGuildBody) -> res.ProcessResult:
    """``{processed, trackers}`` (bypasses the processing guard)."""
    result = deps.use_cases().process_guild(body.guild_id)
    return res.processed(result)


@ROUTES.route(
    "POST",
    "/trackers/schedule",
    summary="Schedule the processing of a guild at a future instant",
    response="Schedule",
    body=ScheduleBody,
    errors=(NotFoundError, RuleViolationError),
)
def schedule(body: ScheduleBody) -> res.Schedule:
    """A new PENDING schedule."""
    cmd = CreateSchedule(
        guild_id=body.guild_id,
        scheduled_at=body.scheduled_at,
        created_by=body.created_by,
        metadata=body.metadata or {},
    )
    return res.schedule(deps.use_cases().create_schedule(cmd))


@ROUTES.route(
    "GET",
    "/trackers/schedule/guild/<guildId>",
    summary="A guild's schedules by instant",
    response="ScheduleArray",
    query=ScheduleListQuery,
)
def schedules(guildId: str, query: ScheduleListQuery) -> list[res.Schedule]:
    """``status`` wins; otherwise includeCompleted=false drops COMPLETED ones."""
    found = deps.use_cases().list_schedules(
        guildId, status=query.status, include_completed=query.include_completed
    )
    return [res.schedule(s) for s in found]


@ROUTES.route(
    "POST",
    "/trackers/schedule/<scheduleId>/cancel",
    summary="Cancel a PENDING schedule",
    response="Schedule",
    body=EmptyBody,
    errors=(NotFoundError, RuleViolationError, ConflictError),
)
def cancel(scheduleId: str, body: EmptyBody) -> res.Schedule:
    """The cancelled schedule."""
    return res.schedule(deps.use_cases().cancel_schedule(scheduleId))
