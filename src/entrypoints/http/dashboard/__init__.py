"""The web dashboard: server-rendered pages on the same app as the API.

``install_dashboard(app)`` is the one hook ``create_app`` calls: it registers the pages, their
error pages, the static files, the per-client throttle of the pages and the CSRF guard of the
cookie-authenticated API.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, request

from adapters.throttle import Throttle, check
from entrypoints.http.auth import load_public_key
from entrypoints.http.dashboard import apidocs, guildops, league, pages, pulls, signin, staff
from entrypoints.http.dashboard.render import install_rendering
from entrypoints.http.dashboard.session import KEY_KEY, guard_api_csrf, signed_in


def throttled(throttle: Throttle) -> Callable[[], None]:
    """The pages' throttle: the API's window and limit, counted per signed-in user (the same
    count as that user's API calls) or per address when signed out; static files are free."""

    def hook() -> None:
        if request.endpoint == "dashboard.static":
            return
        principal = signed_in()
        client = f"user:{principal.user_id}" if principal else f"ip:{request.remote_addr}"
        check(throttle, client)

    return hook


def install_dashboard(app: Flask, jwt_public_key: str | None, throttle: Throttle) -> None:
    """Serve the dashboard pages, throttled per client, and refuse cross-site cookie-only API
    writes."""
    app.extensions[KEY_KEY] = load_public_key(jwt_public_key)
    app.before_request(guard_api_csrf)
    blueprint = Blueprint(
        "dashboard",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/static/dashboard",
    )
    install_rendering(blueprint)
    blueprint.before_request(throttled(throttle))
    pages.register(blueprint)
    signin.register(blueprint)
    apidocs.register(blueprint)
    staff.register(blueprint)
    guildops.register(blueprint)
    league.register(blueprint)
    pulls.register(blueprint)
    app.register_blueprint(blueprint)
