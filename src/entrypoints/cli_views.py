"""How the CLI shows core values: JSON shaped like the HTTP API's, and rich tables."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table

from entrypoints.cli_common import iso, jsonable
from tracker_core.guilds import User
from tracker_core.model import ScrapingLog, Tracker, TrackerSeason, TrackerSnapshot
from tracker_core.schedules import Schedule
from tracker_core.stats import RANKED_PLAYLISTS, PlaylistStats, RankedPlaylist
from tracker_core.use_cases.queries import ScrapingOverview, TrackerDetail

SNAPSHOT_KEYS: dict[RankedPlaylist, str] = {
    "1v1": "ones",
    "2v2": "twos",
    "3v3": "threes",
    "4v4": "fours",
}


def tracker_json(t: Tracker) -> dict[str, Any]:
    """A tracker as the API shows it (never its interaction token or lease)."""
    return {
        "id": t.id,
        "url": t.url,
        "game": t.game,
        "platform": t.platform,
        "username": t.username,
        "userId": t.user_id,
        "displayName": t.display_name,
        "isActive": t.is_active,
        "isDeleted": t.is_deleted,
        "lastScrapedAt": iso(t.last_scraped_at),
        "scrapingStatus": str(t.scraping_status),
        "scrapingError": t.scraping_error,
        "errorCategory": t.error_category,
        "scrapingAttempts": t.scraping_attempts,
        "nextAttemptAt": iso(t.next_attempt_at),
        "registrationChannelId": t.registration_channel_id,
        "platformUserId": t.platform_user_id,
        "createdAt": iso(t.created_at),
        "updatedAt": iso(t.updated_at),
    }


def season_json(s: TrackerSeason) -> dict[str, Any]:
    """One season with its four ranked playlists and the extra ones."""
    data: dict[str, Any] = {
        "id": s.id,
        "trackerId": s.tracker_id,
        "seasonNumber": s.season_number,
        "seasonName": s.stats.season_name,
    }
    for playlist in RANKED_PLAYLISTS:
        data[f"playlist{playlist}"] = jsonable(s.stats.playlist(playlist))
    data["extraPlaylists"] = jsonable(s.stats.extra_playlists)
    data |= {
        "scrapedAt": iso(s.scraped_at),
        "createdAt": iso(s.created_at),
        "updatedAt": iso(s.updated_at),
    }
    return data


def snapshot_json(s: TrackerSnapshot) -> dict[str, Any]:
    """One point of the rating history."""
    data: dict[str, Any] = {
        "id": s.id,
        "trackerId": s.tracker_id,
        "capturedAt": iso(s.captured_at),
        "seasonNumber": s.season_number,
    }
    for playlist, key in SNAPSHOT_KEYS.items():
        data[key] = s.ratings.get(playlist)
        data[f"{key}GamesPlayed"] = s.games_played.get(playlist)
    data |= {"source": s.source, "enteredBy": s.entered_by, "createdAt": iso(s.created_at)}
    return data


def user_json(u: User | None) -> dict[str, Any] | None:
    """A user as responses embed it."""
    if u is None:
        return None
    return {"id": u.id, "username": u.username, "globalName": u.global_name, "avatar": u.avatar}


def detail_json(d: TrackerDetail) -> dict[str, Any]:
    """A tracker with its owner, latest snapshots and seasons (like ``GET /api/trackers/:id``)."""
    return tracker_json(d.tracker) | {
        "user": user_json(d.user),
        "snapshots": [snapshot_json(s) for s in d.snapshots],
        "seasons": [season_json(s) for s in d.seasons],
    }


def schedule_json(s: Schedule) -> dict[str, Any]:
    """A scheduled guild processing."""
    return {
        "id": s.id,
        "guildId": s.guild_id,
        "scheduledAt": iso(s.scheduled_at),
        "status": str(s.status),
        "createdBy": s.created_by,
        "executedAt": iso(s.executed_at),
        "errorMessage": s.error_message,
        "metadata": s.metadata,
        "result": s.result,
        "createdAt": iso(s.created_at),
        "updatedAt": iso(s.updated_at),
    }


def log_json(entry: ScrapingLog) -> dict[str, Any]:
    """One scrape job execution."""
    return jsonable(entry)  # type: ignore[no-any-return]


def overview_json(o: ScrapingOverview, mode: str) -> dict[str, Any]:
    """Counts by status, queue depth and ETA at the request budget."""
    return {
        "mode": mode,
        "total": o.total,
        "byStatus": o.by_status,
        "queueDepth": o.queue_depth,
        "etaMinutes": o.eta_minutes,
    }


def page_json(items: list[dict[str, Any]], page: int, limit: int, total: int) -> dict[str, Any]:
    """A list with the API's pagination block."""
    pages = math.ceil(total / limit) if total else 0
    return {
        "data": items,
        "pagination": {"page": page, "limit": limit, "total": total, "pages": pages},
    }


