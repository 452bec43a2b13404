"""In-memory fakes of the core's ports: a dict store with transactions, a list queue,
a recording notifier, a fixed clock and a fetcher answering canned profiles."""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

import attrs

from tracker_core.errors import AlreadyRegisteredError, ConflictError, FetchError
from tracker_core.flags import FlagKind, FlagStatus, ReviewFlag
from tracker_core.guilds import Guild, GuildMember, GuildSettings, User
from tracker_core.league import MemberData, TrackerData, league_view
from tracker_core.mmr import PlayerRating
from tracker_core.model import (
    ActivityLog,
    AuditEntry,
    Priority,
    ScrapingLog,
    StoredSeasons,
    Tracker,
    TrackerQuery,
    TrackerSeason,
    TrackerSnapshot,
    TrackerStatus,
)
from tracker_core.notifications import DeliveryStatus, Notification
from tracker_core.ports import (
    ActivityLogRepository,
    AuditLogRepository,
    FlagRepository,
    GuildRepository,
    LeagueDataRepository,
    NotificationRepository,
    PlayerRatingRepository,
    PullRepository,
    ScheduleRepository,
    ScrapingLogRepository,
    SeasonRepository,
    SnapshotRepository,
    TrackerRepository,
    UserRepository,
)
from tracker_core.pulls import Pull, PullOverride, PullRow, RowFilter, row_order
from tracker_core.schedules import Schedule, ScheduleStatus
from tracker_core.stats import ProfilePage


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


@attrs.define
class Store:
    """Everything the fake database holds."""

    users: dict[str, User] = attrs.field(factory=dict)
    guilds: dict[str, Guild] = attrs.field(factory=dict)
    settings: dict[str, GuildSettings] = attrs.field(factory=dict)
    members: dict[tuple[str, str], GuildMember] = attrs.field(factory=dict)
    trackers: dict[str, Tracker] = attrs.field(factory=dict)
    seasons: dict[tuple[str, int], TrackerSeason] = attrs.field(factory=dict)
    snapshots: list[TrackerSnapshot] = attrs.field(factory=list)
    scraping_logs: list[ScrapingLog] = attrs.field(factory=list)
    activity: list[ActivityLog] = attrs.field(factory=list)
    schedules: dict[str, Schedule] = attrs.field(factory=dict)
    notifications: dict[str, Notification] = attrs.field(factory=dict)
    ratings: dict[tuple[str, str], PlayerRating] = attrs.field(factory=dict)
    audit: list[dict[str, Any]] = attrs.field(factory=list)
    pulls: dict[str, Pull] = attrs.field(factory=dict)
    pull_rows: dict[str, list[PullRow]] = attrs.field(factory=dict)
    pull_overrides: list[PullOverride] = attrs.field(factory=list)
    flags: dict[str, ReviewFlag] = attrs.field(factory=dict)


SCRAPE_FIELDS = (
    "scraping_status",
    "scraping_error",
    "error_category",
    "scraping_attempts",
    "next_attempt_at",
    "lease_expires_at",
    "lease_token",
    "last_scraped_at",
    "platform_user_id",
    "source_expires_at",
    "updated_at",
)


def _cas(table: dict[Any, Any], key: Any, obj: Any) -> None:
    stored = table.get(key)
    if stored is None or stored.version != obj.version:
        raise ConflictError(f"{type(obj).__name__} {key} was changed concurrently")
    obj.version += 1
    table[key] = copy.deepcopy(obj)


class _Repo:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def s(self) -> Store:
        return self._uow.working()


