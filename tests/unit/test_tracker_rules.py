"""Every rule of SPEC §2.3 and its exact message, through the use cases over fakes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.fakes import FakeQueue, FakeUnitOfWork, FixedClock

from tracker_core.errors import (
    AlreadyRegisteredError,
    ForbiddenError,
    LimitReachedError,
    NotFoundError,
    RateLimitedError,
    RuleViolationError,
)
from tracker_core.guilds import Guild, GuildMember, GuildSettings, UserProfile
from tracker_core.model import Priority, TrackerStatus
from tracker_core.policy import Policy
from tracker_core.use_cases.trackers import (
    AddTracker,
    CreateManualSnapshot,
    RefreshTracker,
    RegisterTrackers,
    UpdateTracker,
    add_tracker,
    create_manual_snapshot,
    delete_tracker,
    refresh_tracker,
    register_trackers,
    restore_tracker,
    update_tracker,
)

BASE = "https://rocketleague.tracker.network/rocket-league/profile"
POLICY = Policy()


def url(name: str, platform: str = "steam") -> str:
    return f"{BASE}/{platform}/{name}/overview"


def register(
    uow: FakeUnitOfWork, queue: FakeQueue, clock: FixedClock, user: str, *names: str
) -> list[str]:
    cmd = RegisterTrackers(user_id=user, urls=tuple(url(n) for n in names))
    return [t.id for t in register_trackers(cmd, uow=uow, queue=queue, clock=clock, policy=POLICY)]


def add(
    uow: FakeUnitOfWork,
    queue: FakeQueue,
    clock: FixedClock,
    user: str,
    name: str,
    policy: Policy | None = None,
) -> str:
    cmd = AddTracker(user_id=user, url=url(name))
    return add_tracker(cmd, uow=uow, queue=queue, clock=clock, policy=policy or Policy()).id


def live(uow: FakeUnitOfWork, user: str) -> list[str]:
    return sorted(
        t.username
        for t in uow.committed.trackers.values()
        if t.user_id == user and not t.is_deleted
    )


def test_register_stores_canonical_pending_trackers_and_queues_them(uow, queue, clock):
    cmd = RegisterTrackers(
        user_id="1",
        urls=("http://www.TRACKER.gg/rocket-league/profile/Xbox/Some%20One/mmr?x=1",),
        profile=UserProfile(username="someone", avatar="a1"),
        channel_id="chan",
        interaction_token="secret-token",
    )
    [tracker] = register_trackers(cmd, uow=uow, queue=queue, clock=clock, policy=POLICY)
    stored = uow.committed.trackers[tracker.id]
    assert stored.url == f"{BASE}/xbl/Some%20One/overview"
    assert stored.platform == "XBL" and stored.username == "Some One"
    assert stored.scraping_status == TrackerStatus.PENDING
    assert stored.registration_interaction_token == "secret-token"
    assert "secret-token" not in repr(stored)
    assert uow.committed.users["1"].username == "someone"
    assert queue.jobs == {tracker.id: (Priority.DEFAULT, None)}


@pytest.mark.parametrize("count", [0, 5])
def test_register_needs_one_to_four_urls(uow, queue, clock, count):
    with pytest.raises(RuleViolationError, match="^You must provide between 1 and 4 tracker URLs$"):
        register(uow, queue, clock, "1", *[f"p{i}" for i in range(count)])
    assert uow.committed.trackers == {}


def test_register_rejects_a_user_who_has_trackers(uow, queue, clock):
    register(uow, queue, clock, "1", "a", "b")
    with pytest.raises(RuleViolationError) as err:
        register(uow, queue, clock, "1", "c")
    assert str(err.value) == (
        "You already have 2 tracker(s) registered. Use /api/trackers/add to add more."
    )


def test_register_rejects_duplicate_identities(uow, queue, clock):
    with pytest.raises(RuleViolationError, match="^Duplicate URLs are not allowed$"):
        register_trackers(
            RegisterTrackers(user_id="1", urls=(url("Abc"), url("abc") + "/")),
            uow=uow,
            queue=queue,
            clock=clock,
            policy=POLICY,
        )


def test_register_is_all_or_nothing_when_a_url_is_taken(uow, queue, clock):
    register(uow, queue, clock, "1", "taken", "other")
    with pytest.raises(AlreadyRegisteredError) as err:
        register(uow, queue, clock, "2", "free", "TAKEN", "other")
    assert str(err.value) == (
        f"The following tracker URL(s) have already been registered: {url('TAKEN')}, {url('other')}"
    )
    assert live(uow, "2") == []


def test_add_respects_the_limit_with_the_exact_message(uow, queue, clock):
    register(uow, queue, clock, "1", "a", "b", "c", "d")
    with pytest.raises(LimitReachedError) as err:
        add(uow, queue, clock, "1", "e")
    assert str(err.value) == (
        "You have reached the maximum of 4 trackers. Please remove one before adding another."
    )
    small = Policy(max_trackers_per_user=1)
    add(uow, queue, clock, "2", "x", small)
    with pytest.raises(LimitReachedError, match="maximum of 1 trackers"):
        add(uow, queue, clock, "2", "y", small)
    assert live(uow, "2") == ["x"]


def test_register_honours_the_configured_limit(uow, queue, clock):
    two = Policy(max_trackers_per_user=2)
    cmd = RegisterTrackers(user_id="1", urls=(url("a"), url("b"), url("c")))
    with pytest.raises(RuleViolationError, match="^You must provide between 1 and 2 tracker URLs$"):
        register_trackers(cmd, uow=uow, queue=queue, clock=clock, policy=two)
    assert uow.committed.trackers == {}
    six = Policy(max_trackers_per_user=6)
    cmd = RegisterTrackers(user_id="1", urls=tuple(url(f"p{i}") for i in range(6)))
    assert len(register_trackers(cmd, uow=uow, queue=queue, clock=clock, policy=six)) == 6


def _guild_without_processing(uow: FakeUnitOfWork, clock: FixedClock, *users: str) -> None:
    now = clock.now()
    store = uow.committed
    for guild_id, enabled in (("g-off-1", False), ("g-off-2", False)):
        store.guilds[guild_id] = Guild(id=guild_id, name=guild_id, created_at=now, updated_at=now)
        store.settings[guild_id] = GuildSettings(tracker_processing_enabled=enabled)
        for user in users:
            store.members[(guild_id, user)] = GuildMember(guild_id=guild_id, user_id=user)


def test_registration_is_guarded_when_every_guild_disables_processing(uow, queue, clock):
    _guild_without_processing(uow, clock, "1")
    ids = register(uow, queue, clock, "1", "a", "b")
    added = add(uow, queue, clock, "1", "c")
    for tracker_id in (*ids, added):
        stored = uow.committed.trackers[tracker_id]
        assert stored.scraping_status == TrackerStatus.FAILED
        assert stored.scraping_error == "Tracker processing disabled by guild settings"
    assert queue.jobs == {}
    delete_tracker("1", added, uow=uow, clock=clock)
    restore_tracker("1", added, uow=uow, queue=queue, clock=clock, policy=POLICY)
    assert uow.committed.trackers[added].scraping_status == TrackerStatus.FAILED
    assert queue.jobs == {}


def test_registration_is_queued_when_one_guild_allows_processing(uow, queue, clock):
    _guild_without_processing(uow, clock, "1")
    now = clock.now()
    uow.committed.guilds["g-on"] = Guild(id="g-on", name="on", created_at=now, updated_at=now)
    uow.committed.members[("g-on", "1")] = GuildMember(guild_id="g-on", user_id="1")
    [tracker_id] = register(uow, queue, clock, "1", "a")
    assert uow.committed.trackers[tracker_id].scraping_status == TrackerStatus.PENDING
    assert tracker_id in queue.jobs


def test_add_rejects_a_url_of_another_user(uow, queue, clock):
    register(uow, queue, clock, "1", "a")
    with pytest.raises(AlreadyRegisteredError) as err:
        add(uow, queue, clock, "2", "A")
    assert str(err.value) == "This tracker URL has already been registered with another user."


def test_add_rejects_ones_own_live_tracker_again(uow, queue, clock):
    register(uow, queue, clock, "1", "a")
    with pytest.raises(AlreadyRegisteredError, match="already registered this tracker"):
        add(uow, queue, clock, "1", "a")


def test_soft_delete_frees_the_url_and_hides_the_tracker(uow, queue, clock):
    [tid] = register(uow, queue, clock, "1", "a")
    delete_tracker("1", tid, uow=uow, clock=clock)
    assert uow.committed.trackers[tid].is_deleted
    assert live(uow, "1") == []
    other = add(uow, queue, clock, "2", "a")
    assert live(uow, "2") == ["a"] and other != tid
    with pytest.raises(NotFoundError, match="^Tracker not found$"):
        update_tracker(
            UpdateTracker(actor_id="1", tracker_id=tid, display_name="x"), uow=uow, clock=clock
        )


def test_re_adding_ones_deleted_tracker_restores_it_with_history(uow, queue, clock):
    [tid] = register(uow, queue, clock, "1", "a")
    create_manual_snapshot(
        CreateManualSnapshot(actor_id="1", tracker_id=tid, season_number=34, ratings={"2v2": 1500}),
        uow=uow,
        clock=clock,
    )
    delete_tracker("1", tid, uow=uow, clock=clock)
    assert add(uow, queue, clock, "1", "A") == tid
    assert not uow.committed.trackers[tid].is_deleted
    assert len(uow.committed.snapshots) == 1


def test_restore_checks_limit_and_url(uow, queue, clock, policy):
    [tid] = register(uow, queue, clock, "1", "a")
    delete_tracker("1", tid, uow=uow, clock=clock)
    add(uow, queue, clock, "2", "a")
    with pytest.raises(AlreadyRegisteredError):
        restore_tracker("1", tid, uow=uow, queue=queue, clock=clock, policy=policy)
    with pytest.raises(ForbiddenError):
        restore_tracker("3", tid, uow=uow, queue=queue, clock=clock, policy=policy)


def test_owner_only_operations(uow, queue, clock, policy):
    [tid] = register(uow, queue, clock, "1", "a")
    message = "^You can only perform this operation on your own trackers$"
    with pytest.raises(ForbiddenError, match=message):
        update_tracker(
            UpdateTracker(actor_id="2", tracker_id=tid, is_active=False), uow=uow, clock=clock
        )
    with pytest.raises(ForbiddenError, match=message):
        delete_tracker("2", tid, uow=uow, clock=clock)
    with pytest.raises(ForbiddenError, match=message):
        refresh_tracker(
            RefreshTracker(tracker_id=tid, actor_id="2"),
            uow=uow,
            queue=queue,
            clock=clock,
            policy=policy,
        )
    with pytest.raises(ForbiddenError, match=message):
        create_manual_snapshot(
            CreateManualSnapshot(
                actor_id="2", tracker_id=tid, season_number=None, ratings={"1v1": 900}
            ),
            uow=uow,
            clock=clock,
        )
    assert not uow.committed.trackers[tid].is_deleted


def test_update_changes_only_given_fields(uow, queue, clock):
    [tid] = register(uow, queue, clock, "1", "a")
    update_tracker(
        UpdateTracker(actor_id="1", tracker_id=tid, display_name="Main"), uow=uow, clock=clock
    )
    update_tracker(
        UpdateTracker(actor_id="1", tracker_id=tid, is_active=False), uow=uow, clock=clock
    )
    stored = uow.committed.trackers[tid]
    assert (stored.display_name, stored.is_active) == ("Main", False)
    with pytest.raises(RuleViolationError):
        update_tracker(
            UpdateTracker(actor_id="1", tracker_id=tid, display_name="x" * 101),
            uow=uow,
            clock=clock,
        )


def test_manual_snapshot_on_deleted_tracker_is_refused(uow, queue, clock):
    [tid] = register(uow, queue, clock, "1", "a")
    delete_tracker("1", tid, uow=uow, clock=clock)
    with pytest.raises(RuleViolationError, match="^Cannot create snapshot for deleted tracker$"):
        create_manual_snapshot(
            CreateManualSnapshot(
                actor_id="1", tracker_id=tid, season_number=34, ratings={"2v2": 1500}
            ),
            uow=uow,
            clock=clock,
        )


def test_refresh_does_not_queue_twice_and_honours_the_cooldown(uow, queue, clock, policy):
    [tid] = register(uow, queue, clock, "1", "a")
    outcome = refresh_tracker(
        RefreshTracker(tracker_id=tid, actor_id="1"),
        uow=uow,
        queue=queue,
        clock=clock,
        policy=policy,
    )
    assert outcome.enqueued is False and outcome.status == TrackerStatus.PENDING
    assert len(queue.history) == 1
    queue.jobs.clear()
    first = refresh_tracker(
        RefreshTracker(tracker_id=tid, actor_id="1"),
        uow=uow,
        queue=queue,
        clock=clock,
        policy=policy,
    )
    assert first.enqueued and queue.jobs[tid][0] == Priority.HIGH
    queue.jobs.clear()
    clock.advance(seconds=100)
    with pytest.raises(RateLimitedError) as err:
        refresh_tracker(
            RefreshTracker(tracker_id=tid, actor_id="1"),
            uow=uow,
            queue=queue,
            clock=clock,
            policy=policy,
        )
    assert err.value.retry_after == 200
    bot = refresh_tracker(
        RefreshTracker(tracker_id=tid), uow=uow, queue=queue, clock=clock, policy=policy
    )
    assert bot.enqueued
    queue.jobs.clear()
    clock.advance(seconds=policy.refresh_cooldown.total_seconds())
    assert refresh_tracker(
        RefreshTracker(tracker_id=tid, actor_id="1"),
        uow=uow,
        queue=queue,
        clock=clock,
        policy=policy,
    ).enqueued


def test_refresh_of_a_running_scrape_answers_its_status(uow, queue, clock, policy):
    [tid] = register(uow, queue, clock, "1", "a")
    queue.jobs.clear()
    with uow:
        tracker = uow.trackers.get(tid)
        assert tracker is not None
        tracker.claim(clock.now(), timedelta(minutes=5), "lease")
        uow.trackers.save(tracker)
        uow.commit()
    outcome = refresh_tracker(
        RefreshTracker(tracker_id=tid), uow=uow, queue=queue, clock=clock, policy=policy
    )
    assert outcome.status == TrackerStatus.IN_PROGRESS and not outcome.enqueued
    assert queue.jobs == {}


def test_webhook_token_is_redacted_for_display_and_kept_on_round_trip():
    from tracker_core.guilds import GuildSettings

    hook = "https://discord.com/api/webhooks/123/s3cr3t-token"
    settings = GuildSettings().merged({"notifications": {"webhookUrl": hook}})
    shown = settings.to_dict(redact=True)
    assert "s3cr3t" not in str(shown)
    assert shown["notifications"]["webhookUrl"] == "https://discord.com/api/webhooks/123/[REDACTED]"
    again = settings.merged({"notifications": shown["notifications"]})
    assert again.notifications.webhook_url == hook
    assert settings.to_dict()["notifications"]["webhookUrl"] == hook
