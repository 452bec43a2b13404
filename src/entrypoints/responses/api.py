"""The answers of the tracker, user, guild, scheduling and calculator API (and of the CLI).

One frozen class per answer, named as its OpenAPI component, and one constructor per core
object (``tracker(t)`` → :class:`Tracker`). A field is in an answer only if it is declared
here: see :mod:`entrypoints.responses`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import attrs

from entrypoints.responses.base import key, omitted
from tracker_core import guilds as core_guilds
from tracker_core import league as core_league
from tracker_core import mmr as core_mmr
from tracker_core import model as core
from tracker_core import schedules as core_schedules
from tracker_core import stats as core_stats
from tracker_core.mmr import Algorithm
from tracker_core.model import Game, LogStatus, SnapshotSource
from tracker_core.urls import Platform
from tracker_core.use_cases import calculator, processing, queries

PlaylistKey = Literal["ones", "twos", "threes", "fours"]

# -- pagination ----------------------------------------------------------------------------


@attrs.define
class Pagination:
    """Where a page lies in the whole list."""

    page: int
    limit: int
    total: int
    pages: int


@attrs.define
class AdminPagination(Pagination):
    """Pagination of the admin lists (``totalPages`` repeats ``pages``)."""

    total_pages: int


def pagination(total: int, page_number: int, limit: int) -> Pagination:
    """``{page, limit, total, pages}``."""
    return Pagination(page_number, limit, total, math.ceil(total / limit) if limit else 0)


def admin_pagination(total: int, page_number: int, limit: int) -> AdminPagination:
    """``{page, limit, total, pages, totalPages}``."""
    pages = math.ceil(total / limit) if limit else 0
    return AdminPagination(page_number, limit, total, pages, pages)


# -- trackers ------------------------------------------------------------------------------


@attrs.define
class Tracker:
    """A tracker, without its registration interaction token."""

    id: str
    url: str
    game: Game
    platform: Platform
    username: str
    user_id: str
    display_name: str | None
    is_active: bool
    is_deleted: bool
    last_scraped_at: datetime | None
    scraping_status: core.TrackerStatus
    scraping_error: str | None
    scraping_attempts: int
    registration_channel_id: str | None
    platform_user_id: str | None
    created_at: datetime
    updated_at: datetime


def tracker(t: core.Tracker) -> Tracker:
    """A tracker, without its registration interaction token."""
    return Tracker(
        t.id,
        t.url,
        t.game,
        t.platform,
        t.username,
        t.user_id,
        t.display_name,
        t.is_active,
        t.is_deleted,
        t.last_scraped_at,
        t.scraping_status,
        t.scraping_error,
        t.scraping_attempts,
        t.registration_channel_id,
        t.platform_user_id,
        t.created_at,
        t.updated_at,
    )


@attrs.define
class TrackerPage:
    """One page of trackers."""

    data: list[Tracker]
    pagination: Pagination


@attrs.define
class AdminTrackerPage:
    """One page of the admin list of trackers."""

    data: list[Tracker]
    pagination: AdminPagination


@attrs.define
class UserSummary:
    """The only form in which users are embedded."""

    id: str
    username: str
    global_name: str | None
    avatar: str | None


def user_summary(u: core_guilds.User) -> UserSummary:
    """``{id, username, globalName, avatar}``."""
    return UserSummary(u.id, u.username, u.global_name, u.avatar)


@attrs.define
class User(UserSummary):
    """A user resource (bot API)."""

    email: str | None
    created_at: datetime
    updated_at: datetime


def user(u: core_guilds.User) -> User:
    """A user resource (bot API)."""
    return User(u.id, u.username, u.global_name, u.avatar, u.email, u.created_at, u.updated_at)


@attrs.define
class UserPage:
    """One page of users."""

    data: list[User]
    pagination: Pagination


@attrs.define
class PlaylistStats:
    """One playlist's season stats."""

    rank: str | None
    rank_value: int | None
    division: str | None
    division_value: int | None
    rating: float | None
    matches_played: int | None
    win_streak: int | None
    peak_rating: float | None
    all_time_peak_rating: float | None


def playlist(stats: core_stats.PlaylistStats | None) -> PlaylistStats | None:
    """One playlist's season stats, or None."""
    return None if stats is None else _playlist(stats)


