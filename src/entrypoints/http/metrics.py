"""Prometheus metrics of one app: request counts and latencies, trackers by status, queue."""

from __future__ import annotations

import time
from typing import Any

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
    """The registry of one app and its metrics.

    The labelled children of the request metrics are looked up once per label set and then
    kept (routes, methods and statuses are few), so counting a request is a dictionary lookup
    and two increments.
    """

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    trackers: Gauge
    queue_depth: Gauge
    _children: dict[tuple[str, str, int], tuple[Any, Any]] = attrs.field(factory=dict)

    def observe(self, method: str, route: str, status: int, seconds: float | None) -> None:
        """Count one answered request and, when known, its duration."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children.setdefault(
                key,
                (
                    self.requests.labels(method, route, str(status)),
                    self.latency.labels(method, route),
                ),
            )
        count, latency = children
        count.inc()
        if seconds is not None:
            latency.observe(seconds)


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
    rule = request.url_rule
    route = rule.rule if rule is not None else "<unmatched>"
    started = g.get("metrics_started")
    seconds = None if started is None else time.perf_counter() - started
    metrics.observe(request.method, route, response.status_code, seconds)
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
