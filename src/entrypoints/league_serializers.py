"""JSON (and CSV lines) of the league's answers: standings, pulls, their rows and overrides,
review flags; shared by the HTTP API and the CLI."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from entrypoints import serializers as ser
from entrypoints.csvcells import sheet_csv
from tracker_core.flags import ReviewFlag
from tracker_core.league import GAME_KEYS, Standing
from tracker_core.pulls import Pull, PullDiff, PullOverride, PullRow, effective_mmr
from tracker_core.use_cases.league import PullPage


def standing(guild_id: str, s: Standing, now: datetime) -> ser.Json:
    """One MMR row: the strongest tracker, why it was chosen, eligibility and data age."""
    assert s.best is not None
    return {
        "guildId": guild_id,
        "userId": s.user_id,
        "trackerId": s.best.tracker_id,
        "mmr": s.best.mmr,
        "algorithm": s.algorithm,
        "inputs": s.best.inputs.to_dict(),
        "calculatedAt": ser.instant(now),
        "dataAt": ser.instant(s.best.last_scraped_at),
        "stale": s.stale,
        "bestTrackerReason": s.best.reason,
        "eligibility": s.eligibility.to_dict(),
        "flags": list(s.flags),
    }


def pull(p: Pull) -> ser.Json:
    """A pull's header."""
    return {
        "id": p.id,
        "guildId": p.guild_id,
        "number": p.number,
        "name": p.name,
        "note": p.note,
        "createdBy": p.created_by,
        "createdAt": ser.instant(p.created_at),
        "memberCount": p.member_count,
        "settings": dict(p.settings),
    }


def override(o: PullOverride | None) -> ser.Json | None:
    """A staff override, or None."""
    if o is None:
        return None
    return {
        "mmr": o.mmr,
        "reason": o.reason,
        "actor": o.actor,
        "createdAt": ser.instant(o.created_at),
    }


def pull_row(p: Pull, r: PullRow, o: PullOverride | None) -> ser.Json:
    """A frozen row, the override beside it and the effective MMR."""
    age = None if r.data_at is None else int((p.created_at - r.data_at).total_seconds())
    return {
        "userId": r.user_id,
        "trackerId": r.tracker_id,
        "mmr": r.mmr,
        "effectiveMmr": effective_mmr(r, o),
        "algorithm": r.algorithm,
        "inputs": None if r.inputs is None else r.inputs.to_dict(),
        "eligibility": r.eligibility.to_dict(),
        "dataAt": ser.instant(r.data_at),
        "dataAgeSeconds": age,
        "stale": r.stale,
        "bestTrackerReason": r.reason,
        "override": override(o),
        "flags": list(r.flags),
    }


def diff(d: PullDiff) -> ser.Json:
    """Who moved (largest move first), who appeared, who disappeared."""
    return {
        "moved": [
            {"userId": m.user_id, "before": m.before, "after": m.after, "delta": m.delta}
            for m in d.moved
        ],
        "appeared": [{"userId": u, "mmr": v} for u, v in d.appeared],
        "disappeared": [{"userId": u, "mmr": v} for u, v in d.disappeared],
        "unchanged": d.unchanged,
    }


def flag(f: ReviewFlag) -> ser.Json:
    """One review flag."""
    return {
        "id": f.id,
        "guildId": f.guild_id,
        "userId": f.user_id,
        "kind": f.kind,
        "trackerId": f.tracker_id,
        "detail": f.detail,
        "data": dict(f.data),
        "raisedAt": ser.instant(f.raised_at),
        "status": f.status,
        "resolution": f.resolution,
        "note": f.note,
        "resolvedBy": f.resolved_by,
        "resolvedAt": ser.instant(f.resolved_at),
    }


CSV_COLUMNS = (
    "rank",
    "userId",
    "trackerId",
    "mmr",
    "overrideMmr",
    "effectiveMmr",
    "overrideReason",
    "overrideActor",
    "algorithm",
    "eligible",
    "reasons",
    *(f"{key}Games" for key in GAME_KEYS),
    "dataAt",
    "stale",
    "bestTrackerReason",
    "flags",
)


def csv_line(rank: int, p: Pull, r: PullRow, o: PullOverride | None) -> list[Any]:
    games = r.eligibility.games
    return [
        rank,
        r.user_id,
        r.tracker_id or "",
        "" if r.mmr is None else r.mmr,
        "" if o is None else o.mmr,
        "" if effective_mmr(r, o) is None else effective_mmr(r, o),
        "" if o is None else o.reason,
        "" if o is None else o.actor,
        r.algorithm,
        "true" if r.eligibility.eligible else "false",
        "; ".join(r.eligibility.reasons),
        *(games.get(key, 0) for key in GAME_KEYS),
        ser.instant(r.data_at) or "",
        "true" if r.stale else "false",
        r.reason or "",
        " ".join(r.flags),
    ]


def pull_csv(found: PullPage) -> str:
    """A pull as CSV: ``CSV_COLUMNS``, then one line per row in pull order (text cells safe)."""
    return sheet_csv(
        CSV_COLUMNS,
        (
            csv_line(rank, found.pull, row, found.overrides.get(row.user_id))
            for rank, row in enumerate(found.rows, start=1)
        ),
    )
