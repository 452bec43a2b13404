"""League repositories: the data the league rules read, and numbers pulls with their rows and
overrides (written once, never updated)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, func, insert, select
from sqlalchemy.exc import IntegrityError

from adapters.sql.database import Database
from adapters.sql.tables import (
    guild_members,
    league_flags,
    league_pull_overrides,
    league_pull_rows,
    league_pulls,
    tracker_seasons,
    trackers,
)
from tracker_core.errors import ConflictError
from tracker_core.flags import FlagKind, FlagStatus, ReviewFlag
from tracker_core.league import Eligibility, MemberData, TrackerData, league_playlist
from tracker_core.mmr import MmrInputs
from tracker_core.pulls import Pull, PullOverride, PullRow, RowFilter
from tracker_core.stats import RANKED_PLAYLISTS, SeasonStats

_RANKED_COLUMNS = tuple(f"playlist_{p}" for p in RANKED_PLAYLISTS)
_LEAGUE_KEYS = ("rating", "matchesPlayed", "allTimePeakRating")


class SqlAlchemyLeagueData:
    """Current members, their live trackers and two newest seasons: three queries."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def _members(self, guild_id: str, user_ids: Sequence[str] | None) -> list[Any]:
        where = [
            guild_members.c.guild_id == guild_id,
            guild_members.c.is_banned.is_(False),
            guild_members.c.is_deleted.is_(False),
        ]
        if user_ids is not None:
            where.append(self._db.one_of(guild_members.c.user_id, list(user_ids)))
        return where

    def member_data(self, guild_id: str, user_ids: Sequence[str] | None = None) -> list[MemberData]:
        members = self._members(guild_id, user_ids)
        users = self._db.execute(
            select(guild_members.c.user_id).where(*members).order_by(guild_members.c.user_id)
        ).scalars()
        live = and_(
            trackers.c.user_id == guild_members.c.user_id,
            trackers.c.is_deleted.is_(False),
            trackers.c.is_active.is_(True),
        )
        found_trackers = self._db.execute(
            select(trackers.c.id, trackers.c.user_id, trackers.c.last_scraped_at)
            .join(guild_members, live)
            .where(*members)
            .order_by(trackers.c.id)
        ).all()
        seasons = self._seasons(members, live)
        by_user: dict[str, list[TrackerData]] = defaultdict(list)
        for row in found_trackers:
            tracker_id, user_id, scraped = row.id, row.user_id, row.last_scraped_at
            stats = tuple(seasons.get(tracker_id, ()))
            by_user[user_id].append(TrackerData(tracker_id, scraped, stats))
        return [MemberData(u, tuple(by_user.get(u, ()))) for u in users]

    def _seasons(
        self, members: list[Any], live: ColumnElement[bool]
    ) -> dict[str, list[SeasonStats]]:
        newer = tracker_seasons.alias("newer")
        newest = (
            select(func.max(newer.c.season_number))
            .where(newer.c.tracker_id == tracker_seasons.c.tracker_id)
            .scalar_subquery()
        )
        # Only the numbers the league rules read, extracted by the database (no JSON decoding).
        numbers = [
            tracker_seasons.c[column][key].as_float()
            for column in _RANKED_COLUMNS
            for key in _LEAGUE_KEYS
        ]
        statement = (
            select(
                tracker_seasons.c.tracker_id,
                tracker_seasons.c.season_number,
                tracker_seasons.c.season_name,
                *numbers,
            )
            .join(trackers, trackers.c.id == tracker_seasons.c.tracker_id)
            .join(guild_members, live)
            .where(*members, tracker_seasons.c.season_number >= newest - 1)
            .order_by(tracker_seasons.c.tracker_id, tracker_seasons.c.season_number.desc())
        )
        found: dict[str, list[SeasonStats]] = defaultdict(list)
        for row in self._db.execute(statement):
            cells: tuple[Any, ...] = tuple(row)[3:]
            values = [None if v is None else int(v) for v in cells]
            playlists = {
                playlist: league_playlist(*values[i * 3 : i * 3 + 3])
                for i, playlist in enumerate(RANKED_PLAYLISTS)
            }
            found[row.tracker_id].append(SeasonStats(row.season_number, row.season_name, playlists))
        return found


def pull_to_row(pull: Pull) -> dict[str, Any]:
    """Column values of a pull."""
    return {
        "id": pull.id,
        "guild_id": pull.guild_id,
        "number": pull.number,
        "name": pull.name,
        "note": pull.note,
        "created_by": pull.created_by,
        "created_at": pull.created_at,
        "settings": dict(pull.settings),
        "member_count": pull.member_count,
    }


def pull_from_row(row: Any) -> Pull:
    """The pull a ``league_pulls`` row holds."""
    return Pull(**{**row, "settings": dict(row["settings"])})


