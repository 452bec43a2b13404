"""Repositories of users and guilds (with guild settings and members)."""

from __future__ import annotations

import functools
import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import bindparam, delete, false, func, insert, select, text, update

from adapters.sql import mapping
from adapters.sql.database import Database
from adapters.sql.tables import guild_members, guild_settings, guilds, users
from tracker_core.errors import ConflictError
from tracker_core.guilds import Guild, GuildMember, GuildSettings, User

_T = TypeVar("_T")
# What may change a remembered read, foreign-key cascades included.
_MEMBERS = frozenset({guild_members.name, guilds.name, users.name})
_SETTINGS = frozenset({guild_settings.name, guilds.name})
CURRENT_MEMBER = (guild_members.c.is_banned == false()) & (guild_members.c.is_deleted == false())
_MEMBERSHIPS = (
    select(guild_members, guild_settings.c.settings)
    .outerjoin(guild_settings, guild_settings.c.guild_id == guild_members.c.guild_id)
    .where(guild_members.c.user_id == bindparam("member_user"), CURRENT_MEMBER)
    .order_by(guild_members.c.guild_id)
)
"""A user's current memberships with each guild's settings (built once)."""


def _same(value: _T) -> _T:
    return value


def _members_of(db: Database, rows: Sequence[Mapping[str, Any]]) -> tuple[GuildMember, ...]:
    """Memberships from rows of ``guild_members`` columns and their guild's ``settings``; each
    guild's settings are remembered, so that ``settings`` answers them without a read."""
    found = []
    for row in rows:
        data = row["settings"]
        settings = GuildSettings() if data is None else GuildSettings.from_dict(data)
        db.remember(("settings", row["guild_id"]), _SETTINGS, functools.partial(_same, settings))
        found.append(mapping.member_from_row(row))
    return tuple(found)


MEMBER_COLUMNS = [c.label(f"m_{c.name}") for c in (*guild_members.c, guild_settings.c.settings)]
"""A membership's columns and its guild's ``settings``, labelled ``m_<name>``, for statements
that read a user's memberships along with something else (see ``remember_memberships``)."""


