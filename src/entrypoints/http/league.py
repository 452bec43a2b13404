"""League endpoints for staff on both sides -- the bot (``/internal``, bot key) and guild admins
(``/api``, JWT) -- and a player's own pull rows: standings with eligibility, numbers pulls,
their CSV, diffs and overrides.

Each staff view is declared on both tables; the side is read from the request's blueprint, so
the bot acts as the guild's staff and a user must be one of its admins.
"""

from __future__ import annotations

from typing import Literal

import attrs
from flask import Response, request

from entrypoints.http import deps
from entrypoints.http.constraints import USER_ID_MESSAGE, rules, snowflake_rules
from entrypoints.http.requests import PageQuery
from entrypoints.http.routing import RouteTable
from entrypoints.responses import api as res
from entrypoints.responses import league as js
from tracker_core.errors import ConflictError, ForbiddenError, NotFoundError, RuleViolationError
from tracker_core.use_cases import league as uc
from tracker_core.use_cases.queries import Viewer

BOT = RouteTable("league_bot", "/internal", "bot", "Bot")
STAFF = RouteTable("league_staff", "/api", "user", "Staff")
PLAYER = RouteTable("league_player", "/api", "user", "Trackers")
TABLES = (BOT, STAFF, PLAYER)
STAFF_ERRORS = (NotFoundError, ForbiddenError)
GUILD = "/guilds/<guildId>"
PULL = GUILD + "/pulls/<pullId>"


@attrs.frozen
class PullBody:
    """POST …/pulls: a name for the pull and an optional note."""

    name: str = attrs.field(metadata=rules(minLength=1, maxLength=100))
    note: str | None = attrs.field(default=None, metadata=rules(maxLength=1000))
    actor_id: str | None = attrs.field(default=None, metadata=snowflake_rules(USER_ID_MESSAGE))
    """Bot only: the staff member acting (ignored with a JWT, whose user is the actor)."""


@attrs.frozen
class OverrideBody:
    """PUT …/pulls/:pullId/members/:userId/override."""

    mmr: int = attrs.field(metadata=rules(minimum=0, maximum=100000))
    reason: str = attrs.field(metadata=rules(minLength=1, maxLength=500))
    actor_id: str | None = attrs.field(default=None, metadata=snowflake_rules(USER_ID_MESSAGE))
    """Bot only: the staff member acting (ignored with a JWT, whose user is the actor)."""


@attrs.frozen
class PullRowsQuery(PageQuery):
    """Paging plus ``filter``: only eligible, ineligible or stale rows."""

    filter: Literal["eligible", "ineligible", "stale"] | None = None


def staff_viewer() -> Viewer | None:
    """None for the bot (``/internal``); the user (who must be the guild's staff) otherwise."""
    if request.path.startswith("/internal/"):
        return None
    return deps.principal().viewer


def staff_actor(actor_id: str | None) -> str:
    """Who acts: ``bot:<actorId>`` (or ``bot``) on the bot side, the JWT's user otherwise."""
    if request.path.startswith("/internal/"):
        return f"bot:{actor_id}" if actor_id else "bot"
    return deps.principal().user_id


@BOT.route(
    "GET",
    GUILD + "/mmr",
    summary="Members' league MMR from their strongest tracker, with eligibility, highest first",
    response="StandingArray",
    errors=STAFF_ERRORS,
)
@STAFF.route(
    "GET",
    GUILD + "/mmr",
    summary="Members' league MMR from their strongest tracker, with eligibility (guild staff)",
    response="StandingArray",
    errors=STAFF_ERRORS,
)
def mmr(guildId: str) -> list[js.Standing]:
    """One row per current member with data, computed now under the guild's settings."""
    found = deps.use_cases().guild_standings(guildId, viewer=staff_viewer())
    now = deps.clock().now()
    return [js.standing(guildId, s, now) for s in found]


@BOT.route(
    "GET",
    GUILD + "/members/<userId>/eligibility",
    summary="One member's eligibility, with the reasons and the games counted",
    response="MemberEligibility",
    errors=STAFF_ERRORS,
)
@STAFF.route(
    "GET",
    GUILD + "/members/<userId>/eligibility",
    summary="One member's eligibility, with the reasons and the games counted (guild staff)",
    response="MemberEligibility",
    errors=STAFF_ERRORS,
)
def eligibility(guildId: str, userId: str) -> js.MemberEligibility:
    """``{eligible, reasons, games, ...}``; 404 when the user is not a current member."""
    s = deps.use_cases().member_standing(guildId, userId, viewer=staff_viewer())
    return js.member_eligibility(guildId, userId, s)


@BOT.route(
    "POST",
    GUILD + "/pulls",
    summary="Freeze every member's numbers into the guild's next numbered pull",
    response="Pull",
    body=PullBody,
    errors=(*STAFF_ERRORS, ConflictError),
)
@STAFF.route(
    "POST",
    GUILD + "/pulls",
    summary="Freeze every member's numbers into the guild's next numbered pull (guild staff)",
    response="Pull",
    body=PullBody,
    errors=(*STAFF_ERRORS, ConflictError),
)
def create_pull(guildId: str, body: PullBody) -> js.Pull:
    """The new pull (its rows: ``GET …/pulls/:pullId``)."""
    cmd = uc.CreatePull(
        guild_id=guildId, name=body.name, note=body.note, actor=staff_actor(body.actor_id)
    )
    return js.pull(deps.use_cases().create_pull(cmd, viewer=staff_viewer()))


