"""Aggregates in non-default states (every optional field set) for round-trip checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tracker_core.errors import LeaseLostError
from tracker_core.guilds import Guild, GuildMember, GuildSettings, NotificationSettings, User
from tracker_core.league import EligibilityRules, FlagRules
from tracker_core.mmr import MmrConfig, MmrInputs, PlayerRating, PlaylistValues
from tracker_core.model import ScrapingLog, Tracker, TrackerSeason, TrackerSnapshot, TrackerStatus
from tracker_core.notifications import Notification
from tracker_core.ports import UnitOfWork
from tracker_core.schedules import Schedule, ScheduleStatus
from tracker_core.stats import PlaylistStats, SeasonStats

U1, U2, U3 = "110000000000000001", "110000000000000002", "110000000000000003"
G1, G2 = "220000000000000001", "220000000000000002"
T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))


def at(minutes: float) -> datetime:
    """An instant ``minutes`` after T0."""
    return T0 + timedelta(minutes=minutes)


def user(user_id: str, minute: float = 0, **changes: Any) -> User:
    fields: dict[str, Any] = {
        "id": user_id,
        "username": f"name-{user_id}",
        "global_name": f"Global {user_id}",
        "avatar": f"avatar-{user_id}",
        "email": f"{user_id}@example.com",
        "created_at": at(minute),
        "updated_at": at(minute + 1),
    }
    return User(**{**fields, **changes})


def guild(guild_id: str, **changes: Any) -> Guild:
    fields: dict[str, Any] = {
        "id": guild_id,
        "name": f"Guild {guild_id}",
        "icon": "icon-hash",
        "owner_id": "100000000000000001",
        "member_count": 1234,
        "is_active": False,
        "created_at": at(0),
        "updated_at": at(5),
    }
    return Guild(**{**fields, **changes})


def member(guild_id: str, user_id: str, **changes: Any) -> GuildMember:
    fields: dict[str, Any] = {
        "guild_id": guild_id,
        "user_id": user_id,
        "roles": ("role-a", "role-b"),
        "nickname": f"nick-{user_id}",
    }
    return GuildMember(**{**fields, **changes})


def custom_settings() -> GuildSettings:
    return GuildSettings(
        tracker_processing_enabled=False,
        admin_roles=("admins", "staff"),
        mmr=MmrConfig(
            algorithm="CUSTOM",
            weights=PlaylistValues(0.2, 0.3, 0.4, 0.1),
            min_games_played=PlaylistValues(10, 20, 30, 40),
            ascendancy_current=0.5,
            ascendancy_peak=0.5,
            custom_formula="twos * 0.5 + threesPeak / 2",
        ),
        notifications=NotificationSettings(
            webhook_url="https://discord.example/webhook",
            min_rating_change=7,
            notify_on_failure=False,
        ),
        eligibility=EligibilityRules(2, {"twos": 50, "combined": 120}, ("twos", "threes", "fours")),
        flags=FlagRules(rating_drop=200, window_days=10, stale_days=5, notify=True),
    )


def tracker(tracker_id: str, user_id: str, name: str, minute: float = 0, **changes: Any) -> Tracker:
    """A PENDING tracker of ``user_id`` with the identity ``steam:<name>``."""
    fields: dict[str, Any] = {
        "id": tracker_id,
        "url": f"https://rocketleague.tracker.network/rocket-league/profile/steam/{name}/overview",
        "platform": "STEAM",
        "username": name,
        "identity": f"steam:{name.casefold()}",
        "api_path": f"steam/{name}",
        "user_id": user_id,
        "created_at": at(minute),
        "updated_at": at(minute),
    }
    return Tracker(**{**fields, **changes})


def busy_tracker(tracker_id: str, user_id: str) -> Tracker:
    """A tracker with every optional field set, in the middle of a scrape."""
    return tracker(
        tracker_id,
        user_id,
        "Ünïcode Name",
        platform="EPIC",
        display_name="Shown name",
        is_active=False,
        deleted_at=None,
        last_scraped_at=at(-60).astimezone(PLUS_TWO),
        scraping_status=TrackerStatus.IN_PROGRESS,
        scraping_error="HTTP 503",
        error_category="upstream",
        scraping_attempts=2,
        next_attempt_at=at(30),
        lease_expires_at=at(10),
        lease_token="c" + "l" * 24,
        last_refresh_at=at(-5),
        registration_channel_id="200000000000000002",
        registration_interaction_token="secret-interaction-token",
        platform_user_id="76561198000000000",
        source_expires_at=at(-56),
        updated_at=at(3),
        version=7,
    )


def stats(rating: int, **changes: Any) -> PlaylistStats:
    fields: dict[str, Any] = {
        "rank": "Grand Champion I",
        "rank_value": 19,
        "division": "Division III",
        "division_value": 2,
        "rating": rating,
        "matches_played": 120,
        "win_streak": -3,
        "peak_rating": rating + 10,
        "all_time_peak_rating": rating + 100,
    }
    return PlaylistStats(**{**fields, **changes})


def season(season_id: str, tracker_id: str, number: int, rating: int = 1500) -> TrackerSeason:
    return TrackerSeason(
        id=season_id,
        tracker_id=tracker_id,
        stats=SeasonStats(
            season_number=number,
            season_name=f"Season {number - 14} ({number})",
            playlists={
                "1v1": stats(rating - 300, win_streak=None),
                "2v2": stats(rating),
                "3v3": PlaylistStats(rating=rating + 50),
                "4v4": None,
            },
            extra_playlists={"Hoops": stats(900), "Rumble": PlaylistStats(rank="Unranked")},
        ),
        scraped_at=at(number),
        created_at=at(1),
        updated_at=at(number),
    )


def snapshot(
    snapshot_id: str, tracker_id: str, minute: float, season_number: int | None
) -> TrackerSnapshot:
    return TrackerSnapshot(
        id=snapshot_id,
        tracker_id=tracker_id,
        captured_at=at(minute),
        season_number=season_number,
        ratings={"1v1": 1200, "2v2": 1500 + int(minute), "3v3": None, "4v4": 900},
        games_played={"1v1": 10, "2v2": None, "3v3": 0, "4v4": 3},
        source="MANUAL" if season_number is None else "SCRAPE",
        entered_by="300000000000000003" if season_number is None else None,
        created_at=at(minute),
    )


def scraping_log(log_id: str, tracker_id: str, minute: float, status: Any) -> ScrapingLog:
    return ScrapingLog(
        id=log_id,
        tracker_id=tracker_id,
        status=status,
        seasons_scraped=4,
        seasons_failed=1 if status != "SUCCESS" else 0,
        error_message="boom" if status == "FAILED" else None,
        error_category="timeout" if status == "FAILED" else None,
        started_at=at(minute),
        completed_at=at(minute + 0.5),
        metadata={"apiUrl": "https://api.example/x", "upstreamStatus": 200, "nested": [1, None]},
    )


def schedule(schedule_id: str, guild_id: str, minute: float, **changes: Any) -> Schedule:
    fields: dict[str, Any] = {
        "id": schedule_id,
        "guild_id": guild_id,
        "scheduled_at": at(minute),
        "created_by": "400000000000000004",
        "created_at": at(-100),
        "updated_at": at(-100),
        "metadata": {"reason": "season start", "season": 34},
    }
    return Schedule(**{**fields, **changes})


def finished_schedule(schedule_id: str, guild_id: str) -> Schedule:
    return schedule(
        schedule_id,
        guild_id,
        -10,
        status=ScheduleStatus.COMPLETED,
        executed_at=at(-10),
        error_message=None,
        result={"processed": 42},
        version=2,
    )


def notification(note_id: str, tracker_id: str, minute: float, **changes: Any) -> Notification:
    fields: dict[str, Any] = {
        "id": note_id,
        "kind": "TRACKER_UPDATE",
        "channel": "WEBHOOK",
        "target": "https://discord.example/webhook",
        "tracker_id": tracker_id,
        "user_id": "500000000000000005",
        "guild_id": "600000000000000006",
        "message": "2v2: 1450 → 1502 (+52), new season peak",
        "payload": {"changes": [{"playlist": "2v2", "delta": 52}], "first": False},
        "created_at": at(minute),
        "attempts": 2,
        "next_attempt_at": at(minute + 1),
        "last_error": "HTTP 429",
    }
    return Notification(**{**fields, **changes})


def rating(guild_id: str, user_id: str, tracker_id: str, mmr: int) -> PlayerRating:
    return PlayerRating(
        guild_id=guild_id,
        user_id=user_id,
        tracker_id=tracker_id,
        mmr=mmr,
        algorithm="WEIGHTED_AVERAGE",
        inputs=MmrInputs(ones=1200, twos=1500.5, threes=None, twos_games=300, threes_peak=1700),
        calculated_at=at(9),
    )


def saved_scrape(uow: UnitOfWork, tracker: Tracker, token: str) -> Tracker | None:
    """``trackers.save_scrape`` then the commit, in a unit of work of their own: the tracker, or
    None when the lease was lost (found at the save, or at the commit of a store that defers
    the save to it)."""
    try:
        with uow:
            saved = uow.trackers.save_scrape(tracker, token)
            uow.commit()
    except LeaseLostError:
        return None
    return saved
