"""The sandbox's demo data: seeded once, on the first start of ``trackers serve --sandbox``.

A demo guild with a guild admin, a player and more members, their trackers (queued, so the
built-in simulator scrapes them at once), several weeks of rating history per tracker (so every
chart has a line), and three members whose profiles the simulator answers with a 404, a 429 and
a challenge page (so failures and a FAILED tracker can be seen). Everything goes through the
use cases, with ``now`` from the clock; nothing is written outside the sandbox.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from adapters.trackergg.parser import parse_profile
from adapters.trackergg.simulator import Behaviour, TrnSimulator
from adapters.trackergg.synthetic import ProfileFactory
from entrypoints.config import Settings
from entrypoints.use_cases import UseCases
from tracker_core.errors import NotFoundError
from tracker_core.guilds import UserProfile
from tracker_core.model import Priority
from tracker_core.ports import JobQueue
from tracker_core.stats import RANKED_PLAYLISTS, RankedPlaylist, SeasonStats
from tracker_core.urls import parse_tracker_url
from tracker_core.use_cases.guilds import GuildData
from tracker_core.use_cases.members import MemberData, SyncGuild
from tracker_core.use_cases.trackers import CreateManualSnapshot, RegisterTrackers

log = logging.getLogger("trackers.sandbox")

DEMO_PLAYER = "100000000000000001"
DEMO_STAFF = "100000000000000002"
DEMO_ADMIN = "100000000000000003"
DEMO_GUILD = "100000000000000100"
STAFF_ROLE = "100000000000000200"
HISTORY_WEEKS = 6
POINTS_PER_WEEK = 2

FAILING: tuple[tuple[str, Behaviour], ...] = (
    ("sandbox-gone", "not_found"),
    ("sandbox-throttled", "rate_limited"),
    ("sandbox-guarded", "challenge"),
)
"""Username prefixes the simulator misbehaves for, and how (the 404 one is registered first,
so a FAILED tracker shows within seconds of the first start)."""
THROTTLE_RETRY_AFTER = 5
"""Seconds of the simulated 429's Retry-After (short: the demo's other scrapes wait on it)."""


@attrs.frozen
class DemoMember:
    """A member of the demo guild and the profiles its trackers point at."""

    user_id: str
    username: str
    profiles: tuple[tuple[str, str], ...]
    admin: bool = False


MEMBERS: tuple[DemoMember, ...] = (
    DemoMember("100000000000000021", "gone-player", (("steam", "sandbox-gone"),)),
    DemoMember(DEMO_PLAYER, "demo-player", (("epic", "DemoPlayer.Alt"),)),
    DemoMember(DEMO_STAFF, "demo-staff", (("steam", "demo-staff"),), admin=True),
    DemoMember("100000000000000011", "aurora", (("epic", "Aurora"),)),
    DemoMember("100000000000000012", "boreas", (("psn", "boreas_rl"),)),
    DemoMember("100000000000000013", "cirrus", (("xbl", "Cirrus Nine"),)),
    DemoMember("100000000000000014", "dune", (("steam", "dune-rl"),)),
    DemoMember("100000000000000022", "throttled-player", (("epic", "sandbox-throttled"),)),
    DemoMember("100000000000000023", "guarded-player", (("steam", "sandbox-guarded"),)),
)


@attrs.frozen
class SeedReport:
    """What the seed created."""

    members: int
    trackers: int
    snapshots: int


@attrs.frozen
class _LowLane:
    """The queue, but every job in the low lane: a user's own registrations go first."""

    queue: JobQueue

    def enqueue(
        self, tracker_ids: Sequence[str], priority: Priority, *, not_before: datetime | None = None
    ) -> int:
        return self.queue.enqueue(tracker_ids, Priority.LOW, not_before=not_before)

    def is_queued(self, tracker_id: str) -> bool:
        return self.queue.is_queued(tracker_id)

    def depth(self) -> int:
        return self.queue.depth()

    def lane_depths(self) -> dict[Priority, int]:
        return self.queue.lane_depths()

    def discard(self, tracker_ids: Sequence[str]) -> None:
        self.queue.discard(tracker_ids)


@attrs.frozen
class _At:
    """A clock stopped at one instant: a history point's capture time."""

    instant: datetime

    def now(self) -> datetime:
        return self.instant


def profile_url(platform: str, username: str) -> str:
    """The canonical TRN profile URL of a platform and username."""
    raw = f"https://rocketleague.tracker.network/rocket-league/profile/{platform}/{username}"
    return parse_tracker_url(raw).canonical_url


def configure_simulator(simulator: TrnSimulator) -> None:
    """Make the demo's failing members fail (404, 429, challenge page)."""
    for prefix, behaviour in FAILING:
        simulator.set_rule(f"^{prefix}", behaviour, retry_after=THROTTLE_RETRY_AFTER)


def demo_admin_settings(settings: Settings) -> Settings:
    """In the sandbox, the demo system admin is one of the system admins."""
    if not settings.sandbox:
        return settings
    return attrs.evolve(
        settings, system_admin_user_ids=settings.system_admin_user_ids | {DEMO_ADMIN}
    )


