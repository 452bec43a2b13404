"""Change detection between two scrapes and the rule deciding whether to notify."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from tracker_core.stats import RANKED_PLAYLISTS, PlaylistStats, RankedPlaylist


@attrs.frozen
class PlaylistChange:
    """What changed in one ranked playlist between two scrapes."""

    playlist: RankedPlaylist
    old_rating: int | None
    new_rating: int | None
    rating_delta: int
    old_rank: str | None
    new_rank: str | None
    rank_changed: bool
    division_changed: bool
    new_season_peak: bool
    new_all_time_peak: bool
    games_delta: int

    @property
    def is_change(self) -> bool:
        return bool(
            self.rating_delta
            or self.rank_changed
            or self.division_changed
            or self.new_season_peak
            or self.new_all_time_peak
            or self.games_delta
        )

    def describe(self) -> str:
        """``2v2: 1450 → 1502 (+52), new season peak``."""
        old = "—" if self.old_rating is None else str(self.old_rating)
        new = "—" if self.new_rating is None else str(self.new_rating)
        parts = [f"{self.playlist}: {old} → {new} ({self.rating_delta:+d})"]
        if self.rank_changed:
            parts.append(f"{self.old_rank or 'Unranked'} → {self.new_rank or 'Unranked'}")
        if self.new_all_time_peak:
            parts.append("new all-time peak")
        elif self.new_season_peak:
            parts.append("new season peak")
        return ", ".join(parts)


@attrs.frozen
class ChangeSet:
    """Per-playlist changes of one scrape; ``first`` when there was nothing before."""

    first: bool
    playlists: tuple[PlaylistChange, ...]

    @property
    def changed(self) -> tuple[PlaylistChange, ...]:
        return tuple(p for p in self.playlists if p.is_change)

    @property
    def has_changes(self) -> bool:
        return bool(self.changed)

    def max_rating_change(self) -> int:
        return max((abs(p.rating_delta) for p in self.playlists), default=0)

    def any_rank_change(self) -> bool:
        return any(p.rank_changed for p in self.playlists)


Stats = Mapping[RankedPlaylist, PlaylistStats | None]


def _diff_playlist(
    name: RankedPlaylist, old: PlaylistStats | None, new: PlaylistStats | None
) -> PlaylistChange:
    old = old or PlaylistStats()
    new = new or PlaylistStats()
    delta = new.rating - old.rating if new.rating is not None and old.rating is not None else 0
    games = (
        new.matches_played - old.matches_played
        if new.matches_played is not None and old.matches_played is not None
        else 0
    )
    return PlaylistChange(
        playlist=name,
        old_rating=old.rating,
        new_rating=new.rating,
        rating_delta=delta,
        old_rank=old.rank,
        new_rank=new.rank,
        rank_changed=old.rank != new.rank and new.rank is not None,
        division_changed=old.division != new.division and new.division is not None,
        new_season_peak=_above(new.peak_rating, old.peak_rating),
        new_all_time_peak=_above(new.all_time_peak_rating, old.all_time_peak_rating),
        games_delta=games,
    )


def _above(new: int | None, old: int | None) -> bool:
    return new is not None and old is not None and new > old


def diff_stats(previous: Stats | None, current: Stats) -> ChangeSet:
    """Compare the previous current-season stats with the new ones, playlist by playlist."""
    before: Stats = previous or {}
    return ChangeSet(
        first=previous is None,
        playlists=tuple(
            _diff_playlist(name, before.get(name), current.get(name)) for name in RANKED_PLAYLISTS
        ),
    )


def update_is_notable(changes: ChangeSet, min_rating_change: int) -> bool:
    """First scrape, a rating change ≥ ``min_rating_change`` or any rank change."""
    if changes.first:
        return True
    if changes.any_rank_change():
        return True
    return min_rating_change > 0 and changes.max_rating_change() >= min_rating_change


def describe_update(display: str, changes: ChangeSet, current: Stats) -> str:
    """The message of a tracker update notification."""
    if changes.first:
        rated = [
            f"{name}: {stats.rating}" + (f" ({stats.rank})" if stats.rank else "")
            for name, stats in current.items()
            if stats is not None and stats.rating is not None
        ]
        summary = "; ".join(rated) if rated else "no ranked ratings yet"
        return f"Tracker {display} is now tracked — {summary}"
    lines = [
        change.describe()
        for change in changes.changed
        if change.rating_delta
        or change.rank_changed
        or change.new_season_peak
        or change.new_all_time_peak
    ]
    return f"Tracker {display} updated — " + "; ".join(lines)
