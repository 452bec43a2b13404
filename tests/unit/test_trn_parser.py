"""The tracker.gg payload parser: golden values (SPEC §3), edge cases and properties."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.profiles import examples

from adapters.trackergg.parser import as_int, decode_json, parse_profile
from adapters.trackergg.transport import unwrap_flaresolverr
from tracker_core.errors import InvalidPayloadError, ProfileNotFoundError
from tracker_core.stats import PlaylistStats, ProfilePage, RankedPlaylist

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "trn"
PLAIN = (FIXTURES / "profile-psn-season34.json").read_bytes()
ENVELOPE = (FIXTURES / "flaresolverr-profile-psn-season34.json").read_bytes()
API_URL = "https://api.tracker.gg/api/v2/rocket-league/standard/profile/psn/nssbali_"

GOLDEN_RANKED: dict[RankedPlaylist, PlaylistStats | None] = {
    "1v1": PlaylistStats(
        rank="Supersonic Legend",
        rank_value=22,
        division="Division I",
        division_value=0,
        rating=1721,
        matches_played=62,
        win_streak=11,
        peak_rating=1721,
        all_time_peak_rating=1851,
    ),
    "2v2": PlaylistStats(
        rank="Supersonic Legend",
        rank_value=22,
        division="Division I",
        division_value=0,
        rating=2629,
        matches_played=1534,
        win_streak=-1,
        peak_rating=2698,
        all_time_peak_rating=2772,
    ),
    "3v3": PlaylistStats(
        rank="Grand Champion I",
        rank_value=19,
        division="Division III",
        division_value=2,
        rating=1534,
        matches_played=5,
        win_streak=-1,
        peak_rating=1534,
        all_time_peak_rating=1997,
    ),
    "4v4": PlaylistStats(
        rank="Champion I",
        rank_value=16,
        division="Division III",
        division_value=2,
        rating=1160,
        matches_played=11,
        win_streak=2,
        peak_rating=1160,
        all_time_peak_rating=1160,
    ),
}
GOLDEN_EXTRA = {
    "Hoops": PlaylistStats("Champion II", 17, "Division IV", 3, 1025, 0, -1, None, 1047),
    "Rumble": PlaylistStats("Champion II", 17, "Division II", 1, 1065, 1, -1, 1065, 1310),
    "Dropshot": PlaylistStats("Platinum III", 12, "Division III", 2, 720, 2, 2, 720, 720),
    "Snowday": PlaylistStats("Silver II", 5, "Division IV", 3, 425, 0, -1, None, 668),
    "Casual": PlaylistStats("Unranked", 0, "Division I", 0, 1303, 0, 0, None, 1879),
}


def plain_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(PLAIN)
    return document


def assert_golden(page: ProfilePage) -> None:
    assert page.current_season == 34
    assert page.season.season_number == 34
    assert page.season.season_name == "Season 20 (34)"
    assert page.season.playlists == GOLDEN_RANKED
    assert page.season.extra_playlists == GOLDEN_EXTRA
    assert page.available_seasons == tuple(range(1, 35))
    assert page.season_names[34] == "Season 20 (34)"
    assert page.season_names[14] == "14"
    assert page.platform_user_id == "4528205205531353068"
    assert page.trn_last_updated == datetime(2025, 12, 9, 4, 27, 55, 897847, tzinfo=UTC)
    # data.expiryDate (tracker.gg's cache of the profile), not the segments' 0001-01-01.
    assert page.trn_expires_at == datetime(2025, 12, 9, 4, 31, 55, 945879, tzinfo=UTC)
    assert page.api_url == API_URL
    assert page.upstream_status == 200


@pytest.mark.parametrize("form", ["bytes", "str", "dict"])
def test_golden_plain_payload(form: str) -> None:
    forms: dict[str, bytes | str | dict[str, Any]] = {
        "bytes": PLAIN,
        "str": PLAIN.decode(),
        "dict": plain_document(),
    }
    payload = forms[form]
    assert_golden(parse_profile(payload, season=None, api_url=API_URL))


def test_golden_plain_payload_with_explicit_season() -> None:
    assert_golden(parse_profile(PLAIN, season=34, api_url=API_URL))


def test_golden_flaresolverr_envelope() -> None:
    response = unwrap_flaresolverr(ENVELOPE, api_url=API_URL)
    assert response.status == 200
    page = parse_profile(response.body, season=None, api_url=API_URL, upstream_status=200)
    assert_golden(page)


def test_earlier_season_from_the_same_payload_has_no_playlists_but_its_name() -> None:
    page = parse_profile(PLAIN, season=33, api_url=API_URL)
    assert page.current_season == 34
    assert page.season.season_number == 33
    assert page.season.season_name == "Season 19 (33)"
    assert page.season.playlists == {"1v1": None, "2v2": None, "3v3": None, "4v4": None}
    assert page.season.extra_playlists == {}


def test_unknown_season_name_falls_back_to_season_n() -> None:
    document = plain_document()
    document["data"]["availableSegments"] = []
    page = parse_profile(document, season=None, api_url=API_URL)
    assert page.season.season_name == "Season 34"
    assert page.available_seasons == ()


def test_errors_array_is_profile_not_found() -> None:
    body = {"errors": [{"code": "CollectorResultStatus::NotFound", "message": "No player x."}]}
    with pytest.raises(ProfileNotFoundError) as caught:
        parse_profile(json.dumps(body), season=None, api_url=API_URL, upstream_status=200)
    assert caught.value.message == "No player x."
    assert caught.value.upstream_status == 200
    assert caught.value.api_url == API_URL
    assert caught.value.retryable is False


@pytest.mark.parametrize(
    "payload",
    [
        b"<html>Just a moment...</html>",
        b"",
        b"\xff\xfe\x00",
        b"[1, 2]",
        b'{"data": {}}',
        b'{"data": {"segments": {}}}',
        b'{"data": []}',
        b'{"errors": []}',
    ],
)
def test_not_a_profile_is_invalid_payload(payload: bytes) -> None:
    with pytest.raises(InvalidPayloadError) as caught:
        parse_profile(payload, season=None, api_url=API_URL, upstream_status=200)
    assert "API changed" in caught.value.message
    assert caught.value.category == "invalid"
    assert caught.value.retryable is False
    assert caught.value.api_url == API_URL


def playlist_segment(playlist_id: int, season: int, rating: Any) -> dict[str, Any]:
    return {
        "type": "playlist",
        "attributes": {"playlistId": playlist_id, "season": season},
        "stats": {"rating": {"value": rating}},
    }


def peak_segment(playlist_id: int, value: Any) -> dict[str, Any]:
    return {
        "type": "peak-rating",
        "attributes": {"playlistId": playlist_id},
        "stats": {"peakRating": {"value": value}},
    }


def minimal(segments: list[Any], **metadata: Any) -> dict[str, Any]:
    return {"data": {"metadata": {"currentSeason": 20, **metadata}, "segments": segments}}


def test_legacy_playlist_ids_and_modern_ids_win() -> None:
    segments = [
        playlist_segment(1, 20, 900),
        playlist_segment(2, 20, 1000),
        playlist_segment(11, 20, 1100),
        playlist_segment(8, 20, 700),
        playlist_segment(3, 20, 800),
        playlist_segment(13, 20, 1300),
    ]
    page = parse_profile(minimal(segments), season=None, api_url=API_URL)
    ratings = {k: v.rating if v else None for k, v in page.season.playlists.items()}
    assert ratings == {"1v1": 900, "2v2": 1100, "3v3": 1300, "4v4": 700}


def test_unknown_playlists_and_segment_types_are_ignored() -> None:
    segments = [
        playlist_segment(99, 20, 1),
        {"type": "something-new", "attributes": {"playlistId": 10, "season": 20}},
        playlist_segment(34, 20, 1500),
        "not a segment",
        None,
    ]
    page = parse_profile(minimal(segments), season=None, api_url=API_URL)
    assert page.season.playlists == {"1v1": None, "2v2": None, "3v3": None, "4v4": None}
    assert set(page.season.extra_playlists) == {"Tournament"}
    assert page.season.extra_playlists["Tournament"].rating == 1500


def test_all_time_peak_is_the_max_of_peak_rating_segments_numbers_or_strings() -> None:
    segments = [
        playlist_segment(11, 20, 1000),
        peak_segment(11, "2,772"),
        peak_segment(11, 1999.0),
        peak_segment(11, "n/a"),
        peak_segment(10, 3000),
    ]
    page = parse_profile(minimal(segments), season=None, api_url=API_URL)
    twos = page.season.playlists["2v2"]
    assert twos is not None
    assert twos.all_time_peak_rating == 2772
    assert page.season.playlists["1v1"] is None


def test_win_streak_sign_comes_from_metadata_type() -> None:
    def streak(value: Any, kind: Any) -> int | None:
        segment = playlist_segment(10, 20, 1)
        segment["stats"]["winStreak"] = {"value": value, "metadata": {"type": kind}}
        stats = parse_profile(minimal([segment]), season=None, api_url=API_URL).season.playlists
        assert stats["1v1"] is not None
        return stats["1v1"].win_streak

    assert streak(3, "loss") == -3
    assert streak("-3", "loss") == -3
    assert streak(3, "win") == 3
    assert streak(3, None) == 3
    assert streak(None, "loss") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-12-09T04:27:55.8978479+00:00", datetime(2025, 12, 9, 4, 27, 55, 897847, UTC)),
        ("2025-12-09T04:27:55Z", datetime(2025, 12, 9, 4, 27, 55, tzinfo=UTC)),
        ("2025-12-09T04:27:55", datetime(2025, 12, 9, 4, 27, 55, tzinfo=UTC)),
        ("yesterday", None),
        (17, None),
    ],
)
def test_trn_last_updated_is_aware(value: Any, expected: datetime | None) -> None:
    document = minimal([], lastUpdated={"value": value})
    page = parse_profile(document, season=None, api_url=API_URL)
    assert page.trn_last_updated == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-12-09T04:31:55.9458796+00:00", datetime(2025, 12, 9, 4, 31, 55, 945879, UTC)),
        ("2025-12-09T04:31:55", datetime(2025, 12, 9, 4, 31, 55, tzinfo=UTC)),
        ("0001-01-01T00:00:00+00:00", None),
        ("soon", None),
        (None, None),
    ],
)
def test_trn_expiry_date_is_aware_and_placeholders_are_absent(
    value: Any, expected: datetime | None
) -> None:
    document = minimal([])
    document["data"]["expiryDate"] = value
    assert parse_profile(document, season=None, api_url=API_URL).trn_expires_at == expected


def test_platform_user_id_number_becomes_text_and_junk_none() -> None:
    document = minimal([])
    document["data"]["platformInfo"] = {"platformUserId": 123}
    assert parse_profile(document, season=None, api_url=API_URL).platform_user_id == "123"
    document["data"]["platformInfo"] = {"platformUserId": ["x"]}
    assert parse_profile(document, season=None, api_url=API_URL).platform_user_id is None


def test_missing_current_season_falls_back_to_the_newest_known_season() -> None:
    document = plain_document()
    del document["data"]["metadata"]["currentSeason"]
    assert_golden(parse_profile(document, season=None, api_url=API_URL))
    bare: dict[str, Any] = {"data": {"segments": []}}
    with pytest.raises(InvalidPayloadError):
        parse_profile(bare, season=None, api_url=API_URL)
    assert parse_profile(bare, season=7, api_url=API_URL).current_season == 7


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12, 12),
        (12.4, 12),
        ("2,772", 2772),
        (" 1721 ", 1721),
        ("1.5e3", 1500),
        (True, None),
        (float("nan"), None),
        (float("inf"), None),
        ("1e999", None),
        ("", None),
        ([1], None),
        (None, None),
    ],
)
def test_as_int(value: Any, expected: int | None) -> None:
    assert as_int(value) == expected


# Properties -----------------------------------------------------------------------------

STAT_KEYS = ("tier", "division", "rating", "matchesPlayed", "winStreak", "peakRating")
FIELD_SOURCES = {
    "rank": ("tier", "name"),
    "rank_value": ("tier", "value"),
    "division": ("division", "name"),
    "division_value": ("division", "value"),
    "rating": ("rating", "value"),
    "matches_played": ("matchesPlayed", "value"),
    "peak_rating": ("peakRating", "value"),
}
RANKED_IDS: dict[int, RankedPlaylist] = {10: "1v1", 11: "2v2", 13: "3v3", 61: "4v4"}

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["x", "value", "name", "type"]), st.integers(), max_size=2),
)
mutations = st.one_of(
    st.tuples(st.sampled_from(["keep", "delete", "null"]), st.none()),
    st.tuples(st.sampled_from(["value", "stat", "metadata"]), junk),
)


def mutate(stats: dict[str, Any], key: str, mutation: tuple[str, Any]) -> None:
    kind, replacement = mutation
    if kind == "delete":
        del stats[key]
    elif kind == "null":
        stats[key] = None
    elif kind == "stat":
        stats[key] = replacement
    elif kind == "value":
        stats[key]["value"] = replacement
    elif kind == "metadata":
        stats[key]["metadata"] = replacement


def expected_field(part: str, mutation: tuple[str, Any], golden: Any) -> Any:
    """What the parser must give for one field after ``mutation`` of its source stat."""
    kind, replacement = mutation
    if kind == "keep":
        return golden
    if kind in ("delete", "null"):
        return None
    if kind == "value":
        return as_int(replacement) if part == "value" else golden
    if kind == "metadata":  # junk metadata never holds a text name: the values are ints
        return golden if part == "value" else None
    stat = replacement if isinstance(replacement, dict) else {}
    return as_int(stat.get("value")) if part == "value" else None


def expected_streak(mutation: tuple[str, Any], golden: int) -> int | None:
    """Like expected_field for the win streak, whose sign comes from ``metadata.type``."""
    kind = mutation[0]
    if kind == "metadata":
        return abs(golden)
    value: int | None = expected_field("value", mutation, golden)
    if kind == "value" and value is not None and golden < 0:
        return -abs(value)
    return value


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_parser_never_raises_on_mutated_stats_and_keeps_untouched_values(
    data: st.DataObject,
) -> None:
    document = plain_document()
    applied: dict[RankedPlaylist, dict[str, tuple[str, Any]]] = {}
    for segment in document["data"]["segments"]:
        if segment["type"] != "playlist":
            continue
        name = RANKED_IDS.get(segment["attributes"]["playlistId"])
        chosen = {key: data.draw(mutations, label=f"{name}.{key}") for key in STAT_KEYS}
        for key, mutation in chosen.items():
            mutate(segment["stats"], key, mutation)
        if name is not None:
            applied[name] = chosen
    page = parse_profile(json.dumps(document), season=None, api_url=API_URL)
    assert set(page.season.extra_playlists) == set(GOLDEN_EXTRA)
    for name, chosen in applied.items():
        stats = page.season.playlists[name]
        golden = GOLDEN_RANKED[name]
        assert stats is not None and golden is not None
        for field, (key, part) in FIELD_SOURCES.items():
            actual = getattr(stats, field)
            assert actual == expected_field(part, chosen[key], getattr(golden, field)), field
            assert actual is None or type(actual) is (str if part == "name" else int)
        assert stats.win_streak == expected_streak(chosen["winStreak"], golden.win_streak or 0)
        assert stats.all_time_peak_rating == golden.all_time_peak_rating


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["type", "attributes", "stats", "value", "metadata", "season", "x"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=25,
)
segment_like = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["playlist", "peak-rating", "overview", "x"]) | json_values,
        "attributes": st.fixed_dictionaries(
            {"playlistId": st.sampled_from([0, 1, 10, 11, 13, 61, 27, 99]) | json_values,
             "season": st.sampled_from([20, "20", 20.0]) | json_values}
        ) | json_values,
        "stats": st.dictionaries(st.sampled_from(STAT_KEYS), json_values, max_size=6) | json_values,
        "metadata": json_values,
    }
)  # fmt: skip


@settings(max_examples=examples(200), deadline=None)
@given(
    segments=st.lists(segment_like | json_values, max_size=8),
    metadata=json_values,
    available=json_values,
    platform_info=json_values,
    season=st.none() | st.integers(min_value=1, max_value=40),
)
def test_parser_never_raises_when_segments_exist(
    segments: list[Any], metadata: Any, available: Any, platform_info: Any, season: int | None
) -> None:
    data = {
        "metadata": {"currentSeason": 20, "x": metadata},
        "segments": segments,
        "availableSegments": available,
        "platformInfo": platform_info,
    }
    page = parse_profile({"data": copy.deepcopy(data)}, season=season, api_url=API_URL)
    assert page.season.season_number == (20 if season is None else season)
    for stats in [*page.season.playlists.values(), *page.season.extra_playlists.values()]:
        if stats is None:
            continue
        for field in ("rank_value", "division_value", "rating", "matches_played", "win_streak"):
            assert getattr(stats, field) is None or type(getattr(stats, field)) is int
        assert stats.rank is None or isinstance(stats.rank, str)


any_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**64, max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6)
    | st.sampled_from(["\ud800", "\udfff", "\ufeff"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=20,
)


@given(any_json, st.booleans(), st.booleans())
def test_decode_json_gives_what_json_loads_gives(value: Any, as_bytes: bool, bom: bool) -> None:
    """The fast decoder gives the same value as ``json.loads`` for any JSON text, the ones it
    refuses itself (NaN, infinities, lone surrogates, a byte-order mark) included."""
    text = ("\ufeff" if bom else "") + json.dumps(value, ensure_ascii=False)
    payload: bytes | str = text.encode("utf-8", "surrogatepass") if as_bytes else text
    try:
        expected = json.loads(payload)
    except ValueError:
        with pytest.raises(ValueError):
            decode_json(payload)
        return
    # dumps compares NaN with NaN, and ints with floats by type.
    assert json.dumps(decode_json(payload)) == json.dumps(expected)


@given(st.text(max_size=12) | st.binary(max_size=12))
def test_decode_json_raises_value_error_where_json_loads_does(payload: str | bytes) -> None:
    try:
        expected = json.loads(payload)
    except ValueError:
        with pytest.raises(ValueError):
            decode_json(payload)
        return
    assert json.dumps(decode_json(payload)) == json.dumps(expected)
