"""Tracker URL parsing (SPEC §2.2): accepted forms, error messages, canonical fixed point."""

from __future__ import annotations

import string
from urllib.parse import quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tracker_core.errors import InvalidTrackerUrlError
from tracker_core.urls import TrackerUrl, parse_tracker_url

FORMAT_ERROR = (
    "Invalid tracker URL format. Must be: "
    "https://rocketleague.tracker.network/rocket-league/profile/{platform}/{username}/overview"
)
USERNAME_ERROR = "Invalid username format in tracker URL"
CANONICAL = (
    "https://rocketleague.tracker.network/rocket-league/profile/steam/76561198012345678/overview"
)


def error_of(url: str) -> str:
    with pytest.raises(InvalidTrackerUrlError) as info:
        parse_tracker_url(url)
    return info.value.message


def test_canonical_url_parses_to_all_fields() -> None:
    assert parse_tracker_url(CANONICAL) == TrackerUrl(
        platform="STEAM",
        username="76561198012345678",
        canonical_url=CANONICAL,
        api_path="steam/76561198012345678",
        identity="steam:76561198012345678",
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://rocketleague.tracker.network/rocket-league/profile/steam/76561198012345678/overview",
        "https://www.rocketleague.tracker.network/rocket-league/profile/steam/76561198012345678",
        "https://tracker.gg/rocket-league/profile/steam/76561198012345678/overview",
        "https://www.tracker.gg/rocket-league/profile/steam/76561198012345678/matches",
        "HTTPS://RocketLeague.Tracker.Network/rocket-league/profile/STEAM/76561198012345678/mmr",
        "https://rocketleague.tracker.network/Rocket-League/Profile/Steam/76561198012345678/",
        "https://rocketleague.tracker.network/rocket-league/profile/steam/76561198012345678///",
        "https://rocketleague.tracker.network/rocket-league/profile/steam/76561198012345678/overview/",
        "https://rocketleague.tracker.network/rocket-league/profile/steam/76561198012345678?a=1&b=/x",
        "https://rocketleague.tracker.network/rocket-league/profile/steam/76561198012345678#top",
        "https://tracker.gg/rocket-league/profile/steam/76561198012345678/overview?x=1#frag/y",
        "  \t" + CANONICAL + "\n ",
        "https://rocketleague.tracker.network/rocket-league/profile/steam/%37%36561198012345678",
    ],
)
def test_pasted_forms_reduce_to_the_canonical_url(url: str) -> None:
    assert parse_tracker_url(url).canonical_url == CANONICAL


@pytest.mark.parametrize(
    ("segment", "platform"),
    [
        ("steam", "STEAM"),
        ("epic", "EPIC"),
        ("EPIC", "EPIC"),
        ("xbl", "XBL"),
        ("xbox", "XBL"),
        ("XBox", "XBL"),
        ("psn", "PSN"),
        ("ps", "PSN"),
        ("PlayStation", "PSN"),
        ("switch", "SWITCH"),
    ],
)
def test_platforms_and_aliases(segment: str, platform: str) -> None:
    parsed = parse_tracker_url(f"https://tracker.gg/rocket-league/profile/{segment}/Someone")
    assert parsed.platform == platform
    assert parsed.canonical_url == (
        "https://rocketleague.tracker.network/rocket-league/profile/"
        f"{platform.lower()}/Someone/overview"
    )


def test_username_is_decoded_once_and_encoded_once() -> None:
    parsed = parse_tracker_url(
        "https://rocketleague.tracker.network/rocket-league/profile/epic/Mr%20Big%2525%C3%A9/overview"
    )
    assert parsed.username == "Mr Big%25é"
    assert parsed.api_path == "epic/Mr%20Big%2525%C3%A9"
    assert parsed.canonical_url.endswith("/epic/Mr%20Big%2525%C3%A9/overview")


def test_raw_unicode_space_and_literal_percent_are_encoded() -> None:
    parsed = parse_tracker_url("https://tracker.gg/rocket-league/profile/epic/Zoë 100%+1")
    assert parsed.username == "Zoë 100%+1"
    assert parsed.api_path == "epic/Zo%C3%AB%20100%25%2B1"


def test_every_reserved_character_is_encoded_in_the_canonical_form() -> None:
    encoded = "Mr%20%40Ho%2Bme%20%231%3F%26%3D%3B%3A~_.-%21%2A%27%28%29"
    parsed = parse_tracker_url(f"https://tracker.gg/rocket-league/profile/steam/{encoded}")
    assert parsed.username == "Mr @Ho+me #1?&=;:~_.-!*'()"
    assert parsed.api_path == f"steam/{encoded}"
    raw = parse_tracker_url(
        "https://tracker.gg/rocket-league/profile/steam/Mr%20@Ho+me%20%231%3F&=;:~_.-!*'()"
    )
    assert raw == parsed