def _playlist(stats: core_stats.PlaylistStats) -> PlaylistStats:
    return PlaylistStats(
        stats.rank,
        stats.rank_value,
        stats.division,
        stats.division_value,
        stats.rating,
        stats.matches_played,
        stats.win_streak,
        stats.peak_rating,
        stats.all_time_peak_rating,
    )


@attrs.define
class Season:
    """One season of a tracker with its ranked and extra playlists."""

    id: str
    tracker_id: str
    season_number: int
    season_name: str
    playlist1v1: PlaylistStats | None
    playlist2v2: PlaylistStats | None
    playlist3v3: PlaylistStats | None
    playlist4v4: PlaylistStats | None
    extra_playlists: dict[str, PlaylistStats]
    scraped_at: datetime
    created_at: datetime
    updated_at: datetime


def season(s: core.TrackerSeason) -> Season:
    """One season of a tracker with its ranked and extra playlists."""
    found = s.stats
    return Season(
        s.id,
        s.tracker_id,
        s.season_number,
        found.season_name,
        playlist(found.playlist("1v1")),
        playlist(found.playlist("2v2")),
        playlist(found.playlist("3v3")),
        playlist(found.playlist("4v4")),
        {k: _playlist(v) for k, v in found.extra_playlists.items()},
        s.scraped_at,
        s.created_at,
        s.updated_at,
    )


@attrs.define
class Snapshot:
    """One point of the rating history."""

    id: str
    tracker_id: str
    captured_at: datetime
    season_number: int | None
    ones: int | None
    twos: int | None
    threes: int | None
    fours: int | None
    ones_games_played: int | None
    twos_games_played: int | None
    threes_games_played: int | None
    fours_games_played: int | None
    source: SnapshotSource
    entered_by: str | None
    created_at: datetime


def snapshot(s: core.TrackerSnapshot) -> Snapshot:
    """One point of the rating history."""
    ratings, games = s.ratings, s.games_played
    return Snapshot(
        s.id,
        s.tracker_id,
        s.captured_at,
        s.season_number,
        ratings.get("1v1"),
        ratings.get("2v2"),
        ratings.get("3v3"),
        ratings.get("4v4"),
        games.get("1v1"),
        games.get("2v2"),
        games.get("3v3"),
        games.get("4v4"),
        s.source,
        s.entered_by,
        s.created_at,
    )


@attrs.define
class TrackerWithDetails(Tracker):
    """A tracker with its owner, latest snapshots and seasons."""

    user: UserSummary | None
    snapshots: list[Snapshot]
    seasons: list[Season]


def tracker_with_details(d: queries.TrackerDetail) -> TrackerWithDetails:
    """GET /api/trackers/:id: the tracker with its owner, latest snapshots and seasons."""
    return TrackerWithDetails(
        **attrs.asdict(tracker(d.tracker), recurse=False),
        user=user_summary(d.user) if d.user is not None else None,
        snapshots=[snapshot(s) for s in d.snapshots],
        seasons=[season(s) for s in d.seasons],
    )


@attrs.define
class TrackerDetail:
    """A tracker and its seasons."""

    tracker: Tracker
    seasons: list[Season]


def tracker_detail(d: queries.TrackerDetail) -> TrackerDetail:
    """GET /api/trackers/:id/detail: ``{tracker, seasons}``."""
    return TrackerDetail(tracker(d.tracker), [season(s) for s in d.seasons])


@attrs.define
class TrackerStatus:
    """Where a tracker's scraping stands."""

    status: core.TrackerStatus
    error: str | None
    error_category: str | None
    last_scraped_at: datetime | None
    attempts: int
    next_attempt_at: datetime | None


def status(v: queries.TrackerStatusView) -> TrackerStatus:
    """``{status, error, errorCategory, lastScrapedAt, attempts, nextAttemptAt}``."""
    return TrackerStatus(
        core.TrackerStatus(v.status),
        v.error,
        v.error_category,
        v.last_scraped_at,
        v.attempts,
        v.next_attempt_at,
    )


@attrs.define
class RefreshResult:
    """A refresh asked for: whether it was queued, and the tracker's status; ``freshUntil``
    when it was answered from storage (tracker.gg's cache of the profile is fresh until then)."""

    message: str
    tracker_id: str
    status: core.TrackerStatus
    fresh_until: datetime | None = omitted()


