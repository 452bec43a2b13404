"""Builders of core values for tests."""

from __future__ import annotations

from tracker_core.stats import PlaylistStats, ProfilePage, SeasonStats


def season(number: int = 34, **ratings: tuple[int, int]) -> SeasonStats:
    """A season whose ranked playlists have (rating, games); keys ones/twos/threes/fours."""
    names = {"ones": "1v1", "twos": "2v2", "threes": "3v3", "fours": "4v4"}
    playlists = {
        names[key]: PlaylistStats(
            rank=f"Tier {rating // 100}",
            rank_value=rating // 100,
            division="Division I",
            division_value=0,
            rating=rating,
            matches_played=games,
            peak_rating=rating,
            all_time_peak_rating=rating,
        )
        for key, (rating, games) in ratings.items()
    }
    return SeasonStats(number, f"Season {number}", playlists)  # type: ignore[arg-type]


def page(
    current: int = 34,
    available: tuple[int, ...] = (31, 32, 33, 34),
    stats: SeasonStats | None = None,
    platform_user_id: str = "42",
) -> ProfilePage:
    return ProfilePage(
        current_season=current,
        season=stats or season(current, twos=(1500, 100), threes=(1400, 80)),
        available_seasons=available,
        platform_user_id=platform_user_id,
        api_url="https://api.example/profile",
    )
