"""Who is signed in to the dashboard, and the CSRF rules of cookie-authenticated requests.

The browser carries the same RS256 JWT as the API in the HttpOnly ``auth_token`` cookie. A
form's CSRF token is derived from that cookie (``sha256`` of a label and the token): a page on
another origin can neither read the cookie nor, therefore, compute the token, and every worker
process computes the same value without shared state.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from flask import current_app, g, request

from entrypoints.http import audit
from entrypoints.http.auth import COOKIE, Principal, authenticate_user
from entrypoints.http.deps import settings
from tracker_core.errors import ForbiddenError, UnauthorizedError

KEY_KEY = "trackers.dashboard.key"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PREFLIGHTED = frozenset({"PUT", "PATCH", "DELETE"})
CSRF_REFUSED = (
    "CSRF check failed: a request authenticated by cookie must carry the CSRF token, or be a "
    "JSON request from an allowed origin"
)


def _key() -> RSAPublicKey | None:
    key: RSAPublicKey | None = current_app.extensions[KEY_KEY]
    return key


def signed_in() -> Principal | None:
    """The user of the request's cookie (or header), None when absent, invalid or expired."""
    if "dashboard_principal" in g:
        found: Principal | None = g.dashboard_principal
        return found
    try:
        principal: Principal | None = authenticate_user(_key(), settings().system_admin_user_ids)
    except UnauthorizedError:
        principal = None
    if principal is not None:
        audit.remember_actor(principal.user_id)
    g.dashboard_principal = principal
    return principal


def csrf_token_for(token: str) -> str:
    """The CSRF token of one auth token."""
    return hashlib.sha256(b"trackers-csrf\x00" + token.encode()).hexdigest()


def csrf_token() -> str:
    """The CSRF token of the current cookie ('' when signed out)."""
    cookie = request.cookies.get(COOKIE)
    return csrf_token_for(cookie) if cookie else ""


def _allowed_origins() -> set[str]:
    own = request.host_url.rstrip("/")
    allowed = {own}
    frontend = settings().frontend_url
    if frontend:
        allowed.add(frontend.rstrip("/"))
    return allowed


def same_origin() -> bool:
    """The request's Origin (or Referer) is this site or FRONTEND_URL, or it sent neither."""
    origin = request.headers.get("Origin")
    if origin is None:
        referer = request.headers.get("Referer")
        if referer is None:
            return True
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin.rstrip("/") in _allowed_origins()


def _presented_token() -> str | None:
    return request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD)


def check_form_csrf() -> None:
    """Dashboard forms: the token must match and the origin must be this site.

    Raises:
        ForbiddenError: the token is missing or wrong, or the request came from another origin.
    """
    cookie = request.cookies.get(COOKIE)
    presented = _presented_token()
    if not cookie or not presented or not same_origin():
        raise ForbiddenError(CSRF_REFUSED)
    if not hmac.compare_digest(presented.encode(), csrf_token_for(cookie).encode()):
        raise ForbiddenError(CSRF_REFUSED)


def guard_api_csrf() -> None:
    """before_request of the app: refuse a state-changing API call riding on the cookie alone.

    A call with an Authorization header is not ambient and passes. One authenticated by the
    cookie passes with a valid ``X-CSRF-Token``; or when its Origin (or Referer) names this
    site or ``FRONTEND_URL`` -- browsers send it on every POST, so a forged request shows the
    attacker's origin; this is what lets the league's dashboard POST without a body (its
    settings reset); or, sending neither header, as a request a browser must preflight (JSON
    body, or PUT/PATCH/DELETE).

    Raises:
        ForbiddenError: any other cookie-authenticated POST/PUT/PATCH/DELETE under ``/api/``.
    """
    if request.method not in UNSAFE or not request.path.startswith("/api/"):
        return
    cookie = request.cookies.get(COOKIE)
    if not cookie or request.headers.get("Authorization") is not None:
        return
    header = request.headers.get(CSRF_HEADER)
    if header is not None:
        if hmac.compare_digest(header.encode(), csrf_token_for(cookie).encode()):
            return
        raise ForbiddenError(CSRF_REFUSED)
    if _declared_origin() is not None:
        if same_origin():
            return
        raise ForbiddenError(CSRF_REFUSED)
    preflighted = request.method in PREFLIGHTED or request.mimetype == "application/json"
    if not preflighted:
        raise ForbiddenError(CSRF_REFUSED)


def _declared_origin() -> str | None:
    return request.headers.get("Origin") or request.headers.get("Referer")
