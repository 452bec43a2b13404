"""The web dashboard: server-rendered pages on the same app as the API.

``install_dashboard(app)`` is the one hook ``create_app`` calls: it registers the pages, their
error pages, the static files and the CSRF guard of the cookie-authenticated API.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from entrypoints.http.auth import load_public_key
from entrypoints.http.dashboard import apidocs, guildops, league, pages, pulls, signin, staff
from entrypoints.http.dashboard.render import install_rendering
from entrypoints.http.dashboard.session import KEY_KEY, guard_api_csrf


def install_dashboard(app: Flask, jwt_public_key: str | None) -> None:
    """Serve the dashboard pages and refuse cross-site cookie-only API writes."""
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
    pages.register(blueprint)
    signin.register(blueprint)
    apidocs.register(blueprint)
    staff.register(blueprint)
    guildops.register(blueprint)
    league.register(blueprint)
    pulls.register(blueprint)
    app.register_blueprint(blueprint)
