"""Numbers pulls: a guild's standings frozen on placement day, staff overrides beside them, and
the difference between two pulls.

A pull and its rows are written once and never updated; an override is a separate, append-only
record (the newest one of a member counts), so the computed value stays readable forever.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

import attrs

from tracker_core.flags import FlagKind
from tracker_core.league import Eligibility, Standing
from tracker_core.mmr import Algorithm, MmrInputs

RowFilter = Literal["eligible", "ineligible", "stale"]
ROW_FILTERS: tuple[RowFilter, ...] = ("eligible", "ineligible", "stale")


@attrs.frozen(kw_only=True)
class Pull:
    """One numbered pull of a guild and the settings it was computed under."""

    id: str
    guild_id: str
    number: int
    name: str
    note: str | None
    created_by: str | None
    created_at: datetime
    settings: Mapping[str, Any]
    """``{mmrCalculation, eligibility, staleDays}`` as they were at the pull."""
    member_count: int


@attrs.frozen(kw_only=True)
class PullRow:
    """One member's frozen numbers in one pull."""

    pull_id: str
    user_id: str
    tracker_id: str | None
    mmr: int | None
    algorithm: Algorithm
    inputs: MmrInputs | None
    eligibility: Eligibility
    data_at: datetime | None
    """When the data the MMR was computed from was scraped (its age at ``Pull.created_at``)."""
    stale: bool
    reason: str | None
    flags: tuple[FlagKind, ...] = ()
    """Kinds of the member's open review flags at the pull."""

    @classmethod
    def frozen_from(cls, pull_id: str, standing: Standing) -> PullRow:
        """The row of ``standing`` in pull ``pull_id``."""
        best = standing.best
        return cls(
            pull_id=pull_id,
            user_id=standing.user_id,
            tracker_id=None if best is None else best.tracker_id,
            mmr=None if best is None else best.mmr,
            algorithm=standing.algorithm,
            inputs=None if best is None else best.inputs,
            eligibility=standing.eligibility,
            data_at=None if best is None else best.last_scraped_at,
            stale=standing.stale,
            reason=None if best is None else best.reason,
            flags=standing.flags,
        )

    def matches(self, row_filter: RowFilter | None) -> bool:
        """Whether the row passes ``?filter=``."""
        if row_filter == "eligible":
            return self.eligibility.eligible
        if row_filter == "ineligible":
            return not self.eligibility.eligible
        if row_filter == "stale":
            return self.stale
        return True


@attrs.frozen(kw_only=True)
class PullOverride:
    """A staff decision about one member's number in one pull; the frozen row is untouched."""

    id: str
    pull_id: str
    user_id: str
    mmr: int
    reason: str
    actor: str
    created_at: datetime


def effective_mmr(row: PullRow, override: PullOverride | None) -> int | None:
    """The override's MMR when there is one, else the computed one."""
    return row.mmr if override is None else override.mmr


def latest_overrides(overrides: Iterable[PullOverride]) -> dict[str, PullOverride]:
    """The newest override per member (ties: the larger id, i.e. the later insert)."""
    found: dict[str, PullOverride] = {}
    for o in sorted(overrides, key=lambda o: (o.created_at, o.id)):
        found[o.user_id] = o
    return found


def row_order(row: PullRow) -> tuple[bool, int, str]:
    """Highest MMR first, members without data last, then by user id."""
    return (row.mmr is None, -(row.mmr or 0), row.user_id)


@attrs.frozen
class Move:
    """A member present in both pulls whose effective MMR changed."""

    user_id: str
    before: int | None
    after: int | None

    @property
    def delta(self) -> int | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@attrs.frozen
class PullDiff:
    """Who moved between pull ``a`` and pull ``b``, and who appeared or disappeared."""

    moved: tuple[Move, ...]
    appeared: tuple[tuple[str, int | None], ...]
    disappeared: tuple[tuple[str, int | None], ...]
    unchanged: int


def diff_pulls(
    a: Sequence[PullRow],
    a_overrides: Mapping[str, PullOverride],
    b: Sequence[PullRow],
    b_overrides: Mapping[str, PullOverride],
) -> PullDiff:
    """Compare effective MMRs; moves sorted by the size of the move, largest first."""
    before = {r.user_id: effective_mmr(r, a_overrides.get(r.user_id)) for r in a}
    after = {r.user_id: effective_mmr(r, b_overrides.get(r.user_id)) for r in b}
    both = sorted(before.keys() & after.keys())
    moved = [Move(u, before[u], after[u]) for u in both if before[u] != after[u]]
    moved.sort(key=lambda m: (-(abs(m.delta) if m.delta is not None else -1), m.user_id))
    return PullDiff(
        moved=tuple(moved),
        appeared=tuple((u, after[u]) for u in sorted(after.keys() - before.keys())),
        disappeared=tuple((u, before[u]) for u in sorted(before.keys() - after.keys())),
        unchanged=len(both) - len(moved),
    )
