"""Synthetic tracker.gg payloads: a distinct, stable profile for any platform and username.

Every profile is the shipped real payload (``data/profile-template.json``) with its ratings,
games, streaks and ranks varied deterministically by a hash of (platform, username, season).
The template's own player, at the current season, is returned unchanged (the golden values).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import json
import threading
from importlib import resources
from typing import Any

import attrs

TEMPLATE_PACKAGE = "adapters.trackergg"
TEMPLATE_FILE = "profile-template.json"

TIER_NAMES = (
    "Unranked",
    *(f"{metal} {step}" for metal in ("Bronze", "Silver", "Gold") for step in ("I", "II", "III")),
    *(f"{metal} {step}" for metal in ("Platinum", "Diamond") for step in ("I", "II", "III")),
    *(f"{metal} {step}" for metal in ("Champion", "Grand Champion") for step in ("I", "II", "III")),
    "Supersonic Legend",
)
TIER_FLOORS: tuple[int, ...] = (
    *(0, 172, 232, 292, 352, 412, 472, 532, 592, 652, 712, 772),
    *(835, 915, 995, 1075, 1195, 1315, 1435, 1575, 1715, 1862),
)
"""Lowest rating of tiers 1 (Bronze I) to 22 (Supersonic Legend); roughly TRN's 2v2 ladder."""
DIVISION_NAMES = ("Division I", "Division II", "Division III", "Division IV")
CASUAL_PLAYLIST_ID = 0


@functools.cache
def template_text() -> str:
    """The shipped real profile payload (PSN, season 34), as text."""
    return (resources.files(TEMPLATE_PACKAGE) / "data" / TEMPLATE_FILE).read_text("utf-8")


@functools.cache
def _template_identity() -> tuple[str, str, int]:
    data = json.loads(template_text())["data"]
    info = data["platformInfo"]
    return (
        info["platformSlug"],
        info["platformUserHandle"].casefold(),
        data["metadata"]["currentSeason"],
    )


def template_current_season() -> int:
    """The current season of the shipped template."""
    return _template_identity()[2]


