"""The answers of the league endpoints (standings, eligibility, numbers pulls, review flags)
and of the league CLI; the CSV lines of a pull.

As in :mod:`.api`: one class per answer, named as its OpenAPI component, and one constructor
per core object; a field is in an answer only if it is declared here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from entrypoints.csvcells import sheet_csv
from entrypoints.responses.api import MmrInputs, Pagination, Snapshot, mmr_inputs
from entrypoints.responses.base import instant
from tracker_core import flags as core_flags
from tracker_core import league as core_league
from tracker_core import pulls as core_pulls
from tracker_core.flags import FlagKind, FlagStatus, Resolution
from tracker_core.league import GAME_KEYS
from tracker_core.mmr import Algorithm
from tracker_core.pulls import effective_mmr
from tracker_core.use_cases.league import PullPage as FoundPull


@attrs.define
class Games:
    """The games counted per playlist and combined."""

    ones: int
    twos: int
    threes: int
    fours: int
    combined: int


@attrs.define
class Eligibility:
    """Whether a member is eligible, why not, and the games counted."""

    eligible: bool
    reasons: list[str]
    games: Games


def eligibility(e: core_league.Eligibility) -> Eligibility:
    """``{eligible, reasons, games}`` (every game key, 0 when unknown)."""
    games = e.games
    return Eligibility(e.eligible, list(e.reasons), Games(*(games.get(k, 0) for k in GAME_KEYS)))


@attrs.define
class Standing:
    """One MMR row: the strongest tracker, why it was chosen, eligibility and data age."""

    guild_id: str
    user_id: str
    tracker_id: str
    mmr: int
    algorithm: Algorithm
    inputs: MmrInputs
    calculated_at: datetime
    data_at: datetime | None
    stale: bool
    best_tracker_reason: str
    eligibility: Eligibility
    flags: list[FlagKind]


def standing(guild_id: str, s: core_league.Standing, now: datetime) -> Standing:
    """One MMR row (of a member with a tracker)."""
    assert s.best is not None
    return Standing(
        guild_id,
        s.user_id,
        s.best.tracker_id,
        s.best.mmr,
        s.algorithm,
        mmr_inputs(s.best.inputs),
        now,
        s.best.last_scraped_at,
        s.stale,
        s.best.reason,
        eligibility(s.eligibility),
        list(s.flags),
    )


@attrs.define
class MemberEligibility:
    """One member's eligibility, with the reasons, the games counted and the best tracker."""

    guild_id: str
    user_id: str
    eligible: bool
    reasons: list[str]
    games: Games
    seasons_counted: int
    tracker_id: str | None
    mmr: int | None


def member_eligibility(guild_id: str, user_id: str, s: core_league.Standing) -> MemberEligibility:
    """``{guildId, userId, eligible, reasons, games, seasonsCounted, trackerId, mmr}``."""
    found = eligibility(s.eligibility)
    return MemberEligibility(
        guild_id,
        user_id,
        found.eligible,
        found.reasons,
        found.games,
        s.seasons_counted,
        None if s.best is None else s.best.tracker_id,
        s.mmr,
    )


@attrs.define
class Pull:
    """A numbers pull's header."""

    id: str
    guild_id: str
    number: int
    name: str
    note: str | None
    created_by: str | None
    created_at: datetime
    member_count: int
    settings: dict[str, Any]


def pull(p: core_pulls.Pull) -> Pull:
    """A pull's header."""
    return Pull(
        p.id,
        p.guild_id,
        p.number,
        p.name,
        p.note,
        p.created_by,
        p.created_at,
        p.member_count,
        dict(p.settings),
    )


@attrs.define
class PullOverride:
    """A staff override of one member's MMR in a pull."""

    mmr: int
    reason: str
    actor: str
    created_at: datetime


def override(o: core_pulls.PullOverride | None) -> PullOverride | None:
    """A staff override, or None."""
    return None if o is None else PullOverride(o.mmr, o.reason, o.actor, o.created_at)


@attrs.define
class PullRow:
    """A frozen row, the override beside it and the effective MMR."""

    user_id: str
    tracker_id: str | None
    mmr: int | None
    effective_mmr: int | None
    algorithm: Algorithm
    inputs: MmrInputs | None
    eligibility: Eligibility
    data_at: datetime | None
    data_age_seconds: int | None
    stale: bool
    best_tracker_reason: str | None
    override: PullOverride | None
    flags: list[FlagKind]


