"""The Flask app factory: blueprints, auth and throttling hooks, errors, audit, metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
from flask import Flask, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from adapters.throttle import Throttle, check
from entrypoints.config import Settings
from entrypoints.http import (
    admin,
    audit,
    directory,
    guilds,
    internal,
    league,
    league_flags,
    league_manual,
    staff,
    system,
    trackers,
)
from entrypoints.http.auth import (
    VerifiedTokens,
    authenticate_bot,
    load_public_key,
    require_system_admin,
)
from entrypoints.http.cors import install_cors
from entrypoints.http.dashboard import install_dashboard
from entrypoints.http.deps import CONTAINER_KEY
from entrypoints.http.errors import install_error_handlers
from entrypoints.http.health import RecentChecks, install_health
from entrypoints.http.input_limits import check_url
from entrypoints.http.metrics import install_metrics
from entrypoints.http.openapi import build_document
from entrypoints.http.routing import Auth, ExceptConverter, Route
from entrypoints.http.system import OPENAPI_KEY
from tracker_core.errors import UnauthorizedError

if TYPE_CHECKING:
    from entrypoints.container import Container

TABLES = (
    system.ROUTES,
    trackers.ROUTES,
    admin.ROUTES,
    internal.ROUTES,
    directory.ROUTES,
    guilds.ROUTES,
    staff.ROUTES,
    *league.TABLES,
    *league_flags.TABLES,
    *league_manual.TABLES,
)
GUARD_KEY = "trackers.guard"


def all_routes() -> list[Route]:
    """Every route of the API, in document order."""
    return [route for table in TABLES for route in table.routes]


@attrs.frozen
class Guard:
    """What the auth hooks of one app check against."""

    tokens: VerifiedTokens
    bot_key: str | None = attrs.field(repr=False)
    throttle: Throttle


def _guard() -> Guard:
    guard: Guard = current_app.extensions[GUARD_KEY]
    return guard


def _user_hook() -> None:
    if request.method == "OPTIONS":
        return
    guard = _guard()
    try:
        principal = guard.tokens.authenticate()
    except UnauthorizedError:
        check(guard.throttle, f"ip:{request.remote_addr}")
        raise
    audit.remember_actor(principal.user_id)
    check(guard.throttle, f"user:{principal.user_id}")
    g.principal = principal


def _url_hook() -> None:
    """Refuse NUL and lone surrogates in the path or query before any other code runs."""
    check_url(request.path, request.args.items(multi=True))


def _admin_hook() -> None:
    if request.method == "OPTIONS":
        return
    _user_hook()
    require_system_admin(g.principal)


def _bot_hook() -> None:
    authenticate_bot(_guard().bot_key)
    audit.remember_actor("bot")


HOOKS: dict[Auth, Callable[[], None] | None] = {
    "public": None,
    "user": _user_hook,
    "admin": _admin_hook,
    "bot": _bot_hook,
}


class TrackerApp(Flask):
    """Flask, remembering which of its hooks and views are plain functions.

    Flask asks ``inspect.iscoroutinefunction`` of every hook and view on every request; the
    answer never changes for a registered function, so it is kept (bounded: functions made per
    request, e.g. by ``after_this_request``, are checked each time as Flask does).
    """

    _SYNC_KEPT = 512

    def __init__(self, import_name: str) -> None:
        super().__init__(import_name)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's ``ensure_sync``, computed once per registered function."""
        found = self._sync.get(func)
        if found is None:
            found = super().ensure_sync(func)
            if len(self._sync) < self._SYNC_KEPT:
                self._sync[func] = found
        return found


def create_app(container: Container) -> Flask:
    """A Flask app serving the whole API with the container's dependencies.

    Raises:
        ConfigError: JWT_PUBLIC_KEY is set but is not an RSA public key.
    """
    settings: Settings = container.settings()
    app = TrackerApp("entrypoints.http")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.converters["except"] = ExceptConverter
    app.extensions[CONTAINER_KEY] = container
    install_health(app, RecentChecks(settings.health_cache_seconds))
    app.extensions[OPENAPI_KEY] = build_document(all_routes())
    guard = Guard(
        tokens=VerifiedTokens(
            load_public_key(settings.jwt_public_key), settings.system_admin_user_ids
        ),
        bot_key=settings.bot_api_key,
        throttle=container.throttle(),
    )
    app.extensions[GUARD_KEY] = guard
    install_error_handlers(app)
    install_metrics(app, settings.metrics_cache_seconds)
    install_cors(app, settings.frontend_url)
    app.before_request(_url_hook)
    for table in TABLES:
        blueprint = table.blueprint()
        hook = HOOKS[table.auth]
        if hook is not None:
            blueprint.before_request(hook)
        app.register_blueprint(blueprint)
    install_dashboard(app, settings.jwt_public_key, guard.throttle)
    if settings.trusted_proxies:
        # The client's address and scheme as the reverse proxies in front saw them: per-address
        # throttling counts each client, and the CSRF origin check sees https behind TLS.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    app.after_request(audit.record)
    return app
