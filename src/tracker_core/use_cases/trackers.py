"""Use cases of a user's trackers: register, add, update, delete, restore, refresh, snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from tracker_core.errors import (
    AlreadyRegisteredError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    RuleViolationError,
)
from tracker_core.guilds import UserProfile, processing_allowed
from tracker_core.model import Priority, Tracker, TrackerSnapshot, TrackerStatus
from tracker_core.policy import Policy
from tracker_core.ports import Clock, JobQueue, UnitOfWork
from tracker_core.source import served_from_storage
from tracker_core.stats import RANKED_PLAYLISTS, RankedPlaylist
from tracker_core.urls import TrackerUrl, parse_tracker_url
from tracker_core.use_cases.common import (
    TRACKER_NOT_FOUND,
    enqueue_after_commit,
    live_tracker,
    upsert_user,
)

OWNER_ONLY = "You can only perform this operation on your own trackers"
TAKEN_BY_OTHER = "This tracker URL has already been registered with another user."
ALREADY_YOURS = "You have already registered this tracker URL."


@attrs.frozen(kw_only=True)
class RegisterTrackers:
    """Register a user's first 1–4 trackers, all or nothing."""

    user_id: str
    urls: tuple[str, ...]
    profile: UserProfile | None = None
    channel_id: str | None = None
    interaction_token: str | None = attrs.field(default=None, repr=False)


@attrs.frozen(kw_only=True)
class AddTracker:
    """Add one tracker (or restore one's own soft-deleted one)."""

    user_id: str
    url: str
    profile: UserProfile | None = None
    channel_id: str | None = None
    interaction_token: str | None = attrs.field(default=None, repr=False)


@attrs.frozen(kw_only=True)
class UpdateTracker:
    actor_id: str
    tracker_id: str
    display_name: str | None = None
    is_active: bool | None = None


@attrs.frozen(kw_only=True)
class RefreshTracker:
    """Refresh a tracker now; ``actor_id`` None means the bot or a system admin."""

    tracker_id: str
    actor_id: str | None = None


@attrs.frozen
class RefreshOutcome:
    tracker_id: str
    status: TrackerStatus
    enqueued: bool
    fresh_until: datetime | None = None
    """Set when the refresh was answered from storage: tracker.gg's cache of the profile is
    fresh until then, so asking would return the stored data (no job, no request)."""

    @property
    def served_from_storage(self) -> bool:
        return self.fresh_until is not None


@attrs.frozen(kw_only=True)
class CreateManualSnapshot:
    actor_id: str
    tracker_id: str
    season_number: int | None
    ratings: dict[RankedPlaylist, int | None]
    games_played: dict[RankedPlaylist, int | None] = attrs.field(factory=dict)


def _new_tracker(
    uow: UnitOfWork, parsed: TrackerUrl, cmd: RegisterTrackers | AddTracker, clock: Clock
) -> Tracker:
    now = clock.now()
    return Tracker(
        id=uow.next_id(),
        url=parsed.canonical_url,
        platform=parsed.platform,
        username=parsed.username,
        identity=parsed.identity,
        api_path=parsed.api_path,
        user_id=cmd.user_id,
        created_at=now,
        updated_at=now,
        registration_channel_id=cmd.channel_id,
        registration_interaction_token=cmd.interaction_token,
    )


def _parse_register_urls(urls: Sequence[str], policy: Policy) -> list[TrackerUrl]:
    policy.check_register_count(len(urls))
    parsed = [parse_tracker_url(url) for url in urls]
    if len({p.identity for p in parsed}) != len(parsed):
        raise RuleViolationError("Duplicate URLs are not allowed")
    return parsed


def register_trackers(
    cmd: RegisterTrackers, *, uow: UnitOfWork, queue: JobQueue, clock: Clock, policy: Policy
) -> list[Tracker]:
    """Register 1 to ``policy.max_trackers_per_user`` trackers for a user who has none, in one
    transaction. When the processing guard refuses the owner they are stored FAILED, unqueued.

    Raises:
        RuleViolationError: wrong count, duplicates, or the user already has trackers.
        InvalidTrackerUrlError: a URL is not a TRN profile URL.
        AlreadyRegisteredError: a URL is held by a non-deleted tracker.
    """
    parsed = _parse_register_urls(cmd.urls, policy)
    with uow:
        uow.users.lock(cmd.user_id)
        upsert_user(uow, cmd.user_id, cmd.profile, clock.now())
        own = uow.trackers.for_user(cmd.user_id, include_deleted=True)
        live = [t for t in own if not t.is_deleted]
        if live:
            raise RuleViolationError(
                f"You already have {len(live)} tracker(s) registered. "
                "Use /api/trackers/add to add more."
            )
        taken = [p.canonical_url for p in parsed if uow.trackers.live_by_identity(p.identity)]
        if taken:
            raise _taken(taken)
        deleted = {t.identity: t for t in own}
        allowed = _guard_allows(uow, cmd.user_id)
        trackers = []
        try:
            for p in parsed:
                found = deleted.get(p.identity)
                trackers.append(_restore_or_create(uow, found, p, cmd, clock, allowed))
        except AlreadyRegisteredError:
            raise _taken([p.canonical_url for p in parsed]) from None
        uow.commit()
    if allowed:
        enqueue_after_commit(queue, [t.id for t in trackers], Priority.DEFAULT)
    return trackers


