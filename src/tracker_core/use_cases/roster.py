"""Read models of the guild staff pages: the guilds a user administers, a guild's roster and
its members' names."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from tracker_core.errors import NotFoundError
from tracker_core.guilds import Guild, User, is_guild_admin
from tracker_core.mmr import PlayerRating
from tracker_core.model import Tracker, TrackerQuery
from tracker_core.ports import UnitOfWork
from tracker_core.use_cases.guilds import _staff_settings
from tracker_core.use_cases.queries import Viewer, list_guild_trackers

ROSTER_LIMIT = 5000


@attrs.frozen
class RosterEntry:
    """One current member: who, their trackers and their stored league MMR (if any)."""

    user_id: str
    name: str
    trackers: tuple[Tracker, ...]
    rating: PlayerRating | None

    @property
    def games(self) -> int | None:
        """Games played this season over the ranked playlists of the MMR's tracker."""
        if self.rating is None:
            return None
        i = self.rating.inputs
        counts = [g for g in (i.ones_games, i.twos_games, i.threes_games, i.fours_games) if g]
        return int(sum(counts)) if counts else None


@attrs.frozen
class Roster:
    """A guild and its current members."""

    guild: Guild
    entries: tuple[RosterEntry, ...]


def staff_guilds(viewer: Viewer, *, uow: UnitOfWork) -> list[Guild]:
    """The guilds where ``viewer`` holds an admin role, by name."""
    with uow:
        found: list[Guild] = []
        for member in uow.guilds.memberships(viewer.user_id):
            guild = uow.guilds.get(member.guild_id)
            if guild is not None and is_guild_admin(member, uow.guilds.settings(guild.id)):
                found.append(guild)
    return sorted(found, key=lambda g: (g.name.casefold(), g.id))


def display_name(user: User | None, nickname: str | None) -> str | None:
    """What Discord shows for a member: the guild nickname, else the user's global name, else
    the username; None when the service knows none of them."""
    if nickname:
        return nickname
    if user is not None:
        return user.global_name or user.username or None
    return None


def _name(user: User | None, nickname: str | None, user_id: str) -> str:
    return display_name(user, nickname) or user_id


def member_names(
    viewer: Viewer, guild_id: str, user_ids: Iterable[str], *, uow: UnitOfWork
) -> dict[str, str]:
    """The display names of ``user_ids`` in the guild, for its staff: the nickname a member
    has (or had, for a former member) there, else the name of the Discord user. Ids without
    a known name are left out.

    Raises:
        NotFoundError: no such guild. ForbiddenError: neither its admin nor a system admin.
    """
    wanted = sorted(set(user_ids))
    with uow:
        _staff_settings(uow, guild_id, viewer)
        if not wanted:
            return {}
        chosen = set(wanted)
        nicknames = {
            m.user_id: m.nickname for m in uow.guilds.members(guild_id) if m.user_id in chosen
        }
        users = {u.id: u for u in uow.users.get_many(wanted)}
    found = {uid: display_name(users.get(uid), nicknames.get(uid)) for uid in wanted}
    return {uid: name for uid, name in found.items() if name}


def guild_roster(viewer: Viewer, guild_id: str, *, uow: UnitOfWork) -> Roster:
    """The guild's current members with their trackers and MMR, for its staff.

    Raises:
        NotFoundError: no such guild. ForbiddenError: neither its admin nor a system admin.
    """
    trackers, _ = list_guild_trackers(viewer, guild_id, TrackerQuery(limit=ROSTER_LIMIT), uow=uow)
    with uow:
        guild = uow.guilds.get(guild_id)
        if guild is None:
            raise NotFoundError(f"Guild {guild_id} not found")
        members = [m for m in uow.guilds.members(guild_id) if m.is_current]
        users = {u.id: u for u in uow.users.get_many([m.user_id for m in members])}
        ratings = {r.user_id: r for r in uow.ratings.for_guild(guild_id)}
    owned: dict[str, list[Tracker]] = {}
    for tracker in trackers:
        owned.setdefault(tracker.user_id, []).append(tracker)
    entries = tuple(
        RosterEntry(
            user_id=m.user_id,
            name=_name(users.get(m.user_id), m.nickname, m.user_id),
            trackers=tuple(owned.get(m.user_id, ())),
            rating=ratings.get(m.user_id),
        )
        for m in members
    )
    return Roster(guild, entries)
