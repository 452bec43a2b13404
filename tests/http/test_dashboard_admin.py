"""The system admin page: lanes, budget use, the true drain estimate, failures by category over
every failure, and the scraping-log browser."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.contract import aggregates as a
from tests.http.conftest import ADMIN, OTHER, USER, Env, Keys, body_of, build_env
from tests.http.test_dashboard_pages import html, sign_in
from tracker_core.model import LogStatus, Priority, ScrapingLog, TrackerStatus

RATE = 3


@pytest.fixture
def admin_env(keys: Keys) -> Env:
    env = build_env(keys, trn_rate_limit_per_minute=RATE)
    sign_in(env, keys, ADMIN)
    return env


def _log(
    env: Env,
    n: int,
    *,
    status: LogStatus = "FAILED",
    category: str | None = "not_found",
    ago: timedelta = timedelta(minutes=5),
    scraped: int = 0,
    failed: int = 1,
    tracker_id: str = "c" + "0" * 24,
) -> None:
    at = env.clock.now() - ago
    env.uow.committed.scraping_logs.append(
        ScrapingLog(
            id=f"clog{n:021d}",
            tracker_id=tracker_id,
            status=status,
            seasons_scraped=scraped,
            seasons_failed=failed,
            error_message=None if category is None else f"failed: {category}",
            error_category=category,
            started_at=at,
            completed_at=at,
        )
    )


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_queue_depth_per_lane(admin_env: Env) -> None:
    admin_env.queue.enqueue(["a", "b"], Priority.HIGH)
    admin_env.queue.enqueue(["c"], Priority.LOW)
    page = html(admin_env.client.flask.get("/admin"))
    assert "<dt>Lane high</dt><dd>2</dd>" in page
    assert "<dt>Lane default</dt><dd>0</dd>" in page
    assert "<dt>Lane low</dt><dd>1</dd>" in page


def test_eta_counts_the_requests_of_first_scrapes(admin_env: Env) -> None:
    first = admin_env.register(OTHER, "bob", "bea")
    (again,) = admin_env.register(USER, "alice")
    tracker = admin_env.uow.committed.trackers[again["id"]]
    tracker.last_scraped_at = admin_env.clock.now() - timedelta(days=1)
    with admin_env.uow:  # scraped before: its season is stored, so its next scrape is no first
        admin_env.uow.seasons.upsert(a.season("cseasonalice", again["id"], 34))
        admin_env.uow.commit()
    assert tracker.scraping_status == TrackerStatus.PENDING and len(first) == 2
    # two first scrapes of 1 + 3 initial seasons, one refresh of 1: 9 requests at 3/min
    page = _text(html(admin_env.client.flask.get("/admin")))
    assert "3.0 min: 9 requests at 3/min" in page
    assert "2 first scrapes of 4 requests each" in page
    api = admin_env.client.get("/api/admin/trackers/scraping-status", as_user=ADMIN)
    assert body_of(api)["etaMinutes"] == 3.0 and body_of(api)["queueDepth"] == 3


def test_budget_use_counts_the_last_hour_only(admin_env: Env) -> None:
    _log(admin_env, 1, status="SUCCESS", category=None, scraped=4, failed=0)
    _log(admin_env, 2, status="PARTIAL", category=None, scraped=3, failed=1)
    _log(admin_env, 3)
    _log(admin_env, 4, ago=timedelta(hours=1, seconds=1), scraped=4, failed=0)
    page = _text(html(admin_env.client.flask.get("/admin")))
    assert f"9 of {RATE * 60} requests (5.0 %)" in page


def test_failures_by_category_count_every_failure(admin_env: Env) -> None:
    for n in range(25):
        _log(admin_env, n, ago=timedelta(days=n))
    for n in range(25, 28):
        _log(admin_env, n, category="challenge")
    _log(admin_env, 28, status="SUCCESS", category=None, scraped=1, failed=0)
    page = html(admin_env.client.flask.get("/admin"))
    assert "(28 in all)" in page
    assert re.search(
        r"<strong>not_found</strong></a> 25</li>.*<strong>challenge</strong></a> 3", page
    )
    assert "/admin/logs?status=FAILED&amp;category=challenge" in page


def test_log_browser_pages_and_filters(admin_env: Env) -> None:
    for n in range(55):
        _log(admin_env, n, ago=timedelta(minutes=n + 1))
    for n in range(55, 58):
        _log(admin_env, n, category="challenge", ago=timedelta(seconds=n))
    _log(admin_env, 58, status="SUCCESS", category=None, scraped=4, failed=0)
    client = admin_env.client.flask
    first = html(client.get("/admin/logs"))
    assert "59 logs, page 1 of 2, newest first." in _text(first)
    assert first.count("<tr><td>") == 50 and "Next →" in first
    second = html(client.get("/admin/logs?page=2"))
    assert second.count("<tr><td>") == 9 and "← Previous" in second
    challenged = html(client.get("/admin/logs?status=FAILED&category=challenge"))
    assert "3 logs, newest first." in _text(challenged)
    assert challenged.count("failed: challenge") == 3 and "failed: not_found" not in challenged
    succeeded = _text(html(client.get("/admin/logs?status=SUCCESS")))
    assert "1 log, newest first." in succeeded and "4 scraped" in succeeded
    empty = html(client.get("/admin/logs?category=timeout"))
    assert "Nothing found." in empty


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=BROKEN", "status"), ("category=oops", "category"), ("page=0", "page"),
     ("page=3", "page")],
)  # fmt: skip
def test_log_browser_refuses_bad_filters_naming_the_field(
    admin_env: Env, query: str, field: str
) -> None:
    response = admin_env.client.flask.get(f"/admin/logs?{query}")
    assert response.status_code == 400
    assert f"{field} must be" in html(response)


def test_log_browser_is_for_system_admins(admin_env: Env, keys: Keys) -> None:
    sign_in(admin_env, keys, USER)
    assert admin_env.client.flask.get("/admin/logs").status_code == 403
