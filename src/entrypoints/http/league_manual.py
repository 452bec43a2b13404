"""Manual entry for staff on both sides (bot key under ``/internal``, guild-admin JWT under
``/api``): a member's ratings when the source refuses a profile or is wrong."""

from __future__ import annotations

import attrs

from entrypoints.http import deps
from entrypoints.http.constraints import CUID_PATTERN, USER_ID_MESSAGE, rules, snowflake_rules
from entrypoints.http.league import staff_actor, staff_viewer
from entrypoints.http.requests import CUID_MESSAGE, GAMES, RATING
from entrypoints.http.routing import RouteTable
from entrypoints.responses import api as res
from entrypoints.responses import league as js
from tracker_core.errors import ForbiddenError, NotFoundError, RuleViolationError
from tracker_core.stats import RankedPlaylist
from tracker_core.use_cases import manual as uc

BOT = RouteTable("manual_bot", "/internal", "bot", "Bot")
STAFF = RouteTable("manual_staff", "/api", "user", "Staff")
TABLES = (BOT, STAFF)
PATH = "/guilds/<guildId>/members/<userId>/manual-ratings"
ERRORS = (NotFoundError, ForbiddenError, RuleViolationError)
PLAYLISTS: dict[str, RankedPlaylist] = {
    "ones": "1v1",
    "twos": "2v2",
    "threes": "3v3",
    "fours": "4v4",
}


@attrs.frozen
class ManualPlaylistBody:
    """One playlist's numbers as the staff read them."""

    rating: int = attrs.field(metadata=rules(**RATING))
    games_played: int = attrs.field(metadata=rules(**GAMES))
    peak: int | None = attrs.field(default=None, metadata=rules(**RATING))


@attrs.frozen
class ManualPlaylistsBody:
    """The playlists entered (at least one)."""

    ones: ManualPlaylistBody | None = None
    twos: ManualPlaylistBody | None = None
    threes: ManualPlaylistBody | None = None
    fours: ManualPlaylistBody | None = None


@attrs.frozen
class ManualRatingsBody:
    """POST …/members/:userId/manual-ratings."""

    tracker_id: str = attrs.field(metadata=rules(message=CUID_MESSAGE, pattern=CUID_PATTERN))
    season_number: int = attrs.field(metadata=rules(minimum=1, maximum=1000))
    playlists: ManualPlaylistsBody
    note: str = attrs.field(metadata=rules(minLength=1, maxLength=1000))
    evidence_url: str | None = attrs.field(
        default=None, metadata=rules(maxLength=2048, pattern=r"^https?://")
    )
    actor_id: str | None = attrs.field(default=None, metadata=snowflake_rules(USER_ID_MESSAGE))
    """Bot only: the staff member acting (ignored with a JWT, whose user is the actor)."""


@BOT.route(
    "POST",
    PATH,
    summary="Enter a member's ratings for one season of one tracker (manual snapshot)",
    response="ManualRating",
    body=ManualRatingsBody,
    errors=ERRORS,
)
@STAFF.route(
    "POST",
    PATH,
    summary="Enter a member's ratings for one season of one tracker (guild staff)",
    response="ManualRating",
    body=ManualRatingsBody,
    errors=ERRORS,
)
def manual_ratings(guildId: str, userId: str, body: ManualRatingsBody) -> js.ManualRating:
    """``{snapshot, evidenceUrl, note}``: the MANUAL snapshot with who entered it."""
    entered = {
        PLAYLISTS[key]: uc.ManualPlaylist(value.rating, value.games_played, value.peak)
        for key in PLAYLISTS
        if (value := getattr(body.playlists, key)) is not None
    }
    cmd = uc.EnterManualRatings(
        guild_id=guildId,
        user_id=userId,
        tracker_id=body.tracker_id,
        season_number=body.season_number,
        playlists=entered,
        actor=staff_actor(body.actor_id),
        evidence_url=body.evidence_url,
        note=body.note,
    )
    snapshot = deps.use_cases().enter_manual_ratings(cmd, viewer=staff_viewer())
    return js.ManualRating(res.snapshot(snapshot), body.evidence_url, body.note)