class FakeUserRepository(_Repo):
    def get(self, user_id: str) -> User | None:
        return copy.deepcopy(self.s.users.get(user_id))

    def get_many(self, user_ids: Sequence[str]) -> list[User]:
        return [
            copy.deepcopy(self.s.users[i]) for i in dict.fromkeys(user_ids) if i in self.s.users
        ]

    def add(self, user: User) -> None:
        if user.id in self.s.users:
            raise ConflictError(f"User {user.id} exists")
        self.s.users[user.id] = copy.deepcopy(user)

    def add_many(self, users: Sequence[User]) -> None:
        for user in users:
            self.s.users.setdefault(user.id, copy.deepcopy(user))

    def save(self, user: User) -> None:
        _cas(self.s.users, user.id, user)

    def save_profiles(self, users: Sequence[User]) -> None:
        for user in users:
            stored = self.s.users.get(user.id)
            if stored is not None:
                user.version = stored.version + 1
                self.s.users[user.id] = copy.deepcopy(user)

    def delete(self, user_id: str) -> None:
        self.s.users.pop(user_id, None)

    def lock(self, user_id: str) -> None:
        """Single-threaded fake: nothing to serialize."""

    def list(self, page: int, limit: int) -> tuple[list[User], int]:
        users = sorted(self.s.users.values(), key=lambda u: u.created_at)
        return copy.deepcopy(users[(page - 1) * limit : page * limit]), len(users)


class FakeGuildRepository(_Repo):
    def get(self, guild_id: str) -> Guild | None:
        return copy.deepcopy(self.s.guilds.get(guild_id))

    def list_all(self) -> list[Guild]:
        found = sorted(self.s.guilds.values(), key=lambda g: (g.name.lower(), g.id))
        return copy.deepcopy(found)

    def add(self, guild: Guild) -> None:
        if guild.id in self.s.guilds:
            raise ConflictError(f"Guild {guild.id} exists")
        self.s.guilds[guild.id] = copy.deepcopy(guild)

    def save(self, guild: Guild) -> None:
        _cas(self.s.guilds, guild.id, guild)

    def delete(self, guild_id: str) -> None:
        self.s.guilds.pop(guild_id, None)
        self.s.settings.pop(guild_id, None)
        for key in [k for k in self.s.members if k[0] == guild_id]:
            del self.s.members[key]

    def settings(self, guild_id: str) -> GuildSettings:
        return self.s.settings.get(guild_id, GuildSettings())

    def save_settings(self, guild_id: str, settings: GuildSettings) -> None:
        self.s.settings[guild_id] = settings

    def members(self, guild_id: str) -> list[GuildMember]:
        return [m for (g, _), m in sorted(self.s.members.items()) if g == guild_id]

    def member(self, guild_id: str, user_id: str) -> GuildMember | None:
        return self.s.members.get((guild_id, user_id))

    def replace_members(self, guild_id: str, members: Sequence[GuildMember]) -> None:
        for key in [k for k in self.s.members if k[0] == guild_id]:
            del self.s.members[key]
        for member in members:
            self.s.members[(guild_id, member.user_id)] = member

    def save_member(self, member: GuildMember) -> None:
        self.s.members[(member.guild_id, member.user_id)] = member

    def remove_member(self, guild_id: str, user_id: str) -> bool:
        return self.s.members.pop((guild_id, user_id), None) is not None

    def memberships(self, user_id: str) -> list[GuildMember]:
        return [m for (_, u), m in sorted(self.s.members.items()) if u == user_id and m.is_current]

    def settings_by_user(self, user_ids: Sequence[str]) -> dict[str, list[GuildSettings]]:
        out: dict[str, list[GuildSettings]] = {}
        for user_id in user_ids:
            found = [self.settings(m.guild_id) for m in self.memberships(user_id)]
            if found:
                out[user_id] = found
        return out


def _sort_key(field: str) -> Callable[[Tracker], Any]:
    attr = {
        "createdAt": "created_at",
        "updatedAt": "updated_at",
        "lastScrapedAt": "last_scraped_at",
    }[field]
    floor = datetime.min.replace(tzinfo=UTC)
    return lambda t: (getattr(t, attr) or floor, t.id)


