"""The Discord notifiers and the dispatcher against a local fake Discord server."""

from __future__ import annotations

import logging
import random
import traceback
from collections.abc import Iterator
from datetime import timedelta

import pytest
from tests.fakes import FakeUnitOfWork, FixedClock, RecordingNotifier
from tests.integration.fake_discord import FakeDiscord
from tests.integration.redis_support import closed_port

from adapters.notify import ChannelRouter, DiscordDmNotifier, LogNotifier, WebhookNotifier
from tracker_core.errors import DeliveryError
from tracker_core.notifications import Channel, DeliveryStatus, Notification
from tracker_core.policy import Policy
from tracker_core.ports import Notifier
from tracker_core.use_cases.notifications import (
    CLAIM_LEASE,
    DispatchResult,
    dispatch_notifications,
)

USER = "123456789012345678"
MESSAGES = r"/api/v10/channels/\d+/messages"


class ProcessKilled(BaseException):
    """Stands for the dispatcher's process dying: nothing after it runs."""


class DiesAfterSending:
    """Sends for real, then the process "dies" before the row can be marked."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier

    def send(self, notification: Notification) -> None:
        self.notifier.send(notification)
        raise ProcessKilled


@pytest.fixture
def discord() -> Iterator[FakeDiscord]:
    with FakeDiscord() as server:
        yield server


@pytest.fixture
def dm(discord: FakeDiscord) -> Iterator[DiscordDmNotifier]:
    notifier = DiscordDmNotifier(discord.token, api_url=discord.api_url, timeout=5)
    yield notifier
    notifier.close()


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


def notification(
    n: int = 1, channel: Channel = "DISCORD_DM", target: str = USER, message: str = ""
) -> Notification:
    return Notification(
        id=f"c{n:024d}",
        kind="TRACKER_UPDATE",
        channel=channel,
        target=target,
        tracker_id="c" + "t" * 24,
        user_id=USER,
        message=message or f"2v2: 1450 → 1502 (+52), new season peak #{n}",
        created_at=FixedClock().now(),
    )


def outbox(uow: FakeUnitOfWork, row: Notification) -> Notification:
    with uow:
        uow.notifications.add(row)
        uow.commit()
    return row


def dispatch(uow: FakeUnitOfWork, notifier: Notifier, clock: FixedClock) -> DispatchResult:
    return dispatch_notifications(
        uow=uow, notifier=notifier, clock=clock, policy=Policy(), rng=random.Random(3)
    )


def stored(uow: FakeUnitOfWork, row: Notification) -> Notification:
    return uow.committed.notifications[row.id]


def rendered(exc: BaseException) -> str:
    """Everything a log of the exception could show."""
    return "".join(traceback.format_exception(exc)) + repr(exc) + str(exc)


def test_a_dispatcher_killed_between_send_and_mark_shows_one_message(
    discord: FakeDiscord, dm: DiscordDmNotifier, uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    row = outbox(uow, notification())

    with pytest.raises(ProcessKilled):
        dispatch(uow, DiesAfterSending(dm), clock)
    assert len(discord.messages) == 1
    assert stored(uow, row).status == DeliveryStatus.PENDING

    clock.advance(seconds=CLAIM_LEASE.total_seconds())
    assert dispatch(uow, dm, clock).sent == 1

    assert len(discord.requests_to(MESSAGES)) == 2
    assert len(discord.messages) == 1
    sent = discord.messages[0]
    assert (sent["recipient"], sent["nonce"], sent["content"]) == (USER, row.nonce, row.message)
    assert stored(uow, row).status == DeliveryStatus.SENT


def test_discord_429_is_waited_out(
    discord: FakeDiscord, dm: DiscordDmNotifier, uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    row = outbox(uow, notification())
    discord.rate_limit_next(1, retry_after=3.5)
    start = clock.now()

    assert dispatch(uow, dm, clock) == DispatchResult(sent=0, retried=1, failed=0)
    after = stored(uow, row)
    assert after.next_attempt_at == start + timedelta(seconds=3.5)
    assert "429" in (after.last_error or "")

    clock.advance(seconds=3)
    seen = len(discord.requests)
    assert dispatch(uow, dm, clock) == DispatchResult(0, 0, 0)
    assert len(discord.requests) == seen  # not due yet: Discord is left alone

    clock.advance(seconds=0.5)
    assert dispatch(uow, dm, clock).sent == 1
    assert len(discord.messages) == 1
    assert stored(uow, row).status == DeliveryStatus.SENT


def test_retry_after_header_is_used_without_a_json_value(
    discord: FakeDiscord, dm: DiscordDmNotifier
) -> None:
    discord.rate_limit_next(1, retry_after=2, in_body=False)

    with pytest.raises(DeliveryError) as caught:
        dm.send(notification())

    assert (caught.value.retry_after, caught.value.permanent) == (2.0, False)


def test_a_user_refusing_dms_is_given_up_at_once_with_the_reason(
    discord: FakeDiscord, dm: DiscordDmNotifier, uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    discord.blocked_recipients.add(USER)
    row = outbox(uow, notification())

    assert dispatch(uow, dm, clock) == DispatchResult(sent=0, retried=0, failed=1)

    after = stored(uow, row)
    assert (after.status, after.attempts) == (DeliveryStatus.FAILED, 1)
    assert (
        after.last_error
        == "send DM: Discord answered 403: Cannot send messages to this user (code 50007)"
    )
    assert discord.messages == []


def test_a_discord_5xx_is_retried_with_backoff(
    discord: FakeDiscord, dm: DiscordDmNotifier, uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    discord.fail_next(1, 502)
    row = outbox(uow, notification())

    assert dispatch(uow, dm, clock).retried == 1

    after = stored(uow, row)
    assert after.status == DeliveryStatus.PENDING
    assert after.last_error == "open DM channel: Discord answered 502"
    assert after.next_attempt_at is not None and after.next_attempt_at > clock.now()


def test_the_dm_channel_is_opened_once_per_user_and_mentions_are_off(
    discord: FakeDiscord, dm: DiscordDmNotifier
) -> None:
    dm.send(notification(1))
    dm.send(notification(2, message="@everyone " + "x" * 3000))

    assert len(discord.requests_to(r"/api/v10/users/@me/channels")) == 1
    assert [m["allowed_mentions"] for m in discord.messages] == [{"parse": []}] * 2
    assert len(discord.messages[1]["content"]) == 2000
    assert discord.requests[-1].headers["user-agent"].startswith("DiscordBot (")


def test_the_webhook_notifier_posts_the_message(discord: FakeDiscord) -> None:
    url = discord.add_webhook("998877665544332211", "hook-secret-token")
    row = notification(channel="WEBHOOK", target=url)
    webhook = WebhookNotifier(url_pattern=None, timeout=5)
    try:
        webhook.send(row)
    finally:
        webhook.close()

    assert [m["content"] for m in discord.webhook_messages] == [row.message]
    assert discord.requests[-1].query == {"wait": ["true"]}


def test_webhook_errors_map_like_dm_errors_and_hide_the_url(discord: FakeDiscord) -> None:
    url = discord.add_webhook("998877665544332211", "hook-secret-token")
    webhook = WebhookNotifier(url_pattern=None, timeout=5)
    try:
        discord.rate_limit_next(1, retry_after=1.5)
        with pytest.raises(DeliveryError) as limited:
            webhook.send(notification(channel="WEBHOOK", target=url))
        discord.fail_next(1, 500)
        with pytest.raises(DeliveryError) as broken:
            webhook.send(notification(channel="WEBHOOK", target=url))
        with pytest.raises(DeliveryError) as unknown:
            webhook.send(notification(channel="WEBHOOK", target=url.replace("secret", "other")))
    finally:
        webhook.close()

    assert (limited.value.retry_after, limited.value.permanent) == (1.5, False)
    assert (broken.value.retry_after, broken.value.permanent) == (None, False)
    assert unknown.value.permanent
    assert "Unknown Webhook" in str(unknown.value)
    for caught in (limited, broken, unknown):
        assert "hook-" not in rendered(caught.value)


def test_only_discord_webhook_urls_are_posted_to(discord: FakeDiscord) -> None:
    url = discord.add_webhook("998877665544332211", "hook-secret-token")
    webhook = WebhookNotifier(timeout=5)
    try:
        with pytest.raises(DeliveryError) as caught:
            webhook.send(notification(channel="WEBHOOK", target=url))
    finally:
        webhook.close()

    assert caught.value.permanent
    assert discord.requests == []


def test_the_bot_token_never_appears_in_errors(discord: FakeDiscord) -> None:
    wrong = DiscordDmNotifier("wrong-token-456", api_url=discord.api_url, timeout=5)
    gone = DiscordDmNotifier(
        discord.token, api_url=f"http://127.0.0.1:{closed_port()}/api/v10", timeout=5
    )
    try:
        with pytest.raises(DeliveryError) as refused:
            wrong.send(notification())
        with pytest.raises(DeliveryError) as unreachable:
            gone.send(notification())
    finally:
        wrong.close()
        gone.close()

    assert refused.value.permanent and "401" in str(refused.value)
    assert not unreachable.value.permanent and "ConnectError" in str(unreachable.value)
    assert "wrong-token-456" not in rendered(refused.value)
    assert discord.token not in rendered(unreachable.value)
    assert "wrong-token-456" not in repr(wrong)


def test_an_unreachable_webhook_is_retryable_and_hides_the_url() -> None:
    url = f"http://127.0.0.1:{closed_port()}/api/webhooks/1/hook-secret-token"
    webhook = WebhookNotifier(url_pattern=None, timeout=5)
    try:
        with pytest.raises(DeliveryError) as caught:
            webhook.send(notification(channel="WEBHOOK", target=url))
    finally:
        webhook.close()

    assert not caught.value.permanent
    assert "hook-secret-token" not in rendered(caught.value)


def test_the_router_picks_by_channel_and_logs_dms_without_a_bot(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dm, hook = RecordingNotifier(), RecordingNotifier()
    log = LogNotifier(logging.getLogger("test.notifications"))
    hook_url = "https://discord.com/api/webhooks/1/hook-secret-token"

    ChannelRouter(dm, hook, log).send(notification(1))
    ChannelRouter(dm, hook, log).send(notification(2, channel="WEBHOOK", target=hook_url))
    with caplog.at_level(logging.INFO, logger="test.notifications"):
        ChannelRouter(None, hook, log).send(notification(3, message="logged DM"))
        ChannelRouter(dm, None, log).send(notification(4, "WEBHOOK", hook_url, "logged hook"))
        ChannelRouter(dm, hook, log).send(notification(5, channel="LOG", message="logged"))

    assert [n.id for n in dm.sent] == [notification(1).id]
    assert [n.id for n in hook.sent] == [notification(2).id]
    logged = [r.getMessage() for r in caplog.records]
    assert [m.rsplit(": ", 1)[1] for m in logged] == ["logged DM", "logged hook", "logged"]
    assert not any("hook-secret-token" in m for m in logged)