@attrs.define
class Deleted:
    """What was deleted."""

    message: str
    id: str


@attrs.define
class Message:
    """A confirmation."""

    message: str


@attrs.define
class ByStatus:
    """How many trackers are in each scraping status."""

    pending: int = key("PENDING")
    in_progress: int = key("IN_PROGRESS")
    completed: int = key("COMPLETED")
    failed: int = key("FAILED")


@attrs.define
class ScrapingOverview:
    """Counts by status, queue depth and the ETA to drain the queue at the budget."""

    total: int
    by_status: ByStatus
    queue_depth: int
    eta_minutes: float


def overview(o: queries.ScrapingOverview) -> ScrapingOverview:
    """Counts by status, queue depth and the ETA to drain the queue at the budget."""
    counts = o.by_status
    by_status = ByStatus(*(counts.get(s.value, 0) for s in core.TrackerStatus))
    return ScrapingOverview(o.total, by_status, o.queue_depth, o.eta_minutes)


@attrs.define
class ScrapingLog:
    """One job execution."""

    id: str
    tracker_id: str
    status: LogStatus
    seasons_scraped: int
    seasons_failed: int
    error_message: str | None
    error_category: str | None
    started_at: datetime
    completed_at: datetime
    metadata: dict[str, Any]


def scraping_log(entry: core.ScrapingLog) -> ScrapingLog:
    """One job execution."""
    return ScrapingLog(
        entry.id,
        entry.tracker_id,
        entry.status,
        entry.seasons_scraped,
        entry.seasons_failed,
        entry.error_message,
        entry.error_category,
        entry.started_at,
        entry.completed_at,
        dict(entry.metadata),
    )


@attrs.define
class ScrapingLogPage:
    """One page of the scraping log."""

    data: list[ScrapingLog]
    pagination: AdminPagination


@attrs.define
class ProcessResult:
    """How many trackers were queued, and which."""

    processed: int
    trackers: list[str]


def processed(result: processing.ProcessResult) -> ProcessResult:
    """``{processed, trackers}``."""
    return ProcessResult(result.processed, list(result.tracker_ids))


@attrs.define
class BatchRefreshResult(Message):
    """A batch refresh started: how many trackers were queued, and which."""

    processed: int
    trackers: list[str]


# -- schedules, guilds, members ------------------------------------------------------------


@attrs.define
class Schedule:
    """A scheduled guild processing."""

    id: str
    guild_id: str
    scheduled_at: datetime
    status: core_schedules.ScheduleStatus
    created_by: str
    executed_at: datetime | None
    error_message: str | None
    metadata: dict[str, Any]
    result: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


def schedule(s: core_schedules.Schedule) -> Schedule:
    """A scheduled guild processing."""
    return Schedule(
        s.id,
        s.guild_id,
        s.scheduled_at,
        s.status,
        s.created_by,
        s.executed_at,
        s.error_message,
        dict(s.metadata),
        dict(s.result) if s.result is not None else None,
        s.created_at,
        s.updated_at,
    )


@attrs.define
class Guild:
    """A guild."""

    id: str
    name: str
    icon: str | None
    owner_id: str | None
    member_count: int | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


def guild(g: core_guilds.Guild) -> Guild:
    """A guild."""
    return Guild(
        g.id, g.name, g.icon, g.owner_id, g.member_count, g.is_active, g.created_at, g.updated_at
    )


@attrs.define
class SyncResult:
    """A guild after a full member sync."""

    guild: Guild
    members_synced: int


@attrs.define
class GuildMember:
    """A guild membership."""

    guild_id: str
    user_id: str
    nickname: str | None
    roles: list[str]
    is_banned: bool
    is_deleted: bool


def member(m: core_guilds.GuildMember) -> GuildMember:
    """A guild membership."""
    return GuildMember(m.guild_id, m.user_id, m.nickname, list(m.roles), m.is_banned, m.is_deleted)


@attrs.define
class StaffRegisteredTrackers:
    """The trackers a staff registration saved."""

    count: int
    items: list[Tracker]


@attrs.define
class StaffRegistration:
    """The user a staff member registered trackers for, and the trackers."""

    user: UserSummary
    trackers: StaffRegisteredTrackers


