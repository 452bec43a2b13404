"""League MMR: a guild's ``mmrCalculation`` settings and the four algorithms (SPEC §7).

Decisions where the spec is silent:

- Unknown (None) or negative games count as 0 games; a playlist without a rating never
  contributes, whatever its games or peak.
- ASCENDANCY with ``current + peak`` weights of 0 (only possible when constructing
  :class:`MmrConfig` directly; :meth:`MmrConfig.from_dict` rejects it) scores the current rating.
- CUSTOM results are not clamped (a formula may produce a negative MMR); a non-finite result or
  an intermediate overflow gives 0, a division by zero gives 0 for that division.
- ``MmrConfig.from_dict`` ignores unknown keys (settings written by older versions keep
  loading); a blank ``customFormula`` is read as null unless the algorithm is CUSTOM.
- A non-null ``customFormula`` must compile even when the algorithm is not CUSTOM, so that a
  guild can never save a formula that would fail when it switches to CUSTOM.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, get_args

import attrs

from tracker_core.errors import FieldError, InvalidFormulaError, ValidationError
from tracker_core.formula import Formula, compile_formula
from tracker_core.formula import round_half_up as round_half_up
from tracker_core.stats import PlaylistStats, RankedPlaylist, SeasonStats

Algorithm = Literal["WEIGHTED_AVERAGE", "PEAK_MMR", "ASCENDANCY", "CUSTOM"]
ALGORITHMS: tuple[Algorithm, ...] = get_args(Algorithm)
PLAYLIST_KEYS = ("ones", "twos", "threes", "fours")
_STATS_PLAYLISTS: tuple[RankedPlaylist, ...] = ("1v1", "2v2", "3v3", "4v4")
_FIELD = "mmrCalculation"

Numeric = int | float


@attrs.frozen
class PlaylistValues:
    """One number per ranked playlist (weights or minimum games)."""

    ones: float
    twos: float
    threes: float
    fours: float

    def as_tuple(self) -> tuple[float, float, float, float]:
        """The four values in playlist order (1v1, 2v2, 3v3, 4v4)."""
        return (self.ones, self.twos, self.threes, self.fours)

    def to_dict(self) -> dict[str, float]:
        """``{"ones": ..., "twos": ..., "threes": ..., "fours": ...}``."""
        return dict(zip(PLAYLIST_KEYS, self.as_tuple(), strict=True))


@attrs.frozen
class MmrInputs:
    """What the MMR algorithms read from a tracker's latest season; None means unknown."""

    ones: Numeric | None = None
    twos: Numeric | None = None
    threes: Numeric | None = None
    fours: Numeric | None = None
    ones_games: Numeric | None = None
    twos_games: Numeric | None = None
    threes_games: Numeric | None = None
    fours_games: Numeric | None = None
    ones_peak: Numeric | None = None
    twos_peak: Numeric | None = None
    threes_peak: Numeric | None = None
    fours_peak: Numeric | None = None

    @classmethod
    def from_season(cls, season: SeasonStats | None) -> MmrInputs:
        """Inputs from one season: rating, matchesPlayed and allTimePeakRating per playlist."""
        values: dict[str, int | None] = {}
        for key, playlist in zip(PLAYLIST_KEYS, _STATS_PLAYLISTS, strict=True):
            stats = (season.playlist(playlist) if season else None) or PlaylistStats()
            values[key] = stats.rating
            values[f"{key}_games"] = stats.matches_played
            values[f"{key}_peak"] = stats.all_time_peak_rating
        return cls(**values)

    def ratings(self) -> tuple[Numeric | None, ...]:
        """Current ratings in playlist order."""
        return (self.ones, self.twos, self.threes, self.fours)

    def games(self) -> tuple[Numeric | None, ...]:
        """Games played in playlist order."""
        return (self.ones_games, self.twos_games, self.threes_games, self.fours_games)

    def peaks(self) -> tuple[Numeric | None, ...]:
        """All-time peak ratings in playlist order."""
        return (self.ones_peak, self.twos_peak, self.threes_peak, self.fours_peak)

    def as_variables(self) -> dict[str, float]:
        """The CUSTOM formula variables (camelCase names, None as 0, plus ``totalGames``)."""
        variables = {_camel(name): float(value or 0) for name, value in self._items()}
        variables["totalGames"] = float(sum(value or 0 for value in self.games()))
        return variables

    def to_dict(self) -> dict[str, Numeric | None]:
        """camelCase JSON form: ``ones``, ``onesGames``, ``onesPeak``, ..."""
        return {_camel(name): value for name, value in self._items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MmrInputs:
        """Read the camelCase JSON form; missing keys are None, unknown keys are ignored.

        Raises:
            ValidationError: a value is neither null nor a finite number.
        """
        errors: list[FieldError] = []
        values: dict[str, Numeric | None] = {}
        for field in attrs.fields(cls):
            key = _camel(field.name)
            raw = data.get(key)
            if raw is not None and not _is_number(raw):
                errors.append(FieldError(key, "must be a finite number or null"))
            values[field.name] = raw
        if errors:
            raise ValidationError(errors)
        return cls(**values)

    def _items(self) -> list[tuple[str, Numeric | None]]:
        return [(field.name, getattr(self, field.name)) for field in attrs.fields(type(self))]


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _is_number(value: object) -> bool:
    # bool is an int subclass, but `true` is never a sensible weight or rating.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@functools.lru_cache(maxsize=256)
def _compiled(text: str) -> Formula:
    return compile_formula(text)


@attrs.frozen
class MmrConfig:
    """A guild's ``mmrCalculation`` settings, defaults applied.

    Raises:
        InvalidFormulaError: (on construction) CUSTOM without a formula, or a formula that
            does not compile.
    """

    algorithm: Algorithm = attrs.field(
        default="ASCENDANCY", validator=attrs.validators.in_(ALGORITHMS)
    )
    weights: PlaylistValues = PlaylistValues(0.1, 0.3, 0.5, 0.1)
    min_games_played: PlaylistValues = PlaylistValues(50, 50, 50, 50)
    ascendancy_current: float = 0.25
    ascendancy_peak: float = 0.75
    custom_formula: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.algorithm == "CUSTOM" and self.custom_formula is None:
            raise InvalidFormulaError("A custom formula is required for the CUSTOM algorithm")
        if self.custom_formula is not None:
            _compiled(self.custom_formula)

    @property
    def formula(self) -> Formula | None:
        """The compiled custom formula, if any."""
        return None if self.custom_formula is None else _compiled(self.custom_formula)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MmrConfig:
        """Read the ``mmrCalculation`` JSON object; missing keys take the defaults.

        Raises:
            ValidationError: naming each bad field, e.g. ``mmrCalculation.weights.ones``.
            InvalidFormulaError: CUSTOM without a formula, or a formula that does not compile.
        """
        return _ConfigReader(data).read()

    def to_dict(self) -> dict[str, Any]:
        """The ``mmrCalculation`` JSON object (every key present)."""
        return {
            "algorithm": self.algorithm,
            "weights": self.weights.to_dict(),
            "minGamesPlayed": self.min_games_played.to_dict(),
            "ascendancyWeights": {"current": self.ascendancy_current, "peak": self.ascendancy_peak},
            "customFormula": self.custom_formula,
        }


class _ConfigReader:
    """Validates one ``mmrCalculation`` object, collecting every field error before raising."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data
        self._errors: list[FieldError] = []

    def read(self) -> MmrConfig:
        if not isinstance(self._data, Mapping):
            raise ValidationError([FieldError(_FIELD, "must be an object")])
        defaults = MmrConfig()
        algorithm = self._algorithm(defaults.algorithm)
        weights = self._playlist_values("weights", defaults.weights)
        minimums = self._playlist_values("minGamesPlayed", defaults.min_games_played)
        current, peak = self._ascendancy(defaults)
        formula = self._formula(algorithm)
        if self._errors:
            raise ValidationError(self._errors)
        return MmrConfig(algorithm, weights, minimums, current, peak, formula)

    def _error(self, field: str, message: str) -> None:
        self._errors.append(FieldError(f"{_FIELD}.{field}", message))

    def _algorithm(self, default: Algorithm) -> Algorithm:
        raw = self._data.get("algorithm", default)
        for algorithm in ALGORITHMS:
            if raw == algorithm:
                return algorithm
        self._error("algorithm", f"must be one of {', '.join(ALGORITHMS)}")
        return default

    def _object(self, key: str) -> Mapping[str, Any]:
        raw = self._data.get(key, {})
        if isinstance(raw, Mapping):
            return raw
        self._error(key, "must be an object")
        return {}

    def _non_negative(self, obj: Mapping[str, Any], field: str, key: str, default: float) -> float:
        raw = obj.get(key, default)
        if _is_number(raw) and raw >= 0:
            return float(raw) if isinstance(raw, float) else int(raw)
        self._error(f"{field}.{key}", "must be a non-negative number")
        return default

    def _playlist_values(self, key: str, defaults: PlaylistValues) -> PlaylistValues:
        obj = self._object(key)
        values = [
            self._non_negative(obj, key, name, default)
            for name, default in zip(PLAYLIST_KEYS, defaults.as_tuple(), strict=True)
        ]
        return PlaylistValues(*values)

    def _ascendancy(self, defaults: MmrConfig) -> tuple[float, float]:
        obj = self._object("ascendancyWeights")
        current = self._non_negative(
            obj, "ascendancyWeights", "current", defaults.ascendancy_current
        )
        peak = self._non_negative(obj, "ascendancyWeights", "peak", defaults.ascendancy_peak)
        if current + peak <= 0:
            self._error("ascendancyWeights", "current and peak must not both be 0")
        return current, peak

    def _formula(self, algorithm: Algorithm) -> str | None:
        raw = self._data.get("customFormula")
        if raw is not None and not isinstance(raw, str):
            self._error("customFormula", "must be a string or null")
            return None
        if raw is not None and not raw.strip() and algorithm != "CUSTOM":
            return None
        return raw


def calculate_mmr(inputs: MmrInputs, config: MmrConfig) -> int:
    """A player's league MMR under ``config``, rounded half up; 0 when nothing qualifies."""
    if config.algorithm == "WEIGHTED_AVERAGE":
        value = _weighted_average(inputs, config)
    elif config.algorithm == "PEAK_MMR":
        value = _peak_mmr(inputs, config)
    elif config.algorithm == "ASCENDANCY":
        value = _ascendancy(inputs, config)
    else:
        formula = config.formula
        value = formula.evaluate(inputs.as_variables()) if formula else 0.0
    return round_half_up(value) if math.isfinite(value) else 0


def _games(value: Numeric | None) -> float:
    return max(float(value or 0), 0.0)


def _qualifying(inputs: MmrInputs, config: MmrConfig) -> list[tuple[float, float]]:
    """(rating, weight) of each playlist with a rating and enough games."""
    return [
        (float(rating), weight)
        for rating, games, minimum, weight in zip(
            inputs.ratings(),
            inputs.games(),
            config.min_games_played.as_tuple(),
            config.weights.as_tuple(),
            strict=True,
        )
        if rating is not None and _games(games) >= minimum
    ]


def _weighted_average(inputs: MmrInputs, config: MmrConfig) -> float:
    weighted = [(rating, weight) for rating, weight in _qualifying(inputs, config) if weight > 0]
    total_weight = sum(weight for _, weight in weighted)
    if total_weight <= 0:
        return 0.0
    return sum(rating * weight for rating, weight in weighted) / total_weight


def _peak_mmr(inputs: MmrInputs, config: MmrConfig) -> float:
    return max((rating for rating, _ in _qualifying(inputs, config)), default=0.0)


def _ascendancy(inputs: MmrInputs, config: MmrConfig) -> float:
    total_games = sum(_games(games) for games in inputs.games())
    if total_games <= 0:
        return 0.0
    q, r = config.ascendancy_current, config.ascendancy_peak
    numerator = denominator = 0.0
    for current, peak, games in (
        (inputs.twos, inputs.twos_peak, inputs.twos_games),
        (inputs.threes, inputs.threes_peak, inputs.threes_games),
    ):
        if current is None:
            continue
        best = current if peak is None else peak
        score = (current * q + best * r) / (q + r) if q + r > 0 else float(current)
        share = _games(games) / total_games
        numerator += score * share
        denominator += share
    return numerator / denominator if denominator > 0 else 0.0


@attrs.frozen
class PlayerRating:
    """A user's computed league MMR in one guild, from their best tracker."""

    guild_id: str
    user_id: str
    tracker_id: str
    mmr: int
    algorithm: Algorithm
    inputs: MmrInputs
    calculated_at: datetime
