"""League integrity rules: eligibility, the strongest tracker and a member's standing.

Everything here is a pure function of the data a use case loads (no clock, no I/O).

Decisions where the issue is silent (also in docs/decisions.md):

- Eligibility is off while ``minGames`` is empty: every member is eligible, with no reasons.
- The "current season" of a member is the newest season number stored for any of their live
  trackers; ``seasonsCounted: 2`` adds the season before it. Games are summed over every live,
  active tracker of the member (an alt account's games count for its player).
- The strongest tracker wins; a tie goes to the most recently scraped one, then the smallest id,
  so the choice never depends on storage order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from tracker_core.errors import FieldError, ValidationError
from tracker_core.flags import FlagKind
from tracker_core.mmr import PLAYLIST_KEYS, Algorithm, MmrConfig, MmrInputs, calculate_mmr
from tracker_core.stats import PlaylistStats, RankedPlaylist, SeasonStats

GAME_KEYS = (*PLAYLIST_KEYS, "combined")
_PLAYLISTS: dict[str, RankedPlaylist] = {
    "ones": "1v1",
    "twos": "2v2",
    "threes": "3v3",
    "fours": "4v4",
}
_ELIGIBILITY = "eligibility"
_FLAGS = "flags"
MAX_GAMES = 1_000_000


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@attrs.frozen
class EligibilityRules:
    """A guild's ``eligibility`` setting; off while ``min_games`` is empty."""

    seasons_counted: int = 1
    min_games: Mapping[str, int] = attrs.field(factory=dict)
    combined_playlists: tuple[str, ...] = ("twos", "threes")

    @property
    def enabled(self) -> bool:
        return bool(self.min_games)

    def to_dict(self) -> dict[str, Any]:
        """``{seasonsCounted, minGames, combinedPlaylists}``."""
        return {
            "seasonsCounted": self.seasons_counted,
            "minGames": {k: self.min_games[k] for k in GAME_KEYS if k in self.min_games},
            "combinedPlaylists": list(self.combined_playlists),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EligibilityRules:
        """Read the setting; missing keys take the defaults.

        Raises:
            ValidationError: naming each bad field, e.g. ``eligibility.minGames.twos``.
        """
        errors: list[FieldError] = []
        counted = data.get("seasonsCounted", 1)
        if counted not in (1, 2) or isinstance(counted, bool):
            errors.append(FieldError(f"{_ELIGIBILITY}.seasonsCounted", "must be 1 or 2"))
        minimums = data.get("minGames") or {}
        found: dict[str, int] = {}
        if not isinstance(minimums, Mapping):
            errors.append(FieldError(f"{_ELIGIBILITY}.minGames", "must be an object"))
            minimums = {}
        for key, value in minimums.items():
            field = f"{_ELIGIBILITY}.minGames.{key}"
            if key not in GAME_KEYS:
                errors.append(FieldError(field, f"must be one of {', '.join(GAME_KEYS)}"))
            elif value is None:
                continue
            elif not _is_int(value) or not 0 <= value <= MAX_GAMES:
                errors.append(FieldError(field, f"must be an integer from 0 to {MAX_GAMES}"))
            else:
                found[key] = value
        combined = data.get("combinedPlaylists", ["twos", "threes"])
        if (
            not isinstance(combined, list)
            or not combined
            or any(p not in PLAYLIST_KEYS for p in combined)
        ):
            message = f"must be a non-empty list of {', '.join(PLAYLIST_KEYS)}"
            errors.append(FieldError(f"{_ELIGIBILITY}.combinedPlaylists", message))
            combined = ["twos", "threes"]
        if errors:
            raise ValidationError(errors)
        return cls(
            seasons_counted=int(counted), min_games=found, combined_playlists=tuple(combined)
        )


@attrs.frozen
class FlagRules:
    """A guild's ``flags`` setting: the thresholds of the review flags."""

    rating_drop: int = 150
    window_days: int = 14
    stale_days: int = 7
    notify: bool = False

    def to_dict(self) -> dict[str, Any]:
        """``{ratingDrop, windowDays, staleDays, notify}``."""
        return {
            "ratingDrop": self.rating_drop,
            "windowDays": self.window_days,
            "staleDays": self.stale_days,
            "notify": self.notify,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FlagRules:
        """Read the setting; missing keys take the defaults.

        Raises:
            ValidationError: naming each bad field, e.g. ``flags.staleDays``.
        """
        errors: list[FieldError] = []
        defaults = cls()
        values: dict[str, Any] = {}
        for key, name, low, high in (
            ("ratingDrop", "rating_drop", 1, 10_000),
            ("windowDays", "window_days", 1, 365),
            ("staleDays", "stale_days", 1, 365),
        ):
            value = data.get(key, getattr(defaults, name))
            if not _is_int(value) or not low <= value <= high:
                errors.append(
                    FieldError(f"{_FLAGS}.{key}", f"must be an integer from {low} to {high}")
                )
            else:
                values[name] = value
        notify = data.get("notify", False)
        if not isinstance(notify, bool):
            errors.append(FieldError(f"{_FLAGS}.notify", "must be a boolean"))
        if errors:
            raise ValidationError(errors)
        return cls(**values, notify=notify)


@attrs.frozen
class Eligibility:
    """Whether a member may play, why not, and the games it was decided on."""

    eligible: bool
    reasons: tuple[str, ...]
    games: Mapping[str, int]

    def to_dict(self) -> dict[str, Any]:
        """``{eligible, reasons, games}``."""
        return {
            "eligible": self.eligible,
            "reasons": list(self.reasons),
            "games": {k: self.games.get(k, 0) for k in GAME_KEYS},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Eligibility:
        """The inverse of :meth:`to_dict`."""
        return cls(bool(data["eligible"]), tuple(data["reasons"]), dict(data["games"]))


def league_playlist(
    rating: int | None, matches_played: int | None, all_time_peak_rating: int | None
) -> PlaylistStats | None:
    """The part of a playlist's stats the league rules read (None when all three are unknown)."""
    if rating is None and matches_played is None and all_time_peak_rating is None:
        return None
    return PlaylistStats(
        rating=rating, matches_played=matches_played, all_time_peak_rating=all_time_peak_rating
    )


def league_view(stats: SeasonStats) -> SeasonStats:
    """``stats`` reduced to what the league rules read: rating, games and all-time peak of the
    ranked playlists (what :class:`LeagueDataRepository` returns)."""
    playlists: dict[RankedPlaylist, PlaylistStats | None] = {}
    for playlist in _PLAYLISTS.values():
        found = stats.playlist(playlist) or PlaylistStats()
        playlists[playlist] = league_playlist(
            found.rating, found.matches_played, found.all_time_peak_rating
        )
    return SeasonStats(stats.season_number, stats.season_name, playlists)


@attrs.frozen
class TrackerData:
    """What the league rules read of one live, active tracker."""

    tracker_id: str
    last_scraped_at: datetime | None
    seasons: tuple[SeasonStats, ...]
    """Newest season first (at least the two newest)."""


@attrs.frozen
class MemberData:
    """One current member of a guild and their live, active trackers."""

    user_id: str
    trackers: tuple[TrackerData, ...] = ()


def count_games(trackers: Sequence[TrackerData], rules: EligibilityRules) -> dict[str, int]:
    """Games per playlist (and ``combined``) over the counted seasons of every tracker."""
    newest = [t.seasons[0].season_number for t in trackers if t.seasons]
    games = dict.fromkeys(GAME_KEYS, 0)
    if not newest:
        return games
    counted = range(max(newest) - rules.seasons_counted + 1, max(newest) + 1)
    for tracker in trackers:
        for season in tracker.seasons:
            if season.season_number not in counted:
                continue
            for key, playlist in _PLAYLISTS.items():
                stats = season.playlist(playlist)
                played = stats.matches_played if stats is not None else None
                games[key] += max(played or 0, 0)
    games["combined"] = sum(games[p] for p in rules.combined_playlists)
    return games


def evaluate_eligibility(games: Mapping[str, int], rules: EligibilityRules) -> Eligibility:
    """Eligible when every configured minimum is met; one reason per minimum that is not."""
    reasons = tuple(
        f"{key}: {games.get(key, 0)} of {rules.min_games[key]} games"
        for key in GAME_KEYS
        if key in rules.min_games and games.get(key, 0) < rules.min_games[key]
    )
    return Eligibility(not reasons, reasons, dict(games))


@attrs.frozen
class BestTracker:
    """The tracker a member's MMR is taken from, and why that one."""

    tracker_id: str
    mmr: int
    inputs: MmrInputs
    last_scraped_at: datetime | None
    reason: str


def choose_best(trackers: Sequence[TrackerData], config: MmrConfig) -> BestTracker | None:
    """The tracker with the highest MMR under ``config`` (ties: most recently scraped, then
    smallest id); None when no tracker has a season."""
    scored = []
    for tracker in trackers:
        if tracker.seasons:
            inputs = MmrInputs.from_season(tracker.seasons[0])
            scored.append((calculate_mmr(inputs, config), tracker, inputs))
    if not scored:
        return None

    def key(item: tuple[int, TrackerData, MmrInputs]) -> tuple[int, float, str]:
        mmr, tracker, _ = item
        scraped = tracker.last_scraped_at
        newest_first = -scraped.timestamp() if scraped is not None else math.inf
        return (-mmr, newest_first, tracker.tracker_id)

    scored.sort(key=key)
    mmr, best, inputs = scored[0]
    return BestTracker(
        tracker_id=best.tracker_id,
        mmr=mmr,
        inputs=inputs,
        last_scraped_at=best.last_scraped_at,
        reason=_reason(mmr, [m for m, _, _ in scored[1:]], config.algorithm),
    )


def _reason(mmr: int, others: list[int], algorithm: Algorithm) -> str:
    if not others:
        return f"only tracker with data ({algorithm} {mmr})"
    tied = sum(1 for other in others if other == mmr)
    if tied:
        return f"highest {algorithm} MMR {mmr}, tied with {tied} other(s); most recently scraped"
    return f"highest {algorithm} MMR {mmr} of {len(others) + 1} trackers (next {max(others)})"


@attrs.frozen
class Standing:
    """A member's league numbers now: best tracker and MMR, eligibility, data age."""

    user_id: str
    best: BestTracker | None
    algorithm: Algorithm
    eligibility: Eligibility
    stale: bool
    seasons_counted: int = 1
    flags: tuple[FlagKind, ...] = ()
    """Kinds of the member's open review flags."""

    @property
    def mmr(self) -> int | None:
        return None if self.best is None else self.best.mmr


def standing(
    member: MemberData,
    config: MmrConfig,
    rules: EligibilityRules,
    stale_after: timedelta,
    now: datetime,
    flags: Sequence[FlagKind] = (),
) -> Standing:
    """The member's standing; ``stale`` when the best data is older than ``stale_after`` (or
    there is none)."""
    best = choose_best(member.trackers, config)
    scraped = None if best is None else best.last_scraped_at
    return Standing(
        user_id=member.user_id,
        best=best,
        algorithm=config.algorithm,
        eligibility=evaluate_eligibility(count_games(member.trackers, rules), rules),
        stale=scraped is None or now - scraped > stale_after,
        seasons_counted=rules.seasons_counted,
        flags=tuple(sorted(flags)),
    )


def rank(standings: Sequence[Standing]) -> list[Standing]:
    """Highest MMR first, members without data last, then by user id."""
    return sorted(standings, key=lambda s: (s.mmr is None, -(s.mmr or 0), s.user_id))
