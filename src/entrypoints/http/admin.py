"""Admin endpoints ``/api/admin/trackers`` (JWT of a configured system admin)."""

from __future__ import annotations

from entrypoints.container import eta_rate
from entrypoints.http import deps
from entrypoints.http.requests import AdminTrackersQuery, BatchRefreshBody, EmptyBody, LogsQuery
from entrypoints.http.routing import RouteTable
from entrypoints.http.trackers import ENQUEUED, refresh_answer
from entrypoints.responses import api as res
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
def all_trackers(query: AdminTrackersQuery) -> res.AdminTrackerPage:
    """Every non-deleted tracker."""
    core = TrackerQuery(
        platforms=(query.platform,) if query.platform else (),
        statuses=query.status,
        page=query.page,
        limit=query.limit,
    )
    trackers, total = deps.use_cases().search_trackers(core)
    items = [res.tracker(t) for t in trackers]
    return res.AdminTrackerPage(items, res.admin_pagination(total, query.page, query.limit))


@ROUTES.route(
    "GET",
    "/scraping-status",
    summary="Counts by status, queue depth and ETA at the current budget",
    response="ScrapingOverview",
)
def scraping_status() -> res.ScrapingOverview:
    """How much work is waiting and how long it will take."""
    overview = deps.use_cases().scraping_overview(requests_per_minute=eta_rate(deps.container()))
    return res.overview(overview)


@ROUTES.route(
    "GET",
    "/scraping-logs",
    summary="Scraping job logs, newest first (by tracker, status, error category)",
    response="ScrapingLogPage",
    query=LogsQuery,
)
def scraping_logs(query: LogsQuery) -> res.ScrapingLogPage:
    """Scraping logs of one tracker or all, optionally of one status and error category."""
    logs, total = deps.use_cases().search_scraping_logs(
        query.tracker_id, query.status, query.page, query.limit, category=query.category
    )
    items = [res.scraping_log(entry) for entry in logs]
    return res.ScrapingLogPage(items, res.admin_pagination(total, query.page, query.limit))


@ROUTES.route(
    "POST",
    "/<id>/refresh",
    summary="Refresh a tracker now (no ownership, no cooldown)",
    response="RefreshResult",
    body=EmptyBody,
    errors=(NotFoundError, ConflictError),
)
def refresh(id: str, body: EmptyBody) -> res.RefreshResult:
    """Queue the tracker at high priority unless a job already has it."""
    outcome = deps.use_cases().refresh_tracker(RefreshTracker(tracker_id=id))
    return refresh_answer(outcome, enqueued_text=ENQUEUED)


@ROUTES.route(
    "POST",
    "/batch-refresh",
    summary="Queue the given trackers, or every pending-or-stale one",
    response="BatchRefreshResult",
    body=BatchRefreshBody,
)
def batch_refresh(body: BatchRefreshBody) -> res.BatchRefreshResult:
    """Mark the trackers PENDING and queue them; the scraping runs as jobs."""
    result = deps.use_cases().refresh_stale(tracker_ids=body.tracker_ids, priority=Priority.DEFAULT)
    return res.BatchRefreshResult(BATCH_STARTED, result.processed, list(result.tracker_ids))
