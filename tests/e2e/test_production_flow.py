"""The same flow in production mode: PostgreSQL, Redis, worker, scheduler, gunicorn.

Isolation: a fresh PostgreSQL database (dropped afterwards), an empty Redis database index
claimed for the test (flushed afterwards) and a queue name of its own.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.trackergg.simulator import TrnSimulator
from tests.e2e.support import (
    USER_ID,
    assert_template_seasons,
    clean_env,
    dedicated_redis_db,
    free_port,
    processes,
    register_and_read,
    wait_for_health,
)
from tests.pg import fresh_database

pytestmark = [
    pytest.mark.xdist_group("timing"),
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(120),
]


def _key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def _token(private_pem: str) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": USER_ID,
        "username": "alice",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    return jwt.encode(claims, private_pem, algorithm="RS256")


def assert_metrics_sum_every_process(base_url: str) -> None:
    """Both gunicorn workers report the same request count; the worker's and the scheduler's
    counters are on the API's /metrics; the endpoint needs its token."""
    assert httpx.get(f"{base_url}/metrics", timeout=10).status_code == 401
    for _ in range(6):
        assert httpx.get(f"{base_url}/health", timeout=10).status_code == 200
    auth = {"Authorization": "Bearer e2e-metrics-token"}
    answers = [httpx.get(f"{base_url}/metrics", headers=auth, timeout=10) for _ in range(4)]
    assert {a.status_code for a in answers} == {200}
    health = [
        re.findall(
            r'http_requests_total\{method="GET",route="/health",status="200"\} (\S+)', a.text
        )
        for a in answers
    ]
    assert all(len(found) == 1 for found in health), health
    counts = {float(found[0]) for found in health}
    assert len(counts) == 1 and min(counts) >= 6, health
    text = answers[-1].text
    assert re.search(r'tracker_scrapes_total\{result="[^"]+"\} [1-9]', text), text
    assert re.search(r"scheduler_ticks_total [1-9]", text), text


def test_production_processes_scrape_a_registered_tracker(tmp_path: Path) -> None:
    private_pem, public_pem = _key_pair()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with (
        fresh_database("trackers_e2e") as database_url,
        dedicated_redis_db() as redis_url,
        TrnSimulator() as simulator,
    ):
        env = clean_env(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            JWT_PUBLIC_KEY=public_pem,
            BOT_API_KEY="e2e-bot-key",
            TRN_API_BASE_URL=simulator.base_url,
            TRACKERS_DATA_DIR=str(tmp_path / "var"),
            TRACKERS_QUEUE_NAME=f"tracker-scraping-queue-e2e-{secrets.token_hex(4)}",
            PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
            METRICS_TOKEN="e2e-metrics-token",
        )
        with processes(tmp_path, env) as group:
            assert "is at revision" in group.run("migrate")
            group.start("serve", "serve", "--workers", "2", "--port", str(port))
            wait_for_health(base_url, group)
            group.start("worker", "worker")  # after serve, which cleans the metrics directory
            group.start("scheduler", "scheduler")
            tracker = register_and_read(base_url, _token(private_pem), group)
            assert_template_seasons(tracker)
            assert_metrics_sum_every_process(base_url)
            status = json.loads(group.run("status", "--json"))
            assert status["mode"] == "production"
            assert status["byStatus"]["COMPLETED"] == 1
        assert simulator.requests, "the worker never called the simulator"
        assert {r.via for r in simulator.requests} == {"direct"}
