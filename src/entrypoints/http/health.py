"""The health report: status, uptime, mode, database and queue checks.

A check that fails names the dependency only; hosts, ports and driver errors go to the log.
Passing checks are reused for one second (:class:`RecentChecks`); failing ones never are.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, Response, current_app, jsonify

from entrypoints.http import deps
from entrypoints.http.errors import log_unavailable, public_message
from entrypoints.responses import api as res
from entrypoints.responses.base import to_json
from tracker_core.errors import QueueUnavailableError, StorageUnavailableError

STARTED_KEY = "trackers.started"
CHECKS_KEY = "trackers.health_checks"
SANDBOX_WARNING = "SANDBOX MODE: profiles come from the built-in TRN simulator, not from tracker.gg"


def _database() -> res.HealthCheck:
    try:
        deps.database_ping().ping()
    except StorageUnavailableError as exc:
        log_unavailable(exc, "health check: database down")
        return res.HealthCheck("down", error=public_message(exc))
    return res.HealthCheck("up")


def _queue() -> res.HealthCheck:
    try:
        depth = deps.queue().depth()
    except QueueUnavailableError as exc:
        log_unavailable(exc, "health check: queue down")
        return res.HealthCheck("down", error=public_message(exc))
    return res.HealthCheck("up", depth=depth)


class RecentChecks:
    """The last passing database and queue checks of one app, reused for ``ttl`` seconds.

    Only a result where every check passed is reused: while a dependency is down every call
    checks again, so a recovery shows at once and an outage within ``ttl`` seconds. A load
    balancer probing every few seconds sees fresh checks; a flood of probes costs one
    ``SELECT 1`` and one Redis round trip per ``ttl`` per process.
    """

    def __init__(self, ttl: float = 1.0, now: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._now = now
        self._passed: tuple[float, res.HealthChecks] | None = None

    def checks(self) -> res.HealthChecks:
        """``{"database": ..., "queue": ...}``, fresh or at most ``ttl`` seconds old."""
        now = self._now()
        passed = self._passed
        if passed is not None and now - passed[0] < self._ttl:
            return passed[1]
        checks = res.HealthChecks(_database(), _queue())
        if checks.database.status == checks.queue.status == "up":
            self._passed = (now, checks)
        return checks


def install_health(app: Flask, checks: RecentChecks | None = None) -> None:
    """Give ``app`` its start time and the cache of its health checks."""
    app.extensions[STARTED_KEY] = time.monotonic()
    app.extensions[CHECKS_KEY] = checks if checks is not None else RecentChecks()


def health_response() -> Response:
    """200 ``{"status": "ok", ...}`` or 503 ``{"status": "error", ...}`` when a check fails."""
    recent: RecentChecks = current_app.extensions[CHECKS_KEY]
    checks = recent.checks()
    healthy = checks.database.status == checks.queue.status == "up"
    settings = deps.settings()
    started: float = current_app.extensions[STARTED_KEY]
    body = res.Health(
        "ok" if healthy else "error",
        round(time.monotonic() - started, 3),
        "embedded" if settings.embedded else "production",
        settings.sandbox,
        checks,
        SANDBOX_WARNING if settings.sandbox else None,
    )
    response = jsonify(to_json(body))
    response.status_code = 200 if healthy else 503
    return response
