"""Use cases of users, guilds, settings, memberships, staff registration and league MMR."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from tracker_core.errors import ConflictError, ForbiddenError, NotFoundError, RuleViolationError
from tracker_core.guilds import Guild, GuildSettings, User, UserProfile, is_guild_admin
from tracker_core.model import AuditEntry, Tracker
from tracker_core.policy import Policy
from tracker_core.ports import Clock, JobQueue, UnitOfWork
from tracker_core.use_cases.common import upsert_user
from tracker_core.use_cases.queries import Viewer
from tracker_core.use_cases.trackers import RegisterTrackers, register_trackers

GUILD_ADMIN_ONLY = "Only admins of this guild can do this"


@attrs.frozen(kw_only=True)
class GuildData:
    """Guild fields supplied by the bot (None: not supplied)."""

    name: str | None = None
    icon: str | None = None
    owner_id: str | None = None
    is_active: bool | None = None
    member_count: int | None = None


@attrs.frozen
class SavedGuild:
    """A guild as saved, and whether this call created it."""

    guild: Guild
    created: bool


@attrs.frozen(kw_only=True)
class RegisterByStaff:
    staff_user_id: str
    guild_id: str
    register: RegisterTrackers


def _user(uow: UnitOfWork, user_id: str) -> User:
    user = uow.users.get(user_id)
    if user is None:
        raise NotFoundError(f"User {user_id} not found")
    return user


def _guild(uow: UnitOfWork, guild_id: str) -> Guild:
    guild = uow.guilds.get(guild_id)
    if guild is None:
        raise NotFoundError(f"Guild {guild_id} not found")
    return guild


def save_user(user_id: str, profile: UserProfile, *, uow: UnitOfWork, clock: Clock) -> User:
    """Create the user or update the supplied fields."""
    with uow:
        user = upsert_user(uow, user_id, profile, clock.now())
        uow.commit()
    return user


def get_user(user_id: str, *, uow: UnitOfWork) -> User:
    """Raises NotFoundError."""
    with uow:
        return _user(uow, user_id)


def list_users(page: int, limit: int, *, uow: UnitOfWork) -> tuple[list[User], int]:
    with uow:
        return uow.users.list(page, limit)


def update_user(user_id: str, profile: UserProfile, *, uow: UnitOfWork, clock: Clock) -> User:
    """Update the supplied fields of an existing user. Raises NotFoundError."""
    with uow:
        user = _user(uow, user_id)
        if user.apply_profile(profile, clock.now()):
            uow.users.save(user)
        uow.commit()
    return user


def delete_user(user_id: str, *, uow: UnitOfWork, clock: Clock) -> User:
    """Remove a user: their trackers are soft-deleted and memberships dropped.

    Raises:
        NotFoundError.
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
) -> SavedGuild:
    """Create a guild (or, with ``upsert``, update an existing one and reactivate it unless
    ``is_active`` is supplied).

    Raises:
        ConflictError: it exists and ``upsert`` is False.
    """
    with uow:
        guild = uow.guilds.get(guild_id)
        if guild is not None and not upsert:
            raise ConflictError(f"Guild {guild_id} already exists")
        saved = save_guild(uow, guild_id, data, clock.now(), existing=guild)
        uow.commit()
    return saved


def save_guild(
    uow: UnitOfWork, guild_id: str, data: GuildData, now: datetime, *, existing: Guild | None
) -> SavedGuild:
    """Create the guild, or update the supplied fields of ``existing`` (a guild that had left
    is active again unless ``is_active`` says otherwise)."""
    if existing is None:
        guild = Guild(id=guild_id, name=data.name or guild_id, created_at=now, updated_at=now)
        _apply_guild(guild, data, now)
        uow.guilds.add(guild)
        return SavedGuild(guild, created=True)
    if data.is_active is None:
        data = attrs.evolve(data, is_active=True)
    if _apply_guild(existing, data, now):
        uow.guilds.save(existing)
    return SavedGuild(existing, created=False)


def _apply_guild(guild: Guild, data: GuildData, now: datetime) -> bool:
    changed = False
    for name in ("name", "icon", "owner_id", "is_active", "member_count"):
        value = getattr(data, name)
        if value is not None and getattr(guild, name) != value:
            setattr(guild, name, value)
            changed = True
    if changed:
        guild.updated_at = now
    return changed


def get_guild(guild_id: str, *, uow: UnitOfWork) -> Guild:
    """Raises NotFoundError."""
    with uow:
        return _guild(uow, guild_id)