def _guard_allows(uow: UnitOfWork, user_id: str) -> bool:
    """The processing guard for the owner's new or restored trackers."""
    return processing_allowed(uow.guilds.settings_by_user([user_id]).get(user_id, []))


def _taken(urls: Sequence[str]) -> AlreadyRegisteredError:
    return AlreadyRegisteredError(
        "The following tracker URL(s) have already been registered: " + ", ".join(urls)
    )


def _restore_or_create(
    uow: UnitOfWork,
    own_deleted: Tracker | None,
    parsed: TrackerUrl,
    cmd: RegisterTrackers | AddTracker,
    clock: Clock,
    allowed: bool,
) -> Tracker:
    if own_deleted is not None:
        own_deleted.restore(clock.now())
        _refuse_unless(own_deleted, allowed, clock)
        uow.trackers.save(own_deleted)
        return own_deleted
    tracker = _new_tracker(uow, parsed, cmd, clock)
    _refuse_unless(tracker, allowed, clock)
    uow.trackers.add(tracker)
    return tracker


def _refuse_unless(tracker: Tracker, allowed: bool, clock: Clock) -> None:
    if not allowed and tracker.scraping_status == TrackerStatus.PENDING:
        tracker.refuse_by_guard(clock.now())


def add_tracker(
    cmd: AddTracker, *, uow: UnitOfWork, queue: JobQueue, clock: Clock, policy: Policy
) -> Tracker:
    """Add one tracker within the per-user limit; re-adding one's own deleted one restores it.

    Raises:
        InvalidTrackerUrlError, LimitReachedError, AlreadyRegisteredError, RuleViolationError.
    """
    parsed = parse_tracker_url(cmd.url)
    with uow:
        uow.users.lock(cmd.user_id)
        upsert_user(uow, cmd.user_id, cmd.profile, clock.now())
        own = uow.trackers.for_user(cmd.user_id, include_deleted=True)
        live = [t for t in own if not t.is_deleted]
        if any(t.identity == parsed.identity for t in live):
            raise AlreadyRegisteredError(ALREADY_YOURS)
        policy.check_room_for_one(len(live))
        holder = uow.trackers.live_by_identity(parsed.identity)
        if holder is not None:
            raise AlreadyRegisteredError(TAKEN_BY_OTHER)
        deleted = next((t for t in own if t.identity == parsed.identity), None)
        allowed = _guard_allows(uow, cmd.user_id)
        try:
            tracker = _restore_or_create(uow, deleted, parsed, cmd, clock, allowed)
        except AlreadyRegisteredError:
            raise AlreadyRegisteredError(TAKEN_BY_OTHER) from None
        uow.commit()
    if allowed:
        enqueue_after_commit(queue, [tracker.id], Priority.DEFAULT)
    return tracker


def _owned(uow: UnitOfWork, tracker_id: str, actor_id: str) -> Tracker:
    tracker = live_tracker(uow, tracker_id)
    if tracker.user_id != actor_id:
        raise ForbiddenError(OWNER_ONLY)
    return tracker


def update_tracker(cmd: UpdateTracker, *, uow: UnitOfWork, clock: Clock) -> Tracker:
    """Change the display name or the active flag of one's own tracker.

    Raises:
        NotFoundError, ForbiddenError, RuleViolationError (display name over 100 characters).
    """
    if cmd.display_name is not None and len(cmd.display_name) > 100:
        raise RuleViolationError("displayName must be at most 100 characters")
    with uow:
        tracker = _owned(uow, cmd.tracker_id, cmd.actor_id)
        tracker.update(clock.now(), display_name=cmd.display_name, is_active=cmd.is_active)
        uow.trackers.save(tracker)
        uow.commit()
    return tracker


def delete_tracker(actor_id: str, tracker_id: str, *, uow: UnitOfWork, clock: Clock) -> Tracker:
    """Soft-delete one's own tracker; it stops reserving its URL.

    Raises:
        NotFoundError, ForbiddenError.
    """
    with uow:
        tracker = _owned(uow, tracker_id, actor_id)
        tracker.soft_delete(clock.now())
        uow.trackers.save(tracker)
        uow.commit()
    return tracker


