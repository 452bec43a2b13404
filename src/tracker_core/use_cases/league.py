"""Use cases of league integrity: standings (MMR rows with eligibility), numbers pulls, their
overrides and diffs, and a player's own rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from tracker_core.errors import NotFoundError, RuleViolationError
from tracker_core.guilds import GuildSettings
from tracker_core.league import MemberData, Standing, rank, standing
from tracker_core.ports import Clock, UnitOfWork
from tracker_core.pulls import (
    Pull,
    PullDiff,
    PullOverride,
    PullRow,
    RowFilter,
    diff_pulls,
    latest_overrides,
)
from tracker_core.use_cases.guilds import _staff_settings
from tracker_core.use_cases.queries import Viewer

PULL_NOT_FOUND = "Pull {pull_id} not found in guild {guild_id}"


def _standings(
    uow: UnitOfWork,
    guild_id: str,
    members: Sequence[MemberData],
    settings: GuildSettings,
    now: datetime,
) -> list[Standing]:
    stale_after = timedelta(days=settings.flags.stale_days)
    flags = uow.flags.open_kinds(guild_id)
    return rank(
        [
            standing(
                m, settings.mmr, settings.eligibility, stale_after, now, flags.get(m.user_id, ())
            )
            for m in members
        ]
    )


def guild_standings(
    guild_id: str, *, uow: UnitOfWork, clock: Clock, viewer: Viewer | None = None
) -> list[Standing]:
    """Every current member with data: MMR from their strongest tracker, eligibility and data
    age, highest first. A ``viewer`` (None: the bot) must be the guild's staff.

    Raises:
        NotFoundError, ForbiddenError.
    """
    with uow:
        settings = _staff_settings(uow, guild_id, viewer)
        found = _standings(uow, guild_id, uow.league.member_data(guild_id), settings, clock.now())
    return [s for s in found if s.best is not None]


def member_standing(
    guild_id: str,
    user_id: str,
    *,
    uow: UnitOfWork,
    clock: Clock,
    viewer: Viewer | None = None,
) -> Standing:
    """One member's standing (eligibility with its reasons and games).

    Raises:
        NotFoundError: no such guild, or the user is not a current member. ForbiddenError.
    """
    with uow:
        settings = _staff_settings(uow, guild_id, viewer)
        members = uow.league.member_data(guild_id, [user_id])
        if not members:
            raise NotFoundError(f"User {user_id} is not a member of guild {guild_id}")
        return _standings(uow, guild_id, members, settings, clock.now())[0]


@attrs.frozen(kw_only=True)
class CreatePull:
    guild_id: str
    name: str
    note: str | None = None
    actor: str | None = None


def create_pull(
    cmd: CreatePull, *, uow: UnitOfWork, clock: Clock, viewer: Viewer | None = None
) -> Pull:
    """Freeze every current member's standing into the guild's next numbered pull, in one
    transaction.

    Raises:
        NotFoundError, ForbiddenError, ConflictError (another pull took the number at the same
        time).
    """
    now = clock.now()
    with uow:
        settings = _staff_settings(uow, cmd.guild_id, viewer)
        standings = _standings(
            uow, cmd.guild_id, uow.league.member_data(cmd.guild_id), settings, now
        )
        pull = Pull(
            id=uow.next_id(),
            guild_id=cmd.guild_id,
            number=uow.pulls.next_number(cmd.guild_id),
            name=cmd.name,
            note=cmd.note,
            created_by=cmd.actor,
            created_at=now,
            settings={
                "mmrCalculation": settings.mmr.to_dict(),
                "eligibility": settings.eligibility.to_dict(),
                "staleDays": settings.flags.stale_days,
            },
            member_count=len(standings),
        )
        uow.pulls.add(pull, [PullRow.frozen_from(pull.id, s) for s in standings])
        uow.commit()
    return pull


def _pull(uow: UnitOfWork, guild_id: str, pull_id: str) -> Pull:
    pull = uow.pulls.get(guild_id, pull_id)
    if pull is None:
        raise NotFoundError(PULL_NOT_FOUND.format(pull_id=pull_id, guild_id=guild_id))
    return pull


def list_pulls(guild_id: str, *, uow: UnitOfWork, viewer: Viewer | None = None) -> list[Pull]:
    """The guild's pulls, newest first. Raises NotFoundError, ForbiddenError."""
    with uow:
        _staff_settings(uow, guild_id, viewer)
        return uow.pulls.for_guild(guild_id)