def list_guilds(*, uow: UnitOfWork) -> list[Guild]:
    """Every guild, by name."""
    with uow:
        return uow.guilds.list_all()


def update_guild(guild_id: str, data: GuildData, *, uow: UnitOfWork, clock: Clock) -> Guild:
    """Raises NotFoundError."""
    with uow:
        guild = _guild(uow, guild_id)
        if _apply_guild(guild, data, clock.now()):
            uow.guilds.save(guild)
        uow.commit()
    return guild


def delete_guild(guild_id: str, *, uow: UnitOfWork) -> Guild:
    """Remove a guild with its settings and memberships. Raises NotFoundError."""
    with uow:
        guild = _guild(uow, guild_id)
        uow.guilds.delete(guild_id)
        uow.commit()
    return guild


def _staff_settings(uow: UnitOfWork, guild_id: str, viewer: Viewer | None) -> GuildSettings:
    """The guild's settings, once ``viewer`` (None: the bot) is known to be its staff.

    Raises:
        NotFoundError: no such guild. ForbiddenError: neither a guild admin nor a system admin.
    """
    _guild(uow, guild_id)
    settings = uow.guilds.settings(guild_id)
    if viewer is None or viewer.is_system_admin:
        return settings
    if not is_guild_admin(uow.guilds.member(guild_id, viewer.user_id), settings):
        raise ForbiddenError(GUILD_ADMIN_ONLY)
    return settings


def get_settings(guild_id: str, *, uow: UnitOfWork, viewer: Viewer | None = None) -> GuildSettings:
    """The guild's settings; a ``viewer`` must be its staff.

    Raises NotFoundError, ForbiddenError.
    """
    with uow:
        return _staff_settings(uow, guild_id, viewer)


def update_settings(
    guild_id: str, patch: Mapping[str, Any], *, uow: UnitOfWork, viewer: Viewer | None = None
) -> GuildSettings:
    """Merge a partial settings object, validated (formulas compiled) before saving.

    Raises:
        NotFoundError, ForbiddenError, ValidationError, InvalidFormulaError.
    """
    with uow:
        settings = _staff_settings(uow, guild_id, viewer).merged(patch)
        uow.guilds.save_settings(guild_id, settings)
        uow.commit()
    return settings


def reset_settings(
    guild_id: str, *, uow: UnitOfWork, viewer: Viewer | None = None
) -> GuildSettings:
    """Every setting back to its default except ``roles.admin``, which mirrors Discord (the
    bot's sync sets it) and without which the staff would lock themselves out.

    Raises:
        NotFoundError, ForbiddenError.
    """
    with uow:
        current = _staff_settings(uow, guild_id, viewer)
        settings = GuildSettings().with_admin_roles(current.admin_roles)
        uow.guilds.save_settings(guild_id, settings)
        uow.commit()
    return settings


def settings_history(
    guild_id: str,
    paths: Sequence[str],
    page: int,
    limit: int,
    *,
    uow: UnitOfWork,
    viewer: Viewer | None = None,
) -> tuple[list[AuditEntry], int]:
    """The audit log's successful calls of the guild's settings ``paths``, newest first.

    Raises:
        NotFoundError, ForbiddenError.
    """
    with uow:
        _staff_settings(uow, guild_id, viewer)
        return uow.audit.successes(paths, page, limit)


def register_by_staff(
    cmd: RegisterByStaff, *, uow: UnitOfWork, queue: JobQueue, clock: Clock, policy: Policy
) -> tuple[User, list[Tracker]]:
    """A guild admin registers trackers for a member of that guild.

    Raises:
        NotFoundError, ForbiddenError (staff is not a guild admin), RuleViolationError (not a
        member), and everything ``register_trackers`` raises.
    """
    with uow:
        _guild(uow, cmd.guild_id)
        settings = uow.guilds.settings(cmd.guild_id)
        if not is_guild_admin(uow.guilds.member(cmd.guild_id, cmd.staff_user_id), settings):
            raise ForbiddenError("Only guild admins can register trackers for other users")
        target = uow.guilds.member(cmd.guild_id, cmd.register.user_id)
        if target is None or not target.is_current:
            raise RuleViolationError(
                f"User {cmd.register.user_id} is not a member of guild {cmd.guild_id}"
            )
    trackers = register_trackers(cmd.register, uow=uow, queue=queue, clock=clock, policy=policy)
    with uow:
        return _user(uow, cmd.register.user_id), trackers
