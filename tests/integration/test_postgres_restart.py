"""PostgreSQL restarted under load: the API answers 2xx, 4xx or the documented 503, never another
5xx; no acknowledged write is lost; every tracker is scraped once the database is back.

Real processes on private servers: a private PostgreSQL (``initdb`` in a temporary directory,
restarted by ``pg_ctl``) and a private redis-server, ``trackers serve`` under gunicorn with 2
workers, ``trackers worker`` and ``trackers scheduler``, the tracker.gg simulator. A few
threads add trackers and PATCH guild settings through the bot API while the server is
restarted twice: ``pg_ctl restart -m fast`` (every session ended, the server back at once),
then stopped for 2 s and started again. Bounded: the faults and load take about 10 s; with
the processes starting, about a minute on a loaded 2-core machine.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import text
from tests.e2e.support import Processes, clean_env, free_port, processes
from tests.integration.private_postgres import PrivatePostgres, private_postgres
from tests.integration.private_redis import PrivateRedis, private_redis

from adapters.sql.migrate import upgrade_database
from adapters.trackergg.simulator import TrnSimulator
from entrypoints.config import load_settings
from entrypoints.container import Container, container_for

__all__ = ["private_postgres", "private_redis"]
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(180)]
URL = "https://rocketleague.tracker.network/rocket-league/profile/epic/{}/overview"
BOT_KEY = "pg-restart-bot-key"
THREADS = 4
MAX_REQUESTS = 150  # per thread: the load stops by itself even if the faults never finish
PACE = 0.03  # seconds between two requests of one thread
DOCUMENTED_503 = {
    "statusCode": 503,
    "code": "STORAGE_UNAVAILABLE",
    "message": "Database unavailable",
}


@attrs.frozen
class Answer:
    kind: str  # "add" or "settings"
    started: float
    ended: float
    status: int  # 0: no HTTP answer (connection error or timeout)
    body: Any
    target: str  # the tracker's URL, or the guild whose settings were patched
    value: int  # the minRatingChange sent (settings)


class Load:
    """Threads writing through the HTTP API until told to stop (or their request cap)."""

    def __init__(self, base_url: str, guilds: list[str]) -> None:
        self.base_url = base_url
        self.guilds = guilds
        self.answers: list[Answer] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(THREADS)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(60)
            assert not thread.is_alive(), "a load thread did not end"

    def acknowledged_since(self, instant: float) -> int:
        with self._lock:
            return sum(1 for a in self.answers if a.started >= instant and 200 <= a.status < 300)

    def _run(self, n: int) -> None:
        headers = {"Authorization": f"Bearer {BOT_KEY}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=30) as client:
            for k in range(MAX_REQUESTS):
                if self.stop.is_set():
                    return
                if k % 2 == 0:
                    url = URL.format(f"pg{n}x{k}")
                    user = str(10**17 + n * 10_000 + k)
                    self._send(client, "add", url, 0, "POST", "/internal/trackers/add",
                               {"userId": user, "url": url})  # fmt: skip
                else:
                    body = {"notifications": {"minRatingChange": k}}
                    path = f"/internal/guilds/{self.guilds[n]}/settings"
                    self._send(client, "settings", self.guilds[n], k, "PATCH", path, body)
                self.stop.wait(PACE)

    def _send(
        self,
        client: httpx.Client,
        kind: str,
        target: str,
        value: int,
        method: str,
        path: str,
        body: object,
    ) -> None:
        started = time.monotonic()
        try:
            response = client.request(method, path, json=body)
            status, payload = response.status_code, _json(response)
        except httpx.HTTPError as exc:
            status, payload = 0, repr(exc)
        with self._lock:
            self.answers.append(
                Answer(kind, started, time.monotonic(), status, payload, target, value)
            )


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)
    return time.monotonic() - started


@pytest.fixture
def deployment(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis, tmp_path: Path
) -> Iterator[tuple[Processes, Container, PrivatePostgres, str]]:
    private_redis.start()
    with psycopg.connect(private_postgres.url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE trackers")
    url = private_postgres.database_url("trackers")
    upgrade_database(url)
    port = free_port()
    with TrnSimulator() as simulator:
        values = {
            "DATABASE_URL": url,
            "REDIS_URL": private_redis.url,
            "BOT_API_KEY": BOT_KEY,
            "JWT_PUBLIC_KEY": _public_key(),  # required in production mode; no user route used
            "TRN_API_BASE_URL": simulator.base_url,
            "TRACKERS_DATA_DIR": str(tmp_path / "var"),
            "TRACKERS_QUEUE_NAME": f"pg-restart-{secrets.token_hex(4)}",
            "TRACKER_INITIAL_SEASONS": "1",
            "TRN_RATE_LIMIT_PER_MINUTE": "100000",
            "TRACKER_LEASE_SECONDS": "10",
            "TRACKER_RECONCILE_SECONDS": "1",
            "TRACKER_MAX_SCRAPING_ATTEMPTS": "50",  # jobs failed by the outage must not FAIL
        }
        container = container_for(load_settings(values))
        with processes(tmp_path, clean_env(**values)) as group:
            group.start("worker", "worker")
            group.start("scheduler", "scheduler")
            group.start("serve", "serve", "--workers", "2", "--port", str(port))
            base_url = f"http://127.0.0.1:{port}"
            _wait_for_health(base_url, group)
            try:
                yield group, container, private_postgres, base_url
            finally:
                container.engine().dispose()


def _wait_for_health(base_url: str, group: Processes, timeout: float = 90) -> None:
    """``GET /health`` answers 200 (gunicorn's workers load the app slowly on a busy machine)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        group.check_alive()
        try:
            response = httpx.get(f"{base_url}/health", timeout=15)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text[:300]}"
        except httpx.TransportError as exc:
            last = repr(exc)
        time.sleep(0.3)
    pytest.fail(f"/health not ready after {timeout} s: {last}\n{group.logs()}")


