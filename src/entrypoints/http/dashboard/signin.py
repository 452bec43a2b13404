"""Signing in and out of the dashboard.

Outside the sandbox the league's own sign-in sets the ``auth_token`` cookie (``LOGIN_URL``).
In ``--sandbox`` only, a page lets you pick a demo user and signs a token with the local
development key; outside the sandbox that page answers 404.
"""

from __future__ import annotations

import attrs
from flask import Blueprint, Response, abort, redirect, request, url_for

from entrypoints.devkeys import ensure_dev_keys, mint_token, public_pem_of
from entrypoints.http.auth import COOKIE
from entrypoints.http.dashboard.render import page
from entrypoints.http.dashboard.session import check_form_csrf, same_origin
from entrypoints.http.deps import settings
from entrypoints.sandbox import DEMO_ADMIN, DEMO_PLAYER, DEMO_STAFF
from tracker_core.errors import FieldError, ValidationError

SIGN_IN_COOKIE_SECONDS = 12 * 3600


@attrs.frozen
class DemoUser:
    """A user the sandbox sign-in offers."""

    key: str
    user_id: str
    username: str
    role: str


def demo_users() -> list[DemoUser]:
    """The seeded player and guild admin, plus the demo system admin (the sandbox makes it one)
    or else the first configured system admin, if any."""
    users = [
        DemoUser("player", DEMO_PLAYER, "demo-player", "Player"),
        DemoUser("staff", DEMO_STAFF, "demo-staff", "Guild admin"),
    ]
    admins = settings().system_admin_user_ids
    if admins:
        chosen = DEMO_ADMIN if DEMO_ADMIN in admins else sorted(admins)[0]
        users.append(DemoUser("admin", chosen, "demo-admin", "System admin"))
    return users


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("dashboard.my_trackers")


def _signing_key() -> str:
    """The private key matching the public key the app trusts (sandbox only)."""
    current = settings()
    private = current.jwt_private_key or ensure_dev_keys(current.data_dir).private_pem
    if (current.jwt_public_key or "").strip() != public_pem_of(private).strip():
        abort(404)
    return private


def sign_in_page() -> Response:
    """Sandbox: pick a demo user. Elsewhere: where to sign in."""
    current = settings()
    nxt = _safe_next(request.args.get("next"))
    if current.sandbox:
        return page("dashboard/signin.html", users=demo_users(), next=nxt)
    return page("dashboard/signed_out.html", 401, login_url=current.login_url)


def sign_in() -> Response:
    """Sandbox only: set the cookie of a demo user's token."""
    if not settings().sandbox:
        abort(404)
    if not same_origin():
        abort(403)
    chosen = {u.key: u for u in demo_users()}.get(request.form.get("user", ""))
    if chosen is None:
        raise ValidationError([FieldError("user", "user must be one of the demo users")])
    token = mint_token(_signing_key(), user_id=chosen.user_id, username=chosen.username)
    response = redirect(_safe_next(request.form.get("next")), 303)
    response.set_cookie(
        COOKIE,
        token.token,
        max_age=SIGN_IN_COOKIE_SECONDS,
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
        path="/",
    )
    return response  # type: ignore[return-value]


def sign_out() -> Response:
    """Forget the cookie (a CSRF-checked form post)."""
    check_form_csrf()
    response = redirect(url_for("dashboard.sign_in_page"), 303)
    response.delete_cookie(COOKIE, path="/", samesite="Strict", httponly=True)
    return response  # type: ignore[return-value]


def register(blueprint: Blueprint) -> None:
    """The sign-in routes."""
    blueprint.add_url_rule("/sign-in", "sign_in_page", sign_in_page, methods=["GET"])
    blueprint.add_url_rule("/sign-in", "sign_in", sign_in, methods=["POST"])
    blueprint.add_url_rule("/sign-out", "sign_out", sign_out, methods=["POST"])
