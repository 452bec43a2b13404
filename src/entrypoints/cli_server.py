"""Long-running commands: ``serve``, ``worker``, ``scheduler``, plus ``migrate``."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import attrs
import click
from dependency_injector import providers
from gunicorn.app.base import BaseApplication
from sqlalchemy.engine import make_url
from werkzeug.serving import BaseWSGIServer, make_server

from adapters.sql.migrate import current_revision, upgrade_database
from adapters.trackergg.simulator import TrnSimulator
from entrypoints.access_log import RedactingGunicornLogger, RedactingRequestHandler
from entrypoints.background import start_background
from entrypoints.cli_common import (
    config_error,
    emit,
    json_option,
    load_settings_of,
    setup_logging,
)
from entrypoints.cli_devkeys import ensure_dev_keys, key_dir
from entrypoints.config import Settings
from entrypoints.container import Container, get_container
from entrypoints.scheduler import run_scheduler
from entrypoints.shared_metrics import multiprocess_dir, prepare_multiprocess_dir, process_exited
from entrypoints.worker import run_worker

log = logging.getLogger("trackers.serve")

BANNER = "!" * 78


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


@click.command()
@json_option
def migrate() -> None:
    """Apply the database migrations.

    Alembic, up to the latest revision. Run it once per release before starting the new
    version; `serve` does it by itself in the embedded mode (SQLite).
    """
    setup_logging("INFO")
    settings = load_settings_of(get_container())
    revision = migrate_database(settings)
    data = {"database": safe_url(settings.database_url), "revision": revision}
    emit(data, lambda out: out.print(f"Database {data['database']} is at revision {revision}."))


def _on_stop_signals(handler: Callable[[], None]) -> Callable[[], None]:
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
    """werkzeug's threaded WSGI server, bound (it exits with status 1 if the port is taken).

    Its log lines never carry a credential (see ``entrypoints.access_log``).
    """
    return make_server(host, port, app, threaded=True, request_handler=RedactingRequestHandler)


def serve_until_stopped(server: BaseWSGIServer) -> None:
    """Serve until SIGINT/SIGTERM."""
    restore = _on_stop_signals(
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
    if settings.jwt_public_key is None:
        folder = key_dir(settings.data_dir)
        log.info("JWT_PUBLIC_KEY not set: accepting tokens of `trackers dev-token` (%s)", folder)
        changes["jwt_public_key"] = ensure_dev_keys(settings.data_dir).public_pem
    if settings.bot_api_key is None:
        log.warning("BOT_API_KEY not set: every /internal/* request will be refused")
    return attrs.evolve(settings, **changes)


def serve_embedded(container: Container, settings: Settings, host: str, port: int) -> None:
    """One process: migrate SQLite, then API, in-process workers and scheduler."""
    simulator = TrnSimulator().start() if settings.sandbox else None
    try:
        if simulator is not None:
            _sandbox_banner(simulator)
        settings = _embedded_settings(settings, simulator)
        container.settings.override(providers.Object(settings))
        revision = migrate_database(settings)
        log.info("embedded mode: %s at %s", safe_url(settings.database_url), revision)
        server = bind_server(create_app(container), host, port)
        background = start_background(container)
        try:
            serve_until_stopped(server)
        finally:
            background.stop()
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


def serve_production(container: Container, settings: Settings, bind: str, workers: int) -> None:
    """The API alone under gunicorn; workers and schedulers run as their own processes."""
    for name, value in (
        ("JWT_PUBLIC_KEY", settings.jwt_public_key),
        ("BOT_API_KEY", settings.bot_api_key),
    ):
        if not value:
            raise config_error(f"Missing setting {name}: required in production mode")
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


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="TCP port."
)
@click.option(
    "--sandbox",
    is_flag=True,
    help="Fetch from the built-in TRN simulator instead of tracker.gg (embedded mode only).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="gunicorn worker processes (production mode; default: one per CPU, at least 2).",
)
def serve(host: str, port: int, sandbox: bool, workers: int | None) -> None:
    """Run the HTTP API.

    Embedded mode (no REDIS_URL): one process with the API on a threaded WSGI server, the
    queue workers and the scheduler, on SQLite (migrated at start). Tokens of `trackers
    dev-token` are accepted when JWT_PUBLIC_KEY is unset.

    Production mode (REDIS_URL set): the API alone under gunicorn with --workers processes;
    run `trackers migrate`, `trackers worker` and `trackers scheduler` separately.
    """
    setup_logging("INFO")
    container = get_container()
    settings = load_settings_of(container)
    if settings.embedded:
        if workers is not None:
            raise config_error(
                "--workers needs the production mode (REDIS_URL): the embedded in-process "
                "queue and request budget cannot be shared between processes"
            )
        settings = attrs.evolve(settings, sandbox=settings.sandbox or sandbox)
        serve_embedded(container, settings, host, port)
        return
    if sandbox or settings.sandbox:
        raise config_error(
            "--sandbox runs in the embedded mode only (unset REDIS_URL): separate workers "
            "would not use the simulator"
        )
    serve_production(container, settings, f"{host}:{port}", workers or default_workers())


def _production_only(command: str) -> tuple[Container, Settings]:
    container = get_container()
    settings = load_settings_of(container)
    if settings.embedded:
        raise config_error(
            f"`trackers {command}` needs REDIS_URL (production mode); in the embedded mode "
            "`trackers serve` runs the workers and the scheduler in-process"
        )
    return container, settings


@click.command()
@click.option("--burst", is_flag=True, help="Exit once the queue is empty.")
@click.pass_context
def worker(ctx: click.Context, burst: bool) -> None:
    """Run an RQ scrape worker (production mode).

    It works the lanes high, default and low of the scrape queue, in that order. Start any
    number, on any machines sharing DATABASE_URL and REDIS_URL.
    """
    setup_logging("INFO")
    container, _ = _production_only("worker")
    ctx.exit(run_worker(container, burst=burst))


@click.command()
def scheduler() -> None:
    """Run the scheduler (production mode).

    It runs due schedules, the periodic refresh, the reconciler and the notification
    dispatcher. Any number may run: each periodic task runs once per tick across all of them.
    """
    setup_logging("INFO")
    container, _ = _production_only("scheduler")
    stop = threading.Event()
    restore = _on_stop_signals(stop.set)
    try:
        run_scheduler(container, stop_event=stop)
    finally:
        restore()
