"""Review flags: what the scrape pipeline raises for staff to look at, and the pure rules that
decide when. At most one open flag per (guild, kind, member)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

import attrs

from tracker_core.errors import RuleViolationError
from tracker_core.model import TrackerSnapshot
from tracker_core.stats import RankedPlaylist

FlagKind = Literal["RATING_DROP", "SHARED_ACCOUNT", "HANDLE_CHANGED", "SOURCE_MISSING", "STALE"]
FLAG_KINDS: tuple[FlagKind, ...] = get_args(FlagKind)
FlagStatus = Literal["open", "resolved"]
Resolution = Literal["confirmed", "dismissed"]
WATCHED: tuple[RankedPlaylist, ...] = ("2v2", "3v3")


@attrs.define(kw_only=True)
class ReviewFlag:
    """Something about a member that staff should review."""

    id: str
    guild_id: str
    user_id: str
    kind: FlagKind
    tracker_id: str | None
    detail: str
    data: dict[str, Any] = attrs.field(factory=dict)
    raised_at: datetime
    status: FlagStatus = "open"
    resolution: Resolution | None = None
    note: str | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    version: int = 0

    def resolve(self, resolution: Resolution, note: str | None, actor: str, now: datetime) -> None:
        """open → resolved, with who decided what and why.

        Raises:
            RuleViolationError: the flag is resolved already.
        """
        if self.status != "open":
            raise RuleViolationError(f"Flag {self.id} is already resolved")
        self.status = "resolved"
        self.resolution = resolution
        self.note = note
        self.resolved_by = actor
        self.resolved_at = now


@attrs.frozen
class Finding:
    """A reason to raise a flag of ``kind`` for a member (before it has an id and a guild)."""

    kind: FlagKind
    tracker_id: str | None
    detail: str
    data: dict[str, Any] = attrs.field(factory=dict)


def rating_drop(
    tracker_id: str,
    snapshots: Sequence[TrackerSnapshot],
    threshold: int,
    window: timedelta,
    now: datetime,
) -> Finding | None:
    """A 2v2 or 3v3 rating that fell by ≥ ``threshold`` from its highest point within
    ``window`` to the newest snapshot; the larger drop when both fell. Only scraped snapshots
    count: numbers entered by hand are not the player's rating history."""
    recent = sorted(
        (s for s in snapshots if s.source == "SCRAPE" and now - window <= s.captured_at <= now),
        key=lambda s: (s.captured_at, s.id),
    )
    if len(recent) < 2:
        return None
    found: Finding | None = None
    for playlist in WATCHED:
        values = [s.ratings.get(playlist) for s in recent]
        current = values[-1]
        earlier = [v for v in values[:-1] if v is not None]
        if current is None or not earlier:
            continue
        drop = max(earlier) - current
        if drop >= threshold and (found is None or drop > found.data["drop"]):
            found = Finding(
                "RATING_DROP",
                tracker_id,
                f"{playlist} fell {drop} ({max(earlier)} → {current}) within {window.days} days",
                {"playlist": playlist, "from": max(earlier), "to": current, "drop": drop},
            )
    return found


def shared_account(
    tracker_id: str, platform_user_id: str | None, other_holders: Sequence[str]
) -> Finding | None:
    """The same platform account is (or was) registered by other users."""
    if not platform_user_id or not other_holders:
        return None
    holders = sorted(set(other_holders))
    return Finding(
        "SHARED_ACCOUNT",
        tracker_id,
        f"platform account {platform_user_id} is or was also registered by {', '.join(holders)}",
        {"platformUserId": platform_user_id, "otherUsers": holders},
    )


def handle_changed(
    tracker_id: str, previous_platform_user_id: str | None, platform_user_id: str | None
) -> Finding | None:
    """The tracker's handle now leads to another platform account than before."""
    if not previous_platform_user_id or not platform_user_id:
        return None
    if previous_platform_user_id == platform_user_id:
        return None
    return Finding(
        "HANDLE_CHANGED",
        tracker_id,
        f"the handle now leads to platform account {platform_user_id} "
        f"(was {previous_platform_user_id})",
        {"from": previous_platform_user_id, "to": platform_user_id},
    )


def source_missing(tracker_id: str, had_data: bool, category: str) -> Finding | None:
    """A tracker that had data now answers not found."""
    if not had_data or category != "not_found":
        return None
    return Finding("SOURCE_MISSING", tracker_id, "the profile had data and now answers not found")


def stale(
    tracker_id: str, last_scraped_at: datetime | None, since: datetime, days: int, now: datetime
) -> Finding | None:
    """No successful scrape for ``days`` (counted from ``since`` when never scraped)."""
    reference = last_scraped_at or since
    if now - reference < timedelta(days=days):
        return None
    return Finding(
        "STALE",
        tracker_id,
        f"no successful scrape for {(now - reference).days} days",
        {"lastScrapedAt": None if last_scraped_at is None else last_scraped_at.isoformat()},
    )
