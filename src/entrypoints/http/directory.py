"""Bot endpoints ``/internal`` (bot API key): users, staff registration, guilds, settings,
membership sync and league MMR."""

from __future__ import annotations

from typing import Any

from entrypoints import serializers as ser
from entrypoints.http import deps
from entrypoints.http.constraints import camel
from entrypoints.http.internal import profile
from entrypoints.http.requests import (
    CreateUserBody,
    GuildBody,
    GuildPatchBody,
    PageQuery,
    SettingsPatchBody,
    StaffRegisterBody,
    SyncBody,
    UserData,
)
from entrypoints.http.routing import RouteTable
from tracker_core.errors import Conflict, Forbidden, NotFound, RuleViolation
from tracker_core.guilds import UserProfile
from tracker_core.use_cases import guilds as uc
from tracker_core.use_cases.trackers import RegisterTrackers

ROUTES = RouteTable("directory", "/internal", "bot", "Bot")
USER_DELETED = "User deleted successfully"
GUILD_DELETED = "Guild deleted successfully"
USER = "/users/<except('register-by-staff'):userId>"
GUILD = "/guilds/<except(upsert):guildId>"


@ROUTES.route("GET", "/users", summary="Users, paged", response="UserPage", query=PageQuery)
def users(query: PageQuery) -> ser.Json:
    """Every user, oldest first."""
    found, total = uc.list_users(query.page, query.limit, uow=deps.uow())
    return ser.page([ser.user(u) for u in found], total, query.page, query.limit)


@ROUTES.route(
    "POST",
    "/users",
    summary="Create a user (or update the supplied fields)",
    response="User",
    body=CreateUserBody,
    errors=(Conflict,),
)
def create_user(body: CreateUserBody) -> ser.Json:
    """The saved user."""
    data = UserProfile(
        username=body.username, global_name=body.global_name, avatar=body.avatar, email=body.email
    )
    return ser.user(uc.save_user(body.id, data, uow=deps.uow(), clock=deps.clock()))


@ROUTES.route("GET", USER, summary="One user", response="User", errors=(NotFound,))
def user(userId: str) -> ser.Json:
    """The user."""
    return ser.user(uc.get_user(userId, uow=deps.uow()))


@ROUTES.route(
    "PATCH",
    USER,
    summary="Update the supplied fields of a user",
    response="User",
    body=UserData,
    errors=(NotFound, Conflict),
)
def update_user(userId: str, body: UserData) -> ser.Json:
    """The updated user."""
    data = UserProfile(
        username=body.username, global_name=body.global_name, avatar=body.avatar, email=body.email
    )
    return ser.user(uc.update_user(userId, data, uow=deps.uow(), clock=deps.clock()))


@ROUTES.route(
    "DELETE",
    USER,
    summary="Delete a user (trackers soft-deleted, memberships dropped)",
    response="Deleted",
    errors=(NotFound, Conflict),
)
def delete_user(userId: str) -> ser.Json:
    """``{message, id}``."""
    gone = uc.delete_user(userId, uow=deps.uow(), clock=deps.clock())
    return ser.message(USER_DELETED, id=gone.id)


@ROUTES.route(
    "POST",
    "/users/register-by-staff",
    summary="A guild admin registers trackers for a member",
    response="StaffRegistration",
    body=StaffRegisterBody,
    errors=(NotFound, Forbidden, RuleViolation, Conflict),
)
def register_by_staff(body: StaffRegisterBody) -> ser.Json:
    """``{user, trackers: {count, items}}``."""
    cmd = uc.RegisterByStaff(
        staff_user_id=body.staff_user_id,
        guild_id=body.guild_id,
        register=RegisterTrackers(
            user_id=body.user_id,
            urls=tuple(body.urls),
            profile=profile(body.user_data),
            channel_id=body.channel_id,
            interaction_token=body.interaction_token,
        ),
    )
    found, trackers = uc.register_by_staff(
        cmd, uow=deps.uow(), queue=deps.queue(), clock=deps.clock()
    )
    return ser.staff_registration(found, trackers)


def guild_data(body: GuildBody | GuildPatchBody) -> uc.GuildData:
    """The guild fields supplied."""
    return uc.GuildData(
        name=body.name, icon=body.icon, owner_id=body.owner_id, is_active=body.is_active
    )


