"""CORS for the web dashboard at ``FRONTEND_URL`` (credentials allowed: the JWT cookie)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, request

ALLOWED_HEADERS = "Authorization, Content-Type"


def _headers(origin: str) -> Callable[[Response], Response]:
    def add(response: Response) -> Response:
        if request.headers.get("Origin") != origin or not request.path.startswith("/api/"):
            return response
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.vary.add("Origin")
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = response.headers.get("Allow", "")
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
        return response

    return add


def install_cors(app: Flask, frontend_url: str | None) -> None:
    """Let the dashboard's origin call ``/api/*`` from a browser (nothing when unset)."""
    if frontend_url:
        app.after_request(_headers(frontend_url.rstrip("/")))