class FakeTrackerRepository(_Repo):
    def get(self, tracker_id: str) -> Tracker | None:
        return copy.deepcopy(self.s.trackers.get(tracker_id))

    def get_many(self, tracker_ids: Sequence[str]) -> list[Tracker]:
        wanted = set(tracker_ids)
        return copy.deepcopy(
            sorted((t for t in self.s.trackers.values() if t.id in wanted), key=lambda t: t.id)
        )

    def _check_identity(self, tracker: Tracker) -> None:
        if tracker.is_deleted:
            return
        for other in self.s.trackers.values():
            if (
                other.id != tracker.id
                and not other.is_deleted
                and (other.identity == tracker.identity)
            ):
                raise AlreadyRegisteredError(f"Tracker identity {tracker.identity} is taken")

    def add(self, tracker: Tracker) -> None:
        self._check_identity(tracker)
        self.s.trackers[tracker.id] = copy.deepcopy(tracker)

    def save(self, tracker: Tracker) -> None:
        self._check_identity(tracker)
        _cas(self.s.trackers, tracker.id, tracker)

    def _live(self) -> list[Tracker]:
        return [t for t in self.s.trackers.values() if not t.is_deleted]

    def claim(self, tracker_id: str, now: datetime, lease: timedelta, token: str) -> Tracker | None:
        stored = self.s.trackers.get(tracker_id)
        if stored is None or not stored.can_be_claimed(now):
            return None
        stored.claim(now, lease, token)
        stored.version += 1
        return copy.deepcopy(stored)

    def save_scrape(self, tracker: Tracker, token: str) -> Tracker | None:
        stored = self.s.trackers.get(tracker.id)
        if stored is None or not stored.holds_lease(token):
            return None
        for name in SCRAPE_FIELDS:
            setattr(stored, name, getattr(tracker, name))
        stored.version += 1
        return copy.deepcopy(stored)

    def renew_lease(self, tracker: Tracker, token: str) -> bool:
        stored = self.s.trackers.get(tracker.id)
        if stored is None or not stored.holds_lease(token):
            return False
        stored.lease_expires_at = tracker.lease_expires_at
        stored.updated_at = tracker.updated_at
        stored.version += 1
        return True

    def for_user(self, user_id: str, *, include_deleted: bool = False) -> list[Tracker]:
        pool = self.s.trackers.values() if include_deleted else self._live()
        found = [t for t in pool if t.user_id == user_id]
        return copy.deepcopy(sorted(found, key=lambda t: (t.created_at, t.id)))

    def live_by_identity(self, identity: str) -> Tracker | None:
        found = [t for t in self._live() if t.identity == identity]
        return copy.deepcopy(found[0]) if found else None

    def search(self, query: TrackerQuery) -> tuple[list[Tracker], int]:
        found = [
            t
            for t in self._live()
            if (query.user_ids is None or t.user_id in query.user_ids)
            and (not query.platforms or t.platform in query.platforms)
            and (not query.statuses or t.scraping_status in query.statuses)
            and (query.is_active is None or t.is_active == query.is_active)
        ]
        found.sort(key=_sort_key(query.sort_by), reverse=query.sort_order == "desc")
        start = (query.page - 1) * query.limit
        return copy.deepcopy(found[start : start + query.limit]), len(found)

    def pending_ids(self) -> list[str]:
        return sorted(
            t.id for t in self._live() if t.is_active and t.scraping_status == TrackerStatus.PENDING
        )

    def pending_or_stale_ids(self, stale_before: datetime, guild_id: str | None) -> list[str]:
        members = None
        if guild_id is not None:
            members = {u for (g, u), m in self.s.members.items() if g == guild_id and m.is_current}
        return sorted(
            t.id
            for t in self._live()
            if t.is_active
            and t.scraping_status != TrackerStatus.IN_PROGRESS
            and (members is None or t.user_id in members)
            and (
                t.scraping_status == TrackerStatus.PENDING
                or t.last_scraped_at is None
                or t.last_scraped_at < stale_before
            )
        )

    def mark_pending(self, tracker_ids: Sequence[str], now: datetime) -> list[str]:
        changed = []
        for tracker_id in tracker_ids:
            t = self.s.trackers.get(tracker_id)
            if t is None or t.is_deleted or t.scraping_status == TrackerStatus.IN_PROGRESS:
                continue
            t.requeue(now)
            t.version += 1
            changed.append(tracker_id)
        return changed

    def expired_leases(self, now: datetime) -> list[Tracker]:
        return copy.deepcopy([t for t in self.s.trackers.values() if t.lease_expired(now)])

    def status_counts(self) -> dict[TrackerStatus, int]:
        counts = dict.fromkeys(TrackerStatus, 0)
        for t in self._live():
            counts[t.scraping_status] += 1
        return counts

    def pending_first_scrapes(self) -> int:
        scraped = {tracker_id for tracker_id, _ in self.s.seasons}
        return sum(1 for tracker_id in self.pending_ids() if tracker_id not in scraped)