def rank_for(rating: int) -> tuple[int, str, int, str]:
    """(tier value, tier name, division value, division name) for a rating."""
    tier = max(1, bisect.bisect_right(TIER_FLOORS, rating))
    if tier >= len(TIER_FLOORS):
        return tier, TIER_NAMES[tier], 0, DIVISION_NAMES[0]
    low, high = TIER_FLOORS[tier - 1], TIER_FLOORS[tier]
    division = min(3, (rating - low) * 4 // (high - low))
    return tier, TIER_NAMES[tier], division, DIVISION_NAMES[division]


def not_found_payload(platform: str, username: str) -> dict[str, Any]:
    """TRN's answer for an unknown player (served with HTTP 404)."""
    message = f"We could not find the player {username} on {platform}."
    return {"errors": [{"code": "CollectorResultStatus::NotFound", "message": message, "data": {}}]}


def season_label(number: int) -> str:
    """TRN's season label: plain numbers before free-to-play, then ``Season 20 (34)``."""
    return str(number) if number <= 14 else f"Season {number - 14} ({number})"


class ProfileFactory:
    """Builds distinct, stable TRN profile payloads for any platform and username."""

    def __init__(self, current_season: int | None = None) -> None:
        self.current_season = current_season or template_current_season()
        self._series: dict[tuple[str, str, int], list[int]] = {}
        self._series_lock = threading.Lock()  # the simulator serves requests from threads

    def set_rating_series(
        self, platform: str, username: str, playlist_id: int, ratings: list[int]
    ) -> None:
        """Serve ``ratings`` one after the other as the current season's rating of that
        playlist (one per request of the current season; the last one stays)."""
        if not ratings:
            raise ValueError("a rating series needs at least one rating")
        with self._series_lock:
            self._series[(platform.lower(), username.casefold(), playlist_id)] = list(ratings)

    def _next_rating(self, platform: str, username: str, playlist_id: int) -> int | None:
        with self._series_lock:
            series = self._series.get((platform.lower(), username.casefold(), playlist_id))
            if not series:
                return None
            return series.pop(0) if len(series) > 1 else series[0]

    def profile(self, platform: str, username: str, season: int | None) -> dict[str, Any] | None:
        """The payload for ``?season=`` (None: current); None when that season does not exist."""
        number = self.current_season if season is None else season
        if not 1 <= number <= self.current_season:
            return None
        document: dict[str, Any] = json.loads(template_text())
        if (platform.lower(), username.casefold(), number) == _template_identity():
            return document
        data = document["data"]
        self._identity(data, platform, username)
        seed = _seed(platform, username, number)
        peaks = self._current_peaks(platform, username)
        for segment in data["segments"]:
            playlist_id = segment.get("attributes", {}).get("playlistId")
            if segment["type"] == "playlist":
                segment["attributes"]["season"] = number
                numbers = _varied(segment["stats"], playlist_id, seed)
                forced = (
                    self._next_rating(platform, username, playlist_id)
                    if number == self.current_season
                    else None
                )
                if forced is not None:
                    numbers = attrs.evolve(numbers, rating=forced, rank=rank_for(forced))
                _apply(segment["stats"], numbers)
            elif segment["type"] == "peak-rating":
                offset = _seed(platform, username, -1)[playlist_id % 32] % 301 - 150
                stat = segment["stats"]["peakRating"]
                _set(stat, max(peaks.get(playlist_id) or 0, int(stat["value"]) + offset))
        return document

    def _identity(self, data: dict[str, Any], platform: str, username: str) -> None:
        account = _seed(platform, username, 0)
        data["platformInfo"].update(
            platformSlug=platform.lower(),
            platformUserId=str(int.from_bytes(account[:8]) % 10**19),
            platformUserHandle=username,
            platformUserIdentifier=username,
        )
        data["metadata"]["currentSeason"] = self.current_season
        data["metadata"]["playerId"] = int.from_bytes(account[8:12]) % 10**8
        data["availableSegments"] = [
            {"type": "playlist", "attributes": {"season": n}, "metadata": {"name": season_label(n)}}
            for n in range(1, self.current_season + 1)
        ]

    def _current_peaks(self, platform: str, username: str) -> dict[int, int | None]:
        """Current-season peaks per playlist id, so all-time peaks are never below them."""
        seed = _seed(platform, username, self.current_season)
        return {
            segment["attributes"]["playlistId"]: _varied(
                segment["stats"], segment["attributes"]["playlistId"], seed
            ).peak
            for segment in _template_segments()
            if segment["type"] == "playlist"
        }


@attrs.frozen
class _Numbers:
    rating: int
    peak: int | None
    matches: int
    streak: int
    loss: bool
    rank: tuple[int, str, int, str] | None


@functools.cache
def _template_segments() -> tuple[dict[str, Any], ...]:
    """The template's segments, parsed once; callers must not modify them."""
    return tuple(json.loads(template_text())["data"]["segments"])


def _varied(stats: dict[str, Any], playlist_id: int, seed: bytes) -> _Numbers:
    byte = seed[playlist_id % 32]
    rating = stats["rating"]["value"]
    new_rating = max(100, rating + (byte * 613) % 601 - 300)
    peak = stats["peakRating"]["value"]
    return _Numbers(
        rating=new_rating,
        peak=None if peak is None else new_rating + max(0, peak - rating),
        matches=(stats["matchesPlayed"]["value"] + byte * 7) % 2000,
        streak=byte % 6,
        loss=bool(byte & 1),
        rank=None if playlist_id == CASUAL_PLAYLIST_ID else rank_for(new_rating),
    )


def _apply(stats: dict[str, Any], numbers: _Numbers) -> None:
    _set(stats["rating"], numbers.rating)
    if numbers.peak is not None:
        _set(stats["peakRating"], numbers.peak)
    _set(stats["matchesPlayed"], numbers.matches)
    _set(stats["winStreak"], numbers.streak)
    stats["winStreak"]["metadata"]["type"] = "loss" if numbers.loss else "win"
    if numbers.rank is not None:
        tier, tier_name, division, division_name = numbers.rank
        _set(stats["tier"], tier)
        stats["tier"]["metadata"]["name"] = tier_name
        _set(stats["division"], division)
        stats["division"]["metadata"]["name"] = division_name


def _seed(platform: str, username: str, season: int) -> bytes:
    return hashlib.sha256(f"{platform.lower()}\0{username.casefold()}\0{season}".encode()).digest()


def _set(stat: dict[str, Any], value: int) -> None:
    stat["value"] = value
    stat["displayValue"] = f"{value:,}"
