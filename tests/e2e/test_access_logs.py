"""Real server processes never write a credential to their logs.

Both servers of ``trackers serve``: werkzeug in the embedded mode and gunicorn (``--workers 2``)
in the production mode. Each test sends credentials in query strings, ``Authorization`` and
``Cookie`` headers to 127.0.0.1, stops the processes, then reads the log files they wrote.
"""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import httpx
import pytest

from entrypoints.devkeys import ensure_dev_keys
from tests.e2e.support import (
    clean_env,
    dedicated_redis_db,
    free_port,
    processes,
    wait_for_health,
)

pytestmark = [pytest.mark.timeout(90), pytest.mark.xdist_group("timing")]


def _send_credentials(base_url: str) -> tuple[list[str], list[str]]:
    """Requests carrying fresh secrets; (the secrets, the redacted targets the log must show)."""
    found: list[str] = []
    targets: list[str] = []

    def secret() -> str:
        value = f"s3cret{secrets.token_hex(8)}"
        found.append(value)
        return value

    for name in ("token", "access_token", "AUTH_TOKEN", "jwt", "Key", "api_key", "%74oken"):
        path = f"/api/trackers?page=1&{name}={secret()}"
        response = httpx.get(f"{base_url}{path}", timeout=10)
        assert response.status_code in (400, 401), f"{path}: {response.status_code}"
        if not name.startswith("%"):  # werkzeug logs the decoded name
            targets.append(f"/api/trackers?page=1&{name}=[REDACTED]")
    basic = base64.b64encode(f"bot:{secret()}".encode()).decode()
    found.append(basic)
    for headers in (
        {"Authorization": f"Bearer {secret()}"},
        {"Authorization": f"Basic {basic}"},
        {"Cookie": f"auth_token={secret()}"},
        {"Authorization": f"Bearer {secret()}", "Referer": f"http://x/?jwt={secret()}"},
    ):
        response = httpx.get(f"{base_url}/api/trackers/me-too", headers=headers, timeout=10)
        assert response.status_code in (401, 404), f"{headers}: {response.status_code}"
    internal = httpx.get(
        f"{base_url}/internal/trackers?api_key={secret()}",
        headers={"Authorization": f"Bearer {secret()}"},
        timeout=10,
    )
    assert internal.status_code in (400, 401, 404)
    targets += ["/api/trackers/me-too", "/internal/trackers?api_key=[REDACTED]"]
    return found, targets


def _assert_clean(log: str, found: list[str], targets: list[str]) -> None:
    leaked = [value for value in found if value in log]
    assert not leaked, f"secrets in the log: {leaked}\n{log[-3000:]}"
    missing = [target for target in targets if target not in log]
    assert not missing, f"requests missing from the log: {missing}\n{log[-3000:]}"


def test_embedded_server_log_has_no_credentials(tmp_path: Path) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = clean_env(TRACKERS_DATA_DIR=str(tmp_path / "var"))
    with processes(tmp_path, env) as group:
        group.start("serve", "serve", "--sandbox", "--port", str(port))
        wait_for_health(base_url, group)
        found, targets = _send_credentials(base_url)
    _assert_clean((tmp_path / "serve.log").read_text(errors="replace"), found, targets)


@pytest.mark.redis
def test_gunicorn_log_has_no_credentials(tmp_path: Path) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    public_pem = ensure_dev_keys(tmp_path / "keys").public_pem
    with dedicated_redis_db() as redis_url:
        env = clean_env(
            REDIS_URL=redis_url,
            DATABASE_URL=f"sqlite:///{tmp_path / 'trackers.sqlite3'}",
            JWT_PUBLIC_KEY=public_pem,
            BOT_API_KEY=f"bot-{secrets.token_hex(8)}",
            TRACKERS_DATA_DIR=str(tmp_path / "var"),
            TRACKERS_QUEUE_NAME=f"tracker-scraping-queue-logs-{secrets.token_hex(4)}",
        )
        with processes(tmp_path, env) as group:
            group.run("migrate")
            group.start("serve", "serve", "--workers", "2", "--port", str(port))
            wait_for_health(base_url, group)
            found, targets = _send_credentials(base_url)
    log = (tmp_path / "serve.log").read_text(errors="replace")
    assert "gunicorn" in log.lower() or "Booting worker" in log, log[-2000:]
    _assert_clean(log, found, targets)