class FakeSeasonRepository(_Repo):
    def for_tracker(self, tracker_id: str) -> list[TrackerSeason]:
        found = [s for (t, _), s in self.s.seasons.items() if t == tracker_id]
        return copy.deepcopy(sorted(found, key=lambda s: -s.season_number))

    def for_scrape(self, tracker_id: str) -> StoredSeasons:
        found = self.for_tracker(tracker_id)
        return StoredSeasons(frozenset(s.season_number for s in found), next(iter(found), None))

    def upsert(self, season: TrackerSeason) -> None:
        self.s.seasons[(season.tracker_id, season.season_number)] = copy.deepcopy(season)

    def upsert_many(self, seasons: Sequence[TrackerSeason]) -> None:
        for season in seasons:
            key = (season.tracker_id, season.season_number)
            old = self.s.seasons.get(key)
            if old is not None:
                season = attrs.evolve(season, id=old.id, created_at=old.created_at)
            self.s.seasons[key] = copy.deepcopy(season)


class FakeSnapshotRepository(_Repo):
    def add(self, snapshot: TrackerSnapshot) -> None:
        self.s.snapshots.append(snapshot)

    def for_tracker(
        self, tracker_id: str, *, season: int | None = None, limit: int | None = None
    ) -> list[TrackerSnapshot]:
        found = [
            s
            for s in self.s.snapshots
            if s.tracker_id == tracker_id and (season is None or s.season_number == season)
        ]
        found.sort(key=lambda s: (s.captured_at, s.id), reverse=True)
        return found[:limit] if limit is not None else found


class FakeScrapingLogRepository(_Repo):
    def add(self, log: ScrapingLog) -> None:
        self.s.scraping_logs.append(log)

    def search(
        self,
        tracker_id: str | None,
        status: str | None,
        page: int,
        limit: int,
        category: str | None = None,
    ) -> tuple[list[ScrapingLog], int]:
        found = [
            entry
            for entry in reversed(self.s.scraping_logs)
            if (tracker_id is None or entry.tracker_id == tracker_id)
            and (status is None or entry.status == status)
            and (category is None or entry.error_category == category)
        ]
        return found[(page - 1) * limit : page * limit], len(found)

    def failure_categories(self) -> dict[str | None, int]:
        counts: dict[str | None, int] = {}
        for entry in self.s.scraping_logs:
            if entry.status == "FAILED":
                counts[entry.error_category] = counts.get(entry.error_category, 0) + 1
        return counts

    def requests_since(self, since: datetime) -> int:
        return sum(
            e.seasons_scraped + e.seasons_failed
            for e in self.s.scraping_logs
            if e.started_at >= since
        )


class FakeActivityLogRepository(_Repo):
    def add(self, entry: ActivityLog) -> None:
        self.s.activity.append(entry)


class FakeScheduleRepository(_Repo):
    def get(self, schedule_id: str) -> Schedule | None:
        return copy.deepcopy(self.s.schedules.get(schedule_id))

    def add(self, schedule: Schedule) -> None:
        self.s.schedules[schedule.id] = copy.deepcopy(schedule)

    def save(self, schedule: Schedule) -> None:
        _cas(self.s.schedules, schedule.id, schedule)

    def for_guild(
        self, guild_id: str, status: ScheduleStatus | None, include_completed: bool
    ) -> list[Schedule]:
        found = [
            s
            for s in self.s.schedules.values()
            if s.guild_id == guild_id
            and (
                s.status == status
                if status is not None
                else include_completed or s.status != ScheduleStatus.COMPLETED
            )
        ]
        return copy.deepcopy(sorted(found, key=lambda s: (s.scheduled_at, s.id)))

    def due(self, now: datetime) -> list[Schedule]:
        found = [s for s in self.s.schedules.values() if s.is_due(now)]
        return copy.deepcopy(sorted(found, key=lambda s: (s.scheduled_at, s.id)))

    def abandoned(self, now: datetime) -> list[Schedule]:
        found = [s for s in self.s.schedules.values() if s.lease_expired(now)]
        return copy.deepcopy(sorted(found, key=lambda s: (s.scheduled_at, s.id)))


