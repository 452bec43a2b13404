"""The one table from core errors to HTTP statuses, and the one error body shape.

Every error answer, whether raised by a use case, by request parsing, by auth, or by
Flask/werkzeug itself (404, 405, 413), is ``{statusCode, timestamp, path, method, message,
code, errors?}``. Anything unexpected is a 500 without internals, logged with its traceback.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from entrypoints.responses import api as res
from entrypoints.responses.base import to_json
from tracker_core.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    QueueUnavailableError,
    RateLimitedError,
    RuleViolationError,
    StorageUnavailableError,
    TrackerError,
    UnauthorizedError,
    ValidationError,
)

log = logging.getLogger("trackers.http")

ERROR_STATUS: dict[type[TrackerError], int] = {
    RuleViolationError: 400,
    UnauthorizedError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    RateLimitedError: 429,
    StorageUnavailableError: 503,
    QueueUnavailableError: 503,
}
"""Each base class of :mod:`tracker_core.errors` and its status; subclasses inherit it."""

UNAVAILABLE_MESSAGES: dict[type[TrackerError], str] = {
    StorageUnavailableError: "Database unavailable",
    QueueUnavailableError: "Job queue unavailable",
}
"""What a client is told when a dependency is down: never a host, port or driver error."""

INTERNAL_ERROR = "Internal server error"

_HTTP_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def status_for(error: type[TrackerError]) -> int:
    """The HTTP status of a core error class (500 for one the table does not know)."""
    for cls in error.__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 500


def public_message(exc: TrackerError) -> str:
    """The message a client may see: the dependency's name for 503s, else the error's own."""
    for cls, message in UNAVAILABLE_MESSAGES.items():
        if isinstance(exc, cls):
            return message
    return exc.message


def log_unavailable(exc: TrackerError, where: str) -> None:
    """Log what made a dependency unavailable (the driver's detail stays in the log)."""
    cause = exc.__cause__ or exc.__context__
    detail = str(exc) if cause is None else f"{exc} ({type(cause).__name__}: {cause})"
    log.warning("%s: %s", where, detail)


def error_body(
    status: int, message: str, code: str, errors: list[res.FieldError] | None = None
) -> Response:
    """The JSON error answer for the current request."""
    body = res.Error(status, datetime.now(UTC), request.path, request.method, message, code, errors)
    response = jsonify(to_json(body))
    response.status_code = status
    return response


def _tracker_error(exc: TrackerError) -> Response:
    status = status_for(type(exc))
    if status == 500:
        return _unexpected(exc)
    errors = (
        [res.FieldError(e.field, e.message) for e in exc.errors]
        if isinstance(exc, ValidationError)
        else None
    )
    response = error_body(status, public_message(exc), exc.code, errors)
    if isinstance(exc, RateLimitedError):
        response.headers["Retry-After"] = str(exc.retry_after)
    if status == 503:
        log_unavailable(exc, f"{request.method} {request.path}")
    return response


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status == 404:
        message = f"Cannot {request.method} {request.path}"
    elif status == 413:
        message = "Request body is too large"
    else:
        message = exc.name
    response = error_body(status, message, _HTTP_CODES.get(status, f"HTTP_{status}"))
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _unexpected(exc: BaseException) -> Response:
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    return error_body(500, INTERNAL_ERROR, "INTERNAL_ERROR")


def install_error_handlers(app: Flask) -> None:
    """Route every error of ``app`` through the table and the body shape."""
    app.register_error_handler(TrackerError, _tracker_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
