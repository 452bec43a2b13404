"""Admin endpoints ``/api/admin/trackers`` (JWT of a configured system admin)."""

from __future__ import annotations

from entrypoints import serializers as ser
from entrypoints.http import deps
from entrypoints.http.requests import AdminTrackersQuery, BatchRefreshBody, EmptyBody, LogsQuery
from entrypoints.http.routing import RouteTable
from entrypoints.http.trackers import ENQUEUED
from tracker_core.errors import ConflictError, NotFoundError
from tracker_core.model import Priority, TrackerQuery
from tracker_core.use_cases.trackers import RefreshTracker

ROUTES = RouteTable("admin", "/api/admin/trackers", "admin", "Admin")
BATCH_STARTED = "Batch refresh enqueued"


@ROUTES.route(
    "GET",
    "",
    summary="All trackers (filters, paging)",
    response="AdminTrackerPage",
    query=AdminTrackersQuery,
)
def all_trackers(query: AdminTrackersQuery) -> ser.Json:
    """Every non-deleted tracker."""
    core = TrackerQuery(
        platforms=(query.platform,) if query.platform else (),
        statuses=query.status,
        page=query.page,
        limit=query.limit,
    )
    trackers, total = deps.use_cases().search_trackers(core)
    items = [ser.tracker(t) for t in trackers]
    return ser.page(items, total, query.page, query.limit, admin=True)


@ROUTES.route(
    "GET",
    "/scraping-status",
    summary="Counts by status, queue depth and ETA at the current budget",
    response="ScrapingOverview",
)
def scraping_status() -> ser.Json:
    """How much work is waiting and how long it will take."""
    overview = deps.use_cases().scraping_overview(
        requests_per_minute=deps.settings().trn_rate_limit_per_minute
    )
    return ser.overview(overview)


@ROUTES.route(
    "GET",
    "/scraping-logs",
    summary="Scraping job logs, newest first (by tracker, status, error category)",
    response="ScrapingLogPage",
    query=LogsQuery,
)
def scraping_logs(query: LogsQuery) -> ser.Json:
    """Scraping logs of one tracker or all, optionally of one status and error category."""
    logs, total = deps.use_cases().search_scraping_logs(
        query.tracker_id, query.status, query.page, query.limit, category=query.category
    )
    items = [ser.scraping_log(entry) for entry in logs]
    return ser.page(items, total, query.page, query.limit, admin=True)


@ROUTES.route(
    "POST",
    "/<id>/refresh",
    summary="Refresh a tracker now (no ownership, no cooldown)",
    response="RefreshResult",
    body=EmptyBody,
    errors=(NotFoundError, ConflictError),
)
def refresh(id: str, body: EmptyBody) -> ser.Json:
    """Queue the tracker at high priority unless a job already has it."""
    outcome = deps.use_cases().refresh_tracker(RefreshTracker(tracker_id=id))
    return ser.message(ENQUEUED, trackerId=outcome.tracker_id, status=str(outcome.status))


@ROUTES.route(
    "POST",
    "/batch-refresh",
    summary="Queue the given trackers, or every pending-or-stale one",
    response="BatchRefreshResult",
    body=BatchRefreshBody,
)
def batch_refresh(body: BatchRefreshBody) -> ser.Json:
    """Mark the trackers PENDING and queue them; the scraping runs as jobs."""
    result = deps.use_cases().refresh_stale(tracker_ids=body.tracker_ids, priority=Priority.DEFAULT)
    return ser.message(BATCH_STARTED, **ser.processed(result))
