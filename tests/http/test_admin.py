"""Contract tests of the admin endpoints ``/api/admin/trackers``."""

from __future__ import annotations

from datetime import timedelta

from entrypoints.http.trackers import FROM_STORAGE
from tests.http.conftest import ADMIN, OTHER, USER, ApiClient, Env
from tracker_core.model import Priority, ScrapingLog, TrackerStatus

BASE = "/api/admin/trackers"
MISSING = "c" + "z" * 24


def test_lists_every_tracker_with_total_pages(env: Env) -> None:
    env.register(USER, "a", "b")
    env.register(OTHER, "c")
    body = env.client.get(f"{BASE}?limit=2", as_user=ADMIN).get_json()
    assert body["pagination"] == {"page": 1, "limit": 2, "total": 3, "pages": 2, "totalPages": 2}
    failed = env.client.get(f"{BASE}?status=FAILED&platform=STEAM", as_user=ADMIN).get_json()
    assert failed["data"] == []


def test_non_admins_are_refused_everywhere(env: Env) -> None:
    tracker_id = env.register(USER)[0]["id"]
    for method, path in [
        ("GET", BASE),
        ("GET", f"{BASE}/scraping-status"),
        ("GET", f"{BASE}/scraping-logs"),
        ("POST", f"{BASE}/{tracker_id}/refresh"),
        ("POST", f"{BASE}/batch-refresh"),
    ]:
        assert env.client.call(method, path, as_user=USER).status_code == 403
        assert env.client.call(method, path).status_code == 401


def test_scraping_status_counts_queue_and_eta(env: Env) -> None:
    ids = [t["id"] for t in env.register(USER, "a", "b")]
    env.uow.committed.trackers[ids[0]].scraping_status = TrackerStatus.COMPLETED
    body = env.client.get(f"{BASE}/scraping-status", as_user=ADMIN).get_json()
    assert body == {
        "total": 2,
        "byStatus": {"PENDING": 1, "IN_PROGRESS": 0, "COMPLETED": 1, "FAILED": 0},
        "queueDepth": 2,
        "etaMinutes": 0.1,  # the PENDING tracker's first scrape: 1 + 3 requests at 60/min
    }


def test_the_eta_divides_by_the_budgets_current_rate(env: Env) -> None:
    """After a 429 the budget grants fewer requests for a while: the ETA says so."""
    env.register(USER, "a", "b", "c")
    env.register(OTHER, "d", "e", "f")  # 6 first scrapes: 24 requests
    path = f"{BASE}/scraping-status"
    assert env.client.get(path, as_user=ADMIN).get_json()["etaMinutes"] == 0.4  # at 60/min
    budget = env.container.budget()
    budget.pause(0.001)  # tracker.gg answered 429
    rate = budget.effective_rate()
    assert rate < 60
    eta = env.client.get(path, as_user=ADMIN).get_json()["etaMinutes"]
    assert eta == round(24 / int(rate), 1) and eta > 0.4


def test_scraping_logs_filter_and_page(env: Env) -> None:
    tracker_id = env.register(USER)[0]["id"]
    now = env.clock.now()
    for n, status in enumerate(["SUCCESS", "FAILED", "SUCCESS"]):
        env.uow.committed.scraping_logs.append(
            ScrapingLog(
                id=f"c{n:024d}",
                tracker_id=tracker_id,
                status=status,  # type: ignore[arg-type]
                seasons_scraped=1,
                seasons_failed=0,
                error_message=None,
                error_category=None,
                started_at=now,
                completed_at=now + timedelta(seconds=2),
                metadata={"durationMs": 2000},
            )
        )
    body = env.client.get(
        f"{BASE}/scraping-logs?trackerId={tracker_id}&status=SUCCESS&limit=1", as_user=ADMIN
    ).get_json()
    assert body["pagination"]["total"] == 2
    assert body["data"][0]["metadata"] == {"durationMs": 2000}
    response = env.client.get(f"{BASE}/scraping-logs?trackerId=nope", as_user=ADMIN)
    assert response.status_code == 400
    assert response.get_json()["message"] == "Invalid CUID format: nope"


