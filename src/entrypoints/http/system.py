"""Public system endpoints: ``/health``, ``/metrics``, ``/openapi.json``."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from entrypoints.http.health import health_response
from entrypoints.http.metrics import metrics_response
from entrypoints.http.routing import RouteTable
from tracker_core.errors import UnauthorizedError

ROUTES = RouteTable("system", "", "public", "System")
OPENAPI_KEY = "trackers.openapi"


@ROUTES.route("GET", "/health", summary="Status, uptime, database and queue", response="Health")
def health() -> Response:
    """200 when every check passes, else 503."""
    return health_response()


@ROUTES.route(
    "GET",
    "/metrics",
    summary="Prometheus metrics",
    response="Metrics",
    media_type="text/plain",
    errors=(UnauthorizedError,),
)
def metrics() -> Response:
    """Prometheus text exposition format of every process of the deployment. With
    METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>` (else 401); tracker
    counts and queue depth are at most METRICS_CACHE_SECONDS old."""
    return metrics_response()


@ROUTES.route("GET", "/openapi.json", summary="This document", response="OpenApi", storage=False)
def openapi() -> Response:
    """The OpenAPI 3.1 document of the API."""
    return jsonify(current_app.extensions[OPENAPI_KEY])
