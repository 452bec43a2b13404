"""A rating drop produced by the TRN simulator (a real local HTTP server) travels through the
real fetcher and the scrape pipeline into one review flag."""

from __future__ import annotations

import random

from tests.fakes import FakeQueue, FakeUnitOfWork, FixedClock
from tests.integration.conftest_trn import simulator

from adapters.trackergg.budget import InProcessBudget
from adapters.trackergg.fetcher import TrackerGgFetcher
from adapters.trackergg.simulator import TrnSimulator
from tracker_core.guilds import Guild, GuildMember, GuildSettings
from tracker_core.league import FlagRules
from tracker_core.policy import Policy
from tracker_core.use_cases.scraping import run_scrape
from tracker_core.use_cases.trackers import RegisterTrackers, register_trackers

__all__ = ["simulator"]

GUILD = "100000000000000001"
USER = "200000000000000002"
URL = "https://rocketleague.tracker.network/rocket-league/profile/steam/dropper/overview"
TWOS = 11  # tracker.gg's playlist id of Ranked Doubles 2v2


def test_a_simulated_drop_raises_one_flag(simulator: TrnSimulator) -> None:
    simulator.set_rating_series("steam", "dropper", TWOS, [1700, 1620, 1549, 1500])
    uow, clock = FakeUnitOfWork(), FixedClock()
    now = clock.now()
    store = uow.committed
    store.guilds[GUILD] = Guild(id=GUILD, name="League", created_at=now, updated_at=now)
    store.settings[GUILD] = GuildSettings(flags=FlagRules(rating_drop=150))
    store.members[(GUILD, USER)] = GuildMember(guild_id=GUILD, user_id=USER)
    [tracker] = register_trackers(
        RegisterTrackers(user_id=USER, urls=(URL,)),
        uow=uow,
        queue=FakeQueue(),
        clock=clock,
        policy=Policy(),
    )
    fetcher = TrackerGgFetcher(simulator.base_url, timeout_seconds=5, budget=InProcessBudget(6000))
    kinds = []
    with fetcher:
        for _ in range(4):
            clock.advance(hours=12)
            uow.committed.trackers[tracker.id].requeue(clock.now())
            outcome = run_scrape(
                tracker.id,
                uow=uow,
                fetcher=fetcher,
                clock=clock,
                policy=Policy(),
                rng=random.Random(1),
            )
            assert outcome.result == "completed"
            kinds.append(sorted(f.kind for f in uow.committed.flags.values()))
    twos = [s.ratings["2v2"] for s in uow.committed.snapshots]
    assert twos == [1700, 1620, 1549, 1500]
    # 1700 → 1549 is a drop of 151: flagged at the third scrape, and only once
    assert kinds == [[], [], ["RATING_DROP"], ["RATING_DROP"]]
    [flag] = uow.committed.flags.values()
    assert flag.data == {"playlist": "2v2", "from": 1700, "to": 1549, "drop": 151}