def test_scraping_logs_filter_by_error_category(env: Env) -> None:
    tracker_id = env.register(USER)[0]["id"]
    now = env.clock.now()
    for n, category in enumerate(["not_found", "challenge", "challenge", None]):
        env.uow.committed.scraping_logs.append(
            ScrapingLog(
                id=f"c{n:024d}",
                tracker_id=tracker_id,
                status="SUCCESS" if category is None else "FAILED",
                seasons_scraped=0 if category else 1,
                seasons_failed=1 if category else 0,
                error_message=category,
                error_category=category,
                started_at=now,
                completed_at=now,
            )
        )
    body = env.client.get(f"{BASE}/scraping-logs?category=challenge", as_user=ADMIN).get_json()
    assert body["pagination"]["total"] == 2
    assert {item["errorCategory"] for item in body["data"]} == {"challenge"}
    response = env.client.get(f"{BASE}/scraping-logs?category=cloudflare", as_user=ADMIN)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("category must be one of not_found")


def test_admin_refresh_ignores_ownership_and_cooldown(env: Env) -> None:
    tracker_id = env.register(USER)[0]["id"]
    env.queue.jobs.clear()
    for _ in range(2):
        response = env.client.post(f"{BASE}/{tracker_id}/refresh", as_user=ADMIN)
        assert response.status_code == 201
        assert response.get_json()["message"] == "Refresh job enqueued successfully"
        env.queue.jobs.clear()
    assert env.queue.history[-1] == (tracker_id, Priority.HIGH)
    response = env.client.post(f"{BASE}/{MISSING}/refresh", as_user=ADMIN)
    assert (response.status_code, response.get_json()["message"]) == (404, "Tracker not found")


def test_admin_refresh_inside_the_cache_window_answers_from_storage(env: Env) -> None:
    tracker_id = env.register(USER)[0]["id"]
    env.queue.jobs.clear()
    tracker = env.uow.committed.trackers[tracker_id]
    tracker.scraping_status = TrackerStatus.COMPLETED
    tracker.last_scraped_at = env.clock.now()
    tracker.source_expires_at = env.clock.now() + timedelta(minutes=4)
    response = env.client.post(f"{BASE}/{tracker_id}/refresh", as_user=ADMIN)
    assert response.status_code == 201
    assert FROM_STORAGE.startswith("Tracker data is fresh: served from storage")
    assert response.get_json() == {
        "message": FROM_STORAGE,
        "trackerId": tracker_id,
        "status": "COMPLETED",
        "freshUntil": "2026-01-01T12:04:00.000Z",
    }
    assert env.queue.jobs == {}
    env.clock.advance(minutes=4)
    response = env.client.post(f"{BASE}/{tracker_id}/refresh", as_user=ADMIN)
    assert response.get_json()["message"] == "Refresh job enqueued successfully"
    assert env.queue.jobs[tracker_id][0] == Priority.HIGH


def test_batch_refresh_of_given_ids_or_all_stale(env: Env) -> None:
    ids = [t["id"] for t in env.register(USER, "a", "b")]
    env.queue.jobs.clear()
    response = env.client.post(
        f"{BASE}/batch-refresh", as_user=ADMIN, json={"trackerIds": [ids[0], MISSING]}
    )
    assert response.status_code == 201
    assert response.get_json() == {
        "message": "Batch refresh enqueued",
        "processed": 1,
        "trackers": [ids[0]],
    }
    everything = env.client.post(f"{BASE}/batch-refresh", as_user=ADMIN).get_json()
    assert sorted(everything["trackers"]) == sorted(ids)


def test_batch_refresh_validates_ids(client: ApiClient) -> None:
    response = client.post(f"{BASE}/batch-refresh", as_user=ADMIN, json={"trackerIds": ["x"]})
    assert response.status_code == 400
    assert response.get_json()["message"] == "Invalid CUID format: x"
    assert response.get_json()["errors"] == [
        {"field": "trackerIds[0]", "message": "Invalid CUID format: x"}
    ]