@attrs.frozen
class PullPage:
    """A pull, one page of its rows and the current override of each row's member."""

    pull: Pull
    rows: list[PullRow]
    total: int
    overrides: dict[str, PullOverride]


def get_pull(
    guild_id: str,
    pull_id: str,
    row_filter: RowFilter | None,
    page: int,
    limit: int,
    *,
    uow: UnitOfWork,
    viewer: Viewer | None = None,
) -> PullPage:
    """One page of a pull's rows, filtered. Raises NotFoundError, ForbiddenError."""
    with uow:
        _staff_settings(uow, guild_id, viewer)
        pull = _pull(uow, guild_id, pull_id)
        rows, total = uow.pulls.rows(pull_id, row_filter, page, limit)
        overrides = latest_overrides(uow.pulls.overrides(pull_id))
    return PullPage(pull, rows, total, overrides)


def export_pull(
    guild_id: str, pull_id: str, *, uow: UnitOfWork, viewer: Viewer | None = None
) -> PullPage:
    """Every row of a pull (for the CSV). Raises NotFoundError, ForbiddenError."""
    with uow:
        _staff_settings(uow, guild_id, viewer)
        pull = _pull(uow, guild_id, pull_id)
        rows = uow.pulls.all_rows(pull_id)
        overrides = latest_overrides(uow.pulls.overrides(pull_id))
    return PullPage(pull, rows, len(rows), overrides)


@attrs.frozen
class PullComparison:
    a: Pull
    b: Pull
    diff: PullDiff


def compare_pulls(
    guild_id: str, a_id: str, b_id: str, *, uow: UnitOfWork, viewer: Viewer | None = None
) -> PullComparison:
    """Who moved from pull ``a`` to pull ``b`` (effective MMRs, overrides included).

    Raises:
        NotFoundError, ForbiddenError.
    """
    with uow:
        _staff_settings(uow, guild_id, viewer)
        a, b = _pull(uow, guild_id, a_id), _pull(uow, guild_id, b_id)
        diff = diff_pulls(
            uow.pulls.all_rows(a_id),
            latest_overrides(uow.pulls.overrides(a_id)),
            uow.pulls.all_rows(b_id),
            latest_overrides(uow.pulls.overrides(b_id)),
        )
    return PullComparison(a, b, diff)


@attrs.frozen(kw_only=True)
class OverridePullRow:
    guild_id: str
    pull_id: str
    user_id: str
    mmr: int
    reason: str
    actor: str


@attrs.frozen
class OverriddenRow:
    pull: Pull
    row: PullRow
    override: PullOverride


def override_pull_row(
    cmd: OverridePullRow, *, uow: UnitOfWork, clock: Clock, viewer: Viewer | None = None
) -> OverriddenRow:
    """Record a staff MMR for one member of a pull, beside the frozen value.

    Raises:
        NotFoundError, ForbiddenError, RuleViolationError (the user has no row in that pull, or no
        reason).
    """
    if not cmd.reason.strip():
        raise RuleViolationError("A reason is required")
    with uow:
        _staff_settings(uow, cmd.guild_id, viewer)
        pull = _pull(uow, cmd.guild_id, cmd.pull_id)
        row = uow.pulls.row(cmd.pull_id, cmd.user_id)
        if row is None:
            raise RuleViolationError(f"User {cmd.user_id} has no row in pull {cmd.pull_id}")
        override = PullOverride(
            id=uow.next_id(),
            pull_id=cmd.pull_id,
            user_id=cmd.user_id,
            mmr=cmd.mmr,
            reason=cmd.reason.strip(),
            actor=cmd.actor,
            created_at=clock.now(),
        )
        uow.pulls.add_override(override)
        uow.commit()
    return OverriddenRow(pull, row, override)


@attrs.frozen
class OwnRow:
    pull: Pull
    row: PullRow
    override: PullOverride | None


def my_pull_rows(user_id: str, *, uow: UnitOfWork) -> list[OwnRow]:
    """The user's row in every pull of the guilds they currently belong to, newest first."""
    with uow:
        guild_ids = [m.guild_id for m in uow.guilds.memberships(user_id)]
        found = uow.pulls.rows_for_user(user_id, guild_ids)
        result = []
        for pull, row in found:
            override = latest_overrides(uow.pulls.overrides(pull.id)).get(user_id)
            result.append(OwnRow(pull, row, override))
    return result
