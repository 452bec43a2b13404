"""The notification dispatcher over the in-memory fakes."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import timedelta

import pytest
from tests.fakes import FakeUnitOfWork, FixedClock, RecordingNotifier

from tracker_core.errors import DeliveryError
from tracker_core.notifications import DeliveryStatus, Notification
from tracker_core.policy import Policy
from tracker_core.ports import Notifier
from tracker_core.use_cases.notifications import (
    CLAIM_LEASE,
    DispatchResult,
    dispatch_notifications,
)


class ProcessKilled(BaseException):
    """Stands for the process dying: nothing after it runs."""


def add_notification(uow: FakeUnitOfWork, clock: FixedClock, n: int = 1) -> Notification:
    notification = Notification(
        id=f"c{n:024d}",
        kind="TRACKER_UPDATE",
        channel="DISCORD_DM",
        target="123456789012345678",
        tracker_id="c" + "t" * 24,
        user_id="123456789012345678",
        message=f"2v2: 1450 → 1502 (+52) #{n}",
        created_at=clock.now(),
    )
    with uow:
        uow.notifications.add(notification)
        uow.commit()
    return notification


def stored(uow: FakeUnitOfWork, notification_id: str) -> Notification:
    return uow.committed.notifications[notification_id]


def run(
    uow: FakeUnitOfWork,
    notifier: Notifier,
    clock: FixedClock,
    policy: Policy | None = None,
    limit: int = 100,
) -> DispatchResult:
    return dispatch_notifications(
        uow=uow,
        notifier=notifier,
        clock=clock,
        policy=policy or Policy(),
        rng=random.Random(7),
        limit=limit,
    )


class ScriptedNotifier:
    """Runs one action per send, in order; records what it was asked to send."""

    def __init__(self, *actions: Callable[[Notification], None]) -> None:
        self.actions = list(actions)
        self.calls: list[str] = []

    def send(self, notification: Notification) -> None:
        self.calls.append(notification.id)
        if self.actions:
            self.actions.pop(0)(notification)


def fail(retry_after: float | None = None) -> Callable[[Notification], None]:
    def action(_: Notification) -> None:
        raise DeliveryError("Discord answered 503", retry_after=retry_after)

    return action


def test_due_rows_are_sent_and_marked_sent(
    uow: FakeUnitOfWork, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    first, second = add_notification(uow, clock, 1), add_notification(uow, clock, 2)

    result = run(uow, notifier, clock)

    assert result == DispatchResult(sent=2, retried=0, failed=0)
    assert [n.id for n in notifier.sent] == [first.id, second.id]
    for row in (stored(uow, first.id), stored(uow, second.id)):
        assert (row.status, row.attempts, row.sent_at) == (DeliveryStatus.SENT, 1, clock.now())
    assert run(uow, notifier, clock) == DispatchResult(0, 0, 0)
    assert len(notifier.sent) == 2


def test_limit_bounds_one_pass(
    uow: FakeUnitOfWork, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    for n in range(1, 6):
        add_notification(uow, clock, n)

    assert run(uow, notifier, clock, limit=3).sent == 3
    assert run(uow, notifier, clock, limit=3).sent == 2


def test_retry_after_is_honoured(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    row = add_notification(uow, clock)
    notifier = ScriptedNotifier(fail(retry_after=42.5))
    start = clock.now()

    assert run(uow, notifier, clock) == DispatchResult(sent=0, retried=1, failed=0)
    after = stored(uow, row.id)
    assert after.status == DeliveryStatus.PENDING
    assert after.next_attempt_at == start + timedelta(seconds=42.5)
    assert "503" in (after.last_error or "")

    clock.advance(seconds=42)
    assert run(uow, notifier, clock) == DispatchResult(0, 0, 0)
    clock.advance(seconds=0.5)
    assert run(uow, notifier, clock).sent == 1
    assert notifier.calls == [row.id, row.id]
    assert stored(uow, row.id).status == DeliveryStatus.SENT


def test_without_retry_after_the_retry_backs_off_with_jitter(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    row = add_notification(uow, clock)

    run(uow, ScriptedNotifier(fail()), clock)

    next_attempt_at = stored(uow, row.id).next_attempt_at
    assert next_attempt_at is not None
    delay = next_attempt_at - clock.now()
    # First attempt: backoff ceiling 5 s, equal jitter in [2.5 s, 5 s].
    assert timedelta(seconds=2.5) <= delay <= timedelta(seconds=5)


def test_permanent_failure_gives_up_at_once_with_the_reason(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    row = add_notification(uow, clock)

    def refuse(_: Notification) -> None:
        raise DeliveryError("send DM: Cannot send messages to this user", permanent=True)

    assert run(uow, ScriptedNotifier(refuse), clock) == DispatchResult(0, 0, failed=1)
    after = stored(uow, row.id)
    assert after.status == DeliveryStatus.FAILED
    assert after.last_error == "send DM: Cannot send messages to this user"
    assert after.next_attempt_at is None


def test_gives_up_after_the_maximum_number_of_attempts(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    row = add_notification(uow, clock)
    notifier = ScriptedNotifier(*[fail()] * 10)
    policy = Policy(notification_max_attempts=3)

    results = []
    for _ in range(5):
        results.append(run(uow, notifier, clock, policy))
        clock.advance(hours=2)

    assert [r.retried for r in results] == [1, 1, 0, 0, 0]
    assert [r.failed for r in results] == [0, 0, 1, 0, 0]
    after = stored(uow, row.id)
    assert (after.status, after.attempts) == (DeliveryStatus.FAILED, 3)
    assert len(notifier.calls) == 3


def test_a_row_another_dispatcher_already_handled_is_skipped(
    uow: FakeUnitOfWork, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = add_notification(uow, clock)
    with uow:
        stale_view = uow.notifications.due(clock.now(), 100)
    first = RecordingNotifier()
    run(uow, first, clock)
    # A second dispatcher that loaded the row before the first one claimed it.
    monkeypatch.setattr(uow.notifications, "due", lambda now, limit: list(stale_view))
    second = RecordingNotifier()

    assert run(uow, second, clock) == DispatchResult(0, 0, 0, skipped=1)
    assert second.sent == []
    assert stored(uow, row.id).attempts == 1


def test_a_claimed_row_is_not_sent_by_a_concurrent_dispatcher(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    add_notification(uow, clock)
    inner = RecordingNotifier()
    inner_results: list[DispatchResult] = []

    def dispatch_meanwhile(_: Notification) -> None:
        inner_results.append(run(uow, inner, clock))

    outer = ScriptedNotifier(dispatch_meanwhile)

    assert run(uow, outer, clock).sent == 1
    assert inner_results == [DispatchResult(0, 0, 0)]
    assert inner.sent == []


def test_a_dispatcher_dying_between_send_and_mark_loses_nothing(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    row = add_notification(uow, clock)

    def sent_then_killed(_: Notification) -> None:
        raise ProcessKilled

    with pytest.raises(ProcessKilled):
        run(uow, ScriptedNotifier(sent_then_killed), clock)
    assert stored(uow, row.id).status == DeliveryStatus.PENDING

    again = RecordingNotifier()
    assert run(uow, again, clock).sent == 0  # still claimed by the dead dispatcher
    clock.advance(seconds=CLAIM_LEASE.total_seconds())
    assert run(uow, again, clock).sent == 1
    assert [n.nonce for n in again.sent] == [row.nonce]
    assert stored(uow, row.id).status == DeliveryStatus.SENT


def test_an_unexpected_notifier_error_is_logged_and_retried_and_others_go_on(
    uow: FakeUnitOfWork, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    broken, fine = add_notification(uow, clock, 1), add_notification(uow, clock, 2)

    def bug(_: Notification) -> None:
        raise KeyError("https://discord.com/api/webhooks/1/secret-token")

    with caplog.at_level(logging.ERROR):
        result = run(uow, ScriptedNotifier(bug), clock)

    assert result == DispatchResult(sent=1, retried=1, failed=0)
    assert stored(uow, fine.id).status == DeliveryStatus.SENT
    after = stored(uow, broken.id)
    assert after.status == DeliveryStatus.PENDING
    assert after.last_error == "unexpected KeyError in the notifier (see logs)"
    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)