def remember_memberships(db: Database, user_id: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Hold ``user_id``'s current memberships read by another statement (rows with
    ``MEMBER_COLUMNS``; a row whose ``m_guild_id`` is None holds none), so that
    ``memberships(user_id)`` answers them without a read in this unit of work."""
    members = _members_of(
        db,
        [
            {column.name.removeprefix("m_"): row[column.name] for column in MEMBER_COLUMNS}
            for row in rows
            if row["m_guild_id"] is not None
        ],
    )
    db.remember(("memberships", user_id), _MEMBERS, functools.partial(_same, members))


def advisory_key(user_id: str) -> int:
    """A stable signed 64-bit PostgreSQL advisory-lock key for one user's trackers."""
    digest = hashlib.blake2b(f"tracker-user:{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class SqlAlchemyUserRepository:
    """Users in the ``users`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, user_id: str) -> User | None:
        row = self._db.execute(select(users).where(users.c.id == user_id)).mappings().first()
        return None if row is None else mapping.user_from_row(row)

    def get_many(self, user_ids: Sequence[str]) -> list[User]:
        found: list[User] = []
        for among in self._db.among(users.c.id, user_ids):
            rows = self._db.execute(select(users).where(among)).mappings()
            found.extend(mapping.user_from_row(row) for row in rows)
        return found

    def add(self, user: User) -> None:
        if not self._db.insert_new(users, mapping.user_to_row(user), ["id"]):
            raise ConflictError(f"User {user.id} exists")

    def add_many(self, new: Sequence[User]) -> None:
        if not new:
            return
        statement = self._db.insert(users).on_conflict_do_nothing(index_elements=["id"])
        self._db.execute(statement, [mapping.user_to_row(user) for user in new])

    def save(self, user: User) -> None:
        values = mapping.user_to_row(user)
        del values["id"], values["version"]
        self._db.compare_and_set(users, user.id, user.version, values)
        user.version += 1

    def save_profiles(self, changed: Sequence[User]) -> None:
        if not changed:
            return
        statement = (
            update(users)
            .where(users.c.id == bindparam("user_id"))
            .values(
                username=bindparam("new_username"),
                global_name=bindparam("new_global_name"),
                avatar=bindparam("new_avatar"),
                email=bindparam("new_email"),
                updated_at=bindparam("new_updated_at"),
                version=users.c.version + 1,
            )
        )
        rows = [
            {
                "user_id": user.id,
                "new_username": user.username,
                "new_global_name": user.global_name,
                "new_avatar": user.avatar,
                "new_email": user.email,
                "new_updated_at": user.updated_at,
            }
            for user in changed
        ]
        self._db.execute(statement, rows)
        for user in changed:
            user.version += 1

    def delete(self, user_id: str) -> None:
        self._db.execute(delete(users).where(users.c.id == user_id))

    def lock(self, user_id: str) -> None:
        """PostgreSQL: a transaction-scoped advisory lock per user (the row may not exist yet).

        SQLite needs nothing: every transaction starts with ``BEGIN IMMEDIATE``.
        """
        if self._db.dialect == "postgresql":
            self._db.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key(user_id)}
            )

    def list(self, page: int, limit: int) -> tuple[list[User], int]:
        total = self._db.execute(select(func.count()).select_from(users)).scalar_one()
        statement = (
            select(users)
            .order_by(users.c.created_at, users.c.id)
            .limit(limit)
            .offset((page - 1) * limit)
        )
        rows = self._db.execute(statement).mappings()
        return [mapping.user_from_row(row) for row in rows], total


class SqlAlchemyGuildRepository:
    """Guilds, their settings (JSON) and their members."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, guild_id: str) -> Guild | None:
        row = self._db.execute(select(guilds).where(guilds.c.id == guild_id)).mappings().first()
        return None if row is None else mapping.guild_from_row(row)

    def list_all(self) -> list[Guild]:
        statement = select(guilds).order_by(func.lower(guilds.c.name), guilds.c.id)
        return [mapping.guild_from_row(row) for row in self._db.execute(statement).mappings()]

    def add(self, guild: Guild) -> None:
        if not self._db.insert_new(guilds, mapping.guild_to_row(guild), ["id"]):
            raise ConflictError(f"Guild {guild.id} exists")

    def save(self, guild: Guild) -> None:
        values = mapping.guild_to_row(guild)
        del values["id"], values["version"]
        self._db.compare_and_set(guilds, guild.id, guild.version, values)
        guild.version += 1

    def delete(self, guild_id: str) -> None:
        """Delete the guild with its settings and members (schedules and ratings stay)."""
        self._db.execute(delete(guild_members).where(guild_members.c.guild_id == guild_id))
        self._db.execute(delete(guild_settings).where(guild_settings.c.guild_id == guild_id))
        self._db.execute(delete(guilds).where(guilds.c.id == guild_id))

    def settings(self, guild_id: str) -> GuildSettings:
        def read() -> GuildSettings:
            statement = select(guild_settings.c.settings).where(
                guild_settings.c.guild_id == guild_id
            )
            data = self._db.execute(statement).scalar_one_or_none()
            return GuildSettings() if data is None else GuildSettings.from_dict(data)

        found: GuildSettings = self._db.remember(("settings", guild_id), _SETTINGS, read)
        return found

    def save_settings(self, guild_id: str, settings: GuildSettings) -> None:
        data = settings.to_dict()
        statement = (
            self._db.insert(guild_settings)
            .values(guild_id=guild_id, settings=data)
            .on_conflict_do_update(index_elements=["guild_id"], set_={"settings": data})
        )
        self._db.execute(statement)

    def members(self, guild_id: str) -> list[GuildMember]:
        statement = (
            select(guild_members)
            .where(guild_members.c.guild_id == guild_id)
            .order_by(guild_members.c.user_id)
        )
        return [mapping.member_from_row(row) for row in self._db.execute(statement).mappings()]

    def member(self, guild_id: str, user_id: str) -> GuildMember | None:
        statement = select(guild_members).where(
            guild_members.c.guild_id == guild_id, guild_members.c.user_id == user_id
        )
        row = self._db.execute(statement).mappings().first()
        return None if row is None else mapping.member_from_row(row)

    def replace_members(self, guild_id: str, members: Sequence[GuildMember]) -> None:
        self._db.execute(delete(guild_members).where(guild_members.c.guild_id == guild_id))
        rows = list({m.user_id: mapping.member_to_row(guild_id, m) for m in members}.values())
        if rows:
            self._db.execute(insert(guild_members), rows)

    def save_member(self, member: GuildMember) -> None:
        row = mapping.member_to_row(member.guild_id, member)
        keys = ("guild_id", "user_id")
        statement = (
            self._db.insert(guild_members)
            .values(row)
            .on_conflict_do_update(
                index_elements=list(keys), set_={k: v for k, v in row.items() if k not in keys}
            )
        )
        self._db.execute(statement)

    def remove_member(self, guild_id: str, user_id: str) -> bool:
        statement = delete(guild_members).where(
            guild_members.c.guild_id == guild_id, guild_members.c.user_id == user_id
        )
        return bool(self._db.execute(statement).rowcount)

    def memberships(self, user_id: str) -> list[GuildMember]:
        """Read with each guild's settings, which ``settings`` then answers without a read."""

        def read() -> tuple[GuildMember, ...]:
            return _members_of(self._db, self._db.rows(_MEMBERSHIPS, {"member_user": user_id}))

        return list(self._db.remember(("memberships", user_id), _MEMBERS, read))

    def settings_by_user(self, user_ids: Sequence[str]) -> dict[str, list[GuildSettings]]:
        found: dict[str, list[GuildSettings]] = defaultdict(list)
        parsed: dict[str, GuildSettings] = {}
        for among in self._db.among(guild_members.c.user_id, user_ids):
            statement = (
                select(guild_members.c.user_id, guild_members.c.guild_id, guild_settings.c.settings)
                .outerjoin(guild_settings, guild_settings.c.guild_id == guild_members.c.guild_id)
                .where(among, CURRENT_MEMBER)
                .order_by(guild_members.c.user_id, guild_members.c.guild_id)
            )
            for row in self._db.execute(statement).mappings():
                guild_id = row["guild_id"]
                if guild_id not in parsed:
                    parsed[guild_id] = GuildSettings.from_dict(row["settings"] or {})
                found[row["user_id"]].append(parsed[guild_id])
        return dict(found)
