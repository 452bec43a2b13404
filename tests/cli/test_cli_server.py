"""serve, worker, scheduler, migrate, dev-token and configuration errors."""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import httpx
import jwt
import pytest
from prometheus_client import values

import entrypoints.runtime.serve as runtime_serve
from entrypoints.config import Settings
from entrypoints.container import Container, set_container
from entrypoints.devkeys import ensure_dev_keys, key_dir
from entrypoints.runtime import wakeup
from entrypoints.runtime.access_log import RedactingGunicornLogger
from entrypoints.shared_metrics import MULTIPROC_ENV
from tests.cli.conftest import USER, Invoke, make_container
from tests.fakes import FakeQueue, FakeUnitOfWork

PRODUCTION: dict[str, Any] = {"redis_url": "redis://127.0.0.1:1/0"}


@pytest.fixture
def production(settings: Settings, uow: FakeUnitOfWork, queue: FakeQueue) -> Settings:
    """Switch the test container to production-mode settings."""
    changed = attrs.evolve(settings, **PRODUCTION)
    set_container(make_container(changed, uow=uow, queue=queue))
    return changed


def test_dev_token_is_signed_by_the_stored_key(run: Invoke, settings: Settings) -> None:
    result = run("dev-token", "--user", USER, "--username", "alice")
    assert result.exit_code == 0, result.stderr
    token = result.stdout.strip()
    keys = ensure_dev_keys(settings.data_dir)
    claims = jwt.decode(token, keys.public_pem, algorithms=["RS256"])
    assert claims["sub"] == USER and claims["username"] == "alice"
    lifetime = datetime.fromtimestamp(claims["exp"], UTC) - datetime.now(UTC)
    assert timedelta(hours=11, minutes=59) < lifetime <= timedelta(hours=12)
    private = key_dir(settings.data_dir) / "private.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert "valid until" in result.stderr


def test_dev_token_json_and_key_reuse(run: Invoke, settings: Settings) -> None:
    first = json.loads(run("dev-token", "--user", USER, "--json").stdout)
    second = json.loads(run("dev-token", "--user", USER, "--json").stdout)
    assert first["tokenType"] == "Bearer" and first["userId"] == USER
    assert first["expiresAt"].endswith("Z")
    public = ensure_dev_keys(settings.data_dir).public_pem
    for data in (first, second):
        jwt.decode(data["token"], public, algorithms=["RS256"])


def test_dev_token_is_refused_in_production(run: Invoke, production: Settings) -> None:
    result = run("dev-token", "--user", USER)
    assert result.exit_code == 2
    assert "dev-token is for the embedded and sandbox modes only" in result.stderr
    assert result.stdout == ""
    assert not key_dir(production.data_dir).exists()


def test_dev_token_with_a_configured_public_key(
    run: Invoke, settings: Settings, tmp_path: Path, uow: FakeUnitOfWork
) -> None:
    other = ensure_dev_keys(tmp_path / "elsewhere")
    configured = attrs.evolve(settings, jwt_public_key=other.public_pem)
    set_container(make_container(configured, uow=uow))
    refused = run("dev-token", "--user", USER)
    assert refused.exit_code == 2 and "JWT_PRIVATE_KEY" in refused.stderr
    with_private = attrs.evolve(configured, jwt_private_key=other.private_pem)
    set_container(make_container(with_private, uow=uow))
    token = run("dev-token", "--user", USER).stdout.strip()
    assert jwt.decode(token, other.public_pem, algorithms=["RS256"])["sub"] == USER


