"""Prometheus metrics of one app: request counts and latencies, trackers by status, queue.

Request counters are true across gunicorn workers in multiprocess mode (see
:mod:`entrypoints.shared_metrics`). Tracker counts and the queue depth are read from storage
at most once per ``METRICS_CACHE_SECONDS`` per process, not on every scrape. With
``METRICS_TOKEN`` set, ``/metrics`` answers only ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from entrypoints.container import eta_rate
from entrypoints.http import deps
from entrypoints.shared_metrics import exposition
from tracker_core.errors import UnauthorizedError
from tracker_core.use_cases.queries import ScrapingOverview

METRICS_KEY = "trackers.metrics"


class CachedOverview:
    """The scraping overview, read again only when older than ``ttl_seconds``."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._value: ScrapingOverview | None = None
        self._read_at = 0.0
        self.reads = 0

    def get(self, read: Callable[[], ScrapingOverview]) -> ScrapingOverview:
        with self._lock:
            now = self._clock()
            if self._value is None or now - self._read_at >= self.ttl_seconds:
                self._value, self._read_at = read(), now
                self.reads += 1
            return self._value


@attrs.frozen(eq=False)
class _OverviewCollector(Collector):
    """The cached counts as gauges of one exposition."""

    overview: ScrapingOverview

    def collect(self) -> Iterator[Metric]:
        trackers = GaugeMetricFamily(
            "trackers", "Live trackers by scraping status", labels=["status"]
        )
        for status, count in sorted(self.overview.by_status.items()):
            trackers.add_metric([status], count)
        yield trackers
        yield GaugeMetricFamily(
            "tracker_queue_depth", "Scrape jobs waiting", value=self.overview.queue_depth
        )


@attrs.frozen
class Metrics:
    """The registry of one app, its metrics and its cached counts.

    The labelled children of the request metrics are looked up once per label set and then
    kept (routes, methods and statuses are few), so counting a request is a dictionary lookup
    and two increments.
    """

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    overview: CachedOverview
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


def _metrics(cache_seconds: float) -> Metrics:
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
        overview=CachedOverview(cache_seconds),
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


def install_metrics(app: Flask, cache_seconds: float) -> None:
    """Give ``app`` its own registry and count every request."""
    app.extensions[METRICS_KEY] = _metrics(cache_seconds)
    app.before_request(_start)
    app.after_request(_observe)


def _check_token(expected: str | None) -> None:
    if expected is None:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), expected):
        raise UnauthorizedError("Invalid metrics token")


def metrics_response() -> Response:
    """The Prometheus text exposition, with tracker counts and queue depth from the cache."""
    settings = deps.settings()
    _check_token(settings.metrics_token)
    metrics: Metrics = current_app.extensions[METRICS_KEY]
    overview = metrics.overview.get(
        lambda: deps.use_cases().scraping_overview(requests_per_minute=eta_rate(deps.container()))
    )
    counts = CollectorRegistry()
    counts.register(_OverviewCollector(overview))
    body = exposition(metrics.registry) + generate_latest(counts)
    return Response(body, content_type=CONTENT_TYPE_LATEST)
