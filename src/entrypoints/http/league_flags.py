"""Review flag endpoints for staff on both sides (bot key under ``/internal``, guild-admin JWT
under ``/api``): list a guild's flags and resolve one."""

from __future__ import annotations

import attrs

from entrypoints.http import deps
from entrypoints.http.constraints import USER_ID_MESSAGE, rules, snowflake_rules
from entrypoints.http.league import staff_actor, staff_viewer
from entrypoints.http.routing import RouteTable
from entrypoints.responses import league as js
from tracker_core.errors import ConflictError, ForbiddenError, NotFoundError, RuleViolationError
from tracker_core.flags import FlagKind, FlagStatus, Resolution
from tracker_core.use_cases import flags as uc

BOT = RouteTable("flags_bot", "/internal", "bot", "Bot")
STAFF = RouteTable("flags_staff", "/api", "user", "Staff")
TABLES = (BOT, STAFF)
FLAGS = "/guilds/<guildId>/flags"
STAFF_ERRORS = (NotFoundError, ForbiddenError)


@attrs.frozen
class FlagsQuery:
    """``status`` (open or resolved) and ``kind``; both optional."""

    status: FlagStatus | None = None
    kind: FlagKind | None = None


@attrs.frozen
class ResolveBody:
    """POST …/flags/:flagId/resolve."""

    resolution: Resolution
    note: str | None = attrs.field(default=None, metadata=rules(maxLength=1000))
    actor_id: str | None = attrs.field(default=None, metadata=snowflake_rules(USER_ID_MESSAGE))
    """Bot only: the staff member acting (ignored with a JWT, whose user is the actor)."""


@BOT.route(
    "GET",
    FLAGS,
    summary="A guild's review flags, newest first",
    response="FlagArray",
    query=FlagsQuery,
    errors=STAFF_ERRORS,
)
@STAFF.route(
    "GET",
    FLAGS,
    summary="A guild's review flags, newest first (guild staff)",
    response="FlagArray",
    query=FlagsQuery,
    errors=STAFF_ERRORS,
)
def flags(guildId: str, query: FlagsQuery) -> list[js.Flag]:
    """Filtered by ``status`` and ``kind``."""
    found = deps.use_cases().list_flags(guildId, query.status, query.kind, viewer=staff_viewer())
    return [js.flag(f) for f in found]


@BOT.route(
    "POST",
    FLAGS + "/<flagId>/resolve",
    summary="Resolve a review flag as confirmed or dismissed (audited)",
    response="Flag",
    body=ResolveBody,
    errors=(*STAFF_ERRORS, RuleViolationError, ConflictError),
)
@STAFF.route(
    "POST",
    FLAGS + "/<flagId>/resolve",
    summary="Resolve a review flag as confirmed or dismissed (guild staff)",
    response="Flag",
    body=ResolveBody,
    errors=(*STAFF_ERRORS, RuleViolationError, ConflictError),
)
def resolve(guildId: str, flagId: str, body: ResolveBody) -> js.Flag:
    """The resolved flag."""
    cmd = uc.ResolveFlag(
        guild_id=guildId,
        flag_id=flagId,
        resolution=body.resolution,
        note=body.note,
        actor=staff_actor(body.actor_id),
    )
    return js.flag(deps.use_cases().resolve_flag(cmd, viewer=staff_viewer()))