def staff_registration(u: core_guilds.User, trackers: Sequence[core.Tracker]) -> StaffRegistration:
    """``{user, trackers: {count, items}}``."""
    items = [tracker(t) for t in trackers]
    return StaffRegistration(user_summary(u), StaffRegisteredTrackers(len(items), items))


# -- settings ------------------------------------------------------------------------------


@attrs.define
class PlaylistNumbers:
    """One number per ranked playlist."""

    ones: float
    twos: float
    threes: float
    fours: float


def _numbers(values: core_mmr.PlaylistValues) -> PlaylistNumbers:
    return PlaylistNumbers(values.ones, values.twos, values.threes, values.fours)


@attrs.define
class AscendancyWeights:
    """The weights of current and peak rating in the ASCENDANCY algorithm."""

    current: float
    peak: float


@attrs.define
class MmrCalculation:
    """How a guild computes MMR."""

    algorithm: Algorithm
    weights: PlaylistNumbers
    min_games_played: PlaylistNumbers
    ascendancy_weights: AscendancyWeights
    custom_formula: str | None


def mmr_calculation(config: core_mmr.MmrConfig) -> MmrCalculation:
    """The ``mmrCalculation`` settings."""
    return MmrCalculation(
        config.algorithm,
        _numbers(config.weights),
        _numbers(config.min_games_played),
        AscendancyWeights(config.ascendancy_current, config.ascendancy_peak),
        config.custom_formula,
    )


@attrs.define
class TrackerProcessing:
    """Whether the guild's trackers are processed."""

    enabled: bool


@attrs.define
class Roles:
    """The Discord roles with admin rights in the guild."""

    admin: list[str]


@attrs.define
class Notifications:
    """Where and when to notify (the webhook URL's token is never shown)."""

    webhook_url: str | None
    min_rating_change: int
    notify_on_failure: bool


@attrs.define
class MinGames:
    """Minimum games per playlist (and combined) to be eligible; absent means no minimum."""

    ones: int | None = omitted()
    twos: int | None = omitted()
    threes: int | None = omitted()
    fours: int | None = omitted()
    combined: int | None = omitted()


@attrs.define
class EligibilitySettings:
    """Who is eligible for the league's numbers."""

    seasons_counted: int
    min_games: MinGames
    combined_playlists: list[PlaylistKey]


@attrs.define
class FlagSettings:
    """When review flags are raised."""

    rating_drop: int
    window_days: int
    stale_days: int
    notify: bool


@attrs.define
class GuildSettings:
    """A guild's settings with defaults applied."""

    tracker_processing: TrackerProcessing
    roles: Roles
    mmr_calculation: MmrCalculation
    notifications: Notifications
    eligibility: EligibilitySettings
    flags: FlagSettings


def settings(s: core_guilds.GuildSettings) -> GuildSettings:
    """A guild's settings with defaults applied; the webhook URL's token is never shown."""
    notify, rules, flags = s.notifications, s.eligibility, s.flags
    minimums = rules.min_games
    return GuildSettings(
        TrackerProcessing(s.tracker_processing_enabled),
        Roles(list(s.admin_roles)),
        mmr_calculation(s.mmr),
        Notifications(
            core_guilds.mask_webhook_url(notify.webhook_url),
            notify.min_rating_change,
            notify.notify_on_failure,
        ),
        EligibilitySettings(
            rules.seasons_counted,
            MinGames(**{k: minimums[k] for k in core_league.GAME_KEYS if k in minimums}),
            list(rules.combined_playlists),  # type: ignore[arg-type]
        ),
        FlagSettings(flags.rating_drop, flags.window_days, flags.stale_days, flags.notify),
    )


@attrs.define
class SettingsChange:
    """One change of a guild's settings, from the audit log (secrets already redacted)."""

    id: str
    guild_id: str
    event_type: Literal["SETTINGS_UPDATED", "SETTINGS_RESET"]
    action: Literal["update", "reset"]
    user_id: str | None
    changes: dict[str, Any] | None
    timestamp: datetime


