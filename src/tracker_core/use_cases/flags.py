"""Use cases of review flags: the staff list them and resolve them."""

from __future__ import annotations

import attrs

from tracker_core.errors import NotFoundError
from tracker_core.flags import FlagKind, FlagStatus, Resolution, ReviewFlag
from tracker_core.ports import Clock, UnitOfWork
from tracker_core.use_cases.guilds import _staff_settings
from tracker_core.use_cases.queries import Viewer


def list_flags(
    guild_id: str,
    status: FlagStatus | None,
    kind: FlagKind | None,
    *,
    uow: UnitOfWork,
    viewer: Viewer | None = None,
) -> list[ReviewFlag]:
    """The guild's flags, newest first, filtered. Raises NotFoundError, ForbiddenError."""
    with uow:
        _staff_settings(uow, guild_id, viewer)
        return uow.flags.search(guild_id, status, kind)


@attrs.frozen(kw_only=True)
class ResolveFlag:
    guild_id: str
    flag_id: str
    resolution: Resolution
    note: str | None
    actor: str


def resolve_flag(
    cmd: ResolveFlag, *, uow: UnitOfWork, clock: Clock, viewer: Viewer | None = None
) -> ReviewFlag:
    """Close a flag as confirmed or dismissed; the member may be flagged again later.

    Raises:
        NotFoundError, ForbiddenError, RuleViolationError (already resolved), ConflictError
        (resolved meanwhile).
    """
    with uow:
        _staff_settings(uow, cmd.guild_id, viewer)
        flag = uow.flags.get(cmd.guild_id, cmd.flag_id)
        if flag is None:
            raise NotFoundError(f"Flag {cmd.flag_id} not found in guild {cmd.guild_id}")
        flag.resolve(cmd.resolution, cmd.note, cmd.actor, clock.now())
        uow.flags.save(flag)
        uow.commit()
    return flag