def _text(value: object) -> str:
    return "-" if value is None or value == "" else str(value)


def trackers_table(trackers: Sequence[Tracker], title: str | None = None) -> Table:
    """Trackers, one per row."""
    table = Table(title=title)
    table.add_column("ID", no_wrap=True)
    for name in ("Platform", "Username", "User", "Status", "Last scraped", "Error"):
        table.add_column(name)
    for t in trackers:
        table.add_row(
            t.id,
            t.platform,
            t.display_name or t.username,
            t.user_id,
            str(t.scraping_status),
            _text(iso(t.last_scraped_at)),
            _text(t.scraping_error),
        )
    return table


def _cell(stats: PlaylistStats | None) -> str:
    if stats is None or stats.rating is None:
        return "-"
    rank = f" {stats.rank}" if stats.rank else ""
    return f"{stats.rating}{rank} ({_text(stats.matches_played)} games)"


def seasons_table(seasons: Sequence[TrackerSeason]) -> Table:
    """Ranked ratings per season, newest first."""
    table = Table(title="Seasons")
    table.add_column("Season", no_wrap=True)
    for playlist in RANKED_PLAYLISTS:
        table.add_column(playlist)
    for s in seasons:
        cells = [_cell(s.stats.playlist(p)) for p in RANKED_PLAYLISTS]
        table.add_row(s.stats.season_name, *cells)
    return table


def detail_view(d: TrackerDetail) -> RenderableType:
    """A tracker's fields, its seasons and its latest snapshots."""
    t = d.tracker
    fields = Table.grid(padding=(0, 2))
    owner = d.user.username if d.user else "?"
    for name, value in (
        ("ID", t.id),
        ("URL", t.url),
        ("Owner", f"{t.user_id} ({owner})"),
        ("Status", f"{t.scraping_status} (attempts {t.scraping_attempts})"),
        ("Error", t.scraping_error),
        ("Last scraped", iso(t.last_scraped_at)),
        ("Active", t.is_active),
        ("Created", iso(t.created_at)),
    ):
        fields.add_row(name, _text(value))
    snapshots = Table(title="Latest snapshots")
    for name in ("Captured", "Season", *RANKED_PLAYLISTS, "Source"):
        snapshots.add_column(name)
    for s in d.snapshots:
        ratings = [_text(s.ratings.get(p)) for p in RANKED_PLAYLISTS]
        snapshots.add_row(_text(iso(s.captured_at)), _text(s.season_number), *ratings, s.source)
    return Group(fields, seasons_table(d.seasons), snapshots)


def schedules_table(schedules: Sequence[Schedule]) -> Table:
    """Schedules by instant."""
    table = Table(title="Schedules")
    table.add_column("ID", no_wrap=True)
    for name in ("Guild", "Scheduled at", "Status", "Created by", "Result", "Error"):
        table.add_column(name)
    for s in schedules:
        table.add_row(
            s.id,
            s.guild_id,
            _text(iso(s.scheduled_at)),
            str(s.status),
            s.created_by,
            _text(s.result),
            _text(s.error_message),
        )
    return table


def logs_table(entries: Sequence[ScrapingLog]) -> Table:
    """Scrape job executions, newest first."""
    table = Table(title="Scraping logs")
    for name in ("Started", "Tracker", "Status", "Seasons", "Category", "ms", "Error"):
        table.add_column(name, no_wrap=name in ("Started", "Tracker"))
    for e in entries:
        seasons = f"{e.seasons_scraped} ok / {e.seasons_failed} failed"
        table.add_row(
            _text(iso(e.started_at)),
            e.tracker_id,
            e.status,
            seasons,
            _text(e.error_category),
            _text(e.metadata.get("durationMs")),
            _text(e.error_message),
        )
    return table


def overview_table(o: ScrapingOverview, mode: str) -> Table:
    """The numbers of ``trackers status``."""
    table = Table(title=f"Scraping status ({mode} mode)", show_header=False)
    table.add_column("What")
    table.add_column("Value", justify="right")
    for status, count in o.by_status.items():
        table.add_row(status, str(count))
    table.add_row("Total", str(o.total))
    table.add_row("Queue depth", str(o.queue_depth))
    table.add_row("ETA at budget (min)", f"{o.eta_minutes:g}")
    return table