class FakeNotificationRepository(_Repo):
    def add(self, notification: Notification) -> None:
        self.s.notifications[notification.id] = copy.deepcopy(notification)

    def save(self, notification: Notification) -> None:
        _cas(self.s.notifications, notification.id, notification)

    def due(self, now: datetime, limit: int) -> list[Notification]:
        found = [
            n
            for n in self.s.notifications.values()
            if n.status == DeliveryStatus.PENDING
            and (n.next_attempt_at is None or n.next_attempt_at <= now)
        ]
        return copy.deepcopy(sorted(found, key=lambda n: (n.created_at, n.id))[:limit])

    def for_tracker(self, tracker_id: str, limit: int) -> list[Notification]:
        found = [n for n in self.s.notifications.values() if n.tracker_id == tracker_id]
        ordered = sorted(found, key=lambda n: (n.created_at, n.id), reverse=True)
        return copy.deepcopy(ordered[:limit])


class FakePlayerRatingRepository(_Repo):
    def upsert(self, rating: PlayerRating) -> None:
        self.s.ratings[(rating.guild_id, rating.user_id)] = rating

    def for_guild(self, guild_id: str) -> list[PlayerRating]:
        return sorted(
            (r for (g, _), r in self.s.ratings.items() if g == guild_id),
            key=lambda r: (-r.mmr, r.user_id),
        )


def check_storable(*texts: str | None, document: Any = None) -> None:
    """Fail like PostgreSQL would on text or JSONB it cannot store: NUL, lone surrogates,
    NaN or infinities."""
    encoded = json.dumps(document, allow_nan=False)
    if "\\u0000" in encoded:
        raise ValueError("JSONB cannot contain \\u0000")
    for text in (*texts, json.dumps(document, allow_nan=False, ensure_ascii=False)):
        if text is not None and "\x00" in text:
            raise ValueError("text cannot contain NUL (0x00) characters")
        if text is not None:
            text.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError


class FakeAuditLog(_Repo):
    def add(
        self, actor: str | None, method: str, path: str, status: int, body: Any, at: datetime
    ) -> None:
        check_storable(actor, method, path, document=body)
        if actor is not None and len(actor) > 64:
            raise ValueError("actor is longer than its column")
        self.s.audit.append(
            {
                "id": f"c{len(self.s.audit):024d}",
                "actor": actor,
                "method": method,
                "path": path,
                "status": status,
                "body": body,
                "at": at,
            }
        )

    def successes(
        self, paths: Sequence[str], page: int, limit: int
    ) -> tuple[list[AuditEntry], int]:
        found = [
            AuditEntry(
                id=row["id"],
                actor=row["actor"],
                method=row["method"],
                path=row["path"],
                status=row["status"],
                body=row["body"],
                created_at=row["at"],
            )
            for row in reversed(self.s.audit)
            if row["path"] in paths
            and (200 <= row["status"] < 300 or (row["status"] == 303 and row["actor"] is not None))
        ]
        return found[(page - 1) * limit : page * limit], len(found)


class FakeLeagueData(_Repo):
    def member_data(self, guild_id: str, user_ids: Sequence[str] | None = None) -> list[MemberData]:
        found = []
        for (g, user_id), member in sorted(self.s.members.items()):
            if g != guild_id or not member.is_current:
                continue
            if user_ids is not None and user_id not in user_ids:
                continue
            trackers = sorted(
                (
                    t
                    for t in self.s.trackers.values()
                    if t.user_id == user_id and t.is_live and t.is_active
                ),
                key=lambda t: t.id,
            )
            data = []
            for tracker in trackers:
                seasons = sorted(
                    (x for (t, _), x in self.s.seasons.items() if t == tracker.id),
                    key=lambda x: -x.season_number,
                )[:2]
                stats = tuple(league_view(x.stats) for x in seasons)
                data.append(TrackerData(tracker.id, tracker.last_scraped_at, stats))
            found.append(MemberData(user_id, tuple(data)))
        return found


