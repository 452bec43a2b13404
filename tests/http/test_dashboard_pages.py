"""The dashboard through the Flask test client: pages, sign-in, CSRF, escaping and sizes."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from werkzeug.test import TestResponse

from tests.builders import season as season_stats
from tests.http.conftest import OTHER, USER, Env, Keys, build_env, trn
from tracker_core.model import TrackerSeason, TrackerSnapshot, TrackerStatus
from tracker_core.notifications import Notification

PAGE_BUDGET = 250 * 1024
EVIL = "<script>alert('x')</script>"
FRONTEND = "https://league.example"


def sign_in(env: Env, keys: Keys, user: str = USER, **claims: Any) -> str:
    """Put a user's JWT in the client's auth_token cookie; the token."""
    token = keys.token(user, **claims)
    env.client.flask.set_cookie("auth_token", token)
    return token


def csrf_of(response: TestResponse) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', response.get_data(as_text=True))
    assert found, "no CSRF token on the page"
    return found.group(1)


def html(response: TestResponse) -> str:
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def add_via_form(env: Env, url: str) -> TestResponse:
    client = env.client.flask
    form = client.get("/trackers/new", query_string={"url": url})
    return client.post("/trackers/new", data={"url": url, "csrf_token": csrf_of(form)})


def scraped(env: Env, tracker_id: str, points: int = 3) -> None:
    """A completed tracker with two seasons, ``points`` snapshots and a notification."""
    store = env.uow.committed
    now = env.clock.now()
    tracker = store.trackers[tracker_id]
    tracker.scraping_status = TrackerStatus.COMPLETED
    tracker.last_scraped_at = now - timedelta(minutes=3)
    for number, base in ((34, 1500), (33, 1400)):
        stats = season_stats(number, ones=(base - 300, 50), twos=(base, 100))
        store.seasons[(tracker_id, number)] = TrackerSeason(
            id=f"cseason{number:019d}", tracker_id=tracker_id, stats=stats,
            scraped_at=now, created_at=now, updated_at=now,
        )  # fmt: skip
    for i in range(points):
        at = now - timedelta(days=points - i)
        store.snapshots.append(
            TrackerSnapshot(
                id=f"csnap{i:020d}",
                tracker_id=tracker_id,
                captured_at=at,
                season_number=34,
                ratings={"1v1": 1200 + i, "2v2": 1480 + 10 * i, "3v3": None, "4v4": None},
                games_played={"1v1": 50 + i, "2v2": 90 + i, "3v3": None, "4v4": None},
                source="SCRAPE",
                entered_by=None,
                created_at=at,
            )
        )
    store.notifications["cnote0000000000000000000001"] = Notification(
        id="cnote0000000000000000000001", kind="TRACKER_UPDATE", channel="DISCORD_DM",
        target=tracker.user_id, tracker_id=tracker_id, user_id=tracker.user_id,
        message=f"Tracker updated — 2v2: 1490 → 1500 (+10) {EVIL}", created_at=now,
    )  # fmt: skip


@pytest.fixture
def signed(env: Env, keys: Keys) -> Env:
    sign_in(env, keys, username="alice")
    return env


def own_tracker(env: Env) -> str:
    response = add_via_form(env, trn("alice"))
    assert response.status_code == 303, html(response)
    location = response.headers["Location"]
    return location.rsplit("/", 1)[1]


# --- sign-in ------------------------------------------------------------------------------


def test_signed_out_pages_redirect_to_the_sign_in(env: Env) -> None:
    for path in ("/", "/trackers/new", "/trackers/c000000000000000000000001"):
        response = env.client.flask.get(path)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/sign-in?next=")


def test_login_url_receives_signed_out_users(keys: Keys) -> None:
    env = build_env(keys, login_url="https://league.example/login")
    response = env.client.flask.get("/")
    assert response.status_code == 303
    assert response.headers["Location"] == "https://league.example/login"


def test_demo_sign_in_exists_only_in_the_sandbox(env: Env) -> None:
    client = env.client.flask
    page = client.get("/sign-in")
    assert page.status_code == 401 and "demo" not in html(page).lower()
    refused = client.post("/sign-in", data={"user": "player"})
    assert refused.status_code == 404
    assert "auth_token" not in refused.headers.get("Set-Cookie", "")


def test_sandbox_sign_in_sets_an_httponly_strict_cookie(keys: Keys, tmp_path: Any) -> None:
    from entrypoints.devkeys import ensure_dev_keys

    dev = ensure_dev_keys(tmp_path)
    env = build_env(keys, sandbox=True, data_dir=tmp_path, jwt_public_key=dev.public_pem)
    client = env.client.flask
    assert "Player" in html(client.get("/sign-in"))
    response = client.post("/sign-in", data={"user": "player", "next": "//evil.example/"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("auth_token=") and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "My trackers" in html(client.get("/"))
    unknown = client.post("/sign-in", data={"user": "root"})
    assert unknown.status_code == 400 and "user must be one of" in html(unknown)


def test_an_expired_or_foreign_token_is_signed_out(env: Env, keys: Keys) -> None:
    env.client.flask.set_cookie("auth_token", keys.token(USER, expires_in=-10))
    assert env.client.flask.get("/").status_code == 303
    env.client.flask.set_cookie("auth_token", keys.token(USER, key=keys.stranger))
    assert env.client.flask.get("/").status_code == 303


def test_sign_out_needs_the_csrf_token_and_clears_the_cookie(signed: Env) -> None:
    client = signed.client.flask
    assert client.post("/sign-out").status_code == 403
    response = client.post("/sign-out", data={"csrf_token": csrf_of(client.get("/"))})
    assert response.status_code == 303
    assert "auth_token=;" in response.headers["Set-Cookie"]


# --- player pages ---------------------------------------------------------------------------


def test_empty_list_invites_to_add_a_tracker(signed: Env) -> None:
    page = html(signed.client.flask.get("/"))
    assert "You have no trackers yet" in page and 'href="/trackers/new"' in page


def test_add_form_shows_the_canonical_url_or_the_reason(signed: Env) -> None:
    client = signed.client.flask
    messy = "https://tracker.gg/rocket-league/profile/Steam/alice/matches?x=1"
    page = html(client.get("/trackers/new", query_string={"url": messy}))
    assert "https://rocketleague.tracker.network/rocket-league/profile/steam/alice/overview" in page
    bad = html(client.get("/trackers/preview", query_string={"url": "https://example.com/x"}))
    assert 'class="error"' in bad and "Will track" not in bad
    too_long = client.get("/trackers/new", query_string={"url": "x" * 3000})
    assert too_long.status_code == 400 and "url must be at most" in html(too_long)


def test_add_registers_then_adds_and_lists_with_status(signed: Env) -> None:
    first = own_tracker(signed)
    second = add_via_form(signed, trn("alice2", "epic"))
    assert second.status_code == 303
    page = html(signed.client.flask.get("/"))
    assert "2 of 4 trackers" in page
    assert page.count("badge-pending") == 2 and f"/trackers/{first}" in page
    assert len(signed.uow.committed.trackers) == 2


def test_add_refuses_a_bad_url_on_the_form(signed: Env) -> None:
    client = signed.client.flask
    form = client.get("/trackers/new")
    response = client.post(
        "/trackers/new", data={"url": "https://example.com/nope", "csrf_token": csrf_of(form)}
    )
    assert response.status_code == 400
    assert 'role="alert"' in html(response) or 'class="error"' in html(response)
    assert not signed.uow.committed.trackers


def test_add_refuses_without_csrf_token_or_from_another_origin(signed: Env) -> None:
    client = signed.client.flask
    token = csrf_of(client.get("/trackers/new"))
    assert client.post("/trackers/new", data={"url": trn("a")}).status_code == 403
    wrong = client.post("/trackers/new", data={"url": trn("a"), "csrf_token": "0" * 64})
    assert wrong.status_code == 403
    foreign = client.post(
        "/trackers/new",
        data={"url": trn("a"), "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    assert not signed.uow.committed.trackers


def test_detail_shows_season_charts_history_and_changes(signed: Env) -> None:
    tracker_id = own_tracker(signed)
    scraped(signed, tracker_id, points=3)
    page = html(signed.client.flask.get(f"/trackers/{tracker_id}"))
    assert "badge-completed" in page and "3 min ago" in page
    assert 'title="2026-01-01 11:57:00 UTC"' in page
    assert "Current season: Season 34" in page and "Season 33" in page
    assert page.count("<svg") == 2  # 1v1 and 2v2 have ratings; 3v3 and 4v4 none
    assert page.count('<circle class="dot"') == 6
    assert "<td>1500</td>" in page  # exact value in the table fallback
    assert "2025-12-29 12:00:00 UTC: 1480 (90 games)" in page  # hover title
    assert "Tracker updated — 2v2: 1490 → 1500 (+10)" in page


def test_user_text_is_escaped(signed: Env) -> None:
    tracker_id = own_tracker(signed)
    scraped(signed, tracker_id)
    signed.uow.committed.trackers[tracker_id].display_name = EVIL
    signed.uow.committed.trackers[tracker_id].scraping_error = EVIL
    for path in ("/", f"/trackers/{tracker_id}"):
        page = html(signed.client.flask.get(path))
        assert EVIL not in page
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    preview = html(signed.client.flask.get("/trackers/new", query_string={"url": EVIL}))
    assert EVIL not in preview


def test_another_users_tracker_is_forbidden(signed: Env, keys: Keys) -> None:
    tracker_id = own_tracker(signed)
    sign_in(signed, keys, OTHER)
    response = signed.client.flask.get(f"/trackers/{tracker_id}")
    assert response.status_code == 403 and "You can only view trackers" in html(response)
    missing = signed.client.flask.get("/trackers/c999999999999999999999999")
    assert missing.status_code == 404


def test_refresh_button_queues_then_shows_the_cooldown(signed: Env) -> None:
    tracker_id = own_tracker(signed)
    scraped(signed, tracker_id)
    signed.queue.jobs.clear()
    client = signed.client.flask
    soon = html(client.get("/"))
    assert 'data-cooldown="120"' in soon  # scraped 3 min ago, cooldown 5 min
    signed.clock.advance(minutes=10)
    page = client.get(f"/trackers/{tracker_id}")
    assert ">Refresh</button>" in html(page)
    done = client.post(f"/trackers/{tracker_id}/refresh", data={"csrf_token": csrf_of(page)})
    assert done.status_code == 303
    assert signed.queue.jobs
    tracker = signed.uow.committed.trackers[tracker_id]
    tracker.scraping_status = TrackerStatus.COMPLETED
    signed.queue.jobs.clear()
    signed.clock.advance(seconds=60)
    later = html(client.get("/"))
    assert 'data-cooldown="240"' in later and "Refresh in <span" in later
    again = client.post(f"/trackers/{tracker_id}/refresh", data={"csrf_token": csrf_of(page)})
    assert again.status_code == 429 and again.headers["Retry-After"] == "240"
    assert "Please wait 240 seconds" in html(again)


def test_refresh_inside_the_cache_window_says_it_was_answered_from_storage(signed: Env) -> None:
    tracker_id = own_tracker(signed)
    scraped(signed, tracker_id)
    signed.clock.advance(minutes=10)  # past the cooldown
    tracker = signed.uow.committed.trackers[tracker_id]
    tracker.scraping_status = TrackerStatus.COMPLETED
    tracker.source_expires_at = signed.clock.now() + timedelta(minutes=3)
    signed.queue.jobs.clear()
    client = signed.client.flask
    page = client.get(f"/trackers/{tracker_id}")
    assert "answered from storage" not in html(page)
    done = client.post(f"/trackers/{tracker_id}/refresh", data={"csrf_token": csrf_of(page)})
    assert done.status_code == 303 and done.headers["Location"].endswith("?fresh=1")
    assert not signed.queue.jobs
    shown = html(client.get(done.headers["Location"]))
    assert "the refresh was answered from storage" in shown
    signed.clock.advance(minutes=3)  # the window is over: a refresh is queued again
    again = client.post(f"/trackers/{tracker_id}/refresh", data={"csrf_token": csrf_of(page)})
    assert again.status_code == 303 and "fresh" not in again.headers["Location"]
    assert signed.queue.jobs


def test_pages_fit_the_budget_and_carry_security_headers(signed: Env) -> None:
    tracker_id = own_tracker(signed)
    scraped(signed, tracker_id, points=1000)
    client = signed.client.flask
    for path in ("/", "/trackers/new", f"/trackers/{tracker_id}", "/docs"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert len(response.data) < PAGE_BUDGET, (path, len(response.data))
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    detail = html(client.get(f"/trackers/{tracker_id}"))
    assert "latest 120 of 1000 snapshots" in detail
    for asset in ("dashboard.css", "dashboard.js"):
        response = client.get(f"/static/dashboard/{asset}")
        assert response.status_code == 200 and len(response.data) < 20_000
        response.close()


def test_api_docs_list_every_operation_of_the_document(env: Env) -> None:
    page = html(env.client.flask.get("/docs"))
    document = env.client.flask.get("/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method in item:
            assert f'id="{item[method]["operationId"]}"' in page, (method, path)
    assert 'href="/openapi.json"' in page


# --- CSRF of the cookie-authenticated API ---------------------------------------------------


@pytest.fixture
def api_env(keys: Keys) -> Env:
    return build_env(keys, frontend_url=FRONTEND)


def test_form_encoded_cookie_post_to_the_api_is_refused(api_env: Env, keys: Keys) -> None:
    (tracker,) = api_env.register()
    sign_in(api_env, keys)
    client = api_env.client.flask
    path = f"/api/trackers/{tracker['id']}/refresh"
    for headers in ({"Origin": "https://evil.example"}, {}):
        response = client.post(path, data={}, headers=headers)
        assert response.status_code == 403, headers
        assert "CSRF" in response.get_json()["message"]
    plain = client.post(path, data="", content_type="text/plain")
    assert plain.status_code == 403


def test_bodiless_cookie_post_from_the_dashboard_origin_passes(api_env: Env, keys: Keys) -> None:
    """The league's dashboard POSTs without a body (its settings reset): its Origin vouches."""
    (tracker,) = api_env.register()
    sign_in(api_env, keys)
    client = api_env.client.flask
    path = f"/api/trackers/{tracker['id']}/refresh"
    evil = client.post(path, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    referer = client.post(path, headers={"Referer": "https://evil.example/page"})
    assert referer.status_code == 403
    league = client.post(path, headers={"Origin": FRONTEND})
    assert league.status_code != 403, league.get_json()


def test_json_cookie_requests_from_allowed_origins_keep_working(api_env: Env, keys: Keys) -> None:
    (tracker,) = api_env.register()
    sign_in(api_env, keys)
    client = api_env.client.flask
    path = f"/api/trackers/{tracker['id']}"
    league = client.put(path, json={"displayName": "From league"}, headers={"Origin": FRONTEND})
    assert league.status_code == 200 and league.get_json()["displayName"] == "From league"
    no_origin = client.put(path, json={"displayName": "Script"})
    assert no_origin.status_code == 200
    evil = client.put(path, json={"displayName": "x"}, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403


def test_csrf_header_or_bearer_token_pass(api_env: Env, keys: Keys) -> None:
    (tracker,) = api_env.register()
    token = sign_in(api_env, keys)
    from entrypoints.http.dashboard.session import csrf_token_for

    client = api_env.client.flask
    path = f"/api/trackers/{tracker['id']}"
    ok = client.put(
        path, json={"displayName": "A"}, headers={"X-CSRF-Token": csrf_token_for(token)}
    )
    assert ok.status_code == 200
    bad = client.put(path, json={"displayName": "B"}, headers={"X-CSRF-Token": "nope"})
    assert bad.status_code == 403
    bearer = api_env.client.put(path, as_user=USER, json={"displayName": "C"})
    assert bearer.status_code == 200