@ROUTES.route(
    "POST",
    "/guilds",
    summary="Create a guild",
    response="Guild",
    body=GuildBody,
    errors=(Conflict,),
)
def create_guild(body: GuildBody) -> ser.Json:
    """The new guild; 409 if it exists."""
    made = uc.create_guild(body.id, guild_data(body), uow=deps.uow(), clock=deps.clock())
    return ser.guild(made)


@ROUTES.route(
    "POST",
    "/guilds/upsert",
    summary="Create a guild or update the supplied fields",
    response="Guild",
    body=GuildBody,
    errors=(Conflict,),
)
def upsert_guild(body: GuildBody) -> ser.Json:
    """The saved guild."""
    made = uc.create_guild(
        body.id, guild_data(body), uow=deps.uow(), clock=deps.clock(), upsert=True
    )
    return ser.guild(made)


@ROUTES.route("GET", GUILD, summary="One guild", response="Guild", errors=(NotFound,))
def guild(guildId: str) -> ser.Json:
    """The guild."""
    return ser.guild(uc.get_guild(guildId, uow=deps.uow()))


@ROUTES.route(
    "PATCH",
    GUILD,
    summary="Update the supplied fields of a guild",
    response="Guild",
    body=GuildPatchBody,
    errors=(NotFound, Conflict),
)
def update_guild(guildId: str, body: GuildPatchBody) -> ser.Json:
    """The updated guild."""
    updated = uc.update_guild(guildId, guild_data(body), uow=deps.uow(), clock=deps.clock())
    return ser.guild(updated)


@ROUTES.route(
    "DELETE",
    GUILD,
    summary="Delete a guild with its settings and memberships",
    response="Deleted",
    errors=(NotFound,),
)
def delete_guild(guildId: str) -> ser.Json:
    """``{message, id}``."""
    return ser.message(GUILD_DELETED, id=uc.delete_guild(guildId, uow=deps.uow()).id)


@ROUTES.route(
    "GET",
    "/guilds/<guildId>/settings",
    summary="A guild's settings, defaults applied",
    response="GuildSettings",
    errors=(NotFound,),
)
def settings(guildId: str) -> ser.Json:
    """The settings."""
    return ser.settings(uc.get_settings(guildId, uow=deps.uow()))


@ROUTES.route(
    "PATCH",
    "/guilds/<guildId>/settings",
    summary="Merge sections into a guild's settings",
    response="GuildSettings",
    body=SettingsPatchBody,
    errors=(NotFound, RuleViolation),
)
def update_settings(guildId: str, body: SettingsPatchBody) -> ser.Json:
    """The merged, validated settings."""
    patch: dict[str, Any] = {
        camel(name): value for name, value in vars_of(body).items() if value is not None
    }
    return ser.settings(uc.update_settings(guildId, patch, uow=deps.uow()))


def vars_of(body: SettingsPatchBody) -> dict[str, Any]:
    """The supplied sections of a settings patch by attribute name."""
    return {
        "tracker_processing": body.tracker_processing,
        "roles": body.roles,
        "mmr_calculation": body.mmr_calculation,
        "notifications": body.notifications,
    }


@ROUTES.route(
    "POST",
    "/guilds/<guildId>/sync",
    summary="Replace a guild's membership set",
    response="SyncResult",
    body=SyncBody,
    errors=(NotFound, Conflict),
)
def sync(guildId: str, body: SyncBody) -> ser.Json:
    """``{guildId, synced}``."""
    members = [
        uc.MemberData(
            user_id=m.user_id,
            roles=tuple(m.roles),
            nickname=m.nickname,
            profile=UserProfile(username=m.username, global_name=m.global_name, avatar=m.avatar),
        )
        for m in body.members
    ]
    rows = uc.sync_members(guildId, members, uow=deps.uow(), clock=deps.clock())
    return {"guildId": guildId, "synced": len(rows)}


@ROUTES.route(
    "GET",
    "/guilds/<guildId>/mmr",
    summary="The members' league MMR, highest first",
    response="RatingArray",
    errors=(NotFound,),
)
def mmr(guildId: str) -> list[ser.Json]:
    """Stored ratings of the guild's members."""
    return [ser.rating(r) for r in uc.guild_mmr(guildId, uow=deps.uow())]