def pull_row_to_row(row: PullRow) -> dict[str, Any]:
    """Column values of a pull row."""
    return {
        "pull_id": row.pull_id,
        "user_id": row.user_id,
        "tracker_id": row.tracker_id,
        "mmr": row.mmr,
        "algorithm": row.algorithm,
        "inputs": None if row.inputs is None else row.inputs.to_dict(),
        "eligible": row.eligibility.eligible,
        "reasons": list(row.eligibility.reasons),
        "games": dict(row.eligibility.games),
        "data_at": row.data_at,
        "stale": row.stale,
        "reason": row.reason,
        "flags": list(row.flags),
    }


def pull_row_from_row(row: Any) -> PullRow:
    """The pull row a ``league_pull_rows`` row holds."""
    return PullRow(
        pull_id=row["pull_id"],
        user_id=row["user_id"],
        tracker_id=row["tracker_id"],
        mmr=row["mmr"],
        algorithm=cast(Any, row["algorithm"]),
        inputs=None if row["inputs"] is None else MmrInputs.from_dict(row["inputs"]),
        eligibility=Eligibility(row["eligible"], tuple(row["reasons"]), dict(row["games"])),
        data_at=row["data_at"],
        stale=row["stale"],
        reason=row["reason"],
        flags=tuple(row["flags"]),
    )


_ROW_ORDER = (
    league_pull_rows.c.mmr.is_(None),
    league_pull_rows.c.mmr.desc(),
    league_pull_rows.c.user_id,
)


def _row_filter(row_filter: RowFilter | None) -> list[ColumnElement[bool]]:
    if row_filter == "eligible":
        return [league_pull_rows.c.eligible.is_(True)]
    if row_filter == "ineligible":
        return [league_pull_rows.c.eligible.is_(False)]
    if row_filter == "stale":
        return [league_pull_rows.c.stale.is_(True)]
    return []


