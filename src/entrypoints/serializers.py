"""Explicit functions from core objects to JSON dicts (camelCase keys, ISO 8601 UTC ``Z``).

The HTTP API answers with these shapes and the CLI's ``--json`` prints them. Nothing is
serialized by reflection: a field is in an answer only if it is written here, so secrets (the
registration interaction token, keys, OAuth tokens) can never leak by accident.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tracker_core.guilds import Guild, GuildMember, GuildSettings, User
from tracker_core.mmr import MmrInputs
from tracker_core.model import (
    AuditEntry,
    ScrapingLog,
    Tracker,
    TrackerSeason,
    TrackerSnapshot,
    TrackerStatus,
)
from tracker_core.schedules import Schedule
from tracker_core.stats import RANKED_PLAYLISTS, PlaylistStats
from tracker_core.use_cases.calculator import Calculation, FormulaCheck, FormulaTest
from tracker_core.use_cases.processing import ProcessResult
from tracker_core.use_cases.queries import ScrapingOverview, TrackerDetail, TrackerStatusView

Json = dict[str, Any]

_SNAPSHOT_KEYS = dict(zip(RANKED_PLAYLISTS, ("ones", "twos", "threes", "fours"), strict=True))


def instant(value: datetime | None) -> str | None:
    """``2026-01-01T12:00:00.000Z`` (None stays None)."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def page(
    items: Sequence[Json], total: int, page_number: int, limit: int, *, admin: bool = False
) -> Json:
    """``{data, pagination: {page, limit, total, pages}}`` (admin lists add ``totalPages``)."""
    pages = math.ceil(total / limit) if limit else 0
    pagination: Json = {"page": page_number, "limit": limit, "total": total, "pages": pages}
    if admin:
        pagination["totalPages"] = pages
    return {"data": list(items), "pagination": pagination}


def tracker(t: Tracker) -> Json:
    """A tracker, without its registration interaction token."""
    return {
        "id": t.id,
        "url": t.url,
        "game": t.game,
        "platform": t.platform,
        "username": t.username,
        "userId": t.user_id,
        "displayName": t.display_name,
        "isActive": t.is_active,
        "isDeleted": t.is_deleted,
        "lastScrapedAt": instant(t.last_scraped_at),
        "scrapingStatus": str(t.scraping_status),
        "scrapingError": t.scraping_error,
        "scrapingAttempts": t.scraping_attempts,
        "registrationChannelId": t.registration_channel_id,
        "platformUserId": t.platform_user_id,
        "createdAt": instant(t.created_at),
        "updatedAt": instant(t.updated_at),
    }


def user_summary(u: User) -> Json:
    """The only form in which users are embedded: ``{id, username, globalName, avatar}``."""
    return {"id": u.id, "username": u.username, "globalName": u.global_name, "avatar": u.avatar}


def user(u: User) -> Json:
    """A user resource (bot API)."""
    return {
        **user_summary(u),
        "email": u.email,
        "createdAt": instant(u.created_at),
        "updatedAt": instant(u.updated_at),
    }


def playlist(stats: PlaylistStats | None) -> Json | None:
    """One playlist's season stats, or None."""
    if stats is None:
        return None
    return {
        "rank": stats.rank,
        "rankValue": stats.rank_value,
        "division": stats.division,
        "divisionValue": stats.division_value,
        "rating": stats.rating,
        "matchesPlayed": stats.matches_played,
        "winStreak": stats.win_streak,
        "peakRating": stats.peak_rating,
        "allTimePeakRating": stats.all_time_peak_rating,
    }


def season(s: TrackerSeason) -> Json:
    """One season of a tracker with its ranked and extra playlists."""
    body: Json = {
        "id": s.id,
        "trackerId": s.tracker_id,
        "seasonNumber": s.season_number,
        "seasonName": s.stats.season_name,
    }
    for name in RANKED_PLAYLISTS:
        body[f"playlist{name}"] = playlist(s.stats.playlist(name))
    body["extraPlaylists"] = {k: playlist(v) for k, v in s.stats.extra_playlists.items()}
    body["scrapedAt"] = instant(s.scraped_at)
    body["createdAt"] = instant(s.created_at)
    body["updatedAt"] = instant(s.updated_at)
    return body


def snapshot(s: TrackerSnapshot) -> Json:
    """One point of the rating history."""
    body: Json = {
        "id": s.id,
        "trackerId": s.tracker_id,
        "capturedAt": instant(s.captured_at),
        "seasonNumber": s.season_number,
    }
    for name, key in _SNAPSHOT_KEYS.items():
        body[key] = s.ratings.get(name)
    for name, key in _SNAPSHOT_KEYS.items():
        body[f"{key}GamesPlayed"] = s.games_played.get(name)
    body.update(source=s.source, enteredBy=s.entered_by, createdAt=instant(s.created_at))
    return body


def tracker_with_details(d: TrackerDetail) -> Json:
    """GET /api/trackers/:id: the tracker with its owner, latest snapshots and seasons."""
    return {
        **tracker(d.tracker),
        "user": user_summary(d.user) if d.user is not None else None,
        "snapshots": [snapshot(s) for s in d.snapshots],
        "seasons": [season(s) for s in d.seasons],
    }