def settings_change(guild_id: str, entry: core.AuditEntry) -> SettingsChange:
    """One change of a guild's settings, from the audit log (secrets already redacted)."""
    reset = entry.path.endswith("/reset")
    return SettingsChange(
        entry.id,
        guild_id,
        "SETTINGS_RESET" if reset else "SETTINGS_UPDATED",
        "reset" if reset else "update",
        entry.actor,
        {"reset": True} if reset else entry.body,
        entry.created_at,
    )


@attrs.define
class SettingsChangePage:
    """One page of a guild's settings history."""

    data: list[SettingsChange]
    pagination: Pagination


# -- calculator ----------------------------------------------------------------------------


@attrs.define
class Calculation:
    """An MMR computed with a guild's (or the given) settings."""

    result: int
    algorithm: Algorithm
    config: MmrCalculation


def calculation(c: calculator.Calculation) -> Calculation:
    """``{result, algorithm, config}``."""
    return Calculation(c.result, c.config.algorithm, mmr_calculation(c.config))


@attrs.define
class MmrInputs:
    """What the MMR algorithms read from a tracker's latest season; null means unknown."""

    ones: float | None
    twos: float | None
    threes: float | None
    fours: float | None
    ones_games: float | None
    twos_games: float | None
    threes_games: float | None
    fours_games: float | None
    ones_peak: float | None
    twos_peak: float | None
    threes_peak: float | None
    fours_peak: float | None


def mmr_inputs(i: core_mmr.MmrInputs) -> MmrInputs:
    """The inputs, ``ones``…, ``onesGames``…, ``onesPeak``…"""
    return MmrInputs(*attrs.astuple(i, recurse=False))


@attrs.define
class TrackerData:
    """Calculator test data: ``ones``…, ``onesGamesPlayed``…, ``onesPeak``… (interleaved)."""

    ones: float | None
    ones_games_played: float | None
    ones_peak: float | None
    twos: float | None
    twos_games_played: float | None
    twos_peak: float | None
    threes: float | None
    threes_games_played: float | None
    threes_peak: float | None
    fours: float | None
    fours_games_played: float | None
    fours_peak: float | None


def tracker_data(i: core_mmr.MmrInputs) -> TrackerData:
    """Calculator data: ``ones``…, ``onesGamesPlayed``…, ``onesPeak``…"""
    return TrackerData(
        i.ones,
        i.ones_games,
        i.ones_peak,
        i.twos,
        i.twos_games,
        i.twos_peak,
        i.threes,
        i.threes_games,
        i.threes_peak,
        i.fours,
        i.fours_games,
        i.fours_peak,
    )


@attrs.define
class FormulaCheck:
    """Whether a formula is valid, why not, and the variables it reads."""

    valid: bool
    variables: list[str]
    error: str | None = omitted()


def formula_check(check: calculator.FormulaCheck) -> FormulaCheck:
    """``{valid, variables, error?}``."""
    return FormulaCheck(check.valid, list(check.variables), check.error)


@attrs.define
class FormulaTest:
    """A formula tried on sample data."""

    result: int
    valid: bool
    error: str | None = omitted()
    test_data: TrackerData = attrs.field(kw_only=True)


def formula_test(test: calculator.FormulaTest) -> FormulaTest:
    """``{result, valid, error?, testData}``."""
    return FormulaTest(test.result, test.valid, test.error, test_data=tracker_data(test.test_data))


# -- errors and health ---------------------------------------------------------------------


@attrs.define
class FieldError:
    """What is wrong with one field of the request."""

    field: str
    message: str


@attrs.define
class Error:
    """Every error answer: the status, where, what, a stable code, and the bad fields."""

    status_code: int
    timestamp: datetime
    path: str
    method: str
    message: str
    code: str
    errors: list[FieldError] | None = omitted()


@attrs.define
class HealthCheck:
    """One dependency: up (with the queue's depth) or down (naming it, no detail)."""

    status: Literal["up", "down"]
    error: str | None = omitted()
    depth: int | None = omitted()


@attrs.define
class HealthChecks:
    """The checks of the database and of the queue."""

    database: HealthCheck
    queue: HealthCheck


@attrs.define
class Health:
    """The service's health: ok when every check passes."""

    status: Literal["ok", "error"]
    uptime: float
    mode: Literal["embedded", "production"]
    sandbox: bool
    checks: HealthChecks
    warning: str | None = omitted()