def _failing(username: str) -> bool:
    return any(username.casefold().startswith(prefix) for prefix, _ in FAILING)


def _current(profiles: ProfileFactory, platform: str, username: str) -> SeasonStats | None:
    payload = profiles.profile(platform, username, None)
    if payload is None:
        return None
    return parse_profile(payload, season=None, api_url="sandbox").season


def _history(
    current: SeasonStats, seed: str, now: datetime
) -> list[tuple[datetime, dict[RankedPlaylist, int | None], dict[RankedPlaylist, int | None]]]:
    """Points oldest first, walking towards the current ratings and games (deterministic)."""
    rng = random.Random(hashlib.sha256(seed.encode()).digest())
    count = HISTORY_WEEKS * POINTS_PER_WEEK
    step = timedelta(days=7 / POINTS_PER_WEEK)
    ratings: dict[RankedPlaylist, int | None] = {}
    games: dict[RankedPlaylist, int | None] = {}
    series: dict[RankedPlaylist, list[int]] = {}
    for playlist in RANKED_PLAYLISTS:
        stats = current.playlist(playlist)
        if stats is None or stats.rating is None:
            continue
        value, walk = stats.rating, []
        for _ in range(count):
            value -= rng.randint(-25, 35)
            walk.append(max(100, value))
        series[playlist] = walk[::-1]
    points = []
    for index in range(count):
        back = count - index
        for playlist in RANKED_PLAYLISTS:
            stats = current.playlist(playlist)
            history = series.get(playlist)
            ratings[playlist] = history[index] if history else None
            played = stats.matches_played if stats else None
            games[playlist] = None if played is None else max(0, played - back * 6)
        points.append((now - step * back, dict(ratings), dict(games)))
    return points


def already_seeded(use_cases: UseCases) -> bool:
    """Whether the demo guild or the demo player exists (then the seed never runs again)."""
    for lookup, key in ((use_cases.get_guild, DEMO_GUILD), (use_cases.get_user, DEMO_PLAYER)):
        try:
            lookup(key)
        except NotFoundError:
            continue
        return True
    return False


def seed_demo(use_cases: UseCases, profiles: ProfileFactory) -> SeedReport:
    """Create the demo guild, members, admin, trackers and their rating history."""
    now = use_cases.clock.now()
    use_cases.create_guild(
        DEMO_GUILD,
        GuildData(name="Sandbox League", owner_id=DEMO_STAFF, member_count=len(MEMBERS)),
    )
    members = tuple(
        MemberData(
            user_id=m.user_id,
            roles=(STAFF_ROLE,) if m.admin else (),
            profile=UserProfile(username=m.username),
        )
        for m in MEMBERS
    )
    use_cases.sync_guild(SyncGuild(guild_id=DEMO_GUILD, members=members, admin_roles=(STAFF_ROLE,)))
    use_cases.save_user(DEMO_ADMIN, UserProfile(username="demo-admin", global_name="Demo Admin"))
    trackers = snapshots = 0
    background = attrs.evolve(use_cases, queue=_LowLane(use_cases.queue))
    for member in MEMBERS:
        urls = tuple(profile_url(platform, name) for platform, name in member.profiles)
        registered = background.register_trackers(
            RegisterTrackers(user_id=member.user_id, urls=urls)
        )
        trackers += len(registered)
        for tracker, (platform, name) in zip(registered, member.profiles, strict=True):
            current = None if _failing(name) else _current(profiles, platform, name)
            if current is None:
                continue
            for at, ratings, games in _history(current, f"{platform}/{name}", now):
                snapshots += _record(
                    use_cases, member.user_id, tracker.id, current, at, ratings, games
                )
    return SeedReport(members=len(MEMBERS), trackers=trackers, snapshots=snapshots)


def _record(
    use_cases: UseCases,
    owner: str,
    tracker_id: str,
    current: SeasonStats,
    at: datetime,
    ratings: dict[RankedPlaylist, int | None],
    games: dict[RankedPlaylist, int | None],
) -> int:
    if all(r is None for r in ratings.values()):
        return 0
    past = attrs.evolve(use_cases, clock=_At(at))
    cmd = CreateManualSnapshot(
        actor_id=owner,
        tracker_id=tracker_id,
        season_number=current.season_number,
        ratings=ratings,
        games_played=games,
    )
    past.create_manual_snapshot(cmd)
    return 1


def seed_on_first_start(
    settings: Settings, use_cases: UseCases, profiles: ProfileFactory
) -> SeedReport | None:
    """Seed the demo data in the sandbox when it was never seeded; None otherwise."""
    if not settings.sandbox or already_seeded(use_cases):
        return None
    report = seed_demo(use_cases, profiles)
    log.info(
        "sandbox: seeded the demo guild %s (%d members, %d trackers, %d history snapshots)",
        DEMO_GUILD,
        report.members,
        report.trackers,
        report.snapshots,
    )
    return report
