"""Explicit mapping between table rows and core aggregates, one pair of functions each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import attrs

from tracker_core.guilds import Guild, GuildMember, User
from tracker_core.mmr import MmrInputs, PlayerRating
from tracker_core.model import (
    ActivityLog,
    ScrapingLog,
    Tracker,
    TrackerSeason,
    TrackerSnapshot,
    TrackerStatus,
)
from tracker_core.notifications import DeliveryStatus, Notification
from tracker_core.schedules import Schedule, ScheduleStatus
from tracker_core.stats import RANKED_PLAYLISTS, PlaylistStats, RankedPlaylist, SeasonStats

Row = Mapping[Any, Any]

_PLAYLIST_COLUMNS: dict[RankedPlaylist, str] = {p: f"playlist_{p}" for p in RANKED_PLAYLISTS}
_SNAPSHOT_COLUMNS: dict[RankedPlaylist, str] = dict(
    zip(RANKED_PLAYLISTS, ("ones", "twos", "threes", "fours"), strict=True)
)
_STATS_KEYS = {
    "rank": "rank",
    "rank_value": "rankValue",
    "division": "division",
    "division_value": "divisionValue",
    "rating": "rating",
    "matches_played": "matchesPlayed",
    "win_streak": "winStreak",
    "peak_rating": "peakRating",
    "all_time_peak_rating": "allTimePeakRating",
}

_USER_FIELDS = ("id", "username", "global_name", "avatar", "email", "created_at", "updated_at")
_GUILD_FIELDS = (
    "id",
    "name",
    "icon",
    "owner_id",
    "member_count",
    "is_active",
    "created_at",
    "updated_at",
)
_TRACKER_FIELDS = (
    "id",
    "url",
    "game",
    "platform",
    "username",
    "identity",
    "api_path",
    "user_id",
    "display_name",
    "is_active",
    "is_deleted",
    "deleted_at",
    "last_scraped_at",
    "scraping_error",
    "error_category",
    "scraping_attempts",
    "next_attempt_at",
    "lease_expires_at",
    "lease_token",
    "last_refresh_at",
    "registration_channel_id",
    "registration_interaction_token",
    "platform_user_id",
    "source_expires_at",
    "created_at",
    "updated_at",
)
_SCHEDULE_FIELDS = (
    "id",
    "guild_id",
    "scheduled_at",
    "created_by",
    "created_at",
    "updated_at",
    "executed_at",
    "error_message",
    "result",
    "attempts",
    "lease_expires_at",
)
_NOTIFICATION_FIELDS = (
    "id",
    "kind",
    "channel",
    "target",
    "tracker_id",
    "user_id",
    "message",
    "created_at",
    "guild_id",
    "attempts",
    "next_attempt_at",
    "last_error",
    "sent_at",
)


def _pick(obj: object, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


def user_to_row(user: User) -> dict[str, Any]:
    """Column values of a user, its version included."""
    return {**_pick(user, _USER_FIELDS), "version": user.version}


def user_from_row(row: Row) -> User:
    """The user a ``users`` row holds."""
    return User(**{name: row[name] for name in _USER_FIELDS}, version=row["version"])


def guild_to_row(guild: Guild) -> dict[str, Any]:
    """Column values of a guild, its version included."""
    return {**_pick(guild, _GUILD_FIELDS), "version": guild.version}


def guild_from_row(row: Row) -> Guild:
    """The guild a ``guilds`` row holds."""
    return Guild(**{name: row[name] for name in _GUILD_FIELDS}, version=row["version"])


def member_to_row(guild_id: str, member: GuildMember) -> dict[str, Any]:
    """Column values of one membership of ``guild_id``."""
    return {
        "guild_id": guild_id,
        "user_id": member.user_id,
        "roles": list(member.roles),
        "nickname": member.nickname,
        "is_banned": member.is_banned,
        "is_deleted": member.is_deleted,
    }


def member_from_row(row: Row) -> GuildMember:
    """The membership a ``guild_members`` row holds."""
    return GuildMember(
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        roles=tuple(row["roles"]),
        nickname=row["nickname"],
        is_banned=row["is_banned"],
        is_deleted=row["is_deleted"],
    )


def tracker_to_row(tracker: Tracker) -> dict[str, Any]:
    """Column values of a tracker, its version included."""
    return {
        **_pick(tracker, _TRACKER_FIELDS),
        "scraping_status": tracker.scraping_status.value,
        "version": tracker.version,
    }


def tracker_from_row(row: Row) -> Tracker:
    """The tracker a ``trackers`` row holds."""
    return Tracker(
        **{name: row[name] for name in _TRACKER_FIELDS},
        scraping_status=TrackerStatus(row["scraping_status"]),
        version=row["version"],
    )


def stats_to_json(stats: PlaylistStats | None) -> dict[str, Any] | None:
    """The camelCase JSON object of one playlist's stats."""
    if stats is None:
        return None
    return {key: getattr(stats, name) for name, key in _STATS_KEYS.items()}


_JSON_KEYS = tuple(_STATS_KEYS.values())
"""The JSON keys in the order of ``PlaylistStats``' fields (checked below)."""
if tuple(_STATS_KEYS) != tuple(field.name for field in attrs.fields(PlaylistStats)):
    raise RuntimeError("_STATS_KEYS must list PlaylistStats' fields in their order")


def stats_from_json(data: Mapping[str, Any] | None) -> PlaylistStats | None:
    """Playlist stats from their JSON object (missing keys are unknown)."""
    if data is None:
        return None
    return PlaylistStats(*map(data.get, _JSON_KEYS))  # positional: the claim decodes dozens


