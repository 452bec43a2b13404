"""``trackers export``: every tracker with its current (latest season's) ratings, as CSV.

The CSV is made for spreadsheets unless ``--plain``: Discord ids are written as ``="…"`` so
Excel, LibreOffice and Google Sheets keep all 17-20 digits as text (a number cell would round
them to 15 significant digits), and a text cell a user controls that starts with ``=``, ``+``,
``-`` or ``@`` gets a leading ``'`` so no spreadsheet runs it as a formula.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO, Any

import click

from entrypoints.cli.options import (
    json_option,
    platform_option,
    snowflake_option,
    tracker_status_option,
)
from entrypoints.cli.output import json_mode, note, progress_bar
from entrypoints.cli.services import OPERATOR, Services, services
from entrypoints.responses.base import instant
from tracker_core.errors import NotFoundError
from tracker_core.model import Tracker, TrackerQuery, TrackerSeason, TrackerStatus
from tracker_core.stats import RANKED_PLAYLISTS
from tracker_core.urls import Platform

PAGE_SIZE = 100
BASE_COLUMNS = [
    "id",
    "userId",
    "ownerUsername",
    "platform",
    "username",
    "displayName",
    "url",
    "scrapingStatus",
    "lastScrapedAt",
    "season",
    "mmr",
]
ID_COLUMNS = ("userId",)
USER_TEXT_COLUMNS = ("ownerUsername", "username", "displayName")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = BASE_COLUMNS + [
    f"{kind}{playlist}" for playlist in RANKED_PLAYLISTS for kind in ("rating", "rank", "games")
]


def export_row(
    tracker: Tracker,
    latest: TrackerSeason | None,
    *,
    owner: str | None = None,
    mmr: int | None = None,
) -> dict[str, Any]:
    """One CSV row: the tracker, its owner's username, the guild MMR it gives (``--guild``),
    and its latest season's ranked playlists (empty if none)."""
    row: dict[str, Any] = {
        "id": tracker.id,
        "userId": tracker.user_id,
        "ownerUsername": owner,
        "platform": tracker.platform,
        "username": tracker.username,
        "displayName": tracker.display_name,
        "url": tracker.url,
        "scrapingStatus": str(tracker.scraping_status),
        "lastScrapedAt": instant(tracker.last_scraped_at),
        "season": latest.season_number if latest else None,
        "mmr": mmr,
    }
    for playlist in RANKED_PLAYLISTS:
        stats = latest.stats.playlist(playlist) if latest else None
        row[f"rating{playlist}"] = stats.rating if stats else None
        row[f"rank{playlist}"] = stats.rank if stats else None
        row[f"games{playlist}"] = stats.matches_played if stats else None
    return row


def for_spreadsheet(row: dict[str, Any]) -> dict[str, Any]:
    """The row with ids kept as text and user-controlled text never read as a formula."""
    safe = dict(row)
    for key in ID_COLUMNS:
        if safe.get(key):
            safe[key] = f'="{safe[key]}"'
    for key in USER_TEXT_COLUMNS:
        value = safe.get(key)
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            safe[key] = "'" + value
    return safe


def _pages(
    svc: Services, query: TrackerQuery, guild_id: str | None
) -> Iterator[tuple[list[Tracker], int]]:
    page = 1
    while True:
        paged = TrackerQuery(
            platforms=query.platforms,
            statuses=query.statuses,
            sort_by="createdAt",
            sort_order="asc",
            page=page,
            limit=PAGE_SIZE,
        )
        if guild_id:
            found, total = svc.use_cases.list_guild_trackers(OPERATOR, guild_id, paged)
        else:
            found, total = svc.use_cases.search_trackers(paged)
        if not found:
            return
        yield found, total
        page += 1


class _Owners:
    """Owners' usernames, each looked up once."""

    def __init__(self, svc: Services) -> None:
        self._svc = svc
        self._names: dict[str, str | None] = {}

    def name(self, user_id: str) -> str | None:
        if user_id not in self._names:
            try:
                self._names[user_id] = self._svc.use_cases.get_user(user_id).username
            except NotFoundError:
                self._names[user_id] = None
        return self._names[user_id]


def _rows(svc: Services, query: TrackerQuery, guild_id: str | None) -> Iterator[dict[str, Any]]:
    owners = _Owners(svc)
    mmr: dict[str, int] = {}
    if guild_id:
        mmr = {
            s.best.tracker_id: s.best.mmr
            for s in svc.use_cases.guild_standings(guild_id)
            if s.best is not None
        }
    with progress_bar("Exporting") as progress:
        task = progress.add_task("export", total=None)
        for trackers, total in _pages(svc, query, guild_id):
            progress.update(task, total=total)
            for tracker in trackers:
                seasons = svc.use_cases.get_tracker_seasons(OPERATOR, tracker.id)
                yield export_row(
                    tracker,
                    seasons[0] if seasons else None,
                    owner=owners.name(tracker.user_id),
                    mmr=mmr.get(tracker.id),
                )
                progress.advance(task)


def _write(rows: Iterator[dict[str, Any]], out: IO[str], *, plain: bool) -> int:
    """Write the rows as CSV (or a JSON array with ``--json``); how many were written."""
    if json_mode():
        data = list(rows)
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return len(data)
    count = 0
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row if plain else for_spreadsheet(row))
        count += 1
    return count


@click.command()
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8", lazy=True),
    default="-",
    show_default=True,
    help="File to write ('-': standard output).",
)
@snowflake_option(
    "--guild",
    "guild_id",
    required=False,
    help="Only this guild's members' trackers, with the guild's stored MMR.",
)
@click.option(
    "--plain",
    is_flag=True,
    help="Raw values for scripts (no spreadsheet quoting of ids and formula-like text).",
)
@tracker_status_option
@platform_option
@json_option
def export(
    output: IO[str],
    guild_id: str | None,
    plain: bool,
    statuses: tuple[TrackerStatus, ...],
    platforms: tuple[Platform, ...],
) -> None:
    """Export trackers with current ratings as CSV.

    Every non-deleted tracker with its latest season's ranked ratings. Columns: id, owner id
    and username, platform, username, URL, status, last scrape, season number, MMR (with
    --guild: the guild's stored MMR when it comes from this tracker), then rating, rank and
    games of 1v1, 2v2, 3v3 and 4v4. Ids are quoted as ="..." so spreadsheets keep every digit
    (--plain: raw values). --json writes a JSON array instead.
    """
    svc = services()
    query = TrackerQuery(platforms=platforms, statuses=statuses)
    count = _write(_rows(svc, query, guild_id), output, plain=plain)
    note(f"Exported {count} tracker(s).")
