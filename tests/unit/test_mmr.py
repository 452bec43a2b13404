"""League MMR (SPEC §7): algorithms by hand-computed examples, properties, settings JSON."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker_core.errors import InvalidFormulaError, ValidationError
from tracker_core.mmr import (
    Algorithm,
    MmrConfig,
    MmrInputs,
    PlaylistValues,
    calculate_mmr,
    round_half_up,
)
from tracker_core.stats import PlaylistStats, SeasonStats

PLAYLISTS = ("ones", "twos", "threes", "fours")

# 1v1 900 (60 games), 2v2 1200 (200 games, peak 1300), 3v3 1500 (300 games, peak 1600), no 4v4.
PLAYER = MmrInputs(
    ones=900,
    ones_games=60,
    twos=1200,
    twos_games=200,
    twos_peak=1300,
    threes=1500,
    threes_games=300,
    threes_peak=1600,
    fours=None,
    fours_games=0,
)


def mmr(inputs: MmrInputs, algorithm: Algorithm, **config: Any) -> int:
    return calculate_mmr(inputs, MmrConfig(algorithm=algorithm, **config))


def test_default_algorithm_is_ascendancy_with_spec_defaults() -> None:
    config = MmrConfig()
    assert config.algorithm == "ASCENDANCY"
    assert config.weights == PlaylistValues(0.1, 0.3, 0.5, 0.1)
    assert config.min_games_played == PlaylistValues(50, 50, 50, 50)
    assert (config.ascendancy_current, config.ascendancy_peak) == (0.25, 0.75)


# --- WEIGHTED_AVERAGE ----------------------------------------------------------------------


def test_weighted_average_with_default_weights() -> None:
    # (900·0.1 + 1200·0.3 + 1500·0.5) / (0.1 + 0.3 + 0.5) = 1200 / 0.9 = 1333.33
    assert mmr(PLAYER, "WEIGHTED_AVERAGE") == 1333


def test_weighted_average_skips_playlists_below_the_games_minimum() -> None:
    few_ones = attrs.evolve(PLAYER, ones_games=49)
    # (1200·0.25 + 1500·0.5) / 0.75 = 1400 with exact binary weights; with 1v1 counted
    # (900·0.5 + 1200·0.25 + 1500·0.5) / 1.25 = 1200
    weights = PlaylistValues(0.5, 0.25, 0.5, 0.5)
    assert mmr(few_ones, "WEIGHTED_AVERAGE", weights=weights) == 1400
    assert mmr(attrs.evolve(few_ones, ones_games=50), "WEIGHTED_AVERAGE", weights=weights) == 1200


def test_weighted_average_skips_zero_weights_and_missing_ratings() -> None:
    weights = PlaylistValues(0, 1, 0, 1)
    no_twos = attrs.evolve(PLAYER, twos=None, fours=2000, fours_games=100)
    assert mmr(no_twos, "WEIGHTED_AVERAGE", weights=weights) == 2000


def test_weighted_average_unknown_games_count_as_zero() -> None:
    inputs = MmrInputs(twos=1000, threes=1100, threes_games=50)
    assert mmr(inputs, "WEIGHTED_AVERAGE") == 1100
    no_minimum = PlaylistValues(0, 0, 0, 0)
    # (1000·0.3 + 1100·0.5) / 0.8 = 1062.5 → 1063
    assert mmr(inputs, "WEIGHTED_AVERAGE", min_games_played=no_minimum) == 1063


def test_weighted_average_with_nothing_qualifying_is_zero() -> None:
    assert mmr(MmrInputs(), "WEIGHTED_AVERAGE") == 0
    assert (
        mmr(attrs.evolve(PLAYER, ones_games=1, twos_games=1, threes_games=1), "WEIGHTED_AVERAGE")
        == 0
    )
    assert mmr(PLAYER, "WEIGHTED_AVERAGE", weights=PlaylistValues(0, 0, 0, 0)) == 0


# --- PEAK_MMR ------------------------------------------------------------------------------


def test_peak_mmr_is_the_highest_qualifying_current_rating() -> None:
    assert mmr(PLAYER, "PEAK_MMR") == 1500
    assert mmr(attrs.evolve(PLAYER, threes_games=49), "PEAK_MMR") == 1200
    assert mmr(attrs.evolve(PLAYER, fours=1700, fours_games=50), "PEAK_MMR") == 1700


def test_peak_mmr_ignores_weights_and_is_zero_when_nothing_qualifies() -> None:
    assert mmr(PLAYER, "PEAK_MMR", weights=PlaylistValues(0, 0, 0, 0)) == 1500
    assert mmr(MmrInputs(ones=1000, ones_games=10), "PEAK_MMR") == 0
    assert mmr(MmrInputs(), "PEAK_MMR") == 0


# --- ASCENDANCY ----------------------------------------------------------------------------


def test_ascendancy_example() -> None:
    # score2 = 0.25·1200 + 0.75·1300 = 1275; score3 = 0.25·1500 + 0.75·1600 = 1575
    # shares 200/560 and 300/560 → (1275·200 + 1575·300) / 500 = 1455
    assert mmr(PLAYER, "ASCENDANCY") == 1455


def test_ascendancy_peak_defaults_to_current_and_weights_are_configurable() -> None:
    no_peaks = attrs.evolve(PLAYER, twos_peak=None, threes_peak=None)
    assert mmr(no_peaks, "ASCENDANCY") == 1380  # (1200·200 + 1500·300) / 500
    assert mmr(PLAYER, "ASCENDANCY", ascendancy_current=1, ascendancy_peak=0) == 1380
    assert mmr(PLAYER, "ASCENDANCY", ascendancy_current=0, ascendancy_peak=1) == 1480


def test_ascendancy_shares_count_games_of_all_four_playlists() -> None:
    # Ones and fours games dilute both shares equally, so the result is unchanged.
    assert mmr(attrs.evolve(PLAYER, ones_games=5000, fours_games=70), "ASCENDANCY") == 1455


def test_ascendancy_playlist_without_rating_contributes_nothing() -> None:
    assert mmr(attrs.evolve(PLAYER, threes=None), "ASCENDANCY") == 1275
    assert mmr(attrs.evolve(PLAYER, twos_games=None), "ASCENDANCY") == 1575


def test_ascendancy_without_twos_or_threes_games_is_zero() -> None:
    assert mmr(attrs.evolve(PLAYER, twos_games=0, threes_games=None), "ASCENDANCY") == 0
    assert mmr(MmrInputs(ones=1000, ones_games=100), "ASCENDANCY") == 0
    assert mmr(MmrInputs(), "ASCENDANCY") == 0


def test_ascendancy_ignores_the_games_minimum() -> None:
    few = MmrInputs(twos=1000, twos_games=1)
    assert mmr(few, "ASCENDANCY") == 1000


# --- CUSTOM --------------------------------------------------------------------------------


def test_custom_formula_over_the_inputs() -> None:
    formula = "max(twos, threes) * 0.5 + onesPeak + totalGames + fours"
    assert mmr(PLAYER, "CUSTOM", custom_formula=formula) == 750 + 0 + 560 + 0
    assert mmr(PLAYER, "CUSTOM", custom_formula="threesPeak - twosPeak") == 300
    assert mmr(PLAYER, "CUSTOM", custom_formula="ones / 0") == 0


def test_custom_result_rounds_half_up_and_is_not_clamped() -> None:
    assert mmr(MmrInputs(twos=5), "CUSTOM", custom_formula="twos / 2") == 3
    assert mmr(MmrInputs(twos=5), "CUSTOM", custom_formula="-twos / 2") == -2


def test_as_variables_maps_none_to_zero_and_adds_total_games() -> None:
    variables = MmrInputs(ones=1000, twos_games=10, fours_games=5, threes_peak=1234).as_variables()
    assert variables["ones"] == 1000.0
    assert variables["twos"] == 0.0
    assert variables["threesPeak"] == 1234.0
    assert variables["totalGames"] == 15.0
    assert len(variables) == 13


# --- rounding ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (0.5, 1),
        (1.5, 2),
        (2.5, 3),
        (2.4999, 2),
        (-0.5, 0),
        (-2.5, -2),
        (-2.51, -3),
        (0.49999999999999994, 0),
        (1e20, 10**20),
    ],
)
def test_round_half_up(x: float, expected: int) -> None:
    assert round_half_up(x) == expected


def test_algorithms_round_half_up_not_to_even() -> None:
    inputs = MmrInputs(twos=1000, twos_games=100, threes=1001, threes_games=100)
    halves = PlaylistValues(0.5, 0.5, 0.5, 0.5)
    assert mmr(inputs, "WEIGHTED_AVERAGE", weights=halves) == 1001  # 1000.5
    no_peak = {"ascendancy_current": 1.0, "ascendancy_peak": 0.0}
    assert mmr(inputs, "ASCENDANCY", **no_peak) == 1001
    assert mmr(MmrInputs(twos=2), "CUSTOM", custom_formula="twos + 0.5") == 3


# --- properties ----------------------------------------------------------------------------

ratings = st.none() | st.integers(0, 3000)
games = st.none() | st.integers(0, 400)


@st.composite
def mmr_inputs(draw: st.DrawFn) -> MmrInputs:
    values: dict[str, int | None] = {}
    for key in PLAYLISTS:
        values[key] = draw(ratings)
        values[f"{key}_games"] = draw(games)
        values[f"{key}_peak"] = draw(ratings)
    return MmrInputs(**values)


playlist_values = st.builds(
    PlaylistValues, *[st.integers(0, 100) | st.floats(0, 100) for _ in PLAYLISTS]
)


@st.composite
def configs(draw: st.DrawFn, algorithms: st.SearchStrategy[Algorithm]) -> MmrConfig:
    algorithm = draw(algorithms)
    formula = "max(twos, threes) + totalGames / 100"
    current = draw(st.floats(0, 1))
    return MmrConfig(
        algorithm=algorithm,
        custom_formula=formula if algorithm == "CUSTOM" else draw(st.sampled_from([None, formula])),
        weights=draw(playlist_values),
        min_games_played=draw(st.builds(PlaylistValues, *[st.integers(0, 300)] * 4)),
        ascendancy_current=current,
        ascendancy_peak=draw(st.floats(0.01, 1)) if current == 0 else draw(st.floats(0, 1)),
    )


def qualifying(inputs: MmrInputs, config: MmrConfig, *, need_weight: bool) -> list[int]:
    found = []
    for key in PLAYLISTS:
        rating = getattr(inputs, key)
        played = getattr(inputs, f"{key}_games") or 0
        enough = played >= getattr(config.min_games_played, key)
        weighted = getattr(config.weights, key) > 0 or not need_weight
        if rating is not None and enough and weighted:
            found.append(rating)
    return found


def algorithms(*names: Algorithm) -> st.SearchStrategy[Algorithm]:
    return st.sampled_from(names)


@given(mmr_inputs(), configs(algorithms("WEIGHTED_AVERAGE", "PEAK_MMR")))
def test_result_lies_within_the_qualifying_ratings(inputs: MmrInputs, config: MmrConfig) -> None:
    found = qualifying(inputs, config, need_weight=config.algorithm == "WEIGHTED_AVERAGE")
    result = calculate_mmr(inputs, config)
    if not found:
        assert result == 0
    else:
        assert min(found) <= result <= max(found)
    if config.algorithm == "PEAK_MMR":
        assert result == max(found, default=0)


monotone_algorithms = algorithms("WEIGHTED_AVERAGE", "PEAK_MMR", "ASCENDANCY")


@given(
    mmr_inputs(),
    configs(monotone_algorithms),
    st.sampled_from([*PLAYLISTS, *(f"{key}_peak" for key in PLAYLISTS)]),
    st.integers(0, 2000),
)
def test_result_is_monotone_in_each_rating(
    inputs: MmrInputs, config: MmrConfig, field: str, increase: int
) -> None:
    before = getattr(inputs, field)
    if before is None:
        return
    raised = attrs.evolve(inputs, **{field: before + increase})
    assert calculate_mmr(raised, config) >= calculate_mmr(inputs, config)


@given(mmr_inputs(), configs(monotone_algorithms))
def test_ascendancy_lies_within_its_scores(inputs: MmrInputs, config: MmrConfig) -> None:
    config = attrs.evolve(config, algorithm="ASCENDANCY")
    scores = []
    for key in ("twos", "threes"):
        current, peak = getattr(inputs, key), getattr(inputs, f"{key}_peak")
        if current is not None and (getattr(inputs, f"{key}_games") or 0) > 0:
            scores.extend([current, current if peak is None else peak])
    result = calculate_mmr(inputs, config)
    if scores:
        assert min(scores) <= result <= max(scores)
    else:
        assert result == 0


# --- settings JSON -------------------------------------------------------------------------

DEFAULT_JSON = {
    "algorithm": "ASCENDANCY",
    "weights": {"ones": 0.1, "twos": 0.3, "threes": 0.5, "fours": 0.1},
    "minGamesPlayed": {"ones": 50, "twos": 50, "threes": 50, "fours": 50},
    "ascendancyWeights": {"current": 0.25, "peak": 0.75},
    "customFormula": None,
}


def test_defaults_to_dict_and_from_empty_dict() -> None:
    assert MmrConfig().to_dict() == DEFAULT_JSON
    assert MmrConfig.from_dict({}) == MmrConfig()


def test_from_dict_fills_missing_nested_keys_with_defaults() -> None:
    config = MmrConfig.from_dict(
        {"algorithm": "WEIGHTED_AVERAGE", "weights": {"twos": 1}, "ascendancyWeights": {"peak": 2}}
    )
    assert config.algorithm == "WEIGHTED_AVERAGE"
    assert config.weights == PlaylistValues(0.1, 1, 0.5, 0.1)
    assert (config.ascendancy_current, config.ascendancy_peak) == (0.25, 2)


def test_from_dict_ignores_unknown_keys_and_blank_formula_when_not_custom() -> None:
    config = MmrConfig.from_dict({"legacy": True, "customFormula": "  ", "algorithm": "PEAK_MMR"})
    assert config == MmrConfig(algorithm="PEAK_MMR")


@given(configs(algorithms("WEIGHTED_AVERAGE", "PEAK_MMR", "ASCENDANCY", "CUSTOM")))
def test_to_dict_from_dict_round_trip(config: MmrConfig) -> None:
    assert MmrConfig.from_dict(config.to_dict()) == config


def field_errors(data: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        MmrConfig.from_dict(data)
    return {error.field: error.message for error in info.value.errors}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"algorithm": "MEDIAN"}, "mmrCalculation.algorithm"),
        ({"algorithm": None}, "mmrCalculation.algorithm"),
        ({"weights": {"ones": "0.1"}}, "mmrCalculation.weights.ones"),
        ({"weights": {"fours": -0.1}}, "mmrCalculation.weights.fours"),
        ({"weights": {"twos": True}}, "mmrCalculation.weights.twos"),
        ({"weights": {"threes": float("nan")}}, "mmrCalculation.weights.threes"),
        ({"weights": [0.1, 0.3]}, "mmrCalculation.weights"),
        ({"minGamesPlayed": {"twos": -1}}, "mmrCalculation.minGamesPlayed.twos"),
        ({"minGamesPlayed": {"ones": None}}, "mmrCalculation.minGamesPlayed.ones"),
        ({"ascendancyWeights": {"current": "high"}}, "mmrCalculation.ascendancyWeights.current"),
        ({"ascendancyWeights": {"current": 0, "peak": 0}}, "mmrCalculation.ascendancyWeights"),
        ({"customFormula": 42}, "mmrCalculation.customFormula"),
    ],
)
def test_validation_errors_name_the_field(data: dict[str, Any], field: str) -> None:
    assert list(field_errors(data)) == [field]


def test_validation_reports_every_bad_field() -> None:
    errors = field_errors({"algorithm": "X", "weights": {"ones": -1, "twos": "a"}})
    assert sorted(errors) == [
        "mmrCalculation.algorithm",
        "mmrCalculation.weights.ones",
        "mmrCalculation.weights.twos",
    ]


def test_from_dict_rejects_a_non_object() -> None:
    assert list(field_errors(["ASCENDANCY"])) == ["mmrCalculation"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"algorithm": "CUSTOM"}, "A custom formula is required for the CUSTOM algorithm"),
        ({"algorithm": "CUSTOM", "customFormula": None}, "A custom formula is required"),
        ({"algorithm": "CUSTOM", "customFormula": " "}, "Empty formula"),
        ({"algorithm": "CUSTOM", "customFormula": "ones + foo"}, "Unknown variable 'foo'"),
        ({"algorithm": "ASCENDANCY", "customFormula": "ones +"}, "Unexpected end of formula"),
    ],
)
def test_custom_formula_problems_raise_invalid_formula(data: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidFormulaError) as info:
        MmrConfig.from_dict(data)
    assert info.value.message.startswith(message)


def test_constructor_rejects_custom_without_formula() -> None:
    with pytest.raises(InvalidFormulaError):
        MmrConfig(algorithm="CUSTOM")


# --- inputs JSON ---------------------------------------------------------------------------


def test_inputs_to_dict_uses_camel_case_keys() -> None:
    assert PLAYER.to_dict() == {
        "ones": 900,
        "twos": 1200,
        "threes": 1500,
        "fours": None,
        "onesGames": 60,
        "twosGames": 200,
        "threesGames": 300,
        "foursGames": 0,
        "onesPeak": None,
        "twosPeak": 1300,
        "threesPeak": 1600,
        "foursPeak": None,
    }


@given(mmr_inputs())
def test_inputs_round_trip(inputs: MmrInputs) -> None:
    assert MmrInputs.from_dict(inputs.to_dict()) == inputs


def test_inputs_from_dict_validates_and_defaults_to_none() -> None:
    assert MmrInputs.from_dict({"twos": 1000.5, "other": "x"}) == MmrInputs(twos=1000.5)
    with pytest.raises(ValidationError) as info:
        MmrInputs.from_dict({"onesGames": "ten", "twosPeak": False})
    assert sorted(error.field for error in info.value.errors) == ["onesGames", "twosPeak"]


def test_inputs_from_season_reads_rating_matches_and_all_time_peak() -> None:
    season = SeasonStats(
        season_number=34,
        season_name="Season 34",
        playlists={
            "2v2": PlaylistStats(
                rating=1200, matches_played=200, peak_rating=1250, all_time_peak_rating=1300
            ),
            "3v3": None,
        },
    )
    assert MmrInputs.from_season(season) == MmrInputs(twos=1200, twos_games=200, twos_peak=1300)
    assert MmrInputs.from_season(None) == MmrInputs()
