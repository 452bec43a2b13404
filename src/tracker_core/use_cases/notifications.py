"""Use cases of the notification outbox: deliver due rows, at least once."""

from __future__ import annotations

import enum
import logging
import random
from collections import Counter
from datetime import timedelta

import attrs

from tracker_core.errors import ConflictError, DeliveryError
from tracker_core.notifications import Notification
from tracker_core.policy import Policy
from tracker_core.ports import Clock, Notifier, UnitOfWork

log = logging.getLogger("tracker_core.notifications")

# Shorter than the few minutes Discord remembers a nonce, so a send repeated after a crash
# is still recognised as a duplicate.
CLAIM_LEASE = timedelta(minutes=2)


class _Outcome(enum.Enum):
    SENT = "sent"
    RETRIED = "retried"
    FAILED = "failed"
    SKIPPED = "skipped"


@attrs.frozen
class DispatchResult:
    """What one dispatch pass did: delivered, to retry later, given up, left to another."""

    sent: int
    retried: int
    failed: int
    skipped: int = 0


def dispatch_notifications(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    clock: Clock,
    policy: Policy,
    rng: random.Random,
    limit: int = 100,
    lease: timedelta = CLAIM_LEASE,
) -> DispatchResult:
    """Deliver up to ``limit`` due outbox rows: claim each, send it, then mark it.

    A row is claimed (its next attempt pushed ``lease`` ahead, compare-and-set) before it is
    sent, so concurrent dispatchers do not both send it; a ConflictError means another dispatcher
    has it and the row is skipped. If the process dies after sending, the row is still
    PENDING and is sent again once the lease ends: the channel's nonce drops the duplicate.
    A DeliveryError schedules a retry (``retry_after`` or backoff) or, when permanent or at
    ``policy.notification_max_attempts``, gives up with the reason recorded.
    """
    with uow:
        due = uow.notifications.due(clock.now(), limit)
    outcomes: Counter[_Outcome] = Counter()
    for notification in due:
        outcomes[_deliver(notification, uow, notifier, clock, policy, rng, lease)] += 1
    return DispatchResult(
        sent=outcomes[_Outcome.SENT],
        retried=outcomes[_Outcome.RETRIED],
        failed=outcomes[_Outcome.FAILED],
        skipped=outcomes[_Outcome.SKIPPED],
    )


def _deliver(
    notification: Notification,
    uow: UnitOfWork,
    notifier: Notifier,
    clock: Clock,
    policy: Policy,
    rng: random.Random,
    lease: timedelta,
) -> _Outcome:
    # The claim is only a later next attempt: a crash anywhere leaves the row deliverable.
    notification.next_attempt_at = clock.now() + lease
    if not _save(uow, notification):
        return _Outcome.SKIPPED
    failure = _send(notifier, notification)
    now = clock.now()
    if failure is None:
        notification.mark_sent(now)
        outcome = _Outcome.SENT
    else:
        notification.mark_failed_attempt(
            now,
            str(failure),
            max_attempts=1 if failure.permanent else policy.notification_max_attempts,
            retry_after=failure.retry_after,
            rng=rng,
        )
        gave_up = notification.next_attempt_at is None
        outcome = _Outcome.FAILED if gave_up else _Outcome.RETRIED
        log.warning(
            "notification %s (%s) %s: %s",
            notification.id,
            notification.channel,
            "given up" if gave_up else f"retry at {notification.next_attempt_at}",
            failure,
        )
    return outcome if _save(uow, notification) else _Outcome.SKIPPED


def _send(notifier: Notifier, notification: Notification) -> DeliveryError | None:
    """Send; the failure to record, or None when delivered."""
    try:
        notifier.send(notification)
    except DeliveryError as exc:
        return exc
    except Exception as exc:
        # A notifier bug must not stop the other rows; it is retried with backoff. Only the
        # type is recorded: the message of an unexpected error may hold a URL or a token.
        log.exception("notifier failed on notification %s", notification.id)
        return DeliveryError(f"unexpected {type(exc).__name__} in the notifier (see logs)")
    return None


def _save(uow: UnitOfWork, notification: Notification) -> bool:
    """Compare-and-set the row in its own transaction; False when another writer won."""
    with uow:
        try:
            uow.notifications.save(notification)
            uow.commit()
        except ConflictError:
            log.info("notification %s is handled by another dispatcher", notification.id)
            return False
    return True
