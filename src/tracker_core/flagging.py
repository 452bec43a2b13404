"""Raising review flags from the scrape pipeline, in the scrape's own unit of work."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
from tracker_core.guilds import GuildSettings
from tracker_core.model import Tracker
from tracker_core.notifications import Notification
from tracker_core.ports import UnitOfWork
from tracker_core.ratings import guilds_of

SNAPSHOTS_READ = 500  # newest snapshots read for a drop; far more than a window holds


def _raise(uow: UnitOfWork, settings: GuildSettings, flag: ReviewFlag, tracker_id: str) -> bool:
    """Add the flag unless one of that kind is open for the member (and, when the guild asks
    for it, queue a message to its staff webhook); True when added."""
    if uow.flags.open_flag(flag.guild_id, flag.user_id, flag.kind) is not None:
        return False
    uow.flags.add(flag)
    hook = settings.notifications.webhook_url
    if settings.flags.notify and hook:
        uow.notifications.add(
            Notification(
                id=uow.next_id(),
                kind="REVIEW_FLAG",
                channel="WEBHOOK",
                target=hook,
                tracker_id=tracker_id,
                user_id=flag.user_id,
                guild_id=flag.guild_id,
                message=f"Review flag {flag.kind} for <@{flag.user_id}>: {flag.detail}",
                payload={"flagId": flag.id, "kind": flag.kind},
                created_at=flag.raised_at,
            )
        )
    return True


def _raise_all(
    uow: UnitOfWork,
    guild_id: str,
    settings: GuildSettings,
    tracker: Tracker,
    findings: Iterable[Finding | None],
    now: datetime,
) -> list[str]:
    raised: list[str] = []
    for found in findings:
        if found is None:
            continue
        flag = ReviewFlag(
            id=uow.next_id(),
            guild_id=guild_id,
            user_id=tracker.user_id,
            kind=found.kind,
            tracker_id=found.tracker_id,
            detail=found.detail,
            data=dict(found.data),
            raised_at=now,
        )
        if _raise(uow, settings, flag, tracker.id):
            raised.append(found.kind)
    return raised


def flag_after_scrape(
    uow: UnitOfWork,
    tracker: Tracker,
    previous_platform_user_id: str | None,
    now: datetime,
    guilds: Sequence[tuple[str, GuildSettings]] | None = None,
) -> list[str]:
    """RATING_DROP, SHARED_ACCOUNT and HANDLE_CHANGED in every guild of the owner; the kinds
    newly raised. ``guilds``: the owner's current guilds with their settings, when the caller
    has read them already (else they are read)."""
    memberships = guilds_of(uow, tracker.user_id) if guilds is None else guilds
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
    raised: list[str] = []
    for guild_id, settings in memberships:
        rules = settings.flags
        drop = rating_drop(
            tracker.id, snapshots, rules.rating_drop, timedelta(days=rules.window_days), now
        )
        raised += _raise_all(uow, guild_id, settings, tracker, (drop, shared, handle), now)
    return raised


def flag_after_failure(
    uow: UnitOfWork,
    tracker: Tracker,
    category: str,
    had_data: bool,
    now: datetime,
    guilds: Sequence[tuple[str, GuildSettings]] | None = None,
) -> list[str]:
    """SOURCE_MISSING and STALE in every guild of the owner; the kinds newly raised
    (``guilds`` as in :func:`flag_after_scrape`)."""
    missing = source_missing(tracker.id, had_data, category)
    raised: list[str] = []
    for guild_id, settings in guilds_of(uow, tracker.user_id) if guilds is None else guilds:
        rules = settings.flags
        old = stale(tracker.id, tracker.last_scraped_at, tracker.created_at, rules.stale_days, now)
        raised += _raise_all(uow, guild_id, settings, tracker, (missing, old), now)
    return raised