class FakePullRepository(_Repo):
    def next_number(self, guild_id: str) -> int:
        numbers = [p.number for p in self.s.pulls.values() if p.guild_id == guild_id]
        return max(numbers, default=0) + 1

    def add(self, pull: Pull, rows: Sequence[PullRow]) -> None:
        for other in self.s.pulls.values():
            if (other.guild_id, other.number) == (pull.guild_id, pull.number):
                raise ConflictError(f"Pull number {pull.number} is taken")
        self.s.pulls[pull.id] = pull
        self.s.pull_rows[pull.id] = sorted(rows, key=row_order)

    def get(self, guild_id: str, pull_id: str) -> Pull | None:
        pull = self.s.pulls.get(pull_id)
        return pull if pull is not None and pull.guild_id == guild_id else None

    def for_guild(self, guild_id: str) -> list[Pull]:
        found = [p for p in self.s.pulls.values() if p.guild_id == guild_id]
        return sorted(found, key=lambda p: -p.number)

    def rows(
        self, pull_id: str, row_filter: RowFilter | None, page: int, limit: int
    ) -> tuple[list[PullRow], int]:
        found = [r for r in self.all_rows(pull_id) if r.matches(row_filter)]
        return found[(page - 1) * limit : page * limit], len(found)

    def all_rows(self, pull_id: str) -> list[PullRow]:
        return list(self.s.pull_rows.get(pull_id, []))

    def row(self, pull_id: str, user_id: str) -> PullRow | None:
        return next((r for r in self.all_rows(pull_id) if r.user_id == user_id), None)

    def add_override(self, override: PullOverride) -> None:
        self.s.pull_overrides.append(override)

    def overrides(self, pull_id: str) -> list[PullOverride]:
        return [o for o in self.s.pull_overrides if o.pull_id == pull_id]

    def rows_for_user(self, user_id: str, guild_ids: Sequence[str]) -> list[tuple[Pull, PullRow]]:
        pulls = sorted(
            (p for p in self.s.pulls.values() if p.guild_id in guild_ids),
            key=lambda p: (p.created_at, p.number),
            reverse=True,
        )
        return [
            (p, r) for p in pulls for r in self.s.pull_rows.get(p.id, []) if r.user_id == user_id
        ]


class FakeFlagRepository(_Repo):
    def open_flag(self, guild_id: str, user_id: str, kind: FlagKind) -> ReviewFlag | None:
        for flag in self.s.flags.values():
            key = (flag.guild_id, flag.user_id, flag.kind, flag.status)
            if key == (guild_id, user_id, kind, "open"):
                return copy.deepcopy(flag)
        return None

    def add(self, flag: ReviewFlag) -> None:
        if flag.status == "open" and self.open_flag(flag.guild_id, flag.user_id, flag.kind):
            raise ConflictError(f"An open {flag.kind} flag exists")
        self.s.flags[flag.id] = copy.deepcopy(flag)

    def get(self, guild_id: str, flag_id: str) -> ReviewFlag | None:
        flag = self.s.flags.get(flag_id)
        return copy.deepcopy(flag) if flag is not None and flag.guild_id == guild_id else None

    def save(self, flag: ReviewFlag) -> None:
        _cas(self.s.flags, flag.id, flag)

    def search(
        self, guild_id: str, status: FlagStatus | None, kind: FlagKind | None
    ) -> list[ReviewFlag]:
        found = [
            copy.deepcopy(f)
            for f in self.s.flags.values()
            if f.guild_id == guild_id
            and (status is None or f.status == status)
            and (kind is None or f.kind == kind)
        ]
        return sorted(found, key=lambda f: (f.raised_at, f.id), reverse=True)

    def open_kinds(self, guild_id: str) -> dict[str, list[FlagKind]]:
        found: dict[str, list[FlagKind]] = {}
        for f in sorted(self.s.flags.values(), key=lambda f: (f.kind, f.id)):
            if f.guild_id == guild_id and f.status == "open":
                found.setdefault(f.user_id, []).append(f.kind)
        return found

    def other_holders(self, platform: str, platform_user_id: str, user_id: str) -> list[str]:
        return sorted(
            {
                t.user_id
                for t in self.s.trackers.values()
                if t.platform == platform
                and t.platform_user_id == platform_user_id
                and t.user_id != user_id
            }
        )