def tracker_detail(d: TrackerDetail) -> Json:
    """GET /api/trackers/:id/detail: ``{tracker, seasons}``."""
    return {"tracker": tracker(d.tracker), "seasons": [season(s) for s in d.seasons]}


def status(v: TrackerStatusView) -> Json:
    """``{status, error, errorCategory, lastScrapedAt, attempts, nextAttemptAt}``."""
    return {
        "status": v.status,
        "error": v.error,
        "errorCategory": v.error_category,
        "lastScrapedAt": instant(v.last_scraped_at),
        "attempts": v.attempts,
        "nextAttemptAt": instant(v.next_attempt_at),
    }


def overview(o: ScrapingOverview) -> Json:
    """Counts by status, queue depth and the ETA to drain the queue at the budget."""
    return {
        "total": o.total,
        "byStatus": {s.value: o.by_status.get(s.value, 0) for s in TrackerStatus},
        "queueDepth": o.queue_depth,
        "etaMinutes": o.eta_minutes,
    }


def scraping_log(entry: ScrapingLog) -> Json:
    """One job execution."""
    return {
        "id": entry.id,
        "trackerId": entry.tracker_id,
        "status": entry.status,
        "seasonsScraped": entry.seasons_scraped,
        "seasonsFailed": entry.seasons_failed,
        "errorMessage": entry.error_message,
        "errorCategory": entry.error_category,
        "startedAt": instant(entry.started_at),
        "completedAt": instant(entry.completed_at),
        "metadata": dict(entry.metadata),
    }


def processed(result: ProcessResult) -> Json:
    """``{processed, trackers}``."""
    return {"processed": result.processed, "trackers": list(result.tracker_ids)}


def schedule(s: Schedule) -> Json:
    """A scheduled guild processing."""
    return {
        "id": s.id,
        "guildId": s.guild_id,
        "scheduledAt": instant(s.scheduled_at),
        "status": str(s.status),
        "createdBy": s.created_by,
        "executedAt": instant(s.executed_at),
        "errorMessage": s.error_message,
        "metadata": dict(s.metadata),
        "result": dict(s.result) if s.result is not None else None,
        "createdAt": instant(s.created_at),
        "updatedAt": instant(s.updated_at),
    }


def guild(g: Guild) -> Json:
    """A guild."""
    return {
        "id": g.id,
        "name": g.name,
        "icon": g.icon,
        "ownerId": g.owner_id,
        "memberCount": g.member_count,
        "isActive": g.is_active,
        "createdAt": instant(g.created_at),
        "updatedAt": instant(g.updated_at),
    }


def member(m: GuildMember) -> Json:
    """A guild membership."""
    return {
        "guildId": m.guild_id,
        "userId": m.user_id,
        "nickname": m.nickname,
        "roles": list(m.roles),
        "isBanned": m.is_banned,
        "isDeleted": m.is_deleted,
    }


def settings(s: GuildSettings) -> Json:
    """A guild's settings with defaults applied; the webhook URL's token is never shown."""
    return s.to_dict(redact=True)


def settings_change(guild_id: str, entry: AuditEntry) -> Json:
    """One change of a guild's settings, from the audit log (secrets already redacted)."""
    reset = entry.path.endswith("/reset")
    return {
        "id": entry.id,
        "guildId": guild_id,
        "eventType": "SETTINGS_RESET" if reset else "SETTINGS_UPDATED",
        "action": "reset" if reset else "update",
        "userId": entry.actor,
        "changes": {"reset": True} if reset else entry.body,
        "timestamp": instant(entry.created_at),
    }


def calculation(c: Calculation) -> Json:
    """``{result, algorithm, config}``."""
    return {"result": c.result, "algorithm": c.config.algorithm, "config": c.config.to_dict()}


def tracker_data(inputs: MmrInputs) -> Json:
    """Calculator data: ``ones``…, ``onesGamesPlayed``…, ``onesPeak``…"""
    values = inputs.to_dict()
    data: Json = {}
    for key in ("ones", "twos", "threes", "fours"):
        data[key] = values[key]
        data[f"{key}GamesPlayed"] = values[f"{key}Games"]
        data[f"{key}Peak"] = values[f"{key}Peak"]
    return data


def formula_check(check: FormulaCheck) -> Json:
    """``{valid, error?, variables}``."""
    found: Json = {"valid": check.valid, "variables": list(check.variables)}
    if check.error is not None:
        found["error"] = check.error
    return found


def formula_test(test: FormulaTest) -> Json:
    """``{result, valid, error?, testData}``."""
    found: Json = {"result": test.result, "valid": test.valid}
    if test.error is not None:
        found["error"] = test.error
    found["testData"] = tracker_data(test.test_data)
    return found


def staff_registration(u: User, trackers: Sequence[Tracker]) -> Json:
    """``{user, trackers: {count, items}}``."""
    items = [tracker(t) for t in trackers]
    return {"user": user_summary(u), "trackers": {"count": len(items), "items": items}}


def message(text: str, **extra: Any) -> Json:
    """``{message, ...}``."""
    return {"message": text, **extra}
