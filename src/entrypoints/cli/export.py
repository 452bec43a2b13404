"""``trackers export``: every tracker with its current (latest season's) ratings, as CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO, Any

import click

from entrypoints.cli.options import json_option, platform_option, tracker_status_option
from entrypoints.cli.output import json_mode, note, progress_bar
from entrypoints.cli.services import OPERATOR, Services, services
from entrypoints.serializers import instant
from tracker_core.model import Tracker, TrackerQuery, TrackerSeason, TrackerStatus
from tracker_core.stats import RANKED_PLAYLISTS

PAGE_SIZE = 100
BASE_COLUMNS = [
    "id",
    "userId",
    "platform",
    "username",
    "displayName",
    "url",
    "scrapingStatus",
    "lastScrapedAt",
    "season",
]
COLUMNS = BASE_COLUMNS + [
    f"{kind}{playlist}" for playlist in RANKED_PLAYLISTS for kind in ("rating", "rank", "games")
]


def export_row(tracker: Tracker, latest: TrackerSeason | None) -> dict[str, Any]:
    """One CSV row: the tracker and its latest season's ranked playlists (empty if none)."""
    row: dict[str, Any] = {
        "id": tracker.id,
        "userId": tracker.user_id,
        "platform": tracker.platform,
        "username": tracker.username,
        "displayName": tracker.display_name,
        "url": tracker.url,
        "scrapingStatus": str(tracker.scraping_status),
        "lastScrapedAt": instant(tracker.last_scraped_at),
        "season": latest.season_number if latest else None,
    }
    for playlist in RANKED_PLAYLISTS:
        stats = latest.stats.playlist(playlist) if latest else None
        row[f"rating{playlist}"] = stats.rating if stats else None
        row[f"rank{playlist}"] = stats.rank if stats else None
        row[f"games{playlist}"] = stats.matches_played if stats else None
    return row


def _pages(svc: Services, query: TrackerQuery) -> Iterator[tuple[list[Tracker], int]]:
    page = 1
    while True:
        found, total = svc.use_cases.search_trackers(
            TrackerQuery(
                platforms=query.platforms,
                statuses=query.statuses,
                sort_by="createdAt",
                sort_order="asc",
                page=page,
                limit=PAGE_SIZE,
            )
        )
        if not found:
            return
        yield found, total
        page += 1


def _rows(svc: Services, query: TrackerQuery) -> Iterator[dict[str, Any]]:
    with progress_bar("Exporting") as progress:
        task = progress.add_task("export", total=None)
        for trackers, total in _pages(svc, query):
            progress.update(task, total=total)
            for tracker in trackers:
                seasons = svc.use_cases.get_tracker_seasons(OPERATOR, tracker.id)
                yield export_row(tracker, seasons[0] if seasons else None)
                progress.advance(task)


def _write(rows: Iterator[dict[str, Any]], out: IO[str]) -> int:
    """Write the rows as CSV (or a JSON array with ``--json``); how many were written."""
    if json_mode():
        data = list(rows)
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return len(data)
    count = 0
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
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
@tracker_status_option
@platform_option
@json_option
def export(
    output: IO[str], statuses: tuple[TrackerStatus, ...], platforms: tuple[str, ...]
) -> None:
    """Export trackers with current ratings as CSV.

    Every non-deleted tracker with its latest season's ranked ratings. Columns: id, owner,
    platform, username, URL, status, last scrape, season number, then rating, rank and
    games of 1v1, 2v2, 3v3 and 4v4. --json writes a JSON array instead.
    """
    svc = services()
    query = TrackerQuery(platforms=platforms, statuses=statuses)
    count = _write(_rows(svc, query), output)
    note(f"Exported {count} tracker(s).")
