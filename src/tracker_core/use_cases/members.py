"""Use cases of guild membership: the bot's full sync and its member join/update/leave events.

Admin rights, read access and the processing guard are computed from the stored memberships
on every request, so they follow these changes at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from tracker_core.errors import NotFoundError
from tracker_core.guilds import Guild, GuildMember, UserProfile
from tracker_core.ports import Clock, UnitOfWork
from tracker_core.use_cases.common import upsert_user
from tracker_core.use_cases.guilds import GuildData, save_guild


@attrs.frozen(kw_only=True)
class MemberData:
    """One member as the bot sees it."""

    user_id: str
    roles: tuple[str, ...] = ()
    nickname: str | None = None
    profile: UserProfile = attrs.field(factory=UserProfile)

    def membership(self, guild_id: str) -> GuildMember:
        return GuildMember(
            guild_id=guild_id, user_id=self.user_id, roles=self.roles, nickname=self.nickname
        )


@attrs.frozen(kw_only=True)
class SyncGuild:
    """Make the stored guild match Discord: its fields, its admin roles and its members.

    ``guild`` None: a members-only sync of an existing guild. ``admin_roles`` None: keep the
    guild's ``roles.admin`` setting.
    """

    guild_id: str
    members: tuple[MemberData, ...]
    guild: GuildData | None = None
    admin_roles: tuple[str, ...] | None = None


@attrs.frozen
class SyncResult:
    guild: Guild
    members_synced: int


@attrs.frozen(kw_only=True)
class UpdateMember:
    """The supplied fields of one membership (None: not supplied)."""

    guild_id: str
    user_id: str
    username: str | None = None
    nickname: str | None = None
    roles: tuple[str, ...] | None = None


def member_not_found(guild_id: str, user_id: str) -> NotFoundError:
    return NotFoundError(f"Member {user_id} not found in guild {guild_id}")


def _existing_guild(uow: UnitOfWork, guild_id: str) -> Guild:
    guild = uow.guilds.get(guild_id)
    if guild is None:
        raise NotFoundError(f"Guild {guild_id} not found")
    return guild


def upsert_users(uow: UnitOfWork, profiles: Mapping[str, UserProfile], now: datetime) -> None:
    """Create the unknown users and write the supplied fields of the others, in bulk."""
    existing = {user.id: user for user in uow.users.get_many(list(profiles))}
    uow.users.add_many(
        [profile.new_user(uid, now) for uid, profile in profiles.items() if uid not in existing]
    )
    uow.users.save_profiles(
        [user for uid, user in existing.items() if user.apply_profile(profiles[uid], now)]
    )


def sync_guild(cmd: SyncGuild, *, uow: UnitOfWork, clock: Clock) -> SyncResult:
    """Upsert the guild (reactivating it), set its admin roles, upsert the members' users and
    make the membership set equal to ``members`` — all in one transaction.

    Raises:
        NotFoundError: a members-only sync of an unknown guild.
    """
    now = clock.now()
    members = {m.user_id: m for m in cmd.members}  # the last entry of a user wins
    with uow:
        existing = uow.guilds.get(cmd.guild_id)
        if cmd.guild is None:
            guild = _existing_guild(uow, cmd.guild_id)
        else:
            guild = save_guild(uow, cmd.guild_id, cmd.guild, now, existing=existing).guild
        if cmd.admin_roles is not None:
            settings = uow.guilds.settings(cmd.guild_id)
            uow.guilds.save_settings(cmd.guild_id, settings.with_admin_roles(cmd.admin_roles))
        upsert_users(uow, {uid: m.profile for uid, m in members.items()}, now)
        uow.guilds.replace_members(
            cmd.guild_id, [m.membership(cmd.guild_id) for m in members.values()]
        )
        uow.commit()
    return SyncResult(guild, len(members))


def sync_members(
    guild_id: str, members: Sequence[MemberData], *, uow: UnitOfWork, clock: Clock
) -> SyncResult:
    """Members-only sync of an existing guild. Raises NotFoundError."""
    return sync_guild(SyncGuild(guild_id=guild_id, members=tuple(members)), uow=uow, clock=clock)


def add_member(guild_id: str, data: MemberData, *, uow: UnitOfWork, clock: Clock) -> GuildMember:
    """A member joined (or is re-added): the user is created if unknown. Raises NotFoundError."""
    with uow:
        _existing_guild(uow, guild_id)
        upsert_user(uow, data.user_id, data.profile, clock.now())
        member = data.membership(guild_id)
        uow.guilds.save_member(member)
        uow.commit()
    return member


def update_member(cmd: UpdateMember, *, uow: UnitOfWork, clock: Clock) -> GuildMember:
    """Change the supplied fields of a membership (and the user's username).

    Raises:
        NotFoundError: no such guild or member.
    """
    with uow:
        _existing_guild(uow, cmd.guild_id)
        member = uow.guilds.member(cmd.guild_id, cmd.user_id)
        if member is None:
            raise member_not_found(cmd.guild_id, cmd.user_id)
        member = attrs.evolve(
            member,
            nickname=member.nickname if cmd.nickname is None else cmd.nickname,
            roles=member.roles if cmd.roles is None else cmd.roles,
        )
        uow.guilds.save_member(member)
        if cmd.username is not None:
            upsert_user(uow, cmd.user_id, UserProfile(username=cmd.username), clock.now())
        uow.commit()
    return member


def remove_member(guild_id: str, user_id: str, *, uow: UnitOfWork) -> None:
    """A member left: the membership is deleted (the user and trackers stay).

    Raises:
        NotFoundError: no such guild or member.
    """
    with uow:
        _existing_guild(uow, guild_id)
        if not uow.guilds.remove_member(guild_id, user_id):
            raise member_not_found(guild_id, user_id)
        uow.commit()
