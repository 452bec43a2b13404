"""Tracker URL parsing and canonicalisation (SPEC §2.2).

People paste profile URLs in many shapes; :func:`parse_tracker_url` accepts the ones the spec
lists and reduces each to one canonical :class:`TrackerUrl`, whose ``canonical_url`` parses back
to the same value (a fixed point), so a stored URL can always be re-validated.

Decisions where the spec is silent:

- The scheme and the literal path segments ``rocket-league`` and ``profile`` are matched in any
  letter case, like the host and the platform.
- At most one sub-page segment (letters, digits, ``-``, ``_``) may follow the username; any
  number of trailing slashes is dropped. Empty segments elsewhere (``//``) are a format error.
- A port, user info or any other host is a format error.
- The unsupported-platform message echoes the platform segment as typed, lower-cased and not
  percent-decoded (``Unsupported platform: origin``).
- After percent-decoding once, the username is rejected (``Invalid username format in tracker
  URL``) when it is empty or only whitespace, longer than 100 characters, contains ``/`` (a
  decoded ``%2F`` cannot be addressed on tracker.gg), contains control characters or lone
  surrogates, or had percent-escapes that are not valid UTF-8 (e.g. ``%FF``). A ``%`` that does
  not start an escape is kept literally (``100%`` → ``100%``, canonical ``100%25``).
- Lengths are counted in Unicode code points.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal
from urllib.parse import quote, unquote

import attrs

from tracker_core.errors import InvalidTrackerUrlError

Platform = Literal["STEAM", "EPIC", "XBL", "PSN", "SWITCH"]

CANONICAL_HOST = "rocketleague.tracker.network"
MAX_USERNAME_LENGTH = 100

FORMAT_ERROR = (
    "Invalid tracker URL format. Must be: "
    "https://rocketleague.tracker.network/rocket-league/profile/{platform}/{username}/overview"
)
USERNAME_ERROR = "Invalid username format in tracker URL"
SUPPORTED_PLATFORMS_TEXT = "steam, epic, xbl, psn, switch"

_PLATFORM_ALIASES: dict[str, Platform] = {
    "steam": "STEAM",
    "epic": "EPIC",
    "xbl": "XBL",
    "xbox": "XBL",
    "psn": "PSN",
    "ps": "PSN",
    "playstation": "PSN",
    "switch": "SWITCH",
}

# The query string and fragment are matched (and then dropped) so that they may contain anything.
_URL_RE = re.compile(
    r"(?:https?)://(?:www\.)?(?:rocketleague\.tracker\.network|tracker\.gg)"
    r"(?P<path>/[^?#]*)(?:[?#].*)?",
    re.IGNORECASE | re.DOTALL,
)
_SUBPAGE_RE = re.compile(r"[A-Za-z0-9_-]+")


@attrs.frozen
class TrackerUrl:
    """A validated Rocket League TRN profile URL in canonical form."""

    platform: Platform
    username: str
    canonical_url: str
    api_path: str
    identity: str


def parse_tracker_url(url: str) -> TrackerUrl:
    """Parse a pasted TRN profile URL into its canonical form.

    Raises:
        InvalidTrackerUrlError: with one of the three SPEC §2.2 messages.
    """
    match = _URL_RE.fullmatch(url.strip())
    if match is None:
        raise InvalidTrackerUrlError(FORMAT_ERROR)
    platform_segment, username_segment = _split_profile_path(match["path"])
    platform = _parse_platform(platform_segment)
    username = _decode_username(username_segment)
    lower = platform.lower()
    encoded = quote(username, safe="")
    return TrackerUrl(
        platform=platform,
        username=username,
        canonical_url=f"https://{CANONICAL_HOST}/rocket-league/profile/{lower}/{encoded}/overview",
        api_path=f"{lower}/{encoded}",
        identity=f"{lower}:{username.casefold()}",
    )


def _split_profile_path(path: str) -> tuple[str, str]:
    """Return the raw platform and username segments of ``/rocket-league/profile/p/u[/sub]``."""
    segments = path.rstrip("/").split("/")[1:]
    if len(segments) not in (4, 5):
        raise InvalidTrackerUrlError(FORMAT_ERROR)
    game, profile, platform, username = segments[:4]
    if game.lower() != "rocket-league" or profile.lower() != "profile" or not platform:
        raise InvalidTrackerUrlError(FORMAT_ERROR)
    if len(segments) == 5 and _SUBPAGE_RE.fullmatch(segments[4]) is None:
        raise InvalidTrackerUrlError(FORMAT_ERROR)
    return platform, username


def _parse_platform(segment: str) -> Platform:
    typed = segment.lower()
    platform = _PLATFORM_ALIASES.get(typed)
    if platform is None:
        raise InvalidTrackerUrlError(
            f"Unsupported platform: {typed}. Supported platforms: {SUPPORTED_PLATFORMS_TEXT}"
        )
    return platform


def _decode_username(segment: str) -> str:
    try:
        username = unquote(segment, errors="strict")
    except UnicodeDecodeError:
        raise InvalidTrackerUrlError(USERNAME_ERROR) from None
    if not _is_valid_username(username):
        raise InvalidTrackerUrlError(USERNAME_ERROR)
    return username


def _is_valid_username(username: str) -> bool:
    if not 1 <= len(username) <= MAX_USERNAME_LENGTH or not username.strip():
        return False
    if "/" in username:
        return False
    return not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in username)
