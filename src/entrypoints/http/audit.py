"""Audit log: one row per mutating call (POST/PUT/PATCH/DELETE), secrets redacted.

The row holds a bounded, cleaned summary of the body (see :func:`sanitize`), never the raw
input: whatever a client sends, the row can be stored and writing it cannot fail.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from flask import Response, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from entrypoints.http import deps
from entrypoints.http.input_limits import clean_text, decode_json
from tracker_core.errors import StorageUnavailableError, ValidationError

log = logging.getLogger("trackers.http.audit")

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REDACTED = "[REDACTED]"
_SECRET_KEY = re.compile(r"token|secret|password|passwd|key|authorization|cookie|webhook", re.I)
BODY_KEY = "audit_body"
ACTOR_KEY = "audit_actor"
UNPARSED = "_unparsed"
ELIDED = "…"
MAX_TEXT = 500
MAX_ITEMS = 50
MAX_NESTING = 16
MAX_NODES = 500
MAX_PATH = 2000


def sanitize(value: Any) -> Any:
    """A bounded summary of ``value`` that any database can store.

    Secret-looking keys' values (at any depth) become ``[REDACTED]``; NUL characters and lone
    surrogates become U+FFFD; strings are cut at ``MAX_TEXT`` characters, containers at
    ``MAX_ITEMS`` items and ``MAX_NESTING`` levels, the whole at ``MAX_NODES`` values;
    non-finite floats become null. Walks without recursion, so no input can break it.
    """
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 0)]
    nodes = 0
    while stack:
        source, parent, slot, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES or (depth >= MAX_NESTING and isinstance(source, dict | list)):
            parent[slot] = ELIDED
        elif isinstance(source, dict):
            parent[slot] = _children(source, depth, stack)
        elif isinstance(source, list):
            parent[slot] = _items(source, depth, stack)
        else:
            parent[slot] = _scalar(source)
    return root[0]


def _children(source: dict[Any, Any], depth: int, stack: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    pending = []
    for index, (key, item) in enumerate(source.items()):
        if index == MAX_ITEMS:
            out[ELIDED] = f"{len(source) - MAX_ITEMS} more"
            break
        name = clean_text(str(key))[:MAX_TEXT]
        out[name] = REDACTED if _SECRET_KEY.search(name) else None
        if out[name] is None:
            pending.append((item, out, name, depth + 1))
    stack.extend(reversed(pending))
    return out


def _items(source: list[Any], depth: int, stack: list[Any]) -> list[Any]:
    kept = source[:MAX_ITEMS]
    out: list[Any] = [None] * len(kept)
    stack.extend((item, out, i, depth + 1) for i, item in reversed(list(enumerate(kept))))
    if len(source) > MAX_ITEMS:
        out.append(f"{ELIDED} {len(source) - MAX_ITEMS} more")
    return out


def _scalar(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value[:MAX_TEXT])
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bool | int | float) or value is None:
        return value
    return clean_text(str(value)[:MAX_TEXT])


def remember_body(body: Any) -> None:
    """Keep the parsed request body for the audit row."""
    setattr(g, BODY_KEY, body)


def remember_actor(actor: str) -> None:
    """Keep who made the call (a user id, or ``bot``) for the audit row."""
    setattr(g, ACTOR_KEY, actor)


def _body(status: int) -> Any:
    """The parsed body if the route read it, else the raw body parsed with the same limits,
    else a short marker saying what could not be kept."""
    if BODY_KEY in g:
        return getattr(g, BODY_KEY)
    limit = request.max_content_length
    length = request.content_length
    if status == 413 or (limit is not None and length is not None and length > limit):
        return None
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        return None
    try:
        return decode_json(raw) if raw.strip() else None
    except ValidationError as exc:
        return {UNPARSED: exc.errors[0].message if exc.errors else exc.message, "bytes": len(raw)}


def record(response: Response) -> Response:
    """after_request hook: write the audit row of a mutating call in its own transaction."""
    if request.method not in MUTATING:
        return response
    uow = deps.uow()
    body = sanitize(_body(response.status_code))
    actor = g.get(ACTOR_KEY)
    path = clean_text(request.path[:MAX_PATH])
    try:
        with uow:
            uow.audit.add(
                actor, request.method, path, response.status_code, body, deps.clock().now()
            )
            uow.commit()
    except StorageUnavailableError as exc:
        log.error("audit row of %s %s not written: %s", request.method, path, exc)
    return response
