"""How the CLI shows core values: JSON shaped like the HTTP API's, and rich tables."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table

from entrypoints import serializers as ser
from entrypoints.serializers import instant
from tracker_core.model import ScrapingLog, Tracker, TrackerSeason
from tracker_core.schedules import Schedule
from tracker_core.stats import RANKED_PLAYLISTS, PlaylistStats
from tracker_core.use_cases.queries import ScrapingOverview, TrackerDetail


def _retry_fields(t: Tracker) -> ser.Json:
    """What operators see beyond the API's tracker: the failure's category, the next attempt."""
    return {"errorCategory": t.error_category, "nextAttemptAt": instant(t.next_attempt_at)}


def tracker_json(t: Tracker) -> ser.Json:
    """The API's tracker (never its interaction token or lease) with its retry fields."""
    return ser.tracker(t) | _retry_fields(t)


def detail_json(d: TrackerDetail) -> ser.Json:
    """``GET /api/trackers/:id``'s answer with the tracker's retry fields."""
    return ser.tracker_with_details(d) | _retry_fields(d.tracker)


def overview_json(o: ScrapingOverview, mode: str) -> ser.Json:
    """``GET /api/admin/trackers/scraping-status``'s answer with the mode it was measured in."""
    return {"mode": mode, **ser.overview(o)}


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
            _text(instant(t.last_scraped_at)),
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
        ("Last scraped", instant(t.last_scraped_at)),
        ("Active", t.is_active),
        ("Created", instant(t.created_at)),
    ):
        fields.add_row(name, _text(value))
    snapshots = Table(title="Latest snapshots")
    for name in ("Captured", "Season", *RANKED_PLAYLISTS, "Source"):
        snapshots.add_column(name)
    for s in d.snapshots:
        ratings = [_text(s.ratings.get(p)) for p in RANKED_PLAYLISTS]
        snapshots.add_row(_text(instant(s.captured_at)), _text(s.season_number), *ratings, s.source)
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
            _text(instant(s.scheduled_at)),
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
            _text(instant(e.started_at)),
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
