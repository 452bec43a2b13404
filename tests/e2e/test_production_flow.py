"""The same flow in production mode: PostgreSQL, Redis, worker, scheduler, gunicorn.

Isolation: a fresh PostgreSQL database (dropped afterwards), an empty Redis database index
claimed for the test (flushed afterwards) and a queue name of its own.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
        )
        with processes(tmp_path, env) as group:
            assert "is at revision" in group.run("migrate")
            group.start("worker", "worker")
            group.start("scheduler", "scheduler")
            group.start("serve", "serve", "--workers", "2", "--port", str(port))
            wait_for_health(base_url, group)
            tracker = register_and_read(base_url, _token(private_pem), group)
            assert_template_seasons(tracker)
            status = json.loads(group.run("status", "--json"))
            assert status["mode"] == "production"
            assert status["byStatus"]["COMPLETED"] == 1
        assert simulator.requests, "the worker never called the simulator"
        assert {r.via for r in simulator.requests} == {"direct"}
