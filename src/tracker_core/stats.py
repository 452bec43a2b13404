"""Value objects for what tracker.gg tells us about a profile."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import attrs

RankedPlaylist = Literal["1v1", "2v2", "3v3", "4v4"]
RANKED_PLAYLISTS: tuple[RankedPlaylist, ...] = ("1v1", "2v2", "3v3", "4v4")


@attrs.frozen
class PlaylistStats:
    """One playlist's numbers for one season; any stat may be unknown (None)."""

    rank: str | None = None
    rank_value: int | None = None
    division: str | None = None
    division_value: int | None = None
    rating: int | None = None
    matches_played: int | None = None
    win_streak: int | None = None
    peak_rating: int | None = None
    all_time_peak_rating: int | None = None


@attrs.frozen
class SeasonStats:
    """Everything parsed for one season of one profile."""

    season_number: int
    season_name: str
    playlists: dict[RankedPlaylist, PlaylistStats | None] = attrs.field(factory=dict)
    extra_playlists: dict[str, PlaylistStats] = attrs.field(factory=dict)

    def playlist(self, name: RankedPlaylist) -> PlaylistStats | None:
        return self.playlists.get(name)


@attrs.frozen
class ProfilePage:
    """One fetched and parsed profile page (one ``?season=`` request)."""

    current_season: int
    season: SeasonStats
    available_seasons: tuple[int, ...] = ()
    season_names: dict[int, str] = attrs.field(factory=dict)
    platform_user_id: str | None = None
    trn_last_updated: datetime | None = None
    api_url: str = ""
    upstream_status: int = 200
    trn_expires_at: datetime | None = None
    """tracker.gg's ``data.expiryDate``: its cache of this profile lasts until then."""


@attrs.frozen
class FetchedProfile:
    """The result of one scrape: the current season plus any earlier seasons fetched."""

    current_season: int
    seasons: tuple[SeasonStats, ...]
    platform_user_id: str | None = None
    trn_last_updated: datetime | None = None
    api_url: str = ""
    upstream_status: int = 200
    seasons_failed: tuple[int, ...] = ()
    trn_expires_at: datetime | None = None

    def current(self) -> SeasonStats | None:
        for season in self.seasons:
            if season.season_number == self.current_season:
                return season
        return None
