"""Shared page rendering: security headers, time formatting and the HTML error pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, make_response, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from entrypoints.http.dashboard.session import csrf_token, signed_in
from entrypoints.http.deps import clock, settings
from entrypoints.http.errors import status_for
from tracker_core.errors import RateLimitedError, TrackerError, ValidationError

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class SignInRequiredError(Exception):
    """The page needs a signed-in user and the request has none."""


def exact(at: datetime | None) -> str:
    """``2026-01-01 12:00:00 UTC`` ('never' for None)."""
    if at is None:
        return "never"
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def ago(at: datetime | None) -> str:
    """``3 min ago`` relative to the service clock ('never' for None)."""
    if at is None:
        return "never"
    seconds = int((clock().now() - at).total_seconds())
    if seconds < 0:
        return "in the future"
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def duration(left: timedelta) -> str:
    """``4:05`` (minutes:seconds, rounded up)."""
    total = int(left.total_seconds() + 0.999)
    return f"{total // 60}:{total % 60:02d}"


def iso(at: datetime | None) -> str:
    """The machine-readable time of a ``<time>`` element."""
    return "" if at is None else at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def page(template: str, code: int = 200, **context: Any) -> Response:
    """A rendered page with the dashboard's security headers."""
    response = make_response(render_template(template, **context), code)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def _globals() -> dict[str, Any]:
    return {
        "me": signed_in(),
        "csrf_token": csrf_token(),
        "sandbox": settings().sandbox,
        "exact": exact,
        "ago": ago,
        "iso": iso,
        "duration": duration,
        "zip": zip,
    }


def _sign_in(_: SignInRequiredError) -> Response:
    login = settings().login_url
    if login:
        return redirect(login, 303)  # type: ignore[return-value]
    return redirect(url_for("dashboard.sign_in_page", next=request.path), 303)  # type: ignore[return-value]


def _message(exc: TrackerError) -> str:
    if isinstance(exc, ValidationError) and exc.errors:
        return "; ".join(e.message for e in exc.errors)
    return exc.message


def _error(exc: TrackerError) -> Response:
    status = status_for(type(exc))
    message = _message(exc)
    if request.endpoint == "dashboard.create_tracker" and status < 500:
        url = request.form.get("url", "")
        return page("dashboard/add.html", status, url=url, canonical=None, error=message)
    response = page("dashboard/error.html", status, status=status, message=message)
    if isinstance(exc, RateLimitedError):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    return page("dashboard/error.html", status, status=status, message=exc.name)


def install_rendering(blueprint: Blueprint) -> None:
    """Template globals and the HTML error pages of the dashboard's own routes."""
    blueprint.context_processor(_globals)
    blueprint.register_error_handler(SignInRequiredError, _sign_in)
    blueprint.register_error_handler(TrackerError, _error)
    blueprint.register_error_handler(HTTPException, _http_error)
