"""Use cases of the scrape pipeline: select, claim, apply a result or a failure, reconcile."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from tracker_core.errors import ConflictError, LeaseLostError, NotFoundError, QueueUnavailableError
from tracker_core.guilds import GuildSettings, processing_allowed
from tracker_core.model import Priority, StoredSeasons, Tracker, TrackerStatus
from tracker_core.notifications import backoff_seconds
from tracker_core.policy import Policy
from tracker_core.ports import Clock, JobQueue, UnitOfWork
from tracker_core.ratings import guilds_of
from tracker_core.use_cases.common import enqueue_after_commit, log


@attrs.frozen
class ProcessResult:
    """``{"processed": n, "trackers": [ids]}``."""

    processed: int
    tracker_ids: tuple[str, ...]


@attrs.frozen
class ClaimedScrape:
    """A tracker claimed by one job: what the job needs to fetch it."""

    tracker_id: str
    api_path: str
    lease_token: str
    first_scrape: bool
    """No scrape of it has completed yet: earlier seasons not stored are fetched too."""
    attempt: int
    started_at: datetime
    tracker: Tracker
    """The tracker as the claim left it (the job's own copy: see ``leased``)."""
    seasons: StoredSeasons = attrs.field(factory=StoredSeasons)
    """Its stored seasons at the claim: their numbers, the newest in full (the lease keeps
    other writers away)."""
    guilds: tuple[tuple[str, GuildSettings], ...] = ()
    """The owner's current guilds with their settings, at the claim: the guilds the result
    notifies, flags and rates in (a membership that changes while the job fetches counts from
    the next scrape on)."""

    def leased(self) -> Tracker:
        """A copy of the claimed tracker to apply the job's transition to."""
        return attrs.evolve(self.tracker)


@attrs.frozen
class ReconcileResult:
    expired: tuple[str, ...]
    requeued: int


def _apply_guard(uow: UnitOfWork, ids: Sequence[str], now: datetime) -> list[str]:
    """Trackers allowed by the processing guard; refused PENDING ones become FAILED."""
    trackers = uow.trackers.get_many(ids)
    settings = uow.guilds.settings_by_user(sorted({t.user_id for t in trackers}))
    allowed = []
    for tracker in trackers:
        if processing_allowed(settings.get(tracker.user_id, [])):
            allowed.append(tracker.id)
        elif tracker.scraping_status != TrackerStatus.IN_PROGRESS:
            tracker.refuse_by_guard(now)
            uow.trackers.save(tracker)
    return allowed


def process_pending(*, uow: UnitOfWork, queue: JobQueue, clock: Clock) -> ProcessResult:
    """Queue every PENDING, active, non-deleted tracker that passes the processing guard."""
    with uow:
        allowed = _apply_guard(uow, uow.trackers.pending_ids(), clock.now())
        uow.commit()
    enqueue_after_commit(queue, allowed, Priority.DEFAULT)
    return ProcessResult(len(allowed), tuple(allowed))


def process_guild(
    guild_id: str, *, uow: UnitOfWork, queue: JobQueue, clock: Clock, policy: Policy
) -> ProcessResult:
    """Queue the guild members' pending, never-scraped or stale trackers (bypasses the guard).

    Raises:
        NotFoundError: no such guild.
    """
    now = clock.now()
    with uow:
        if uow.guilds.get(guild_id) is None:
            raise NotFoundError(f"Guild {guild_id} not found")
        ids = uow.trackers.pending_or_stale_ids(now - policy.refresh_interval, guild_id)
        uow.trackers.mark_pending(ids, now)
        uow.commit()
    enqueue_after_commit(queue, ids, Priority.DEFAULT)
    return ProcessResult(len(ids), tuple(ids))


def refresh_stale(
    *,
    uow: UnitOfWork,
    queue: JobQueue,
    clock: Clock,
    policy: Policy,
    tracker_ids: Sequence[str] | None = None,
    priority: Priority = Priority.LOW,
) -> ProcessResult:
    """Queue pending-or-stale trackers of everyone (or the given ones), guarded."""
    now = clock.now()
    with uow:
        if tracker_ids is None:
            ids = uow.trackers.pending_or_stale_ids(now - policy.refresh_interval, None)
        else:
            ids = list(tracker_ids)
        trackers = [t for t in uow.trackers.get_many(ids) if not t.is_deleted]
        settings = uow.guilds.settings_by_user(sorted({t.user_id for t in trackers}))
        allowed = [t.id for t in trackers if processing_allowed(settings.get(t.user_id, []))]
        changed = set(uow.trackers.mark_pending(allowed, now))
        uow.commit()
    queued = [i for i in allowed if i in changed]
    enqueue_after_commit(queue, queued, priority)
    return ProcessResult(len(queued), tuple(queued))


def claim_tracker(
    tracker_id: str, *, uow: UnitOfWork, clock: Clock, policy: Policy
) -> ClaimedScrape | None:
    """Claim the tracker for one job with a lease (one compare-and-set), and read its seasons
    and its owner's guilds.

    None when it is deleted, inactive, not PENDING, not yet due or claimed by another job.
    """
    now = clock.now()
    with uow:
        token = uow.next_id()
        tracker = uow.trackers.claim(tracker_id, now, policy.lease, token)
        if tracker is None:
            return None
        seasons = uow.seasons.for_scrape(tracker.id)
        guilds = tuple(guilds_of(uow, tracker.user_id))
        uow.commit()
    return ClaimedScrape(
        tracker_id=tracker.id,
        api_path=tracker.api_path,
        lease_token=token,
        first_scrape=tracker.last_scraped_at is None,
        attempt=tracker.scraping_attempts + 1,
        started_at=now,
        tracker=tracker,
        seasons=seasons,
        guilds=guilds,
    )


def renew_lease(claimed: ClaimedScrape, *, uow: UnitOfWork, clock: Clock, policy: Policy) -> None:
    """Extend the job's lease by a full lease period (one compare-and-set on the lease).

    Raises:
        LeaseLostError: the lease expired and was taken back, or another job holds the tracker.
    """
    tracker = claimed.leased()
    tracker.renew_lease(clock.now(), policy.lease)
    with uow:
        renewed = uow.trackers.renew_lease(tracker, claimed.lease_token)
        uow.commit()
    if not renewed:
        raise LeaseLostError(f"Tracker {claimed.tracker_id}: lease lost")


def retry_delay(
    attempt: int, retry_after: float | None, policy: Policy, rng: random.Random
) -> timedelta:
    """``Retry-After`` when the upstream gave one, else exponential backoff with jitter."""
    if retry_after is not None:
        return timedelta(seconds=retry_after)
    return timedelta(
        seconds=backoff_seconds(
            attempt, rng, base=policy.backoff_base_seconds, cap=policy.backoff_cap_seconds
        )
    )


def reconcile(*, uow: UnitOfWork, queue: JobQueue, clock: Clock, policy: Policy) -> ReconcileResult:
    """Return expired leases to PENDING and queue every PENDING tracker not queued."""
    expired = reap_expired_leases(uow=uow, clock=clock, policy=policy)
    if expired:
        try:
            queue.discard(expired)
        except QueueUnavailableError as exc:
            log.warning("queue unavailable, dead jobs of %d tracker(s) kept: %s", len(expired), exc)
    with uow:
        pending = uow.trackers.get_many(uow.trackers.pending_ids())
    now = clock.now()
    requeued = 0
    due = [t.id for t in pending if t.next_attempt_at is None or t.next_attempt_at <= now]
    requeued += enqueue_after_commit(queue, due, Priority.DEFAULT)
    later: dict[datetime, list[str]] = {}
    for tracker in pending:
        if tracker.next_attempt_at is not None and tracker.next_attempt_at > now:
            later.setdefault(tracker.next_attempt_at, []).append(tracker.id)
    for instant, ids in sorted(later.items()):
        requeued += enqueue_after_commit(queue, ids, Priority.DEFAULT, not_before=instant)
    return ReconcileResult(tuple(expired), requeued)


def reap_expired_leases(*, uow: UnitOfWork, clock: Clock, policy: Policy) -> list[str]:
    """IN_PROGRESS trackers whose lease expired (their worker died) go back to PENDING."""
    now = clock.now()
    reaped: list[str] = []
    with uow:
        expired: list[Tracker] = uow.trackers.expired_leases(now)
    for stale in expired:
        with uow:
            tracker = uow.trackers.get(stale.id)
            if tracker is None or not tracker.lease_expired(now):
                continue
            tracker.expire_lease(now, policy.max_scraping_attempts)
            try:
                uow.trackers.save(tracker)
                uow.commit()
            except ConflictError:
                continue
            reaped.append(tracker.id)
    return reaped