def pull_row(
    p: core_pulls.Pull, r: core_pulls.PullRow, o: core_pulls.PullOverride | None
) -> PullRow:
    """A frozen row, the override beside it and the effective MMR."""
    age = None if r.data_at is None else int((p.created_at - r.data_at).total_seconds())
    return PullRow(
        r.user_id,
        r.tracker_id,
        r.mmr,
        effective_mmr(r, o),
        r.algorithm,
        None if r.inputs is None else mmr_inputs(r.inputs),
        eligibility(r.eligibility),
        r.data_at,
        age,
        r.stale,
        r.reason,
        override(o),
        list(r.flags),
    )


@attrs.define
class PullPage:
    """A pull and one page of its rows."""

    pull: Pull
    data: list[PullRow]
    pagination: Pagination


@attrs.define
class Move:
    """A member whose MMR changed between two pulls."""

    user_id: str
    before: int | None
    after: int | None
    delta: int | None


@attrs.define
class MemberMmr:
    """A member in only one of two pulls, with their MMR there."""

    user_id: str
    mmr: int | None


@attrs.define
class PullDiff:
    """Two pulls and how their rows differ."""

    a: Pull
    b: Pull
    moved: list[Move]
    appeared: list[MemberMmr]
    disappeared: list[MemberMmr]
    unchanged: int


def pull_diff(a: core_pulls.Pull, b: core_pulls.Pull, d: core_pulls.PullDiff) -> PullDiff:
    """Who moved from ``a`` to ``b`` (largest move first), who appeared, who disappeared."""
    return PullDiff(
        pull(a),
        pull(b),
        [Move(m.user_id, m.before, m.after, m.delta) for m in d.moved],
        [MemberMmr(u, v) for u, v in d.appeared],
        [MemberMmr(u, v) for u, v in d.disappeared],
        d.unchanged,
    )


@attrs.define
class Flag:
    """One review flag."""

    id: str
    guild_id: str
    user_id: str
    kind: FlagKind
    tracker_id: str | None
    detail: str
    data: dict[str, Any]
    raised_at: datetime
    status: FlagStatus
    resolution: Resolution | None
    note: str | None
    resolved_by: str | None
    resolved_at: datetime | None


def flag(f: core_flags.ReviewFlag) -> Flag:
    """One review flag."""
    return Flag(
        f.id,
        f.guild_id,
        f.user_id,
        f.kind,
        f.tracker_id,
        f.detail,
        dict(f.data),
        f.raised_at,
        f.status,
        f.resolution,
        f.note,
        f.resolved_by,
        f.resolved_at,
    )


@attrs.define
class ManualRating:
    """A manual rating stored, with its evidence."""

    snapshot: Snapshot
    evidence_url: str | None
    note: str


@attrs.define
class OwnPullRow:
    """A player's own row in one pull of one of their guilds."""

    guild_id: str
    pull: Pull
    row: PullRow


CSV_COLUMNS = (
    "rank",
    "userId",
    "trackerId",
    "mmr",
    "overrideMmr",
    "effectiveMmr",
    "overrideReason",
    "overrideActor",
    "algorithm",
    "eligible",
    "reasons",
    *(f"{key}Games" for key in GAME_KEYS),
    "dataAt",
    "stale",
    "bestTrackerReason",
    "flags",
)


def csv_line(
    rank: int, p: core_pulls.Pull, r: core_pulls.PullRow, o: core_pulls.PullOverride | None
) -> list[Any]:
    """One row of a pull's CSV (``CSV_COLUMNS``)."""
    games = r.eligibility.games
    effective = effective_mmr(r, o)
    return [
        rank,
        r.user_id,
        r.tracker_id or "",
        "" if r.mmr is None else r.mmr,
        "" if o is None else o.mmr,
        "" if effective is None else effective,
        "" if o is None else o.reason,
        "" if o is None else o.actor,
        r.algorithm,
        "true" if r.eligibility.eligible else "false",
        "; ".join(r.eligibility.reasons),
        *(games.get(key, 0) for key in GAME_KEYS),
        instant(r.data_at) or "",
        "true" if r.stale else "false",
        r.reason or "",
        " ".join(r.flags),
    ]


def pull_csv(found: FoundPull) -> str:
    """A pull as CSV: ``CSV_COLUMNS``, then one line per row in pull order (text cells safe)."""
    return sheet_csv(
        CSV_COLUMNS,
        (
            csv_line(rank, found.pull, row, found.overrides.get(row.user_id))
            for rank, row in enumerate(found.rows, start=1)
        ),
    )
