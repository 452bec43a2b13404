"""Manual entry: staff enter a member's ratings when the source refuses or is wrong.

The numbers are written into the tracker's stored season (so they count for MMR and
eligibility like scraped ones) and recorded as a MANUAL snapshot with who entered them (so the
history shows them as manual). The next successful scrape of that season replaces them.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from tracker_core.errors import NotFoundError, RuleViolationError
from tracker_core.model import TrackerSeason, TrackerSnapshot
from tracker_core.ports import Clock, UnitOfWork
from tracker_core.ratings import update_player_ratings
from tracker_core.stats import PlaylistStats, RankedPlaylist, SeasonStats
from tracker_core.use_cases.guilds import _staff_settings
from tracker_core.use_cases.queries import Viewer


@attrs.frozen
class ManualPlaylist:
    rating: int
    games_played: int
    peak: int | None = None


@attrs.frozen(kw_only=True)
class EnterManualRatings:
    guild_id: str
    user_id: str
    tracker_id: str
    season_number: int
    playlists: Mapping[RankedPlaylist, ManualPlaylist]
    actor: str
    evidence_url: str | None = None
    note: str | None = None


def _entered(existing: PlaylistStats | None, entry: ManualPlaylist) -> PlaylistStats:
    base = existing or PlaylistStats()
    peak = entry.peak if entry.peak is not None else base.all_time_peak_rating
    return attrs.evolve(
        base,
        rating=entry.rating,
        matches_played=entry.games_played,
        all_time_peak_rating=None if peak is None else max(peak, entry.rating),
    )


def enter_manual_ratings(
    cmd: EnterManualRatings, *, uow: UnitOfWork, clock: Clock, viewer: Viewer | None = None
) -> TrackerSnapshot:
    """Store staff-entered ratings for one season of a member's tracker.

    Raises:
        NotFoundError (guild, member or tracker), ForbiddenError, RuleViolationError (no playlist,
        or the tracker is deleted or not the member's).
    """
    if not cmd.playlists:
        raise RuleViolationError("At least one playlist is required")
    now = clock.now()
    with uow:
        _staff_settings(uow, cmd.guild_id, viewer)
        member = uow.guilds.member(cmd.guild_id, cmd.user_id)
        if member is None or not member.is_current:
            raise NotFoundError(f"User {cmd.user_id} is not a member of guild {cmd.guild_id}")
        tracker = uow.trackers.get(cmd.tracker_id)
        if tracker is None or tracker.user_id != cmd.user_id:
            raise NotFoundError(f"Tracker {cmd.tracker_id} of user {cmd.user_id} not found")
        if tracker.is_deleted:
            raise RuleViolationError("Cannot enter ratings for a deleted tracker")
        old = next(
            (
                s
                for s in uow.seasons.for_tracker(tracker.id)
                if s.season_number == cmd.season_number
            ),
            None,
        )
        stats = old.stats if old else SeasonStats(cmd.season_number, f"Season {cmd.season_number}")
        playlists = dict(stats.playlists)
        for playlist, entry in cmd.playlists.items():
            playlists[playlist] = _entered(stats.playlist(playlist), entry)
        uow.seasons.upsert(
            TrackerSeason(
                id=old.id if old else uow.next_id(),
                tracker_id=tracker.id,
                stats=attrs.evolve(stats, playlists=playlists),
                scraped_at=old.scraped_at if old else now,
                created_at=old.created_at if old else now,
                updated_at=now,
            )
        )
        snapshot = TrackerSnapshot(
            id=uow.next_id(),
            tracker_id=tracker.id,
            captured_at=now,
            season_number=cmd.season_number,
            ratings={p: e.rating for p, e in cmd.playlists.items()},
            games_played={p: e.games_played for p, e in cmd.playlists.items()},
            source="MANUAL",
            entered_by=cmd.actor,
            created_at=now,
        )
        uow.snapshots.add(snapshot)
        update_player_ratings(uow, cmd.user_id, now)
        uow.commit()
    return snapshot
