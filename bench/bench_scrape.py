"""CPU of one scrape job in the worker process, as a ratio to a minimal scrape in the same run.

Usage: ``.venv/bin/python bench/bench_scrape.py [--rounds 5] [--scrapes 200]`` (env
``BENCH_POSTGRES_URL``, the maintenance database, default
``postgresql://postgres@127.0.0.1:5432/postgres``).

Both sides parse the same 45 KB profile (``parse_profile`` of the fixture bytes; no HTTP, so
that only the process's own work is compared) and write to the same new PostgreSQL database:

- ``minimal``: parse, then one transaction of 2 statements with psycopg (UPDATE the tracker,
  INSERT the snapshot);
- ``job``: ``run_scrape`` through ``SqlAlchemyUnitOfWork`` (claim, fetch, store: seasons,
  snapshot, status, logs, notifications, ratings) of a refresh (one season).

Reported: CPU ms (``time.process_time``) per scrape, median and range over the rounds, the
ratio job / minimal (goal: at most 2), and the round trips of one job (libpq trace).
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.contract import aggregates as a
from tests.pg import WireTrace

from adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    upgrade_database,
)
from adapters.trackergg.parser import parse_profile
from bench_queries import bench_database
from tracker_core.model import TrackerStatus
from tracker_core.policy import Policy
from tracker_core.stats import ProfilePage
from tracker_core.use_cases.scraping import run_scrape

PAYLOAD = Path(__file__).resolve().parents[1] / "tests/fixtures/trn/profile-psn-season34.json"
OWNER = "111111111111111111"
START = datetime(2026, 6, 1, tzinfo=UTC)
SNAPSHOT_IDS = itertools.count()


class ParsingFetcher:
    """Answers every request by parsing the fixture bytes (what the real fetcher does last)."""

    def __init__(self, payload: bytes) -> None:
        self._payload = payload

    def fetch_page(self, api_path: str, season: int | None) -> ProfilePage:
        return parse_profile(self._payload, season=season, api_url="https://api.example/p")


class Clock:
    def __init__(self) -> None:
        self.current = START

    def now(self) -> datetime:
        return self.current


def minimal(url: str, payload: bytes, count: int) -> float:
    with psycopg.connect(url) as conn:
        started = time.process_time()
        for _ in range(count):
            page = parse_profile(payload, season=None, api_url="https://api.example/p")
            twos = page.season.playlist("2v2")
            rating = twos.rating if twos else None
            with conn.transaction():
                conn.execute(
                    "UPDATE trackers SET scraping_status = 'COMPLETED', last_scraped_at = now(), "
                    "version = version + 1 WHERE id = %s",
                    ("m1",),
                )
                conn.execute(
                    "INSERT INTO tracker_snapshots (id, tracker_id, captured_at, season_number, "
                    "twos, source, created_at) VALUES (%s, %s, now(), %s, %s, 'SCRAPE', now())",
                    (f"s{next(SNAPSHOT_IDS):024d}", "m1", page.current_season, rating),
                )
        return (time.process_time() - started) / count * 1000


def rearm(uow: SqlAlchemyUnitOfWork, clock: Clock) -> None:
    """Make the tracker PENDING again, a minute later."""
    with uow:
        uow.trackers.mark_pending(["t1"], clock.now())
        uow.commit()
    clock.current += timedelta(minutes=1)


def jobs(uow: SqlAlchemyUnitOfWork, fetcher: ParsingFetcher, clock: Clock, count: int) -> float:
    total = 0.0
    for _ in range(count):
        rearm(uow, clock)
        started = time.process_time()
        outcome = run_scrape(
            "t1", uow=uow, fetcher=fetcher, clock=clock, policy=Policy(), rng=random.Random(1)
        )
        total += time.process_time() - started
        assert outcome.result == "completed", outcome
    return total / count * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scrapes", type=int, default=200)
    args = parser.parse_args()
    payload = PAYLOAD.read_bytes()
    with bench_database() as url:
        upgrade_database(url)
        engine = create_engine_for(url)
        wire = WireTrace(engine)
        uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
        with uow:
            uow.users.add(a.user(OWNER))
            uow.trackers.add(a.tracker("t1", OWNER, "player"))
            uow.trackers.add(a.tracker("m1", OWNER, "minimal"))
            uow.commit()
        fetcher, clock = ParsingFetcher(payload), Clock()
        jobs(uow, fetcher, clock, 3)  # first scrape (several seasons), then warm refreshes
        rearm(uow, clock)
        wire.mark()
        run_scrape(
            "t1", uow=uow, fetcher=fetcher, clock=clock, policy=Policy(), rng=random.Random(1)
        )
        trips = wire.round_trips()
        minimal(url, payload, 3)
        job_ms, minimal_ms, ratios = [], [], []
        for _ in range(args.rounds):
            job = jobs(uow, fetcher, clock, args.scrapes)
            floor = minimal(url, payload, args.scrapes)
            job_ms.append(job)
            minimal_ms.append(floor)
            ratios.append(job / floor)
        with uow:
            tracker = uow.trackers.get("t1")
            assert tracker is not None and tracker.scraping_status == TrackerStatus.COMPLETED
        engine.dispose()

    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"

    print(f"{args.rounds} rounds of {args.scrapes} scrapes; CPU ms per scrape, median (min-max)")
    print(f"minimal scrape (parse + 2 statements):  {spread(minimal_ms)}")
    print(f"scrape job (run_scrape, one season):    {spread(job_ms)}")
    ratio = statistics.median(ratios)
    print(f"ratio job / minimal: {spread(ratios)} (goal <= 2.0) {'ok' if ratio <= 2 else 'MISSED'}")
    print(f"round trips of one refresh job: {len(trips)}")
    for trip in trips:
        print(f"  {trip[:90]}")
    return 0 if ratio <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
