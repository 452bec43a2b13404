"""Bot endpoints ``/internal`` (bot API key): guilds, their settings, the bot's full sync,
member events (league MMR: :mod:`league`)."""

from __future__ import annotations

from typing import Any

from flask import Response

from entrypoints.http import deps
from entrypoints.http.requests import (
    GuildBody,
    GuildPatchBody,
    MemberBody,
    MemberPatchBody,
    MembersSyncBody,
    SettingsPatchBody,
    SyncBody,
    SyncMember,
)
from entrypoints.http.routing import RouteTable, answer
from entrypoints.responses import api as res
from entrypoints.responses.base import camel
from tracker_core.errors import (
    ConflictError,
    FieldError,
    NotFoundError,
    RuleViolationError,
    ValidationError,
)
from tracker_core.guilds import UserProfile
from tracker_core.use_cases import guilds as uc
from tracker_core.use_cases import members as mc

ROUTES = RouteTable("guilds", "/internal", "bot", "Bot")
GUILD_DELETED = "Guild deleted successfully"
MEMBER_REMOVED = "Member removed successfully"
GUILD = "/guilds/<except(upsert):guildId>"
MEMBER = "/guild-members/<guildId>/users/<userId>"


def guild_data(body: GuildBody | GuildPatchBody) -> uc.GuildData:
    """The guild fields supplied."""
    return uc.GuildData(
        name=body.name,
        icon=body.icon,
        owner_id=body.owner_id,
        is_active=body.is_active,
        member_count=body.member_count,
    )


@ROUTES.route(
    "POST",
    "/guilds",
    summary="Create a guild",
    response="Guild",
    body=GuildBody,
    errors=(ConflictError,),
)
def create_guild(body: GuildBody) -> res.Guild:
    """The new guild; 409 if it exists."""
    saved = deps.use_cases().create_guild(body.id, guild_data(body))
    return res.guild(saved.guild)


@ROUTES.route(
    "POST",
    "/guilds/upsert",
    summary="Create a guild (201) or update the supplied fields and reactivate it (200)",
    response="Guild",
    body=GuildBody,
    errors=(ConflictError,),
    also=(200,),
)
def upsert_guild(body: GuildBody) -> Response:
    """The saved guild."""
    saved = deps.use_cases().create_guild(body.id, guild_data(body), upsert=True)
    return answer(res.guild(saved.guild), 201 if saved.created else 200)


@ROUTES.route("GET", GUILD, summary="One guild", response="Guild", errors=(NotFoundError,))
def guild(guildId: str) -> res.Guild:
    """The guild."""
    return res.guild(deps.use_cases().get_guild(guildId))


@ROUTES.route(
    "PATCH",
    GUILD,
    summary="Update the supplied fields of a guild",
    response="Guild",
    body=GuildPatchBody,
    errors=(NotFoundError, ConflictError),
)
def update_guild(guildId: str, body: GuildPatchBody) -> res.Guild:
    """The updated guild."""
    updated = deps.use_cases().update_guild(guildId, guild_data(body))
    return res.guild(updated)


@ROUTES.route(
    "DELETE",
    GUILD,
    summary="Delete a guild with its settings and memberships",
    response="Deleted",
    errors=(NotFoundError,),
)
def delete_guild(guildId: str) -> res.Deleted:
    """``{message, id}``."""
    return res.Deleted(GUILD_DELETED, deps.use_cases().delete_guild(guildId).id)


@ROUTES.route(
    "GET",
    "/guilds/<guildId>/settings",
    summary="A guild's settings, defaults applied",
    response="GuildSettings",
    errors=(NotFoundError,),
)
def settings(guildId: str) -> res.GuildSettings:
    """The settings."""
    return res.settings(deps.use_cases().get_settings(guildId))


def settings_patch(body: SettingsPatchBody) -> dict[str, Any]:
    """The supplied sections of a settings patch by their JSON names."""
    sections = {
        "tracker_processing": body.tracker_processing,
        "roles": body.roles,
        "mmr_calculation": body.mmr_calculation,
        "notifications": body.notifications,
        "eligibility": body.eligibility,
        "flags": body.flags,
    }
    return {camel(name): value for name, value in sections.items() if value is not None}


