"""Raising review flags from the scrape pipeline, in the scrape's own unit of work."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from tracker_core.flags import (
    Finding,
    ReviewFlag,
    handle_changed,
    rating_drop,
    shared_account,
    source_missing,
    stale,
)
from tracker_core.model import Tracker
from tracker_core.ports import UnitOfWork

SNAPSHOTS_READ = 500  # newest snapshots read for a drop; far more than a window holds


def _raise(uow: UnitOfWork, guild_id: str, user_id: str, found: Finding, now: datetime) -> bool:
    """Add the flag unless one of that kind is open for the member; True when added."""
    if uow.flags.open_flag(guild_id, user_id, found.kind) is not None:
        return False
    uow.flags.add(
        ReviewFlag(
            id=uow.next_id(),
            guild_id=guild_id,
            user_id=user_id,
            kind=found.kind,
            tracker_id=found.tracker_id,
            detail=found.detail,
            data=dict(found.data),
            raised_at=now,
        )
    )
    return True


def _raise_all(
    uow: UnitOfWork, guild_id: str, user_id: str, findings: Iterable[Finding | None], now: datetime
) -> list[str]:
    return [f.kind for f in findings if f is not None and _raise(uow, guild_id, user_id, f, now)]


def flag_after_scrape(
    uow: UnitOfWork, tracker: Tracker, previous_platform_user_id: str | None, now: datetime
) -> list[str]:
    """RATING_DROP, SHARED_ACCOUNT and HANDLE_CHANGED in every guild of the owner; the kinds
    newly raised."""
    memberships = uow.guilds.memberships(tracker.user_id)
    if not memberships:
        return []
    snapshots = uow.snapshots.for_tracker(tracker.id, limit=SNAPSHOTS_READ)
    holders = (
        uow.flags.other_holders(tracker.platform, tracker.platform_user_id, tracker.user_id)
        if tracker.platform_user_id
        else []
    )
    shared = shared_account(tracker.id, tracker.platform_user_id, holders)
    handle = handle_changed(tracker.id, previous_platform_user_id, tracker.platform_user_id)
    raised = []
    for member in memberships:
        rules = uow.guilds.settings(member.guild_id).flags
        drop = rating_drop(
            tracker.id, snapshots, rules.rating_drop, timedelta(days=rules.window_days), now
        )
        raised += _raise_all(uow, member.guild_id, tracker.user_id, (drop, shared, handle), now)
    return raised


def flag_after_failure(
    uow: UnitOfWork, tracker: Tracker, category: str, had_data: bool, now: datetime
) -> list[str]:
    """SOURCE_MISSING and STALE in every guild of the owner; the kinds newly raised."""
    missing = source_missing(tracker.id, had_data, category)
    raised = []
    for member in uow.guilds.memberships(tracker.user_id):
        rules = uow.guilds.settings(member.guild_id).flags
        old = stale(tracker.id, tracker.last_scraped_at, tracker.created_at, rules.stale_days, now)
        raised += _raise_all(uow, member.guild_id, tracker.user_id, (missing, old), now)
    return raised