@BOT.route(
    "GET",
    GUILD + "/pulls",
    summary="The guild's pulls, newest first",
    response="PullArray",
    errors=STAFF_ERRORS,
)
@STAFF.route(
    "GET",
    GUILD + "/pulls",
    summary="The guild's pulls, newest first (guild staff)",
    response="PullArray",
    errors=STAFF_ERRORS,
)
def pulls(guildId: str) -> list[js.Pull]:
    """Pull headers."""
    return [js.pull(p) for p in deps.use_cases().list_pulls(guildId, viewer=staff_viewer())]


@BOT.route(
    "GET",
    PULL,
    summary="One pull with a page of its frozen rows",
    response="PullPage",
    query=PullRowsQuery,
    errors=STAFF_ERRORS,
)
@STAFF.route(
    "GET",
    PULL,
    summary="One pull with a page of its frozen rows (guild staff)",
    response="PullPage",
    query=PullRowsQuery,
    errors=STAFF_ERRORS,
)
def pull_page(guildId: str, pullId: str, query: PullRowsQuery) -> js.PullPage:
    """``{pull, data, pagination}``; rows highest MMR first, members without data last."""
    found = deps.use_cases().get_pull(
        guildId, pullId, query.filter, query.page, query.limit, viewer=staff_viewer()
    )
    rows = [js.pull_row(found.pull, r, found.overrides.get(r.user_id)) for r in found.rows]
    return js.PullPage(
        js.pull(found.pull), rows, res.pagination(found.total, query.page, query.limit)
    )


@BOT.route(
    "GET",
    PULL + ".csv",
    summary="One pull as CSV, one line per member",
    response="PullCsv",
    errors=STAFF_ERRORS,
    media_type="text/csv",
)
@STAFF.route(
    "GET",
    PULL + ".csv",
    summary="One pull as CSV, one line per member (guild staff)",
    response="PullCsv",
    errors=STAFF_ERRORS,
    media_type="text/csv",
)
def pull_csv(guildId: str, pullId: str) -> Response:
    """A header line, then the rows in pull order (overrides beside the computed MMR)."""
    found = deps.use_cases().export_pull(guildId, pullId, viewer=staff_viewer())
    filename = f"pull-{found.pull.number}.csv"
    return Response(
        js.pull_csv(found),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@BOT.route(
    "GET",
    PULL + "/diff/<otherPullId>",
    summary="Who moved between two pulls, by how much, who appeared or disappeared",
    response="PullDiff",
    errors=STAFF_ERRORS,
)
@STAFF.route(
    "GET",
    PULL + "/diff/<otherPullId>",
    summary="Who moved between two pulls (guild staff)",
    response="PullDiff",
    errors=STAFF_ERRORS,
)
def pull_diff(guildId: str, pullId: str, otherPullId: str) -> js.PullDiff:
    """Effective MMRs of pull ``pullId`` (before) against ``otherPullId`` (after)."""
    found = deps.use_cases().compare_pulls(guildId, pullId, otherPullId, viewer=staff_viewer())
    return js.pull_diff(found.a, found.b, found.diff)


@BOT.route(
    "PUT",
    PULL + "/members/<userId>/override",
    summary="Set a staff MMR beside a member's frozen number, with a reason (audited)",
    response="PullRow",
    body=OverrideBody,
    errors=(*STAFF_ERRORS, RuleViolationError),
)
@STAFF.route(
    "PUT",
    PULL + "/members/<userId>/override",
    summary="Set a staff MMR beside a member's frozen number, with a reason (guild staff)",
    response="PullRow",
    body=OverrideBody,
    errors=(*STAFF_ERRORS, RuleViolationError),
)
def override_row(guildId: str, pullId: str, userId: str, body: OverrideBody) -> js.PullRow:
    """The frozen row with the new override beside it."""
    cmd = uc.OverridePullRow(
        guild_id=guildId,
        pull_id=pullId,
        user_id=userId,
        mmr=body.mmr,
        reason=body.reason,
        actor=staff_actor(body.actor_id),
    )
    done = deps.use_cases().override_pull_row(cmd, viewer=staff_viewer())
    return js.pull_row(done.pull, done.row, done.override)


@PLAYER.route(
    "GET",
    "/trackers/me/pulls",
    summary="The caller's own row in every pull of their guilds, newest first",
    response="OwnPullRowArray",
)
def my_pulls() -> list[js.OwnPullRow]:
    """``[{guildId, pull, row}]``."""
    user_id = deps.principal().user_id
    return [
        js.OwnPullRow(o.pull.guild_id, js.pull(o.pull), js.pull_row(o.pull, o.row, o.override))
        for o in deps.use_cases().my_pull_rows(user_id)
    ]
