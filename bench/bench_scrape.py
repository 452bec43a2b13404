"""CPU of one scrape job in the worker process, as a ratio to a minimal scrape in the same run.

Usage: ``.venv/bin/python bench/bench_scrape.py [--rounds 5] [--scrapes 200]`` (env
``BENCH_POSTGRES_URL``, the maintenance database, default
``postgresql://postgres@127.0.0.1:5432/postgres``).

Two comparisons, each side writing to the same new PostgreSQL database:

- **with the GET** (the issue's definition of a minimal scrape: GET + parse + one transaction of
  2 statements). The tracker.gg simulator runs in its own process on 127.0.0.1, so only the
  client's work counts. ``minimal``: an ``httpx`` GET of the profile (the issue's floor, as
  the before numbers measured it; a stricter line GETs with urllib3, as the job now does),
  ``parse_profile``, then one psycopg transaction (UPDATE the tracker, INSERT the
  snapshot). ``job``: ``run_scrape`` with the real ``TrackerGgFetcher`` as the worker builds
  it (its own connection pool; budget, transport, classification, parse) and
  ``SqlAlchemyUnitOfWork`` (claim, fetch, store: seasons, snapshot, status, logs,
  notifications, ratings) of a refresh (one season).
- **parse only** (stricter: no HTTP on either side; both parse the same 45 KB fixture bytes),
  so the job's own overhead is all that differs.

Reported: CPU ms (``time.process_time``) per scrape, median and range over the rounds, the
ratios job / minimal (goal: at most 2 for the first), and the round trips of one job (libpq
trace). Within a round the five sides take turns in slices of ``--slice`` scrapes, so that a
burst of noise on this shared machine falls on every side alike rather than on one.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import urllib3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.contract import aggregates as a
from tests.pg import WireTrace

from adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    upgrade_database,
)
from adapters.trackergg.budget import InProcessBudget
from adapters.trackergg.fetcher import TrackerGgFetcher
from adapters.trackergg.parser import parse_profile
from bench_queries import bench_database
from tracker_core.model import TrackerStatus
from tracker_core.policy import Policy
from tracker_core.ports import ProfileFetcher
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


@contextmanager
def simulator_process() -> Iterator[str]:
    """The tracker.gg simulator in its own process (its CPU is not the bench's); yields its
    API base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "adapters.trackergg.simulator", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("TRN_API_BASE_URL="):
            raise RuntimeError(f"the simulator did not start: {line!r}")
        yield line.partition("=")[2]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def minimal(conn: psycopg.Connection, page_of: Callable[[], ProfilePage], count: int) -> float:
    """CPU ms per minimal scrape, on one connection kept for the whole run (so its statements
    stay prepared, as the job's pooled connection keeps its own)."""
    if True:
        started = time.process_time()
        for _ in range(count):
            page = page_of()
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


def rearm(uow: SqlAlchemyUnitOfWork, clock: Clock, tracker_id: str) -> None:
    """Make the tracker PENDING again, a minute later."""
    with uow:
        uow.trackers.mark_pending([tracker_id], clock.now())
        uow.commit()
    clock.current += timedelta(minutes=1)


def jobs(
    uow: SqlAlchemyUnitOfWork, fetcher: ProfileFetcher, clock: Clock, count: int, tracker_id: str
) -> float:
    """CPU ms per refresh of ``tracker_id`` (each side has its own tracker, so that the seasons
    one stores never change what the other's claim reads)."""
    total = 0.0
    for _ in range(count):
        rearm(uow, clock, tracker_id)
        started = time.process_time()
        outcome = run_scrape(
            tracker_id, uow=uow, fetcher=fetcher, clock=clock, policy=Policy(), rng=random.Random(1)
        )
        total += time.process_time() - started
        assert outcome.result == "completed", outcome
    return total / count * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scrapes", type=int, default=200)
    parser.add_argument("--slice", type=int, default=20)
    args = parser.parse_args()
    payload = PAYLOAD.read_bytes()
    with (
        bench_database() as url,
        simulator_process() as api_base,
        httpx.Client() as client,
        psycopg.connect(url) as conn,
    ):
        upgrade_database(url)
        engine = create_engine_for(url)
        wire = WireTrace(engine)
        uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
        with uow:
            uow.users.add(a.user(OWNER))
            uow.trackers.add(a.tracker("t1", OWNER, "player"))
            uow.trackers.add(a.tracker("t2", OWNER, "parsed"))
            uow.trackers.add(a.tracker("m1", OWNER, "minimal"))
            uow.commit()
        parsing, clock = ParsingFetcher(payload), Clock()
        # Its own HTTP client, as the worker's (the minimal side GETs with a plain client).
        http = TrackerGgFetcher(api_base, budget=InProcessBudget(10_000_000))
        profile_url = http.api_url("steam/player", None)

        def fetched() -> ProfilePage:
            response = client.get(profile_url)
            response.raise_for_status()
            return parse_profile(response.content, season=None, api_url=profile_url)

        pool = urllib3.PoolManager(retries=False)

        def fetched_pooled() -> ProfilePage:
            response = pool.request("GET", profile_url, redirect=False)
            assert response.status == 200
            return parse_profile(response.data, season=None, api_url=profile_url)

        def parsed() -> ProfilePage:
            return parse_profile(payload, season=None, api_url="https://api.example/p")

        jobs(uow, http, clock, 3, "t1")  # first scrape (several seasons), then warm refreshes
        jobs(uow, parsing, clock, 3, "t2")
        rearm(uow, clock, "t1")
        wire.mark()
        run_scrape("t1", uow=uow, fetcher=http, clock=clock, policy=Policy(), rng=random.Random(1))
        trips = wire.round_trips()
        minimal(conn, fetched, 10)
        runs: dict[str, Callable[[int], float]] = {
            "job get": lambda n: jobs(uow, http, clock, n, "t1"),
            "minimal get": lambda n: minimal(conn, fetched, n),
            "minimal urllib3": lambda n: minimal(conn, fetched_pooled, n),
            "job parse": lambda n: jobs(uow, parsing, clock, n, "t2"),
            "minimal parse": lambda n: minimal(conn, parsed, n),
        }
        sides: dict[str, list[float]] = {name: [] for name in runs}
        slices = max(1, args.scrapes // args.slice)
        for _ in range(args.rounds):
            taken: dict[str, list[float]] = {name: [] for name in runs}
            for _ in range(slices):
                for name, run in runs.items():
                    taken[name].append(run(args.slice))
            for name, values in taken.items():
                sides[name].append(statistics.fmean(values))
        with uow:
            for tracker_id in ("t1", "t2"):
                tracker = uow.trackers.get(tracker_id)
                assert tracker is not None and tracker.scraping_status == TrackerStatus.COMPLETED
        engine.dispose()
        http.close()

    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"

    with_get = [j / m for j, m in zip(sides["job get"], sides["minimal get"], strict=True)]
    parse_only = [j / m for j, m in zip(sides["job parse"], sides["minimal parse"], strict=True)]
    print(
        f"{args.rounds} rounds of {slices} x {args.slice} scrapes per side, the sides taking "
        "turns; CPU ms per scrape, median (min-max)"
    )
    print(f"minimal scrape (GET + parse + 2 statements):  {spread(sides['minimal get'])}")
    print(f"scrape job (run_scrape, one season, HTTP):    {spread(sides['job get'])}")
    ratio = statistics.median(with_get)
    verdict = "ok" if ratio <= 2 else "MISSED"
    print(f"ratio job / minimal, with the GET: {spread(with_get)} (goal <= 2.0) {verdict}")
    pooled = [j / m for j, m in zip(sides["job get"], sides["minimal urllib3"], strict=True)]
    print(f"minimal, its GET on urllib3 as the job's:      {spread(sides['minimal urllib3'])}")
    print(f"ratio job / minimal on urllib3 (stricter): {spread(pooled)}")
    print(f"minimal, parse only (no HTTP):                {spread(sides['minimal parse'])}")
    print(f"scrape job, parse only (no HTTP):             {spread(sides['job parse'])}")
    print(f"ratio job / minimal, parse only (stricter): {spread(parse_only)}")
    print(f"round trips of one refresh job: {len(trips)}")
    for trip in trips:
        print(f"  {trip[:90]}")
    return 0 if ratio <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
