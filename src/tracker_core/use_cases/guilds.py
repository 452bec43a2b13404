"""Use cases of users, guilds, settings, memberships, staff registration and league MMR."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from tracker_core.errors import Conflict, Forbidden, NotFound, RuleViolation
from tracker_core.guilds import Guild, GuildMember, GuildSettings, User, UserProfile, is_guild_admin
from tracker_core.mmr import PlayerRating
from tracker_core.model import Tracker
from tracker_core.ports import Clock, JobQueue, UnitOfWork
from tracker_core.use_cases.common import upsert_user
from tracker_core.use_cases.trackers import RegisterTrackers, register_trackers


@attrs.frozen(kw_only=True)
class GuildData:
    """Guild fields supplied by the bot (None: not supplied)."""

    name: str | None = None
    icon: str | None = None
    owner_id: str | None = None
    is_active: bool | None = None


@attrs.frozen(kw_only=True)
class MemberData:
    """One member of a membership sync."""

    user_id: str
    roles: tuple[str, ...] = ()
    nickname: str | None = None
    profile: UserProfile = attrs.field(factory=UserProfile)


@attrs.frozen(kw_only=True)
class RegisterByStaff:
    staff_user_id: str
    guild_id: str
    register: RegisterTrackers


def _user(uow: UnitOfWork, user_id: str) -> User:
    user = uow.users.get(user_id)
    if user is None:
        raise NotFound(f"User {user_id} not found")
    return user


def _guild(uow: UnitOfWork, guild_id: str) -> Guild:
    guild = uow.guilds.get(guild_id)
    if guild is None:
        raise NotFound(f"Guild {guild_id} not found")
    return guild


def save_user(user_id: str, profile: UserProfile, *, uow: UnitOfWork, clock: Clock) -> User:
    """Create the user or update the supplied fields."""
    with uow:
        user = upsert_user(uow, user_id, profile, clock.now())
        uow.commit()
    return user


def get_user(user_id: str, *, uow: UnitOfWork) -> User:
    """Raises NotFound."""
    with uow:
        return _user(uow, user_id)


def list_users(page: int, limit: int, *, uow: UnitOfWork) -> tuple[list[User], int]:
    with uow:
        return uow.users.list(page, limit)


def update_user(user_id: str, profile: UserProfile, *, uow: UnitOfWork, clock: Clock) -> User:
    """Update the supplied fields of an existing user. Raises NotFound."""
    with uow:
        user = _user(uow, user_id)
        if user.apply_profile(profile, clock.now()):
            uow.users.save(user)
        uow.commit()
    return user


def delete_user(user_id: str, *, uow: UnitOfWork, clock: Clock) -> User:
    """Remove a user: their trackers are soft-deleted and memberships dropped.

    Raises:
        NotFound.
    """
    with uow:
        user = _user(uow, user_id)
        for tracker in uow.trackers.for_user(user_id):
            tracker.soft_delete(clock.now())
            uow.trackers.save(tracker)
        uow.users.delete(user_id)
        uow.commit()
    return user


def create_guild(
    guild_id: str, data: GuildData, *, uow: UnitOfWork, clock: Clock, upsert: bool = False
) -> Guild:
    """Create a guild (or, with ``upsert``, update an existing one).

    Raises:
        Conflict: it exists and ``upsert`` is False.
    """
    now = clock.now()
    with uow:
        guild = uow.guilds.get(guild_id)
        if guild is not None and not upsert:
            raise Conflict(f"Guild {guild_id} already exists")
        if guild is None:
            guild = Guild(id=guild_id, name=data.name or guild_id, created_at=now, updated_at=now)
            _apply_guild(guild, data, now)
            uow.guilds.add(guild)
        elif _apply_guild(guild, data, now):
            uow.guilds.save(guild)
        uow.commit()
    return guild


def _apply_guild(guild: Guild, data: GuildData, now: Any) -> bool:
    changed = False
    for name in ("name", "icon", "owner_id", "is_active"):
        value = getattr(data, name)
        if value is not None and getattr(guild, name) != value:
            setattr(guild, name, value)
            changed = True
    if changed:
        guild.updated_at = now
    return changed


def get_guild(guild_id: str, *, uow: UnitOfWork) -> Guild:
    """Raises NotFound."""
    with uow:
        return _guild(uow, guild_id)


def update_guild(guild_id: str, data: GuildData, *, uow: UnitOfWork, clock: Clock) -> Guild:
    """Raises NotFound."""
    with uow:
        guild = _guild(uow, guild_id)
        if _apply_guild(guild, data, clock.now()):
            uow.guilds.save(guild)
        uow.commit()
    return guild


def delete_guild(guild_id: str, *, uow: UnitOfWork) -> Guild:
    """Remove a guild with its settings and memberships. Raises NotFound."""
    with uow:
        guild = _guild(uow, guild_id)
        uow.guilds.delete(guild_id)
        uow.commit()
    return guild


def get_settings(guild_id: str, *, uow: UnitOfWork) -> GuildSettings:
    """Raises NotFound."""
    with uow:
        _guild(uow, guild_id)
        return uow.guilds.settings(guild_id)


def update_settings(guild_id: str, patch: Mapping[str, Any], *, uow: UnitOfWork) -> GuildSettings:
    """Merge a partial settings object, validated (formulas compiled) before saving.

    Raises:
        NotFound, ValidationFailed, InvalidFormulaError.
    """
    with uow:
        _guild(uow, guild_id)
        settings = uow.guilds.settings(guild_id).merged(patch)
        uow.guilds.save_settings(guild_id, settings)
        uow.commit()
    return settings


def sync_members(
    guild_id: str, members: Sequence[MemberData], *, uow: UnitOfWork, clock: Clock
) -> list[GuildMember]:
    """Replace the guild's membership set, upserting the members' users.

    Raises:
        NotFound.
    """
    now = clock.now()
    with uow:
        _guild(uow, guild_id)
        rows = []
        for data in members:
            upsert_user(uow, data.user_id, data.profile, now)
            rows.append(
                GuildMember(
                    guild_id=guild_id,
                    user_id=data.user_id,
                    roles=tuple(data.roles),
                    nickname=data.nickname,
                )
            )
        uow.guilds.replace_members(guild_id, rows)
        uow.commit()
    return rows


def guild_mmr(guild_id: str, *, uow: UnitOfWork) -> list[PlayerRating]:
    """The stored MMR of the guild's members, highest first. Raises NotFound."""
    with uow:
        _guild(uow, guild_id)
        return uow.ratings.for_guild(guild_id)


def register_by_staff(
    cmd: RegisterByStaff, *, uow: UnitOfWork, queue: JobQueue, clock: Clock
) -> tuple[User, list[Tracker]]:
    """A guild admin registers trackers for a member of that guild.

    Raises:
        NotFound, Forbidden (staff is not a guild admin), RuleViolation (not a member), and
        everything ``register_trackers`` raises.
    """
    with uow:
        _guild(uow, cmd.guild_id)
        settings = uow.guilds.settings(cmd.guild_id)
        if not is_guild_admin(uow.guilds.member(cmd.guild_id, cmd.staff_user_id), settings):
            raise Forbidden("Only guild admins can register trackers for other users")
        target = uow.guilds.member(cmd.guild_id, cmd.register.user_id)
        if target is None or not target.is_current:
            raise RuleViolation(
                f"User {cmd.register.user_id} is not a member of guild {cmd.guild_id}"
            )
    trackers = register_trackers(cmd.register, uow=uow, queue=queue, clock=clock)
    with uow:
        return _user(uow, cmd.register.user_id), trackers
