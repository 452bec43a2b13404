"""Audit log: one row per mutating call (POST/PUT/PATCH/DELETE), secrets redacted."""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Response, g, request

from entrypoints.http import deps
from tracker_core.errors import StorageUnavailable

log = logging.getLogger("trackers.http.audit")

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REDACTED = "[REDACTED]"
_SECRET_KEY = re.compile(r"token|secret|password|passwd|key|authorization|cookie|webhook", re.I)
BODY_KEY = "audit_body"
ACTOR_KEY = "audit_actor"


def sanitize(value: Any) -> Any:
    """``value`` with every secret-looking key's value (at any depth) replaced by [REDACTED]."""
    if isinstance(value, dict):
        return {
            k: REDACTED if _SECRET_KEY.search(str(k)) else sanitize(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [sanitize(v) for v in value]
    return value


def remember_body(body: Any) -> None:
    """Keep the parsed request body for the audit row."""
    setattr(g, BODY_KEY, body)


def remember_actor(actor: str) -> None:
    """Keep who made the call (a user id, or ``bot``) for the audit row."""
    setattr(g, ACTOR_KEY, actor)


def _body(status: int) -> Any:
    if BODY_KEY in g:
        return getattr(g, BODY_KEY)
    limit = request.max_content_length
    length = request.content_length
    if status == 413 or not length or (limit is not None and length > limit):
        return None
    return request.get_json(force=True, silent=True)


def record(response: Response) -> Response:
    """after_request hook: write the audit row of a mutating call in its own transaction."""
    if request.method not in MUTATING:
        return response
    uow = deps.uow()
    body = sanitize(_body(response.status_code))
    actor = g.get(ACTOR_KEY)
    try:
        with uow:
            uow.audit.add(
                actor, request.method, request.path, response.status_code, body, deps.clock().now()
            )
            uow.commit()
    except StorageUnavailable as exc:
        log.error("audit row of %s %s not written: %s", request.method, request.path, exc)
    return response
