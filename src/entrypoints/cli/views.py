"""How the CLI shows core values: JSON shaped like the HTTP API's, and rich tables."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from entrypoints.responses import api as res
from entrypoints.responses.base import Json, instant, to_json
from tracker_core.guilds import Guild, GuildSettings, User
from tracker_core.league import Standing
from tracker_core.model import ScrapingLog, Tracker, TrackerSeason, TrackerSnapshot
from tracker_core.schedules import Schedule
from tracker_core.stats import RANKED_PLAYLISTS, PlaylistStats
from tracker_core.use_cases.queries import ScrapingOverview, TrackerDetail


def _retry_fields(t: Tracker) -> Json:
    """What operators see beyond the API's tracker: the failure's category, the next attempt."""
    return {"errorCategory": t.error_category, "nextAttemptAt": instant(t.next_attempt_at)}


def tracker_json(t: Tracker) -> Json:
    """The API's tracker (never its interaction token or lease) with its retry fields."""
    found: Json = to_json(res.tracker(t))
    return found | _retry_fields(t)


def detail_json(d: TrackerDetail) -> Json:
    """``GET /api/trackers/:id``'s answer with the tracker's retry fields."""
    found: Json = to_json(res.tracker_with_details(d))
    return found | _retry_fields(d.tracker)


def overview_json(o: ScrapingOverview, mode: str) -> Json:
    """``GET /api/admin/trackers/scraping-status``'s answer with the mode it was measured in."""
    return {"mode": mode, **to_json(res.overview(o))}


def _text(value: object) -> str:
    return "-" if value is None or value == "" else str(value)


NARROW = 110
"""Below this many columns, tables drop their low-value columns and shorten timestamps."""
STATUS_WIDTH = len("IN_PROGRESS")


def _narrow(width: int | None) -> bool:
    return width is not None and width < NARROW


def _table(title: str | None, width: int | None) -> Table:
    """A table; on a narrow console without vertical rules (each one costs a column)."""
    if _narrow(width):
        return Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    return Table(title=title)


def _when(value: datetime | None, width: int | None) -> str:
    """An instant: ISO 8601 on a wide console, ``YYYY-MM-DD HH:MM`` (UTC) on a narrow one."""
    if value is None:
        return "-"
    if _narrow(width):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return _text(instant(value))


def status_text(status: object) -> Text:
    """A status, red when FAILED (colour only on a colour terminal without NO_COLOR)."""
    label = str(status)
    return Text(label, style="bold red" if label == "FAILED" else "")


def _status_column(table: Table) -> None:
    """The status is never cut or wrapped: it is what the operator looks for."""
    table.add_column("Status", no_wrap=True, min_width=STATUS_WIDTH)


def trackers_table(
    trackers: Sequence[Tracker], title: str | None = None, *, width: int | None = None
) -> RenderableType:
    """Trackers, one per row ("No trackers found." when none).

    Narrow consoles (80 columns) drop the owner's id and the error (``show`` has both).
    """
    if not trackers:
        return nothing_found("trackers")
    narrow = _narrow(width)
    table = _table(title, width)
    table.add_column("ID", no_wrap=True)
    table.add_column("Platform")
    table.add_column("Username", overflow="fold")
    if not narrow:
        table.add_column("User", no_wrap=True)
    _status_column(table)
    table.add_column("Last scraped", no_wrap=True)
    if not narrow:
        table.add_column("Error", overflow="fold")
    for t in trackers:
        cells: list[RenderableType] = [t.id, t.platform, t.display_name or t.username]
        if not narrow:
            cells.append(t.user_id)
        cells += [status_text(t.scraping_status), _when(t.last_scraped_at, width)]
        if not narrow:
            cells.append(_text(t.scraping_error))
        table.add_row(*cells)
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
    return Group(fields, seasons_table(d.seasons), snapshots_table(d.snapshots))


