"""Prometheus metrics of one app: request counts and latencies, trackers by status, queue."""

from __future__ import annotations

import time

import attrs
from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from entrypoints.http import deps

METRICS_KEY = "trackers.metrics"


@attrs.frozen
class Metrics:
    """The registry of one app and its metrics."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    trackers: Gauge
    queue_depth: Gauge


def _metrics() -> Metrics:
    registry = CollectorRegistry()
    return Metrics(
        registry=registry,
        requests=Counter(
            "http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=registry,
        ),
        latency=Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            registry=registry,
        ),
        trackers=Gauge(
            "trackers", "Live trackers by scraping status", ["status"], registry=registry
        ),
        queue_depth=Gauge("tracker_queue_depth", "Scrape jobs waiting", registry=registry),
    )


def _start() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    metrics: Metrics = current_app.extensions[METRICS_KEY]
    route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    metrics.requests.labels(request.method, route, str(response.status_code)).inc()
    started = g.get("metrics_started")
    if started is not None:
        metrics.latency.labels(request.method, route).observe(time.perf_counter() - started)
    return response


def install_metrics(app: Flask) -> None:
    """Give ``app`` its own registry and count every request."""
    app.extensions[METRICS_KEY] = _metrics()
    app.before_request(_start)
    app.after_request(_observe)


def metrics_response() -> Response:
    """The Prometheus text exposition, with tracker counts and queue depth read now."""
    metrics: Metrics = current_app.extensions[METRICS_KEY]
    overview = deps.use_cases().scraping_overview(
        requests_per_minute=deps.settings().trn_rate_limit_per_minute
    )
    for status, count in overview.by_status.items():
        metrics.trackers.labels(status).set(count)
    metrics.queue_depth.set(overview.queue_depth)
    return Response(generate_latest(metrics.registry), content_type=CONTENT_TYPE_LATEST)