def test_identity_casefolds_the_username() -> None:
    a = parse_tracker_url("https://tracker.gg/rocket-league/profile/psn/STRASSE")
    b = parse_tracker_url("https://tracker.gg/rocket-league/profile/playstation/straße/mmr")
    assert a.identity == b.identity == "psn:strasse"
    assert a.username == "STRASSE"
    assert b.username == "straße"


def test_username_of_exactly_100_characters_is_accepted() -> None:
    parsed = parse_tracker_url(f"https://tracker.gg/rocket-league/profile/steam/{'a' * 100}")
    assert len(parsed.username) == 100


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "not a url",
        "rocketleague.tracker.network/rocket-league/profile/steam/abc/overview",
        "ftp://rocketleague.tracker.network/rocket-league/profile/steam/abc/overview",
        "https://example.com/rocket-league/profile/steam/abc/overview",
        "https://rocketleague.tracker.network.evil.com/rocket-league/profile/steam/abc",
        "https://evilrocketleague.tracker.network/rocket-league/profile/steam/abc",
        "https://tracker.gg:443/rocket-league/profile/steam/abc",
        "https://user@tracker.gg/rocket-league/profile/steam/abc",
        "https://tracker.gg",
        "https://tracker.gg/",
        "https://tracker.gg/rocket-league/profile/steam",
        "https://tracker.gg/rocket-league/profile/steam/",
        "https://tracker.gg/rocket-league/profile",
        "https://tracker.gg/valorant/profile/steam/abc/overview",
        "https://tracker.gg/rocket-league/player/steam/abc/overview",
        "https://tracker.gg/rocket-league/profile/steam/abc/overview/extra",
        "https://tracker.gg/rocket-league/profile/steam/abc/over.view",
        "https://tracker.gg/rocket-league/profile/steam/abc//overview",
        "https://tracker.gg//rocket-league/profile/steam/abc",
        "https://tracker.gg/rocket-league/profile//abc/overview",
        "https://tracker.gg?/rocket-league/profile/steam/abc",
        "https://tracker.gg/rocket-league/profile/steam/abc/ overview",
    ],
)
def test_malformed_urls_get_the_format_message(url: str) -> None:
    assert error_of(url) == FORMAT_ERROR


@pytest.mark.parametrize(
    ("segment", "shown"),
    [("origin", "origin"), ("Origin", "origin"), ("XBOX360", "xbox360"), ("stéam", "stéam")],
)
def test_unsupported_platform_message_shows_the_platform_lower_cased(
    segment: str, shown: str
) -> None:
    message = error_of(f"https://tracker.gg/rocket-league/profile/{segment}/abc/overview")
    assert (
        message
        == f"Unsupported platform: {shown}. Supported platforms: steam, epic, xbl, psn, switch"
    )


@pytest.mark.parametrize(
    "username",
    [
        "a" * 101,
        "%61" * 101,
        "%20",
        "%20%20%09",
        "a%2Fb",
        "a%2fb",
        "a%00b",
        "a%0Ab",
        "a%7Fb",
        "a\x01b",
        "%FF",
        "%C3",
        "a\ud800b",
    ],
)
def test_bad_usernames_get_the_username_message(username: str) -> None:
    assert error_of(f"https://tracker.gg/rocket-league/profile/steam/{username}") == USERNAME_ERROR


def test_error_is_an_http_400_rule_violation() -> None:
    with pytest.raises(InvalidTrackerUrlError) as info:
        parse_tracker_url("nope")
    assert info.value.code == "INVALID_TRACKER_URL"


# --- properties -------------------------------------------------------------------------------

PLATFORM_SPELLINGS = {
    "STEAM": ["steam"],
    "EPIC": ["epic"],
    "XBL": ["xbl", "xbox"],
    "PSN": ["psn", "ps", "playstation"],
    "SWITCH": ["switch"],
}

# Usernames are built from pieces so that reserved and tricky characters are as common as
# arbitrary Unicode text (a plain text strategy almost never draws "@" or "#").
username_pieces = st.one_of(
    st.sampled_from([*" %#?+&=;:@.~!'\"()[]{}\\é漢😀", "%41", "%2F", "%%"]),
    st.text(st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="/"), min_size=1),
)
usernames = (
    st.lists(username_pieces, min_size=1, max_size=12)
    .map("".join)
    .filter(lambda u: u.strip() != "" and len(u) <= 100 and "/" not in u)
)