def schedules_table(schedules: Sequence[Schedule], *, width: int | None = None) -> RenderableType:
    """Schedules by instant; narrow consoles drop who created them, the result and the error."""
    if not schedules:
        return nothing_found("schedules")
    narrow = _narrow(width)
    table = _table("Schedules", width)
    table.add_column("ID", no_wrap=True)
    table.add_column("Guild", no_wrap=True)
    table.add_column("Scheduled at", no_wrap=True)
    _status_column(table)
    if not narrow:
        for name in ("Created by", "Result", "Error"):
            table.add_column(name, overflow="fold")
    for s in schedules:
        cells: list[RenderableType] = [
            s.id,
            s.guild_id,
            _when(s.scheduled_at, width),
            status_text(s.status),
        ]
        if not narrow:
            cells += [s.created_by, _text(s.result), _text(s.error_message)]
        table.add_row(*cells)
    return table


def logs_table(entries: Sequence[ScrapingLog], *, width: int | None = None) -> RenderableType:
    """Scrape job executions, newest first; narrow consoles drop the seasons and duration."""
    if not entries:
        return nothing_found("scraping logs")
    narrow = _narrow(width)
    table = _table("Scraping logs", width)
    table.add_column("Started", no_wrap=True)
    table.add_column("Tracker", no_wrap=True)
    _status_column(table)
    if not narrow:
        table.add_column("Seasons")
    table.add_column("Category")
    if not narrow:
        table.add_column("ms", justify="right")
    table.add_column("Error", overflow="fold")
    for e in entries:
        cells: list[RenderableType] = [_when(e.started_at, width), e.tracker_id]
        cells.append(status_text(e.status))
        if not narrow:
            cells.append(f"{e.seasons_scraped} ok / {e.seasons_failed} failed")
        cells.append(_text(e.error_category))
        if not narrow:
            cells.append(_text(e.metadata.get("durationMs")))
        cells.append(_text(e.error_message))
        table.add_row(*cells)
    return table


def overview_table(o: ScrapingOverview, mode: str) -> Table:
    """The numbers of ``trackers status``."""
    table = Table(title=f"Scraping status ({mode} mode)", show_header=False)
    table.add_column("What")
    table.add_column("Value", justify="right")
    for status, count in o.by_status.items():
        table.add_row(status_text(status), str(count))
    table.add_row("Total", str(o.total))
    table.add_row("Queue depth", str(o.queue_depth))
    table.add_row("ETA at budget (min)", f"{o.eta_minutes:g}")
    return table


def nothing_found(what: str) -> str:
    """What an empty listing prints instead of an empty table."""
    return f"No {what} found."


def guilds_table(guilds: Sequence[Guild]) -> RenderableType:
    """Guilds, one per row."""
    if not guilds:
        return nothing_found("guilds")
    table = Table(title="Guilds")
    table.add_column("ID", no_wrap=True)
    table.add_column("Name", overflow="fold")
    table.add_column("Members", justify="right")
    table.add_column("Active", no_wrap=True)
    for g in guilds:
        active = "yes" if g.is_active else "no"
        table.add_row(g.id, g.name, _text(g.member_count), active)
    return table


def guild_view(
    g: Guild, settings: GuildSettings, members: int, trackers: int, rated: int
) -> RenderableType:
    """A guild's fields, counts and the settings that decide its processing and MMR."""
    fields = Table.grid(padding=(0, 2))
    mmr = settings.mmr
    for name, value in (
        ("ID", g.id),
        ("Name", g.name),
        ("Owner", g.owner_id),
        ("Active", "yes" if g.is_active else "no"),
        ("Discord members", g.member_count),
        ("Members known", members),
        ("Their trackers", trackers),
        ("Rated members", rated),
        ("Processing", "enabled" if settings.tracker_processing_enabled else "disabled"),
        ("MMR algorithm", mmr.algorithm),
        ("Admin roles", ", ".join(settings.admin_roles) or None),
        ("Created", instant(g.created_at)),
    ):
        fields.add_row(name, _text(value))
    return fields


def _flatten(prefix: str, value: object, out: list[tuple[str, object]]) -> None:
    if isinstance(value, dict) and value:
        for key, child in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), child, out)
    else:
        out.append((prefix, value))


