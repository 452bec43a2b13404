"""Benchmark: the answer of ``GET /api/trackers/me`` (a page of 25 trackers) written through the
typed response classes and the cattrs converter, against a hand-written dict of the same JSON.

Run: ``.venv/bin/python bench/bench_responses.py [--rounds 21]``. The floor is what
``serializers.py`` did before the response classes (one function building the dict, kept
here as the baseline); the measured path is what a view does now: ``res.tracker(t)`` per row,
``res.TrackerPage`` and ``to_json``. Each round times both, interleaved, in CPU time of this
process (so a busy machine slows both alike), with and without ``json.dumps``. Reported:
microseconds per page (medians over rounds) and the ratio of the medians. Exits 1 when the
typed path is more than 10 % slower than the floor.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
import timeit
from datetime import UTC, datetime
from typing import Any

from entrypoints.responses import api as res
from entrypoints.responses.base import to_json
from tracker_core.model import Tracker

PAGE = 25
NUMBER = 400
GOAL = 1.10
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def _instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def floor_tracker(t: Tracker) -> dict[str, Any]:
    """The hand-written dict the API wrote before the response classes."""
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
        "lastScrapedAt": _instant(t.last_scraped_at),
        "scrapingStatus": str(t.scraping_status),
        "scrapingError": t.scraping_error,
        "scrapingAttempts": t.scraping_attempts,
        "registrationChannelId": t.registration_channel_id,
        "platformUserId": t.platform_user_id,
        "createdAt": _instant(t.created_at),
        "updatedAt": _instant(t.updated_at),
    }


def trackers() -> list[Tracker]:
    return [
        Tracker(
            id=f"c{i:024d}",
            url=f"https://rocketleague.tracker.network/rocket-league/profile/steam/{i}/overview",
            platform="STEAM",
            username=f"player{i}",
            identity=f"steam:player{i}",
            api_path=f"steam/player{i}",
            user_id="123456789012345678",
            created_at=NOW,
            updated_at=NOW,
            last_scraped_at=NOW,
            display_name=f"Player {i}",
        )
        for i in range(PAGE)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=21)
    opts = parser.parse_args()
    rows = trackers()

    def floor() -> dict[str, Any]:
        pages = math.ceil(PAGE / PAGE)
        pagination = {"page": 1, "limit": PAGE, "total": PAGE, "pages": pages}
        return {"data": [floor_tracker(t) for t in rows], "pagination": pagination}

    def typed() -> Any:
        page = res.TrackerPage([res.tracker(t) for t in rows], res.pagination(PAGE, 1, PAGE))
        return to_json(page)

    assert json.dumps(floor()) == json.dumps(typed()), "the two paths must write the same JSON"
    cases = {
        "floor": floor,
        "typed": typed,
        "floor+dumps": lambda: json.dumps(floor()),
        "typed+dumps": lambda: json.dumps(typed()),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(opts.rounds):
        for name, fn in cases.items():
            seconds = timeit.Timer(fn, timer=time.process_time).timeit(number=NUMBER)
            times[name].append(seconds / NUMBER * 1e6)
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"rounds: {opts.rounds} x {NUMBER} pages of {PAGE} trackers (CPU time, medians)")
    for name, value in median.items():
        print(f"{name:12s} {value:7.1f} us/page")
    ratio = median["typed"] / median["floor"]
    ratio_dumps = median["typed+dumps"] / median["floor+dumps"]
    print(f"typed / floor:               {ratio:5.2f}x")
    print(f"typed / floor, with dumps:   {ratio_dumps:5.2f}x")
    ok = ratio <= GOAL
    print(f"typed within {GOAL:.2f}x of the floor: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