def _statuses(container: Container) -> dict[str, int]:
    with container.engine().connect() as conn:
        rows = conn.execute(
            text("SELECT scraping_status, count(*) FROM trackers GROUP BY scraping_status")
        ).all()
    return {str(status): int(count) for status, count in rows}


def test_postgresql_restarted_under_load_answers_503_and_loses_no_acknowledged_write(
    deployment: tuple[Processes, Container, PrivatePostgres, str],
) -> None:
    group, container, server, base_url = deployment
    guilds = [str(10**17 + 900_000 + n) for n in range(THREADS)]
    headers = {"Authorization": f"Bearer {BOT_KEY}"}
    for guild in guilds:
        created = httpx.post(
            f"{base_url}/internal/guilds", json={"id": guild, "name": "G"}, headers=headers
        )
        assert created.status_code == 201, created.text
    load = Load(base_url, guilds)
    started = time.monotonic()
    load.start()
    back: list[float] = []  # when the server was accepting connections again, per fault
    try:
        _wait(lambda: load.acknowledged_since(0) >= 20, 30, "writes before the faults")
        restarting = time.monotonic()
        server.restart()  # -m fast: every session is ended, the server is back at once
        back.append(time.monotonic())
        _wait(lambda: load.acknowledged_since(back[-1]) >= 20, 30, "writes after the restart")
        down = time.monotonic()
        server.stop()
        time.sleep(2)  # the outage: the API must answer 503 meanwhile
        server.start()
        back.append(time.monotonic())
        _wait(lambda: load.acknowledged_since(back[-1]) >= 20, 30, "writes after the outage")
    finally:
        load.join()
    load_end = time.monotonic()
    group.check_alive()  # the worker, scheduler and gunicorn outlived both restarts

    answers = load.answers
    by_status: dict[int, int] = {}
    for answer in answers:
        by_status[answer.status] = by_status.get(answer.status, 0) + 1
    print(f"\n{len(answers)} requests from {THREADS} threads: {dict(sorted(by_status.items()))}")
    wrong = [
        a
        for a in answers
        if not (200 <= a.status < 500 or (a.status == 503 and _documented_503(a.body)))
    ]
    assert wrong == [], f"{wrong[:5]}\n{group.logs()}"
    assert by_status.get(503, 0) > 0, "the 2 s outage was never seen: the test tested nothing"
    recoveries = []
    for instant in back:
        first = min(a.ended for a in answers if a.started >= instant and 200 <= a.status < 300)
        recoveries.append(first - instant)
    phases = {
        "before the faults": (started, restarting),
        "during pg_ctl restart -m fast": (restarting, back[0]),
        "after it": (back[0], down),
        "during the 2 s stop": (down, back[1]),
        "after the start": (back[1], float("inf")),
    }
    for name, (start, end) in phases.items():
        seen = [a.status for a in answers if start <= a.started < end]
        print(f"{name} ({min(end, load_end) - start:.1f} s): {len(seen)} requests, "
              f"{seen.count(503)} answered 503")  # fmt: skip
    print("first 2xx after the server was back: " + ", ".join(f"{r:.2f} s" for r in recoveries))

    added = {a.target: a.body["id"] for a in answers if a.kind == "add" and a.status == 201}
    uow = container.uow()
    with uow:
        stored = {t.id: t.url for t in uow.trackers.get_many(list(added.values()))}
    assert {url: stored.get(tracker_id) for url, tracker_id in added.items()} == {
        url: url for url in added
    }, "an acknowledged tracker is missing"
    for guild in guilds:  # each thread patched its guild in order, one request at a time
        sent = [a for a in answers if a.kind == "settings" and a.target == guild]
        acknowledged = [a.value for a in sent if a.status == 200]
        response = httpx.get(f"{base_url}/internal/guilds/{guild}/settings", headers=headers)
        assert response.status_code == 200, response.text
        value = response.json()["notifications"]["minRatingChange"]
        # the last acknowledged value, or a later one whose answer was lost in the outage
        assert acknowledged, f"no settings write of guild {guild} was acknowledged"
        assert value in [a.value for a in sent if a.value >= acknowledged[-1]], (guild, value)

    tail = _wait(
        lambda: set(_statuses(container)) == {"COMPLETED"},
        60,
        f"every tracker COMPLETED (now {_statuses(container)})",
    )
    print(f"{len(added)} acknowledged trackers; all trackers COMPLETED {tail:.1f} s after the load")


def _documented_503(body: Any) -> bool:
    """The error body of docs/api.md, naming the database and nothing of the driver."""
    return isinstance(body, dict) and {k: body.get(k) for k in DOCUMENTED_503} == DOCUMENTED_503


def _public_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return public.decode()