def test_malformed_setting_exits_2_naming_it(run: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRN_RATE_LIMIT_PER_MINUTE", "lots")
    set_container(None)  # the command builds the process container from the environment
    result = run("status")
    assert result.exit_code == 2
    assert "TRN_RATE_LIMIT_PER_MINUTE" in result.stderr
    as_json = json.loads(run("status", "--json").stderr)
    assert as_json["code"] == "CONFIG_ERROR"


def test_worker_and_scheduler_need_production(run: Invoke) -> None:
    for command in ("worker", "scheduler"):
        result = run(command)
        assert result.exit_code == 2
        assert "needs REDIS_URL" in result.stderr


def test_serve_refusals(run: Invoke, production: Settings, uow: FakeUnitOfWork) -> None:
    sandbox = run("serve", "--sandbox")
    assert sandbox.exit_code == 2 and "--sandbox runs in the embedded mode only" in sandbox.stderr
    missing = run("serve")
    assert missing.exit_code == 2 and "Missing setting JWT_PUBLIC_KEY" in missing.stderr
    set_container(make_container(attrs.evolve(production, redis_url=None), uow=uow))
    workers = run("serve", "--workers", "2")
    assert workers.exit_code == 2 and "--workers needs the production mode" in workers.stderr


class _FakeBackground:
    stopped = False

    def stop(self) -> None:
        self.stopped = True


def test_serve_sandbox_wires_the_simulator_and_dev_keys(
    run: Invoke, container: Container, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    seen: dict[str, Any] = {}
    background = _FakeBackground()
    monkeypatch.setattr(runtime_serve, "migrate_database", lambda s: seen.setdefault("migrated", s))
    monkeypatch.setattr(runtime_serve, "create_app", lambda c: "app")
    monkeypatch.setattr(runtime_serve, "start_background", lambda c: background)

    monkeypatch.setattr(runtime_serve, "bind_server", lambda app, host, port: (app, host, port))

    def fake_serve(server: tuple[str, str, int]) -> None:
        settings: Settings = container.settings()
        seen.update(app=server[0], bind=server[1:], settings=settings)
        seen["sim"] = httpx.get(f"{settings.trn_api_base_url}/steam/alice").status_code
        seen["lock"] = wakeup.server_pid(settings.data_dir)

    monkeypatch.setattr(runtime_serve, "serve_until_stopped", fake_serve)
    with caplog.at_level(logging.INFO, logger="trackers.serve"):
        result = run("serve", "--sandbox", "--port", "9999")
    assert result.exit_code == 0, result.stderr
    settings = seen["settings"]
    assert settings.sandbox is True and settings.flaresolverr_url is None
    assert settings.trn_api_base_url.startswith("http://127.0.0.1:")
    assert seen["sim"] == 200
    assert settings.jwt_public_key == ensure_dev_keys(settings.data_dir).public_pem
    assert seen["bind"] == ("127.0.0.1", 9999) and seen["app"] == "app"
    assert seen["migrated"] is settings
    assert background.stopped
    assert "SANDBOX MODE" in caplog.text
    assert seen["lock"] == os.getpid()  # CLI commands find (and wake) this server …
    assert wakeup.server_pid(settings.data_dir) is None  # … until it stops


def test_serve_on_a_taken_port_names_the_port_option(
    run: Invoke, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime_serve, "migrate_database", lambda s: "head")
    monkeypatch.setattr(runtime_serve, "create_app", lambda c: "app")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port))
        as_json = run("serve", "--port", str(port), "--json")
    assert result.exit_code == 1
    assert f"Port {port} on 127.0.0.1 is in use" in result.stderr
    assert "--port" in result.stderr
    assert json.loads(as_json.stderr)["code"] == "PORT_IN_USE"


def test_serve_production_runs_gunicorn(
    run: Invoke,
    production: Settings,
    monkeypatch: pytest.MonkeyPatch,
    uow: FakeUnitOfWork,
    tmp_path: Path,
) -> None:
    ready = attrs.evolve(production, jwt_public_key="pem", bot_api_key="key")
    set_container(make_container(ready, uow=uow))
    seen: dict[str, Any] = {}
    shared = tmp_path / "prometheus"
    shared.mkdir()
    (shared / "counter_4242.db").write_bytes(b"left by an earlier run")
    # serve switches this process to multiprocess values; undone after the test
    monkeypatch.setenv(MULTIPROC_ENV, str(shared))
    monkeypatch.setattr(values, "ValueClass", values.ValueClass)

    def fake_run(self: runtime_serve.GunicornServer) -> None:
        seen.update(options=self.options, app=self.load())

    monkeypatch.setattr(runtime_serve.GunicornServer, "run", fake_run)
    monkeypatch.setattr(runtime_serve, "create_app", lambda c: ("app", c))
    result = run("serve", "--workers", "3", "--host", "0.0.0.0", "--port", "8000")
    assert result.exit_code == 0, result.stderr
    assert seen["options"]["workers"] == 3
    assert seen["options"]["bind"] == "0.0.0.0:8000"
    assert seen["options"]["logger_class"] is RedactingGunicornLogger
    assert seen["app"][0] == "app"
    assert seen["options"]["child_exit"] is runtime_serve._child_exit
    assert list(shared.iterdir()) == [], "the files of an earlier run are cleaned at start"
    assert values.ValueClass is not values.MutexValue


def test_serve_keeps_shared_metrics_under_the_data_dir_by_default(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    assert runtime_serve.metrics_dir(settings) == settings.data_dir / "prometheus"


def test_migrate_creates_the_sqlite_database(run: Invoke, settings: Settings) -> None:
    data = json.loads(run("migrate", "--json").stdout)
    assert data["revision"]
    assert data["database"].startswith("sqlite:///")
    assert (settings.data_dir / "trackers.sqlite3").exists()
    assert "is at revision" in run("migrate").stdout


def test_worker_with_redis_down_and_exit_on_unavailable_fails_with_one_line(
    run: Invoke, settings: Settings, uow: FakeUnitOfWork
) -> None:
    set_container(make_container(attrs.evolve(settings, **PRODUCTION), uow=uow))
    result = run("worker", "--burst", "--exit-on-unavailable")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Redis unavailable: ConnectionError")
    assert "Traceback" not in result.stderr