def season_to_row(season: TrackerSeason) -> dict[str, Any]:
    """Column values of a tracker season."""
    stats = season.stats
    return {
        "id": season.id,
        "tracker_id": season.tracker_id,
        "season_number": stats.season_number,
        "season_name": stats.season_name,
        **{column: stats_to_json(stats.playlist(p)) for p, column in _PLAYLIST_COLUMNS.items()},
        "extra_playlists": {
            name: stats_to_json(value) for name, value in stats.extra_playlists.items()
        },
        "scraped_at": season.scraped_at,
        "created_at": season.created_at,
        "updated_at": season.updated_at,
    }


def season_from_row(row: Row) -> TrackerSeason:
    """The tracker season a ``tracker_seasons`` row holds (all four ranked keys present)."""
    extra = {name: stats_from_json(value) for name, value in row["extra_playlists"].items()}
    stats = SeasonStats(
        season_number=row["season_number"],
        season_name=row["season_name"],
        playlists={p: stats_from_json(row[column]) for p, column in _PLAYLIST_COLUMNS.items()},
        extra_playlists={name: value for name, value in extra.items() if value is not None},
    )
    return TrackerSeason(
        id=row["id"],
        tracker_id=row["tracker_id"],
        stats=stats,
        scraped_at=row["scraped_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def snapshot_to_row(snapshot: TrackerSnapshot) -> dict[str, Any]:
    """Column values of a snapshot."""
    values: dict[str, Any] = {
        "id": snapshot.id,
        "tracker_id": snapshot.tracker_id,
        "captured_at": snapshot.captured_at,
        "season_number": snapshot.season_number,
        "source": snapshot.source,
        "entered_by": snapshot.entered_by,
        "created_at": snapshot.created_at,
    }
    for playlist, column in _SNAPSHOT_COLUMNS.items():
        values[column] = snapshot.ratings.get(playlist)
        values[f"{column}_games_played"] = snapshot.games_played.get(playlist)
    return values


def snapshot_from_row(row: Row) -> TrackerSnapshot:
    """The snapshot a ``tracker_snapshots`` row holds (all four ranked keys present)."""
    return TrackerSnapshot(
        id=row["id"],
        tracker_id=row["tracker_id"],
        captured_at=row["captured_at"],
        season_number=row["season_number"],
        ratings={p: row[column] for p, column in _SNAPSHOT_COLUMNS.items()},
        games_played={p: row[f"{column}_games_played"] for p, column in _SNAPSHOT_COLUMNS.items()},
        source=row["source"],
        entered_by=row["entered_by"],
        created_at=row["created_at"],
    )


_LOG_FIELDS = (
    "id",
    "tracker_id",
    "status",
    "seasons_scraped",
    "seasons_failed",
    "error_message",
    "error_category",
    "started_at",
    "completed_at",
    "metadata",
)


def scraping_log_to_row(log: ScrapingLog) -> dict[str, Any]:
    """Column values of a scraping log."""
    return _pick(log, _LOG_FIELDS)


def scraping_log_from_row(row: Row) -> ScrapingLog:
    """The scraping log a ``scraping_logs`` row holds."""
    return ScrapingLog(**{name: row[name] for name in _LOG_FIELDS})


def activity_to_row(entry: ActivityLog) -> dict[str, Any]:
    """Column values of an activity log entry."""
    return _pick(entry, ("id", "tracker_id", "user_id", "kind", "message", "created_at"))


def schedule_to_row(schedule: Schedule) -> dict[str, Any]:
    """Column values of a schedule, its version included."""
    return {
        **_pick(schedule, _SCHEDULE_FIELDS),
        "status": schedule.status.value,
        "metadata": schedule.metadata,
        "version": schedule.version,
    }


def schedule_from_row(row: Row) -> Schedule:
    """The schedule a ``schedules`` row holds."""
    return Schedule(
        **{name: row[name] for name in _SCHEDULE_FIELDS},
        status=ScheduleStatus(row["status"]),
        metadata=dict(row["metadata"]),
        version=row["version"],
    )


def notification_to_row(notification: Notification) -> dict[str, Any]:
    """Column values of an outbox notification, its version included."""
    return {
        **_pick(notification, _NOTIFICATION_FIELDS),
        "payload": notification.payload,
        "status": notification.status.value,
        "version": notification.version,
    }


def notification_from_row(row: Row) -> Notification:
    """The notification a ``notifications`` row holds."""
    return Notification(
        **{name: row[name] for name in _NOTIFICATION_FIELDS},
        payload=dict(row["payload"]),
        status=DeliveryStatus(row["status"]),
        version=row["version"],
    )


def rating_to_row(rating: PlayerRating) -> dict[str, Any]:
    """Column values of a player rating."""
    return {
        "guild_id": rating.guild_id,
        "user_id": rating.user_id,
        "tracker_id": rating.tracker_id,
        "mmr": rating.mmr,
        "algorithm": rating.algorithm,
        "inputs": rating.inputs.to_dict(),
        "calculated_at": rating.calculated_at,
    }


def rating_from_row(row: Row) -> PlayerRating:
    """The player rating a ``player_ratings`` row holds."""
    return PlayerRating(
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        tracker_id=row["tracker_id"],
        mmr=row["mmr"],
        algorithm=cast(Any, row["algorithm"]),
        inputs=MmrInputs.from_dict(row["inputs"]),
        calculated_at=row["calculated_at"],
    )
