"""Long-running commands: ``serve``, ``worker``, ``scheduler``, plus ``migrate``.

The serving itself (werkzeug or gunicorn, signals, sandbox) is ``entrypoints.runtime.serve``.
"""

from __future__ import annotations

import errno
import threading

import attrs
import click

from entrypoints.cli.errors import CliError, config_error
from entrypoints.cli.options import json_option
from entrypoints.cli.output import emit, json_mode
from entrypoints.cli.services import load_settings_of, setup_logging
from entrypoints.container import get_container, is_embedded, require_production
from entrypoints.runtime import serve as runtime
from entrypoints.runtime.scheduler import run_scheduler
from entrypoints.runtime.worker import run_worker


@click.command()
@json_option
def migrate() -> None:
    """Apply the database migrations.

    Alembic, up to the latest revision. Run it once per release before starting the new
    version; `serve` does it by itself in the embedded mode (SQLite).
    """
    setup_logging("INFO")
    settings = load_settings_of(get_container())
    revision = runtime.migrate_database(settings)
    data = {"database": runtime.safe_url(settings.database_url), "revision": revision}
    emit(data, lambda out: out.print(f"Database {data['database']} is at revision {revision}."))


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
@json_option
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
    if is_embedded(container):
        if workers is not None:
            raise config_error(
                "--workers needs the production mode (REDIS_URL): the embedded in-process "
                "queue and request budget cannot be shared between processes"
            )
        settings = attrs.evolve(settings, sandbox=settings.sandbox or sandbox)
        try:
            runtime.serve_embedded(container, settings, host, port)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise _port_in_use(host, port) from exc
        return
    if sandbox or settings.sandbox:
        raise config_error(
            "--sandbox runs in the embedded mode only (unset REDIS_URL): separate workers "
            "would not use the simulator"
        )
    runtime.serve_production(
        require_production(container, "`trackers serve --workers`"),
        settings,
        f"{host}:{port}",
        workers or runtime.default_workers(),
    )


def _port_in_use(host: str, port: int) -> CliError:
    return CliError(
        f"Port {port} on {host} is in use (another `trackers serve`?): pick a free one "
        f"with --port, e.g. `trackers serve --port {port + 1 if port < 65535 else 8081}`",
        code="PORT_IN_USE",
        as_json=json_mode(),
    )


@click.command()
@click.option("--burst", is_flag=True, help="Exit once the queue is empty.")
@click.option(
    "--exit-on-unavailable",
    is_flag=True,
    help="Exit with an error when Redis is unreachable at start, instead of waiting for it.",
)
@click.pass_context
def worker(ctx: click.Context, burst: bool, exit_on_unavailable: bool) -> None:
    """Run an RQ scrape worker (production mode).

    It works the lanes high, default and low of the scrape queue, in that order. Start any
    number, on any machines sharing DATABASE_URL and REDIS_URL. When Redis is down (at start
    or later) the worker waits for it and resumes.
    """
    setup_logging("INFO")
    container = require_production(get_container(), "`trackers worker`")
    ctx.exit(run_worker(container, burst=burst, exit_on_unavailable=exit_on_unavailable))


@click.command()
def scheduler() -> None:
    """Run the scheduler (production mode).

    It runs due schedules, the periodic refresh, the reconciler and the notification
    dispatcher. Any number may run: each periodic task runs once per tick across all of them.
    """
    setup_logging("INFO")
    container = require_production(get_container(), "`trackers scheduler`")
    stop = threading.Event()
    restore = runtime.on_stop_signals(stop.set)
    try:
        run_scheduler(container, stop_event=stop)
    finally:
        restore()