class FakeUnitOfWork:
    """A transactional dict store: each ``with`` works on a copy, ``commit`` publishes it."""

    def __init__(self, store: Store | None = None) -> None:
        self.committed = store or Store()
        self._working: Store | None = None
        self._ids = itertools.count(1)
        self.commits = 0
        self.users: UserRepository = FakeUserRepository(self)
        self.guilds: GuildRepository = FakeGuildRepository(self)
        self.trackers: TrackerRepository = FakeTrackerRepository(self)
        self.seasons: SeasonRepository = FakeSeasonRepository(self)
        self.snapshots: SnapshotRepository = FakeSnapshotRepository(self)
        self.scraping_logs: ScrapingLogRepository = FakeScrapingLogRepository(self)
        self.activity: ActivityLogRepository = FakeActivityLogRepository(self)
        self.schedules: ScheduleRepository = FakeScheduleRepository(self)
        self.notifications: NotificationRepository = FakeNotificationRepository(self)
        self.ratings: PlayerRatingRepository = FakePlayerRatingRepository(self)
        self.audit: AuditLogRepository = FakeAuditLog(self)
        self.league: LeagueDataRepository = FakeLeagueData(self)
        self.pulls: PullRepository = FakePullRepository(self)
        self.flags: FlagRepository = FakeFlagRepository(self)

    def working(self) -> Store:
        if self._working is None:
            raise RuntimeError("repository used outside 'with uow:'")
        return self._working

    def __enter__(self) -> Self:
        if self._working is not None:
            raise RuntimeError("unit of work is already open")
        self._working = copy.deepcopy(self.committed)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._working = None

    def commit(self) -> None:
        self.committed = copy.deepcopy(self.working())
        self.commits += 1

    def rollback(self) -> None:
        self._working = copy.deepcopy(self.committed)

    def ping(self) -> None:
        self.working()

    def next_id(self) -> str:
        return f"c{next(self._ids):024d}"


class FakeQueue:
    """A list queue: one entry per tracker at a time, like the real ones."""

    def __init__(self) -> None:
        self.jobs: dict[str, tuple[Priority, datetime | None]] = {}
        self.history: list[tuple[str, Priority]] = []

    def enqueue(
        self, tracker_ids: Sequence[str], priority: Priority, *, not_before: datetime | None = None
    ) -> int:
        new = 0
        for tracker_id in tracker_ids:
            if tracker_id not in self.jobs:
                self.jobs[tracker_id] = (priority, not_before)
                self.history.append((tracker_id, priority))
                new += 1
        return new

    def is_queued(self, tracker_id: str) -> bool:
        return tracker_id in self.jobs

    def depth(self) -> int:
        return len(self.jobs)

    def lane_depths(self) -> dict[Priority, int]:
        depths = dict.fromkeys(Priority, 0)
        for priority, _ in self.jobs.values():
            depths[priority] += 1
        return depths

    def discard(self, tracker_ids: Sequence[str]) -> None:
        for tracker_id in tracker_ids:
            self.jobs.pop(tracker_id, None)

    def pop(self) -> str | None:
        """Take the next job, highest priority first (what a worker does)."""
        for lane in (Priority.HIGH, Priority.DEFAULT, Priority.LOW):
            for tracker_id, (priority, _) in self.jobs.items():
                if priority == lane:
                    del self.jobs[tracker_id]
                    return tracker_id
        return None


class RecordingNotifier:
    """Keeps every notification it was asked to send; can be told to fail."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []
        self.fail_with: Exception | None = None

    def send(self, notification: Notification) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(notification)


class FakeFetcher:
    """Answers canned pages per (api_path, season); an exception instead of a page fails."""

    def __init__(self) -> None:
        self.pages: dict[tuple[str, int | None], ProfilePage | FetchError] = {}
        self.calls: list[tuple[str, int | None]] = []

    def fetch_page(self, api_path: str, season: int | None) -> ProfilePage:
        self.calls.append((api_path, season))
        answer = self.pages.get((api_path, season))
        if answer is None:
            answer = self.pages.get((api_path, None))
        if answer is None:
            raise RuntimeError(f"FakeFetcher has no page for {api_path} season {season}")
        if isinstance(answer, FetchError):
            raise answer
        return answer
