"""The tracker repository: identity uniqueness, compare-and-set saves and the list queries."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs
from sqlalchemy import Select, any_, bindparam, false, func, select, true, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from adapters.sql import mapping
from adapters.sql.database import SHORT_LIST, WRITES, Database
from adapters.sql.status_counts import StatusCountsCache
from adapters.sql.tables import LIVE, guild_members, guild_settings, tracker_seasons, trackers
from adapters.sql.user_repositories import CURRENT_MEMBER, MEMBER_COLUMNS, remember_memberships
from tracker_core.errors import AlreadyRegisteredError, LeaseLostError
from tracker_core.model import StoredSeasons, Tracker, TrackerQuery, TrackerStatus

_SORT_COLUMNS = {
    "createdAt": trackers.c.created_at,
    "updatedAt": trackers.c.updated_at,
    "lastScrapedAt": trackers.c.last_scraped_at,
}
_IN_PROGRESS = TrackerStatus.IN_PROGRESS.value
_PENDING = TrackerStatus.PENDING.value
_USER_IDS = postgresql.ARRAY(trackers.c.user_id.type)
_TOTAL = "total_matching"  # the window count of search, not a column of trackers


@attrs.frozen
class _Shape:
    """What the statements of a search depend on, apart from the values.

    ``users``: None, "in" (a list of parameters), "any" (one array parameter). With ``fixed``
    (PostgreSQL), every list is ``counts`` (users, platforms, statuses) single parameters
    (``u0``, ``p0``, ``s0``, ...) so the statement compiles once and runs on the driver
    (``Database.rows``); else lists are expanding parameters.
    """

    sort_by: str
    sort_order: str
    users: str | None
    platforms: bool
    statuses: bool
    active: bool
    fixed: bool = False
    counts: tuple[int, int, int] = (0, 0, 0)


def _users_kind(user_ids: Sequence[str] | None, dialect: str) -> str | None:
    if user_ids is None:
        return None
    return "any" if dialect == "postgresql" and len(user_ids) > SHORT_LIST else "in"


def _one_of(column: Any, name: str, prefix: str, shape: _Shape, count: int) -> Any:
    if shape.fixed:
        return column.in_([bindparam(f"{prefix}{n}") for n in range(count)])
    return column.in_(bindparam(name, expanding=True))


@functools.lru_cache(maxsize=512)
def _search_statements(shape: _Shape) -> tuple[Select[Any], Select[Any]]:
    """The page (with the total) and the count of a search of this shape."""
    conditions: list[Any] = [LIVE]
    users, platforms, statuses = shape.counts
    if shape.users == "any":
        array = postgresql.ARRAY(trackers.c.user_id.type)
        conditions.append(trackers.c.user_id == any_(bindparam("users", type_=array)))
    elif shape.users == "in":
        conditions.append(_one_of(trackers.c.user_id, "users", "u", shape, users))
    if shape.platforms:
        conditions.append(_one_of(trackers.c.platform, "platforms", "p", shape, platforms))
    if shape.statuses:
        conditions.append(_one_of(trackers.c.scraping_status, "statuses", "s", shape, statuses))
    if shape.active:
        conditions.append(trackers.c.is_active == bindparam("active"))
    column = _SORT_COLUMNS[shape.sort_by]
    if shape.sort_order == "desc":
        order = [column.desc().nulls_last(), trackers.c.id.desc()]
    else:
        order = [column.asc().nulls_first(), trackers.c.id.asc()]
    count = select(func.count()).select_from(trackers).where(*conditions)
    page = (
        select(trackers, count.scalar_subquery().label(_TOTAL))
        .where(*conditions)
        .order_by(*order)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return page, count


_SCRAPE_FIELDS = (
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
"""The columns a job holding the lease owns (``save_scrape``); other writers own the rest."""

_CLAIM = (
    update(trackers)
    .where(
        trackers.c.id == bindparam("claim_id"),
        trackers.c.scraping_status == _PENDING,
        trackers.c.is_active == true(),
        LIVE,
        trackers.c.next_attempt_at.is_(None) | (trackers.c.next_attempt_at <= bindparam("now")),
    )
    .values(
        scraping_status=_IN_PROGRESS,
        lease_expires_at=bindparam("until"),
        lease_token=bindparam("token"),
        next_attempt_at=None,
        updated_at=bindparam("now"),
        version=trackers.c.version + 1,
    )
    .returning(*trackers.c)
)
_CLAIMED = _CLAIM.cte("claimed")
_NEWEST_SEASON = (
    select(tracker_seasons)
    .where(tracker_seasons.c.tracker_id == _CLAIMED.c.id)
    .order_by(tracker_seasons.c.season_number.desc())
    .limit(1)
    .lateral("newest")
)
_SEASON_NUMBERS = (
    select(func.array_agg(tracker_seasons.c.season_number))
    .where(tracker_seasons.c.tracker_id == _CLAIMED.c.id)
    .scalar_subquery()
)
_CLAIM_WITH_SEASONS = (
    select(
        _CLAIMED,
        _SEASON_NUMBERS.label("s_numbers"),
        *(c.label(f"s_{c.name}") for c in _NEWEST_SEASON.c),
        *MEMBER_COLUMNS,
    )
    .select_from(
        _CLAIMED.outerjoin(_NEWEST_SEASON, true())
        .outerjoin(guild_members, (guild_members.c.user_id == _CLAIMED.c.user_id) & CURRENT_MEMBER)
        .outerjoin(guild_settings, guild_settings.c.guild_id == guild_members.c.guild_id)
    )
    .order_by(guild_members.c.guild_id)
    .execution_options(**{WRITES: True})
)
"""PostgreSQL: the claim, the numbers of the claimed tracker's seasons and the newest of them
in full (a refresh compares with that one only: the past seasons' stats are not decoded), and
its owner's current memberships with their guilds' settings, in one statement (a row per
membership: a user is in a few guilds)."""
_SEASON_KEYS = tuple((c.name, f"s_{c.name}") for c in tracker_seasons.c)
"""A season's column names and their labels in ``_CLAIM_WITH_SEASONS``."""
SEASONS_KEY = "seasons"
_SEASONS = frozenset({tracker_seasons.name})
_HOLDS_LEASE = (
    trackers.c.id == bindparam("lease_id"),
    trackers.c.lease_token == bindparam("held_token"),
    trackers.c.scraping_status == _IN_PROGRESS,
)
_FENCED_SAVE = (
    update(trackers)
    .where(*_HOLDS_LEASE)
    .values(
        {
            **{name: bindparam(name, type_=trackers.c[name].type) for name in _SCRAPE_FIELDS},
            "version": trackers.c.version + 1,
        }
    )
)
_SAVE_SCRAPE = _FENCED_SAVE.returning(*trackers.c)
"""SQLite: the fenced save, returning the saved row."""
_SAVE_SCRAPE_GUARD = _FENCED_SAVE.returning(trackers.c.id)
"""PostgreSQL: the fenced save as the guard of the store's writes (``Database.defer_guarded``):
the save and everything the scrape stores go in one statement at the commit."""
_RENEW = update(trackers).where(*_HOLDS_LEASE).values(version=trackers.c.version + 1)


def _lost(tracker_id: str) -> LeaseLostError:
    return LeaseLostError(f"Tracker {tracker_id}: lease lost")


def _taken(tracker: Tracker) -> AlreadyRegisteredError:
    return AlreadyRegisteredError(f"Tracker identity {tracker.identity} is taken")


class SqlAlchemyTrackerRepository:
    """Trackers in the ``trackers`` table."""

    def __init__(self, db: Database, status_counts: StatusCountsCache | None = None) -> None:
        self._db = db
        self._status_counts = status_counts

    def _load(self, statement: Select[Any]) -> list[Tracker]:
        found = [mapping.tracker_from_row(row) for row in self._db.execute(statement).mappings()]
        self._db.live_trackers.update(t.id for t in found if not t.is_deleted)
        return found

    def get(self, tracker_id: str) -> Tracker | None:
        found = self._load(select(trackers).where(trackers.c.id == tracker_id))
        return found[0] if found else None

    def get_many(self, tracker_ids: Sequence[str]) -> list[Tracker]:
        found: list[Tracker] = []
        for among in self._db.among(trackers.c.id, tracker_ids):
            found.extend(self._load(select(trackers).where(among)))
        return sorted(found, key=lambda t: t.id)

    def add(self, tracker: Tracker) -> None:
        statement = (
            self._db.insert(trackers)
            .values(mapping.tracker_to_row(tracker))
            .on_conflict_do_nothing(index_elements=[trackers.c.identity], index_where=LIVE)
            .returning(trackers.c.id)
        )
        if self._db.execute(statement).first() is None:
            raise _taken(tracker)
        if not tracker.is_deleted:
            self._db.live_trackers.add(tracker.id)

    def save(self, tracker: Tracker) -> None:
        values = mapping.tracker_to_row(tracker)
        del values["id"], values["version"]
        if tracker.is_deleted or tracker.id in self._db.live_trackers:
            # Cannot newly enter the unique index on identity: no savepoint needed.
            self._db.compare_and_set(trackers, tracker.id, tracker.version, values)
        else:
            try:
                with self._db.savepoint():
                    self._db.compare_and_set(trackers, tracker.id, tracker.version, values)
            except IntegrityError as exc:
                raise _taken(tracker) from exc
        tracker.version += 1
        if tracker.is_deleted:
            self._db.live_trackers.discard(tracker.id)
        else:
            self._db.live_trackers.add(tracker.id)

    def claim(self, tracker_id: str, now: datetime, lease: timedelta, token: str) -> Tracker | None:
        """One ``UPDATE ... RETURNING`` whose condition is ``Tracker.can_be_claimed``; on
        PostgreSQL, alone in its unit of work, it runs in autocommit, and the same statement
        returns what ``seasons.for_scrape`` and ``guilds.memberships`` answer next
        (``WITH claimed AS (UPDATE ...) SELECT ... LEFT JOIN``)."""
        params = {"claim_id": tracker_id, "now": now, "until": now + lease, "token": token}
        if self._db.dialect != "postgresql":
            return self._returned(self._db.execute_alone(_CLAIM, params).mappings().first())
        rows = self._db.rows(_CLAIM_WITH_SEASONS, params, alone=True)
        if not rows:
            return None
        first = rows[0]
        newest = None
        if first["s_id"] is not None:
            newest = mapping.season_from_row({name: first[key] for name, key in _SEASON_KEYS})
        # The job reads them next: ``seasons.for_scrape`` answers from here once, and
        # ``guilds.memberships`` (with each guild's settings) in this unit of work.
        stored = StoredSeasons(frozenset(first["s_numbers"] or ()), newest)
        self._db.prime((SEASONS_KEY, tracker_id), _SEASONS, stored)
        remember_memberships(self._db, first["user_id"], rows)
        return self._returned(first)

    def save_scrape(self, tracker: Tracker, token: str) -> Tracker | None:
        values = {name: getattr(tracker, name) for name in _SCRAPE_FIELDS}
        values["scraping_status"] = tracker.scraping_status.value
        params = {**values, "lease_id": tracker.id, "held_token": token}
        if self._db.dialect != "postgresql":
            found = self._db.rows(_SAVE_SCRAPE, params)
            return self._returned(found[0] if found else None)
        # Sent with the writes that follow it, at the commit (or before a read): see
        # ``_SAVE_SCRAPE_GUARD``. The commit raises LeaseLostError if the lease is lost.
        self._db.defer_guarded(_SAVE_SCRAPE_GUARD, params, functools.partial(_lost, tracker.id))
        if not tracker.is_deleted:
            self._db.live_trackers.add(tracker.id)
        return tracker

    def renew_lease(self, tracker: Tracker, token: str) -> bool:
        """One ``UPDATE``; on PostgreSQL, alone in its unit of work, it runs in autocommit."""
        params = {
            "lease_expires_at": tracker.lease_expires_at,
            "updated_at": tracker.updated_at,
            "lease_id": tracker.id,
            "held_token": token,
        }
        return self._db.execute_alone(_RENEW, params).rowcount == 1

    def _returned(self, row: Any) -> Tracker | None:
        if row is None:
            return None
        tracker = mapping.tracker_from_row(row)
        if not tracker.is_deleted:
            self._db.live_trackers.add(tracker.id)
        return tracker

    def for_user(self, user_id: str, *, include_deleted: bool = False) -> list[Tracker]:
        statement = select(trackers).where(
            trackers.c.user_id == user_id,
            true() if include_deleted else LIVE,
        )
        return self._load(statement.order_by(trackers.c.created_at, trackers.c.id))

    def live_by_identity(self, identity: str) -> Tracker | None:
        found = self._load(select(trackers).where(trackers.c.identity == identity, LIVE))
        return found[0] if found else None

    def search(self, query: TrackerQuery) -> tuple[list[Tracker], int]:
        """One statement: the page, each row carrying the total as an uncorrelated subquery.

        PostgreSQL runs the count once (an InitPlan, index-only where it can) and still picks
        the rows by a top-N sort; ``count(*) OVER ()`` would instead fetch and sort every
        matching row. Only a page past the end (no row to carry the total) costs a second,
        counting statement. The statements are built once per query shape and take their
        values as parameters.
        """
        if query.user_ids is not None and not query.user_ids:
            return [], 0
        fixed = self._db.dialect == "postgresql"
        users = _users_kind(query.user_ids, self._db.dialect)
        statuses = [s.value for s in query.statuses]
        lists: dict[str, list[Any]] = {
            "u": list(query.user_ids or ()),
            "p": list(query.platforms),
            "s": statuses,
        }
        shape = _Shape(
            query.sort_by,
            query.sort_order,
            users,
            bool(query.platforms),
            bool(query.statuses),
            query.is_active is not None,
            fixed,
            (len(lists["u"]) if users == "in" else 0, len(lists["p"]), len(statuses)),
        )
        offset = (query.page - 1) * query.limit
        params: dict[str, Any] = {"limit": query.limit, "offset": offset}
        if users == "any":
            params["users"] = lists["u"]
        for prefix, name in (("u", "users"), ("p", "platforms"), ("s", "statuses")):
            if not lists[prefix] or (prefix == "u" and users != "in"):
                continue
            if fixed:
                params.update((f"{prefix}{n}", value) for n, value in enumerate(lists[prefix]))
            else:
                params[name] = lists[prefix]
        if query.is_active is not None:
            params["active"] = query.is_active
        page, count = _search_statements(shape)
        rows = self._db.rows(page, params)
        found = [mapping.tracker_from_row(row) for row in rows]
        self._db.live_trackers.update(t.id for t in found)
        if rows:
            return found, int(rows[0][_TOTAL])
        if offset == 0:
            return [], 0
        return [], int(self._db.execute(count, params).scalar_one())

    def pending_ids(self) -> list[str]:
        statement = (
            select(trackers.c.id)
            .where(trackers.c.scraping_status == _PENDING, LIVE, trackers.c.is_active == true())
            .order_by(trackers.c.id)
        )
        return list(self._db.execute(statement).scalars())

    def pending_or_stale_ids(self, stale_before: datetime, guild_id: str | None) -> list[str]:
        """Ids to refresh; for a guild, driven by its members' rows whatever the table's size.

        The guild's members are read first, as one array (PostgreSQL: ``= ANY(ARRAY(SELECT
        ...))``, an InitPlan), so that the trackers are found through
        ``ix_trackers_user_id_live_refresh`` at the default planner settings, an index-only
        scan (the index covers every column read here). A join lets the
        planner pick a sequential scan of every tracker once a guild holds a few percent of
        them (at the default ``random_page_cost``).
        """
        statement = select(trackers.c.id).where(
            LIVE,
            trackers.c.is_active == true(),
            trackers.c.scraping_status != _IN_PROGRESS,
            (trackers.c.scraping_status == _PENDING)
            | trackers.c.last_scraped_at.is_(None)
            | (trackers.c.last_scraped_at < stale_before),
        )
        if guild_id is not None:
            members = select(guild_members.c.user_id).where(
                guild_members.c.guild_id == guild_id,
                guild_members.c.is_banned == false(),
                guild_members.c.is_deleted == false(),
            )
            if self._db.dialect == "postgresql":
                ids = func.array(members.scalar_subquery(), type_=_USER_IDS)
                condition = trackers.c.user_id == any_(ids)
            else:
                condition = trackers.c.user_id.in_(members)
            statement = statement.where(condition)
        return list(self._db.execute(statement.order_by(trackers.c.id)).scalars())

    def mark_pending(self, tracker_ids: Sequence[str], now: datetime) -> list[str]:
        changed: set[str] = set()
        for among in self._db.among(trackers.c.id, tracker_ids):
            statement = (
                update(trackers)
                .where(among, LIVE, trackers.c.scraping_status != _IN_PROGRESS)
                .values(
                    scraping_status=_PENDING,
                    scraping_attempts=0,
                    next_attempt_at=None,
                    updated_at=now,
                    version=trackers.c.version + 1,
                )
                .returning(trackers.c.id)
            )
            changed.update(self._db.execute(statement).scalars())
        return [i for i in dict.fromkeys(tracker_ids) if i in changed]

    def expired_leases(self, now: datetime) -> list[Tracker]:
        statement = (
            select(trackers)
            .where(
                trackers.c.scraping_status == _IN_PROGRESS,
                trackers.c.lease_expires_at.is_not(None),
                trackers.c.lease_expires_at <= now,
            )
            .order_by(trackers.c.lease_expires_at, trackers.c.id)
        )
        return self._load(statement)

    def status_counts(self) -> dict[TrackerStatus, int]:
        if self._status_counts is None:
            return self._count_statuses()
        return self._status_counts.get(self._count_statuses)

    def pending_first_scrapes(self) -> int:
        has_season = (
            select(tracker_seasons.c.tracker_id)
            .where(tracker_seasons.c.tracker_id == trackers.c.id)
            .exists()
        )
        statement = (
            select(func.count())
            .select_from(trackers)
            .where(
                trackers.c.scraping_status == _PENDING,
                LIVE,
                trackers.c.is_active == true(),
                ~has_season,
            )
        )
        return int(self._db.execute(statement).scalar_one())

    def _count_statuses(self) -> dict[TrackerStatus, int]:
        statement = (
            select(trackers.c.scraping_status, func.count().label("n"))
            .where(LIVE)
            .group_by(trackers.c.scraping_status)
        )
        counts = dict.fromkeys(TrackerStatus, 0)
        for row in self._db.execute(statement).mappings():
            counts[TrackerStatus(row["scraping_status"])] = row["n"]
        return counts
