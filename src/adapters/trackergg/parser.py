"""Parse a tracker.gg Rocket League profile payload into core value objects (SPEC §3).

The parser is deliberately forgiving about *stats*: a stat that is missing, null or of an
unexpected type becomes None. It is strict about *structure*: a payload that is not JSON, or
has no ``data.segments`` list, means tracker.gg changed its API (:class:`InvalidPayloadError`).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import msgspec

from tracker_core.errors import InvalidPayloadError, ProfileNotFoundError
from tracker_core.stats import (
    RANKED_PLAYLISTS,
    PlaylistStats,
    ProfilePage,
    RankedPlaylist,
    SeasonStats,
)

RANKED_PLAYLIST_IDS: dict[int, RankedPlaylist] = {10: "1v1", 11: "2v2", 13: "3v3", 61: "4v4"}
LEGACY_RANKED_PLAYLIST_IDS: dict[int, RankedPlaylist] = {1: "1v1", 2: "2v2", 3: "3v3", 8: "4v4"}
EXTRA_PLAYLIST_IDS: dict[int, str] = {
    27: "Hoops",
    28: "Rumble",
    29: "Dropshot",
    30: "Snowday",
    34: "Tournament",
    0: "Casual",
}
PLAYLIST_NAMES: dict[int, str] = {
    **LEGACY_RANKED_PLAYLIST_IDS,
    **RANKED_PLAYLIST_IDS,
    **EXTRA_PLAYLIST_IDS,
}

_EMPTY: dict[str, Any] = {}


def parse_profile(
    payload: bytes | str | dict[str, Any],
    *,
    season: int | None,
    api_url: str,
    upstream_status: int = 200,
) -> ProfilePage:
    """Parse one profile payload for ``season`` (None: the payload's current season).

    Raises:
        ProfileNotFoundError: the payload is TRN's ``{"errors": [...]}`` answer.
        InvalidPayloadError: not JSON, or no ``data.segments`` list ("API changed").
    """
    document = load_document(payload, api_url=api_url, upstream_status=upstream_status)
    data = document.get("data")
    segments = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(segments, list):
        message = "API changed: the payload has no data.segments list"
        raise InvalidPayloadError(message, upstream_status=upstream_status, api_url=api_url)
    metadata = _dict(data.get("metadata"))
    season_names = _season_names(data.get("availableSegments"))
    current = _current_season(metadata, season_names, segments, season)
    if current is None:
        message = "API changed: the payload names no current season"
        raise InvalidPayloadError(message, upstream_status=upstream_status, api_url=api_url)
    number = current if season is None else season
    return ProfilePage(
        current_season=current,
        season=_season_stats(segments, number, season_names),
        available_seasons=tuple(sorted(season_names)),
        season_names=season_names,
        platform_user_id=_platform_user_id(data.get("platformInfo")),
        trn_last_updated=_last_updated(metadata),
        trn_expires_at=_expiry_date(data.get("expiryDate")),
        api_url=api_url,
        upstream_status=upstream_status,
    )


def load_document(
    payload: bytes | str | dict[str, Any], *, api_url: str, upstream_status: int
) -> dict[str, Any]:
    """Decode the JSON document; TRN's ``errors`` answer becomes :class:`ProfileNotFoundError`."""
    document: Any = payload
    if not isinstance(payload, dict):
        try:
            document = decode_json(payload)
        except (ValueError, TypeError) as exc:
            raise InvalidPayloadError(
                f"API changed: the answer is not JSON ({exc})",
                upstream_status=upstream_status,
                api_url=api_url,
            ) from exc
    if not isinstance(document, dict):
        raise InvalidPayloadError(
            "API changed: the answer is not a JSON object",
            upstream_status=upstream_status,
            api_url=api_url,
        )
    errors = document.get("errors")
    if isinstance(errors, list) and errors:
        raise ProfileNotFoundError(
            _error_message(errors), upstream_status=upstream_status, api_url=api_url
        )
    return document


def decode_json(payload: bytes | str) -> Any:
    """``json.loads(payload)``, the same value, in about half the CPU for a profile.

    msgspec decodes what is standard JSON; what it refuses (``NaN``, a lone surrogate, a
    number beyond a float, a byte-order mark, or anything malformed) goes to ``json.loads``,
    which accepts it as before or raises its own ``ValueError``.
    """
    try:
        return _DECODER.decode(payload)
    except (msgspec.MsgspecError, ValueError):  # ValueError: a surrogate msgspec cannot code
        return json.loads(payload)


_DECODER = msgspec.json.Decoder()


def _error_message(errors: list[Any]) -> str:
    first = errors[0]
    message = first.get("message") if isinstance(first, dict) else None
    return message if isinstance(message, str) and message else "tracker.gg: profile not found"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else _EMPTY


def as_int(value: Any) -> int | None:
    """A whole number from an int, a finite float or a numeric string like ``"2,772"``."""
    if isinstance(value, int):
        return None if isinstance(value, bool) else value
    if isinstance(value, float):
        return round(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.replace(",", "").strip()
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return None
            return round(number) if math.isfinite(number) else None
    return None


def _season_names(available: Any) -> dict[int, str]:
    names: dict[int, str] = {}
    if not isinstance(available, list):
        return names
    for segment in available:
        if not isinstance(segment, dict) or segment.get("type") != "playlist":
            continue
        number = as_int(_dict(segment.get("attributes")).get("season"))
        if number is None:
            continue
        name = _dict(segment.get("metadata")).get("name")
        names[number] = name if isinstance(name, str) and name else f"Season {number}"
    return names


def _current_season(
    metadata: dict[str, Any],
    season_names: dict[int, str],
    segments: list[Any],
    requested: int | None,
) -> int | None:
    current = as_int(metadata.get("currentSeason"))
    if current is not None:
        return current
    candidates = list(season_names)
    for segment in segments:
        if isinstance(segment, dict) and segment.get("type") == "playlist":
            number = as_int(_dict(segment.get("attributes")).get("season"))
            if number is not None:
                candidates.append(number)
    if requested is not None:
        candidates.append(requested)
    return max(candidates, default=None)


def _season_stats(segments: list[Any], number: int, names: dict[int, str]) -> SeasonStats:
    found: dict[str, dict[str, Any]] = {}
    peaks: dict[str, int] = {}
    for segment in segments:
        if not isinstance(segment, dict):
            continue
        kind = segment.get("type")
        if kind != "playlist" and kind != "peak-rating":
            continue
        attributes = _dict(segment.get("attributes"))
        playlist_id = as_int(attributes.get("playlistId"))
        name = PLAYLIST_NAMES.get(playlist_id) if playlist_id is not None else None
        if name is None:
            continue
        stats = _dict(segment.get("stats"))
        if kind == "peak-rating":
            peak = as_int(_dict(stats.get("peakRating")).get("value"))
            if peak is not None and (name not in peaks or peak > peaks[name]):
                peaks[name] = peak
        elif as_int(attributes.get("season")) == number and (
            name not in found or playlist_id not in LEGACY_RANKED_PLAYLIST_IDS
        ):
            found[name] = stats
    playlists: dict[RankedPlaylist, PlaylistStats | None] = {}
    for ranked in RANKED_PLAYLISTS:
        source = found.pop(ranked, None)
        playlists[ranked] = None if source is None else _playlist(source, peaks.get(ranked))
    extra = {name: _playlist(stats, peaks.get(name)) for name, stats in found.items()}
    return SeasonStats(
        season_number=number,
        season_name=names.get(number) or f"Season {number}",
        playlists=playlists,
        extra_playlists=extra,
    )


def _playlist(stats: dict[str, Any], all_time_peak: int | None) -> PlaylistStats:
    tier = _dict(stats.get("tier"))
    division = _dict(stats.get("division"))
    return PlaylistStats(
        rank=_name(tier),
        rank_value=as_int(tier.get("value")),
        division=_name(division),
        division_value=as_int(division.get("value")),
        rating=as_int(_dict(stats.get("rating")).get("value")),
        matches_played=as_int(_dict(stats.get("matchesPlayed")).get("value")),
        win_streak=_win_streak(_dict(stats.get("winStreak"))),
        peak_rating=as_int(_dict(stats.get("peakRating")).get("value")),
        all_time_peak_rating=all_time_peak,
    )


def _name(stat: dict[str, Any]) -> str | None:
    name = _dict(stat.get("metadata")).get("name")
    return name if isinstance(name, str) else None


def _win_streak(stat: dict[str, Any]) -> int | None:
    value = as_int(stat.get("value"))
    if value is None:
        return None
    kind = _dict(stat.get("metadata")).get("type")
    return -abs(value) if kind == "loss" else value


def _platform_user_id(platform_info: Any) -> str | None:
    value = _dict(platform_info).get("platformUserId")
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _last_updated(metadata: dict[str, Any]) -> datetime | None:
    return _instant(_dict(metadata.get("lastUpdated")).get("value"))


def _expiry_date(value: Any) -> datetime | None:
    """``data.expiryDate``: until when tracker.gg caches this profile. Segments carry
    ``0001-01-01`` ("none"); such placeholders before 2000 count as absent."""
    moment = _instant(value)
    return moment if moment is not None and moment.year >= 2000 else None


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