def random_case(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(ch.swapcase() if flip else ch for ch, flip in zip(text, flips, strict=True))


def loosely_encoded(draw: st.DrawFn, username: str) -> str:
    """Percent-encode each character or leave it raw, as browsers and people do.

    Characters that would end the path or the URL (``/ ? #``, surrounding whitespace) and ``%``
    (which would otherwise start an escape) are always encoded.
    """
    out = []
    for ch in username:
        must = ch in "/?#%" or ch.isspace()
        out.append(quote(ch, safe="") if must or draw(st.booleans()) else ch)
    return "".join(out)


@st.composite
def pasted_urls(draw: st.DrawFn) -> tuple[str, str, str]:
    """A decorated URL for a random (platform, username), plus that platform and username."""
    platform = draw(st.sampled_from(sorted(PLATFORM_SPELLINGS)))
    username = draw(usernames)
    scheme = random_case(draw, draw(st.sampled_from(["https", "http"])))
    host = draw(st.sampled_from(["rocketleague.tracker.network", "tracker.gg"]))
    host = random_case(draw, draw(st.sampled_from(["", "www."])) + host)
    spelling = random_case(draw, draw(st.sampled_from(PLATFORM_SPELLINGS[platform])))
    encoded = loosely_encoded(draw, username)
    subpage = draw(st.sampled_from(["", "/overview", "/matches", "/mmr", "/Overview"]))
    slashes = "/" * draw(st.integers(0, 3))
    query = draw(st.sampled_from(["", "?season=30", "?a=%2F&b=/c"]))
    fragment = draw(st.sampled_from(["", "#", "#x/y?z"]))
    path = f"/rocket-league/profile/{spelling}/{encoded}{subpage}{slashes}"
    return f"{scheme}://{host}{path}{query}{fragment}", platform, username


@given(pasted_urls())
def test_any_pasted_form_parses_to_its_platform_and_username(case: tuple[str, str, str]) -> None:
    url, platform, username = case
    parsed = parse_tracker_url(url)
    assert parsed.platform == platform
    assert parsed.username == username
    assert parsed.identity == f"{platform.lower()}:{username.casefold()}"
    assert parsed.api_path == f"{platform.lower()}/{quote(username, safe='')}"


@given(pasted_urls())
def test_canonical_url_is_a_fixed_point(case: tuple[str, str, str]) -> None:
    parsed = parse_tracker_url(case[0])
    again = parse_tracker_url(parsed.canonical_url)
    assert again == parsed
    assert again.identity == parsed.identity
    assert parsed.canonical_url.startswith("https://rocketleague.tracker.network/rocket-league/")
    assert parsed.canonical_url.endswith("/overview")


@given(
    st.text(alphabet=string.ascii_letters + string.digits + " _-.éÉßüÜ", min_size=1, max_size=40),
    st.sampled_from(["steam", "EPIC", "Xbox"]),
)
def test_identity_ignores_username_case(username: str, platform: str) -> None:
    assume(username.strip() != "")
    base = "https://tracker.gg/rocket-league/profile"
    lower = parse_tracker_url(f"{base}/{platform}/{quote(username.lower(), safe='')}")
    upper = parse_tracker_url(f"{base}/{platform}/{quote(username.upper(), safe='')}")
    assert lower.identity == upper.identity


PREFIXES = ["", "https://tracker.gg/", "https://tracker.gg/rocket-league/profile/"]


@given(st.sampled_from(PREFIXES), st.text(max_size=200))
def test_arbitrary_text_only_ever_raises_invalid_tracker_url(prefix: str, rest: str) -> None:
    text = prefix + rest
    try:
        parsed = parse_tracker_url(text)
    except InvalidTrackerUrlError:
        return
    assert parse_tracker_url(parsed.canonical_url) == parsed


@given(st.text(st.characters(), min_size=1, max_size=120))
def test_arbitrary_username_is_accepted_only_if_valid(segment: str) -> None:
    # surrogatepass: a lone surrogate becomes bytes that are not valid UTF-8 once decoded.
    encoded = quote(segment, safe="", errors="surrogatepass")
    url = f"https://tracker.gg/rocket-league/profile/steam/{encoded}"
    valid = (
        1 <= len(segment) <= 100
        and segment.strip() != ""
        and "/" not in segment
        and not any(
            ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 or 0xD800 <= ord(ch) < 0xE000 for ch in segment
        )
    )
    if valid:
        assert parse_tracker_url(url).username == segment
    else:
        assert error_of(url) == USERNAME_ERROR
