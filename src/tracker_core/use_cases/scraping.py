"""Use cases of one scrape: run it, store its result or its failure, notify, rate."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from tracker_core.changes import ChangeSet, describe_update, diff_stats, update_is_notable
from tracker_core.errors import FetchError, LeaseLostError
from tracker_core.fetching import fetch_profile
from tracker_core.flagging import flag_after_failure, flag_after_scrape
from tracker_core.guilds import GuildSettings
from tracker_core.model import (
    ActivityKind,
    ActivityLog,
    AttemptOutcome,
    LogStatus,
    ScrapingLog,
    Tracker,
    TrackerSeason,
    TrackerSnapshot,
)
from tracker_core.notifications import Channel, Kind, Notification
from tracker_core.policy import Policy
from tracker_core.ports import Clock, ProfileFetcher, UnitOfWork
from tracker_core.ratings import update_player_ratings
from tracker_core.source import cache_expiry, served_from_storage
from tracker_core.stats import RANKED_PLAYLISTS, FetchedProfile, SeasonStats
from tracker_core.use_cases.processing import (
    ClaimedScrape,
    claim_tracker,
    renew_lease,
    retry_delay,
)


@attrs.frozen
class ScrapeOutcome:
    """How one job execution ended: ``completed``, ``cached`` (answered from storage, no
    request: tracker.gg's cache of the profile is still fresh), ``retry``, ``failed`` or
    ``skipped``."""

    tracker_id: str
    result: str
    retry_at: datetime | None = None
    error_category: str | None = None


def run_scrape(
    tracker_id: str,
    *,
    uow: UnitOfWork,
    fetcher: ProfileFetcher,
    clock: Clock,
    policy: Policy,
    rng: random.Random,
) -> ScrapeOutcome:
    """Claim, fetch per the season strategy, and store the result or the failure."""
    claimed = claim_tracker(tracker_id, uow=uow, clock=clock, policy=policy)
    if claimed is None:
        return ScrapeOutcome(tracker_id, "skipped")
    if not claimed.first_scrape and served_from_storage(
        claimed.tracker.source_expires_at, claimed.started_at
    ):
        stored = apply_served_from_storage(claimed, uow=uow, clock=clock)
        return ScrapeOutcome(tracker_id, "cached" if stored else "skipped")
    try:
        profile = fetch_profile(
            fetcher,
            claimed.api_path,
            first_scrape=claimed.first_scrape,
            initial_seasons=policy.initial_seasons,
            before_next_page=lambda: renew_lease(claimed, uow=uow, clock=clock, policy=policy),
            stored=claimed.seasons.numbers,
        )
    except LeaseLostError:
        return ScrapeOutcome(tracker_id, "skipped")
    except FetchError as error:
        outcome = apply_scrape_failure(claimed, error, uow=uow, clock=clock, policy=policy, rng=rng)
        if outcome is None:
            return ScrapeOutcome(tracker_id, "skipped", error_category=error.category)
        result = "failed" if outcome.became_failed else "retry"
        return ScrapeOutcome(tracker_id, result, outcome.retry_at, error.category)
    stored = apply_scrape_result(claimed, profile, uow=uow, clock=clock)
    return ScrapeOutcome(tracker_id, "completed" if stored else "skipped")


def _store_seasons(
    uow: UnitOfWork, claimed: ClaimedScrape, profile: FetchedProfile, now: datetime
) -> SeasonStats | None:
    """Upsert fetched seasons (past seasons only once), in one statement.

    Returns what the new current season is compared with: its stored version, or, when a new
    season has just begun, the newest season stored before it.
    """
    newest = claimed.seasons.newest
    current = _stored_current(uow, claimed, profile.current_season)
    previous = current.stats if current else (newest.stats if newest else None)
    uow.seasons.upsert_many(
        [
            TrackerSeason(
                id=old.id if old else uow.next_id(),
                tracker_id=claimed.tracker_id,
                stats=stats,
                scraped_at=now,
                created_at=old.created_at if old else now,
                updated_at=now,
            )
            for stats in _written(claimed, profile)
            for old in (current if stats.season_number == profile.current_season else None,)
        ]
    )
    return previous


def _stored_current(uow: UnitOfWork, claimed: ClaimedScrape, number: int) -> TrackerSeason | None:
    """The stored version of the fetched current season, if any. It is the newest stored
    season, unless tracker.gg's current season went back to an older one: that one is read."""
    newest = claimed.seasons.newest
    if number not in claimed.seasons.numbers:
        return None
    if newest is not None and newest.season_number == number:
        return newest
    found = uow.seasons.for_tracker(claimed.tracker_id)
    return next((s for s in found if s.season_number == number), None)


def _written(claimed: ClaimedScrape, profile: FetchedProfile) -> list[SeasonStats]:
    """The fetched seasons to store: the current one and those not stored yet."""
    stored = claimed.seasons.numbers
    return [
        stats
        for stats in profile.seasons
        if stats.season_number not in stored or stats.season_number == profile.current_season
    ]


def _newest_after(claimed: ClaimedScrape, profile: FetchedProfile) -> SeasonStats | None:
    """The tracker's newest season once this scrape is stored (of the stored seasons, only
    the newest can be it)."""
    newest = claimed.seasons.newest
    seasons = {newest.season_number: newest.stats} if newest else {}
    seasons.update((stats.season_number, stats) for stats in _written(claimed, profile))
    return seasons[max(seasons)] if seasons else None


def _scrape_snapshot(uow: UnitOfWork, tracker: Tracker, season: SeasonStats, now: datetime) -> None:
    uow.snapshots.add(
        TrackerSnapshot(
            id=uow.next_id(),
            tracker_id=tracker.id,
            captured_at=now,
            season_number=season.season_number,
            ratings={
                p: (s.rating if (s := season.playlist(p)) else None) for p in RANKED_PLAYLISTS
            },
            games_played={
                p: (s.matches_played if (s := season.playlist(p)) else None)
                for p in RANKED_PLAYLISTS
            },
            source="SCRAPE",
            entered_by=None,
            created_at=now,
        )
    )


def apply_scrape_result(
    claimed: ClaimedScrape, profile: FetchedProfile, *, uow: UnitOfWork, clock: Clock
) -> bool:
    """Store seasons, the SCRAPE snapshot, status, logs, notifications and MMR in one go.

    False (nothing stored) when the job no longer holds the tracker's lease.
    """
    now = clock.now()
    completed = claimed.leased()
    previous_platform_user_id = completed.platform_user_id
    completed.complete(now, profile.platform_user_id)
    completed.source_expires_at = cache_expiry(
        profile.trn_expires_at, profile.trn_last_updated, now
    )
    try:
        with uow:
            tracker = uow.trackers.save_scrape(completed, claimed.lease_token)
            if tracker is None:
                return False
            # Reads first: the inserts below are queued and sent together at the commit.
            update_player_ratings(
                uow,
                tracker.user_id,
                now,
                {tracker.id: _newest_after(claimed, profile)},
                claimed.guilds,
            )
            _store_result(uow, claimed, profile, tracker, previous_platform_user_id, now)
            uow.commit()
    except LeaseLostError:  # found when the save was sent (commit, or a read): nothing stored
        return False
    return True


def _store_result(
    uow: UnitOfWork,
    claimed: ClaimedScrape,
    profile: FetchedProfile,
    tracker: Tracker,
    previous_platform_user_id: str | None,
    now: datetime,
) -> None:
    """The writes of a scrape's result after the save: seasons, snapshot, logs, notifications,
    flags."""
    was_scraped = claimed.tracker.last_scraped_at is not None
    guilds = claimed.guilds
    previous = _store_seasons(uow, claimed, profile, now)
    current = profile.current() or SeasonStats(
        profile.current_season, f"Season {profile.current_season}"
    )
    _scrape_snapshot(uow, tracker, current, now)
    changes = attrs.evolve(
        diff_stats(previous.playlists if previous else None, current.playlists),
        first=not was_scraped,
    )
    _log(
        uow,
        claimed,
        now,
        status="PARTIAL" if profile.seasons_failed else "SUCCESS",
        scraped=len(profile.seasons),
        failed=len(profile.seasons_failed),
        metadata={"apiUrl": profile.api_url, "upstreamStatus": profile.upstream_status},
    )
    _activity(uow, tracker, now, "SCRAPE_SUCCEEDED", "Scrape succeeded")
    _notify_update(uow, tracker, changes, current, now, guilds)
    flag_after_scrape(uow, tracker, previous_platform_user_id, now, guilds)


def apply_served_from_storage(claimed: ClaimedScrape, *, uow: UnitOfWork, clock: Clock) -> bool:
    """COMPLETED again without asking tracker.gg, logged as ``SKIPPED`` (``servedFromStorage``):
    its cache of the profile is fresh, so it would answer what is stored.

    False when the job no longer holds the tracker's lease.
    """
    now = clock.now()
    served = claimed.leased()
    served.serve_from_storage(now)
    expires = served.source_expires_at
    try:
        with uow:
            if uow.trackers.save_scrape(served, claimed.lease_token) is None:
                return False
            _log(
                uow,
                claimed,
                now,
                status="SKIPPED",
                scraped=0,
                failed=0,
                metadata={
                    "servedFromStorage": True,
                    "sourceExpiresAt": expires.isoformat() if expires else None,
                    "requests": 0,
                },
            )
            uow.commit()
    except LeaseLostError:  # found when the save was sent (commit, or a read): nothing stored
        return False
    return True


def apply_scrape_failure(
    claimed: ClaimedScrape,
    error: FetchError,
    *,
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
    rng: random.Random,
) -> AttemptOutcome | None:
    """Record a failed attempt: retry later per the error's category, or FAILED.

    None when the job no longer holds the tracker's lease.
    """
    now = clock.now()
    failed = claimed.leased()
    had_data = failed.last_scraped_at is not None
    delay = retry_delay(claimed.attempt, error.retry_after, policy, rng)
    outcome = failed.fail_attempt(
        now,
        message=error.message,
        category=error.category,
        retryable=error.retryable,
        max_attempts=policy.max_scraping_attempts,
        retry_delay=delay,
    )
    try:
        with uow:
            tracker = uow.trackers.save_scrape(failed, claimed.lease_token)
            if tracker is None:
                return None
            _keep_fetched_seasons(uow, claimed, error, now)
            _log(
                uow,
                claimed,
                now,
                status="FAILED",
                scraped=0,
                failed=1,
                error=error,
                metadata={"apiUrl": error.api_url, "upstreamStatus": error.upstream_status},
            )
            if outcome.became_failed:
                _activity(uow, tracker, now, "SCRAPE_FAILED", f"Scrape failed: {error.message}")
                _notify_failure(uow, tracker, error, now, claimed.guilds)
            flag_after_failure(uow, tracker, error.category, had_data, now, claimed.guilds)
            uow.commit()
    except LeaseLostError:  # found when the save was sent (commit, or a read): nothing stored
        return None
    return outcome


def _keep_fetched_seasons(
    uow: UnitOfWork, claimed: ClaimedScrape, error: FetchError, now: datetime
) -> None:
    """Store the earlier seasons a rate limit interrupted a first scrape after: past seasons
    never change, so the retry need not ask for them again."""
    stored = claimed.seasons.numbers
    uow.seasons.upsert_many(
        [
            TrackerSeason(
                id=uow.next_id(),
                tracker_id=claimed.tracker_id,
                stats=stats,
                scraped_at=now,
                created_at=now,
                updated_at=now,
            )
            for stats in error.fetched_seasons
            if stats.season_number not in stored
        ]
    )


def _log(
    uow: UnitOfWork,
    claimed: ClaimedScrape,
    now: datetime,
    *,
    status: LogStatus,
    scraped: int,
    failed: int,
    metadata: dict[str, object],
    error: FetchError | None = None,
) -> None:
    duration_ms = int((now - claimed.started_at).total_seconds() * 1000)
    uow.scraping_logs.add(
        ScrapingLog(
            id=uow.next_id(),
            tracker_id=claimed.tracker_id,
            status=status,
            seasons_scraped=scraped,
            seasons_failed=failed,
            error_message=error.message if error else None,
            error_category=error.category if error else None,
            started_at=claimed.started_at,
            completed_at=now,
            metadata={**metadata, "durationMs": duration_ms, "attempt": claimed.attempt},
        )
    )


def _activity(
    uow: UnitOfWork, tracker: Tracker, now: datetime, kind: ActivityKind, message: str
) -> None:
    uow.activity.add(
        ActivityLog(
            id=uow.next_id(),
            tracker_id=tracker.id,
            user_id=tracker.user_id,
            kind=kind,
            message=message,
            created_at=now,
        )
    )


def _display(tracker: Tracker) -> str:
    return tracker.display_name or f"{tracker.username} ({tracker.platform})"


def _notify_update(
    uow: UnitOfWork,
    tracker: Tracker,
    changes: ChangeSet,
    current: SeasonStats,
    now: datetime,
    guilds: Sequence[tuple[str, GuildSettings]],
) -> None:
    threshold = min((s.notifications.min_rating_change for _, s in guilds), default=1)
    message = describe_update(_display(tracker), changes, current.playlists)
    payload = {"changes": [attrs.asdict(c) for c in changes.changed], "first": changes.first}
    if update_is_notable(changes, threshold):
        _outbox(
            uow,
            tracker,
            "TRACKER_UPDATE",
            "DISCORD_DM",
            tracker.user_id,
            message,
            payload,
            now,
            None,
        )
    for guild_id, settings in guilds:
        hook = settings.notifications.webhook_url
        if hook and update_is_notable(changes, settings.notifications.min_rating_change):
            _outbox(
                uow, tracker, "TRACKER_UPDATE", "WEBHOOK", hook, message, payload, now, guild_id
            )


def _notify_failure(
    uow: UnitOfWork,
    tracker: Tracker,
    error: FetchError,
    now: datetime,
    guilds: Sequence[tuple[str, GuildSettings]],
) -> None:
    message = f"Tracker {_display(tracker)} failed: {error.message}"
    payload = {"category": error.category}
    _outbox(
        uow, tracker, "TRACKER_FAILED", "DISCORD_DM", tracker.user_id, message, payload, now, None
    )
    for guild_id, settings in guilds:
        hook = settings.notifications.webhook_url
        if hook and settings.notifications.notify_on_failure:
            _outbox(
                uow, tracker, "TRACKER_FAILED", "WEBHOOK", hook, message, payload, now, guild_id
            )


def _outbox(
    uow: UnitOfWork,
    tracker: Tracker,
    kind: Kind,
    channel: Channel,
    target: str,
    message: str,
    payload: Mapping[str, object],
    now: datetime,
    guild_id: str | None,
) -> None:
    uow.notifications.add(
        Notification(
            id=uow.next_id(),
            kind=kind,
            channel=channel,
            target=target,
            tracker_id=tracker.id,
            user_id=tracker.user_id,
            guild_id=guild_id,
            message=message,
            payload=dict(payload),
            created_at=now,
        )
    )