class SqlAlchemyPullRepository:
    """Pulls, their rows (one bulk insert) and the append-only overrides."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def next_number(self, guild_id: str) -> int:
        statement = select(func.max(league_pulls.c.number)).where(
            league_pulls.c.guild_id == guild_id
        )
        return int(self._db.execute(statement).scalar_one() or 0) + 1

    def add(self, pull: Pull, rows: Sequence[PullRow]) -> None:
        try:
            with self._db.savepoint():
                self._db.execute(insert(league_pulls).values(pull_to_row(pull)))
        except IntegrityError as exc:
            raise ConflictError(
                f"Pull number {pull.number} of guild {pull.guild_id} is taken"
            ) from exc
        if rows:
            self._db.execute(insert(league_pull_rows), [pull_row_to_row(r) for r in rows])

    def get(self, guild_id: str, pull_id: str) -> Pull | None:
        statement = select(league_pulls).where(
            league_pulls.c.id == pull_id, league_pulls.c.guild_id == guild_id
        )
        row = self._db.execute(statement).mappings().first()
        return None if row is None else pull_from_row(row)

    def for_guild(self, guild_id: str) -> list[Pull]:
        statement = (
            select(league_pulls)
            .where(league_pulls.c.guild_id == guild_id)
            .order_by(league_pulls.c.number.desc())
        )
        return [pull_from_row(row) for row in self._db.execute(statement).mappings()]

    def rows(
        self, pull_id: str, row_filter: RowFilter | None, page: int, limit: int
    ) -> tuple[list[PullRow], int]:
        where = [league_pull_rows.c.pull_id == pull_id, *_row_filter(row_filter)]
        total = self._db.execute(
            select(func.count()).select_from(league_pull_rows).where(*where)
        ).scalar_one()
        statement = (
            select(league_pull_rows)
            .where(*where)
            .order_by(*_ROW_ORDER)
            .limit(limit)
            .offset((page - 1) * limit)
        )
        return [pull_row_from_row(r) for r in self._db.execute(statement).mappings()], total

    def all_rows(self, pull_id: str) -> list[PullRow]:
        statement = (
            select(league_pull_rows)
            .where(league_pull_rows.c.pull_id == pull_id)
            .order_by(*_ROW_ORDER)
        )
        return [pull_row_from_row(r) for r in self._db.execute(statement).mappings()]

    def row(self, pull_id: str, user_id: str) -> PullRow | None:
        statement = select(league_pull_rows).where(
            league_pull_rows.c.pull_id == pull_id, league_pull_rows.c.user_id == user_id
        )
        found = self._db.execute(statement).mappings().first()
        return None if found is None else pull_row_from_row(found)

    def add_override(self, override: PullOverride) -> None:
        values = {
            "id": override.id,
            "pull_id": override.pull_id,
            "user_id": override.user_id,
            "mmr": override.mmr,
            "reason": override.reason,
            "actor": override.actor,
            "created_at": override.created_at,
        }
        self._db.execute(insert(league_pull_overrides).values(values))

    def overrides(self, pull_id: str) -> list[PullOverride]:
        statement = (
            select(league_pull_overrides)
            .where(league_pull_overrides.c.pull_id == pull_id)
            .order_by(league_pull_overrides.c.created_at, league_pull_overrides.c.id)
        )
        return [PullOverride(**row) for row in self._db.execute(statement).mappings()]

    def rows_for_user(self, user_id: str, guild_ids: Sequence[str]) -> list[tuple[Pull, PullRow]]:
        if not guild_ids:
            return []
        statement = (
            select(league_pulls, league_pull_rows)
            .join(league_pull_rows, league_pull_rows.c.pull_id == league_pulls.c.id)
            .where(
                league_pull_rows.c.user_id == user_id,
                self._db.one_of(league_pulls.c.guild_id, list(guild_ids)),
            )
            .order_by(league_pulls.c.created_at.desc(), league_pulls.c.number.desc())
        )
        found = []
        for row in self._db.execute(statement).mappings():
            pull = pull_from_row({c.name: row[c.name] for c in league_pulls.c})
            found.append((pull, pull_row_from_row(row)))
        return found


def flag_to_row(flag: ReviewFlag) -> dict[str, Any]:
    """Column values of a review flag, its version included."""
    return {
        "id": flag.id,
        "guild_id": flag.guild_id,
        "user_id": flag.user_id,
        "kind": flag.kind,
        "tracker_id": flag.tracker_id,
        "detail": flag.detail,
        "data": dict(flag.data),
        "raised_at": flag.raised_at,
        "status": flag.status,
        "open_slot": "open" if flag.status == "open" else None,
        "resolution": flag.resolution,
        "note": flag.note,
        "resolved_by": flag.resolved_by,
        "resolved_at": flag.resolved_at,
        "version": flag.version,
    }


def flag_from_row(row: Any) -> ReviewFlag:
    """The review flag a ``league_flags`` row holds."""
    values = {k: v for k, v in row.items() if k != "open_slot"}
    return ReviewFlag(**{**values, "data": dict(row["data"])})


class SqlAlchemyFlagRepository:
    """Review flags; one open flag per (guild, member, kind), enforced by a unique constraint."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def open_flag(self, guild_id: str, user_id: str, kind: FlagKind) -> ReviewFlag | None:
        statement = select(league_flags).where(
            league_flags.c.guild_id == guild_id,
            league_flags.c.user_id == user_id,
            league_flags.c.kind == kind,
            league_flags.c.open_slot == "open",
        )
        row = self._db.execute(statement).mappings().first()
        return None if row is None else flag_from_row(row)

    def add(self, flag: ReviewFlag) -> None:
        try:
            with self._db.savepoint():
                self._db.execute(insert(league_flags).values(flag_to_row(flag)))
        except IntegrityError as exc:
            raise ConflictError(f"An open {flag.kind} flag exists for {flag.user_id}") from exc

    def get(self, guild_id: str, flag_id: str) -> ReviewFlag | None:
        statement = select(league_flags).where(
            league_flags.c.id == flag_id, league_flags.c.guild_id == guild_id
        )
        row = self._db.execute(statement).mappings().first()
        return None if row is None else flag_from_row(row)

    def save(self, flag: ReviewFlag) -> None:
        values = {k: v for k, v in flag_to_row(flag).items() if k not in ("id", "version")}
        self._db.compare_and_set(league_flags, flag.id, flag.version, values)
        flag.version += 1

    def search(
        self, guild_id: str, status: FlagStatus | None, kind: FlagKind | None
    ) -> list[ReviewFlag]:
        where = [league_flags.c.guild_id == guild_id]
        if status is not None:
            where.append(league_flags.c.status == status)
        if kind is not None:
            where.append(league_flags.c.kind == kind)
        statement = (
            select(league_flags)
            .where(*where)
            .order_by(league_flags.c.raised_at.desc(), league_flags.c.id.desc())
        )
        return [flag_from_row(row) for row in self._db.execute(statement).mappings()]

    def open_kinds(self, guild_id: str) -> dict[str, list[FlagKind]]:
        statement = (
            select(league_flags.c.user_id, league_flags.c.kind)
            .where(league_flags.c.guild_id == guild_id, league_flags.c.open_slot == "open")
            .order_by(league_flags.c.kind, league_flags.c.id)
        )
        found: dict[str, list[FlagKind]] = {}
        for row in self._db.execute(statement):
            found.setdefault(row.user_id, []).append(cast(FlagKind, row.kind))
        return found

    def other_holders(self, platform: str, platform_user_id: str, user_id: str) -> list[str]:
        statement = (
            select(trackers.c.user_id)
            .where(
                trackers.c.platform_user_id == platform_user_id,
                trackers.c.platform == platform,
                trackers.c.user_id != user_id,
            )
            .distinct()
            .order_by(trackers.c.user_id)
        )
        return list(self._db.execute(statement).scalars())
