"""The health report: status, uptime, mode, database and queue checks.

A check that fails names the dependency only; hosts, ports and driver errors go to the log.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Response, current_app, jsonify

from entrypoints.http import deps
from entrypoints.http.errors import log_unavailable, public_message
from tracker_core.errors import QueueUnavailable, StorageUnavailable

STARTED_KEY = "trackers.started"
SANDBOX_WARNING = "SANDBOX MODE: profiles come from the built-in TRN simulator, not from tracker.gg"


def _database() -> dict[str, Any]:
    try:
        with deps.uow() as uow:
            uow.ping()
    except StorageUnavailable as exc:
        log_unavailable(exc, "health check: database down")
        return {"status": "down", "error": public_message(exc)}
    return {"status": "up"}


def _queue() -> dict[str, Any]:
    try:
        depth = deps.queue().depth()
    except QueueUnavailable as exc:
        log_unavailable(exc, "health check: queue down")
        return {"status": "down", "error": public_message(exc)}
    return {"status": "up", "depth": depth}


def health_response() -> Response:
    """200 ``{"status": "ok", ...}`` or 503 ``{"status": "error", ...}`` when a check fails."""
    checks = {"database": _database(), "queue": _queue()}
    healthy = all(c["status"] == "up" for c in checks.values())
    settings = deps.settings()
    started: float = current_app.extensions[STARTED_KEY]
    body: dict[str, Any] = {
        "status": "ok" if healthy else "error",
        "uptime": round(time.monotonic() - started, 3),
        "mode": "embedded" if settings.embedded else "production",
        "sandbox": settings.sandbox,
        "checks": checks,
    }
    if settings.sandbox:
        body["warning"] = SANDBOX_WARNING
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    return response