@ROUTES.route(
    "PATCH",
    "/guilds/<guildId>/settings",
    summary="Merge sections into a guild's settings",
    response="GuildSettings",
    body=SettingsPatchBody,
    errors=(NotFoundError, RuleViolationError),
)
def update_settings(guildId: str, body: SettingsPatchBody) -> res.GuildSettings:
    """The merged, validated settings."""
    return res.settings(deps.use_cases().update_settings(guildId, settings_patch(body)))


def member_data(m: SyncMember) -> mc.MemberData:
    """One member of a sync body."""
    return mc.MemberData(
        user_id=m.user_id,
        roles=tuple(m.roles),
        nickname=m.nickname,
        profile=UserProfile(username=m.username, global_name=m.global_name, avatar=m.avatar),
    )


def sync_result(result: mc.SyncResult) -> res.SyncResult:
    """``{guild, membersSynced}``."""
    return res.SyncResult(res.guild(result.guild), result.members_synced)


@ROUTES.route(
    "POST",
    "/guilds/<guildId>/sync",
    summary="Upsert a guild, its admin roles and its complete member set in one transaction",
    response="SyncResult",
    body=SyncBody,
    errors=(NotFoundError, ConflictError),
    also=(200,),
)
def sync(guildId: str, body: SyncBody) -> Response:
    """``{guild, membersSynced}`` (200)."""
    guild_info = None
    if body.guild is not None:
        if body.guild.id != guildId:
            message = "guild.id must be the guild id of the path"
            raise ValidationError([FieldError("guild.id", message)], message=message)
        guild_info = uc.GuildData(
            name=body.guild.name,
            icon=body.guild.icon,
            owner_id=body.guild.owner_id,
            member_count=body.guild.member_count,
        )
    admin = body.roles.admin if body.roles is not None else None
    cmd = mc.SyncGuild(
        guild_id=guildId,
        members=tuple(member_data(m) for m in body.members),
        guild=guild_info,
        admin_roles=None if admin is None else tuple(role.id for role in admin),
    )
    return answer(sync_result(deps.use_cases().sync_guild(cmd)), 200)


@ROUTES.route(
    "POST",
    "/guild-members",
    summary="A member joined a guild (the user is created if unknown)",
    response="GuildMember",
    body=MemberBody,
    errors=(NotFoundError,),
)
def add_member(body: MemberBody) -> res.GuildMember:
    """The membership."""
    data = mc.MemberData(
        user_id=body.user_id,
        roles=tuple(body.roles or ()),
        nickname=body.nickname,
        profile=UserProfile(
            username=body.username, global_name=body.global_name, avatar=body.avatar
        ),
    )
    return res.member(deps.use_cases().add_member(body.guild_id, data))


@ROUTES.route(
    "POST",
    "/guild-members/<guildId>/sync",
    summary="Replace an existing guild's member set",
    response="SyncResult",
    body=MembersSyncBody,
    errors=(NotFoundError, ConflictError),
    also=(200,),
)
def sync_members(guildId: str, body: MembersSyncBody) -> Response:
    """``{guild, membersSynced}`` (200)."""
    members = [member_data(m) for m in body.members]
    result = deps.use_cases().sync_members(guildId, members)
    return answer(sync_result(result), 200)


@ROUTES.route(
    "PATCH",
    MEMBER,
    summary="Update a member's username, nickname or roles",
    response="GuildMember",
    body=MemberPatchBody,
    errors=(NotFoundError, ConflictError),
)
def update_member(guildId: str, userId: str, body: MemberPatchBody) -> res.GuildMember:
    """The updated membership."""
    cmd = mc.UpdateMember(
        guild_id=guildId,
        user_id=userId,
        username=body.username,
        nickname=body.nickname,
        roles=None if body.roles is None else tuple(body.roles),
    )
    return res.member(deps.use_cases().update_member(cmd))


@ROUTES.route(
    "DELETE",
    MEMBER,
    summary="A member left a guild",
    response="Message",
    errors=(NotFoundError,),
)
def remove_member(guildId: str, userId: str) -> res.Message:
    """``{message}``."""
    deps.use_cases().remove_member(guildId, userId)
    return res.Message(MEMBER_REMOVED)