def settings_lines(settings: Json) -> RenderableType:
    """Settings as ``section.key  value`` lines (the names ``settings set`` takes)."""
    flat: list[tuple[str, object]] = []
    _flatten("", settings, flat)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for key, value in flat:
        grid.add_row(key, json.dumps(value, ensure_ascii=False))
    return grid


def _input_cell(rating: object, games: object) -> str:
    if rating is None:
        return "-"
    return f"{rating} ({_text(games)})"


def mmr_table(
    standings: Sequence[Standing], names: Mapping[str, str], guild_id: str
) -> RenderableType:
    """The leaderboard: rank, player, MMR, then each playlist's rating (games) it read."""
    rated = [s for s in standings if s.best is not None]
    if not rated:
        return nothing_found(f"ratings in guild {guild_id}")
    algorithms = sorted({str(s.algorithm) for s in rated})
    table = Table(title=f"League MMR of guild {guild_id} ({', '.join(algorithms)})")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Player", overflow="fold")
    table.add_column("MMR", justify="right", no_wrap=True)
    for playlist in RANKED_PLAYLISTS:
        table.add_column(f"{playlist} (games)", justify="right")
    for place, s in enumerate(rated, start=1):
        assert s.best is not None
        i = s.best.inputs
        cells = [
            _input_cell(i.ones, i.ones_games),
            _input_cell(i.twos, i.twos_games),
            _input_cell(i.threes, i.threes_games),
            _input_cell(i.fours, i.fours_games),
        ]
        table.add_row(str(place), names.get(s.user_id, s.user_id), str(s.best.mmr), *cells)
    return table


SPARK_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[int | None]) -> str:
    """One block character per value (lowest ▁ to highest █); a gap for an unknown value."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low
    top = len(SPARK_BARS) - 1
    return "".join(
        " " if v is None else SPARK_BARS[0 if span == 0 else round((v - low) * top / span)]
        for v in values
    )


def history_view(snapshots: Sequence[TrackerSnapshot], rows: int) -> RenderableType:
    """A sparkline per playlist over every snapshot (oldest first), then the newest rows."""
    if not snapshots:
        return nothing_found("snapshots")
    oldest_first = list(reversed(snapshots))
    first, last = oldest_first[0].captured_at, oldest_first[-1].captured_at
    lines = Table(
        title=f"Rating history: {len(snapshots)} snapshot(s), {instant(first)} to {instant(last)}",
        show_header=True,
    )
    for name in ("Playlist", "Trend (old → new)", "First", "Last", "Low", "High"):
        lines.add_column(name, no_wrap=name != "Trend (old → new)", overflow="fold")
    for playlist in RANKED_PLAYLISTS:
        values = [s.ratings.get(playlist) for s in oldest_first]
        known = [v for v in values if v is not None]
        if not known:
            continue
        lines.add_row(
            playlist,
            sparkline(values),
            str(known[0]),
            str(known[-1]),
            str(min(known)),
            str(max(known)),
        )
    parts: list[RenderableType] = [lines]
    if rows:
        parts.append(snapshots_table(snapshots[:rows]))
    return Group(*parts)


def snapshots_table(snapshots: Sequence[TrackerSnapshot]) -> Table:
    """Snapshots as given (newest first), one per row."""
    table = Table(title="Latest snapshots")
    for name in ("Captured", "Season", *RANKED_PLAYLISTS, "Source"):
        table.add_column(name)
    for s in snapshots:
        ratings = [_text(s.ratings.get(p)) for p in RANKED_PLAYLISTS]
        table.add_row(_text(instant(s.captured_at)), _text(s.season_number), *ratings, s.source)
    return table


def user_view(
    u: User, trackers: Sequence[Tracker], total: int, *, width: int | None = None
) -> RenderableType:
    """A user's profile and trackers."""
    fields = Table.grid(padding=(0, 2))
    for name, value in (
        ("ID", u.id),
        ("Username", u.username),
        ("Global name", u.global_name),
        ("Trackers", total),
        ("Created", instant(u.created_at)),
    ):
        fields.add_row(name, _text(value))
    return Group(fields, trackers_table(trackers, title="Trackers", width=width))
