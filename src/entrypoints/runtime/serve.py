"""Serving the HTTP API: embedded (werkzeug plus background threads) or production (gunicorn).

Signals, the sandbox simulator and the development keys are wired here; the click commands
that call it are in ``entrypoints.cli.server``.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import attrs
from dependency_injector import providers
from gunicorn.app.base import BaseApplication
from sqlalchemy.engine import make_url
from werkzeug.serving import BaseWSGIServer, get_sockaddr, make_server, select_address_family

from adapters.sql.migrate import current_revision, upgrade_database
from adapters.trackergg.simulator import TrnSimulator
from entrypoints.config import ConfigError, Settings
from entrypoints.container import Container, EmbeddedContainer, ProductionContainer
from entrypoints.devkeys import ensure_dev_keys, key_dir
from entrypoints.runtime.access_log import RedactingGunicornLogger, RedactingRequestHandler
from entrypoints.runtime.background import start_background
from entrypoints.runtime.wakeup import hold_server_lock, on_wake_signal
from entrypoints.sandbox import configure_simulator, demo_admin_settings, seed_on_first_start
from entrypoints.shared_metrics import multiprocess_dir, prepare_multiprocess_dir, process_exited

log = logging.getLogger("trackers.serve")
BANNER = "!" * 78
LISTEN_BACKLOG = 128


def create_app(container: Container) -> Any:
    """The Flask app of the HTTP helper (imported late: the CLI starts fast without it)."""
    from entrypoints.http.app import create_app as factory

    return factory(container)


def migrate_database(settings: Settings) -> str | None:
    """Apply every migration (creating a SQLite file's folder); the revision reached."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.database_url)
    return current_revision(settings.database_url)


def safe_url(url: str) -> str:
    """The database URL without its password."""
    return make_url(url).render_as_string(hide_password=True)


def on_stop_signals(handler: Callable[[], None]) -> Callable[[], None]:
    """Call ``handler`` on SIGINT/SIGTERM (main thread only); returns the restorer."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        handler()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


def bind_server(app: Any, host: str, port: int) -> BaseWSGIServer:
    """werkzeug's threaded WSGI server on a socket bound here.

    Binding here (not in werkzeug, which prints and exits) lets a taken port surface as an
    ``OSError`` with ``errno.EADDRINUSE``, which ``trackers serve`` turns into an error naming
    ``--port``. Its log lines never carry a credential (see ``entrypoints.runtime.access_log``).

    Raises:
        OSError: the address cannot be bound (``EADDRINUSE``: the port is taken).
    """
    family = select_address_family(host, port)
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(get_sockaddr(host, port, family))
        listener.listen(LISTEN_BACKLOG)
        return make_server(
            host,
            port,
            app,
            threaded=True,
            request_handler=RedactingRequestHandler,
            fd=listener.fileno(),
        )
    finally:
        listener.close()  # the server holds its own duplicate of the socket


def serve_until_stopped(server: BaseWSGIServer) -> None:
    """Serve until SIGINT/SIGTERM."""
    restore = on_stop_signals(
        lambda: threading.Thread(target=server.shutdown, name="shutdown").start()
    )
    log.info("Tracker Service listening on http://%s:%d", server.host, server.port)
    try:
        server.serve_forever()
    finally:
        restore()
        server.server_close()


def _sandbox_banner(simulator: TrnSimulator) -> None:
    for line in (
        BANNER,
        "SANDBOX MODE: tracker.gg is NOT contacted.",
        f"Profiles come from the built-in TRN simulator at {simulator.base_url}.",
        "Every rating served here is synthetic; never use this mode for a real league.",
        BANNER,
    ):
        log.warning(line)


def _embedded_settings(settings: Settings, simulator: TrnSimulator | None) -> Settings:
    changes: dict[str, Any] = {}
    if simulator is not None:
        changes.update(trn_api_base_url=simulator.base_url, sandbox=True, flaresolverr_url=None)
        settings = demo_admin_settings(attrs.evolve(settings, sandbox=True))
    if settings.jwt_public_key is None:
        folder = key_dir(settings.data_dir)
        log.info("JWT_PUBLIC_KEY not set: accepting tokens of `trackers dev-token` (%s)", folder)
        changes["jwt_public_key"] = ensure_dev_keys(settings.data_dir).public_pem
    if settings.bot_api_key is None:
        log.warning("BOT_API_KEY not set: every /internal/* request will be refused")
    return attrs.evolve(settings, **changes)


def _reconcile_now(container: EmbeddedContainer) -> None:
    """A CLI command queued work: queue every due PENDING tracker now (see ``wakeup``)."""
    result = container.use_cases().reconcile()
    log.info("woken by a CLI command: %d tracker(s) queued", result.requeued)


def serve_embedded(container: EmbeddedContainer, settings: Settings, host: str, port: int) -> None:
    """One process: migrate SQLite, then API, in-process workers and scheduler."""
    simulator = TrnSimulator().start() if settings.sandbox else None
    try:
        if simulator is not None:
            _sandbox_banner(simulator)
            configure_simulator(simulator)
        settings = _embedded_settings(settings, simulator)
        container.settings.override(providers.Object(settings))
        revision = migrate_database(settings)
        log.info("embedded mode: %s at %s", safe_url(settings.database_url), revision)
        if simulator is not None:
            seed_on_first_start(settings, container.use_cases(), simulator.profiles)
        server = bind_server(create_app(container), host, port)
        lock = hold_server_lock(settings.data_dir)
        background = start_background(container)
        restore = on_wake_signal(lambda: _reconcile_now(container))
        try:
            serve_until_stopped(server)
        finally:
            restore()
            background.stop()
            lock.release()
    finally:
        if simulator is not None:
            simulator.stop()


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """gunicorn running ``create_app(container)`` in each worker process."""

    def __init__(self, container: Container, options: dict[str, Any]) -> None:
        self.container = container
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Apply our options to gunicorn's configuration."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Build the app in the worker, after the fork (no shared connections)."""
        return create_app(self.container)


def metrics_dir(settings: Settings) -> Path:
    """``PROMETHEUS_MULTIPROC_DIR``, else ``<TRACKERS_DATA_DIR>/prometheus``."""
    return multiprocess_dir() or settings.data_dir / "prometheus"


def _child_exit(_server: object, worker: Any) -> None:
    process_exited(worker.pid)


def default_workers() -> int:
    """gunicorn processes when ``--workers`` is not given: one per CPU, at least two."""
    return max(2, os.cpu_count() or 1)


def serve_production(
    container: ProductionContainer, settings: Settings, bind: str, workers: int
) -> None:
    """The API alone under gunicorn; workers and schedulers run as their own processes."""
    for name, value in (
        ("JWT_PUBLIC_KEY", settings.jwt_public_key),
        ("BOT_API_KEY", settings.bot_api_key),
    ):
        if not value:
            raise ConfigError(f"Missing setting {name}: required in production mode")
    shared = prepare_multiprocess_dir(metrics_dir(settings))
    log.info("metrics of every process are kept in %s", shared)
    options = {
        "bind": bind,
        "workers": workers,
        "child_exit": _child_exit,
        "worker_class": "gthread",
        "threads": 4,
        "timeout": 60,
        "graceful_timeout": 30,
        "accesslog": "-",
        "errorlog": "-",
        "logger_class": RedactingGunicornLogger,
        "proc_name": "trackers-api",
    }
    log.info("production mode: gunicorn on %s with %d worker(s)", bind, workers)
    GunicornServer(container, options).run()