def restore_tracker(
    actor_id: str,
    tracker_id: str,
    *,
    uow: UnitOfWork,
    queue: JobQueue,
    clock: Clock,
    policy: Policy,
) -> Tracker:
    """Undo the soft delete of one's own tracker, within the limit and if the URL is free.

    Raises:
        NotFoundError, ForbiddenError, LimitReachedError, AlreadyRegisteredError.
    """
    with uow:
        uow.users.lock(actor_id)
        tracker = uow.trackers.get(tracker_id)
        if tracker is None or not tracker.is_deleted:
            raise NotFoundError(TRACKER_NOT_FOUND)
        if tracker.user_id != actor_id:
            raise ForbiddenError(OWNER_ONLY)
        policy.check_room_for_one(len(uow.trackers.for_user(actor_id)))
        if uow.trackers.live_by_identity(tracker.identity) is not None:
            raise AlreadyRegisteredError(TAKEN_BY_OTHER)
        tracker.restore(clock.now())
        allowed = _guard_allows(uow, actor_id)
        _refuse_unless(tracker, allowed, clock)
        uow.trackers.save(tracker)
        uow.commit()
    if allowed:
        enqueue_after_commit(queue, [tracker.id], Priority.DEFAULT)
    return tracker


def refresh_tracker(
    cmd: RefreshTracker, *, uow: UnitOfWork, queue: JobQueue, clock: Clock, policy: Policy
) -> RefreshOutcome:
    """Set the tracker PENDING and queue it at high priority, unless a job already has it.

    Users (``actor_id`` set) must own it and wait out the cooldown. A COMPLETED tracker inside
    tracker.gg's cache window of its profile stays COMPLETED and is answered from storage
    (``fresh_until`` set): asking tracker.gg would return the stored data.

    Raises:
        NotFoundError, ForbiddenError, RateLimitedError.
    """
    now = clock.now()
    with uow:
        tracker = live_tracker(uow, cmd.tracker_id)
        if cmd.actor_id is not None and tracker.user_id != cmd.actor_id:
            raise ForbiddenError(OWNER_ONLY)
        busy = tracker.scraping_status == TrackerStatus.IN_PROGRESS
        if busy or queue.is_queued(tracker.id):
            return RefreshOutcome(tracker.id, tracker.scraping_status, enqueued=False)
        if cmd.actor_id is not None:
            wait = tracker.cooldown_remaining(now, policy.refresh_cooldown)
            if wait.total_seconds() > 0:
                seconds = int(wait.total_seconds() + 0.999)
                raise RateLimitedError(
                    f"Please wait {seconds} seconds before refreshing this tracker again",
                    retry_after=seconds,
                )
        fresh = tracker.scraping_status == TrackerStatus.COMPLETED and served_from_storage(
            tracker.source_expires_at, now
        )
        if fresh:
            return RefreshOutcome(
                tracker.id, tracker.scraping_status, False, fresh_until=tracker.source_expires_at
            )
        tracker.request_refresh(now)
        uow.trackers.save(tracker)
        uow.commit()
    enqueued = enqueue_after_commit(queue, [tracker.id], Priority.HIGH) > 0
    return RefreshOutcome(tracker.id, tracker.scraping_status, enqueued=enqueued)


def create_manual_snapshot(
    cmd: CreateManualSnapshot, *, uow: UnitOfWork, clock: Clock
) -> TrackerSnapshot:
    """Record ratings entered by the owner as a MANUAL snapshot.

    Raises:
        NotFoundError, ForbiddenError, RuleViolationError (deleted tracker or no rating given).
    """
    if all(cmd.ratings.get(p) is None for p in RANKED_PLAYLISTS):
        raise RuleViolationError("At least one rating is required")
    with uow:
        tracker = uow.trackers.get(cmd.tracker_id)
        if tracker is None:
            raise NotFoundError(TRACKER_NOT_FOUND)
        if tracker.user_id != cmd.actor_id:
            raise ForbiddenError(OWNER_ONLY)
        if tracker.is_deleted:
            raise RuleViolationError("Cannot create snapshot for deleted tracker")
        now = clock.now()
        snapshot = TrackerSnapshot(
            id=uow.next_id(),
            tracker_id=tracker.id,
            captured_at=now,
            season_number=cmd.season_number,
            ratings={p: cmd.ratings.get(p) for p in RANKED_PLAYLISTS},
            games_played={p: cmd.games_played.get(p) for p in RANKED_PLAYLISTS},
            source="MANUAL",
            entered_by=cmd.actor_id,
            created_at=now,
        )
        uow.snapshots.add(snapshot)
        uow.commit()
    return snapshot
