"""Contract tests of the user endpoints ``/api/trackers``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tests.builders import season
from tests.http.conftest import ADMIN, GUILD, OTHER, STAFF_ROLE, USER, ApiClient, Env, trn
from tracker_core.model import Priority, TrackerSeason, TrackerStatus

OWNER_ONLY = "You can only perform this operation on your own trackers"
READ_DENIED = "You can only view trackers for yourself or members of guilds where you are an admin"
URL_FORMAT = (
    "Invalid tracker URL format. Must be: "
    "https://rocketleague.tracker.network/rocket-league/profile/{platform}/{username}/overview"
)
MISSING = "c" + "z" * 24


def message(response: Any) -> str:
    text: str = response.get_json()["message"]
    return text


def test_register_creates_trackers_and_the_user_from_the_token(env: Env, keys: Any) -> None:
    token = keys.token(USER, username="bob", globalName="Bob", avatar="av", email="b@x.io")
    response = env.client.post(
        "/api/trackers/register",
        headers={"Authorization": f"Bearer {token}"},
        json={"urls": [trn("bob"), trn("bob2", "epic")]},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert [t["platform"] for t in body] == ["STEAM", "EPIC"]
    assert body[0]["url"] == trn("bob")
    assert body[0]["scrapingStatus"] == "PENDING"
    assert body[0]["createdAt"] == "2026-01-01T12:00:00.000Z"
    user = env.uow.committed.users[USER]
    assert (user.username, user.global_name, user.email) == ("bob", "Bob", "b@x.io")
    assert len(env.queue.jobs) == 2


@pytest.mark.parametrize(
    ("urls", "expected"),
    [
        ([], "You must provide between 1 and 4 tracker URLs"),
        ([trn(f"p{i}") for i in range(5)], "You must provide between 1 and 4 tracker URLs"),
        ([trn("dup"), trn("DUP")], "Duplicate URLs are not allowed"),
        (["https://example.com/x"], URL_FORMAT),
        (
            ["https://rocketleague.tracker.network/rocket-league/profile/origin/x/overview"],
            "Unsupported platform: origin. Supported platforms: steam, epic, xbl, psn, switch",
        ),
        (
            ["https://rocketleague.tracker.network/rocket-league/profile/steam/%20/overview"],
            "Invalid username format in tracker URL",
        ),
    ],
)
def test_register_rejects_bad_url_lists(client: ApiClient, urls: list[str], expected: str) -> None:
    response = client.post("/api/trackers/register", as_user=USER, json={"urls": urls})
    assert response.status_code == 400
    assert message(response) == expected


def test_register_honours_tracker_max_per_user(make_env: Callable[..., Env]) -> None:
    env = make_env(tracker_max_per_user=2)
    urls = [trn("a"), trn("b"), trn("c")]
    response = env.client.post("/api/trackers/register", as_user=USER, json={"urls": urls})
    assert response.status_code == 400
    assert message(response) == "You must provide between 1 and 2 tracker URLs"
    ok = env.client.post("/api/trackers/register", as_user=USER, json={"urls": urls[:2]})
    assert ok.status_code == 201


def test_register_twice_is_refused(env: Env) -> None:
    env.register(USER, "one", "two")
    response = env.client.post("/api/trackers/register", as_user=USER, json={"urls": [trn("x")]})
    assert response.status_code == 400
    assert message(response) == (
        "You already have 2 tracker(s) registered. Use /api/trackers/add to add more."
    )


def test_register_someone_elses_url_is_refused(env: Env) -> None:
    env.register(OTHER, "taken")
    response = env.client.post(
        "/api/trackers/register", as_user=USER, json={"urls": [trn("free"), trn("taken")]}
    )
    assert response.status_code == 400
    assert message(response) == (
        f"The following tracker URL(s) have already been registered: {trn('taken')}"
    )
    assert not [t for t in env.uow.committed.trackers.values() if t.user_id == USER]


def test_invalid_request_does_not_create_the_user(env: Env) -> None:
    response = env.client.post("/api/trackers/register", as_user=USER, json={"urls": "x"})
    assert response.status_code == 400
    assert USER not in env.uow.committed.users


def test_add_and_its_limit(env: Env) -> None:
    env.register(USER, "a", "b", "c")
    response = env.client.post("/api/trackers/add", as_user=USER, json={"url": trn("d")})
    assert response.status_code == 201
    assert response.get_json()["username"] == "d"
    response = env.client.post("/api/trackers/add", as_user=USER, json={"url": trn("e")})
    assert response.status_code == 400
    assert message(response) == (
        "You have reached the maximum of 4 trackers. Please remove one before adding another."
    )


def test_add_someone_elses_url_is_refused(env: Env) -> None:
    env.register(OTHER, "theirs")
    response = env.client.post("/api/trackers/add", as_user=USER, json={"url": trn("theirs")})
    assert response.status_code == 400
    assert message(response) == "This tracker URL has already been registered with another user."


def test_re_adding_a_deleted_tracker_restores_it(env: Env) -> None:
    tracker = env.register(USER, "again")[0]
    assert env.client.delete(f"/api/trackers/{tracker['id']}", as_user=USER).status_code == 200
    response = env.client.post("/api/trackers/add", as_user=USER, json={"url": trn("again")})
    assert response.status_code == 201
    assert response.get_json()["id"] == tracker["id"]


def test_me_lists_own_trackers_paged(env: Env) -> None:
    env.register(USER, "a", "b", "c")
    env.register(OTHER, "z")
    response = env.client.get("/api/trackers/me?limit=2&page=2&sortOrder=asc", as_user=USER)
    assert response.status_code == 200
    body = response.get_json()
    assert body["pagination"] == {"page": 2, "limit": 2, "total": 3, "pages": 2}
    assert [t["username"] for t in body["data"]] == ["c"]


def test_lists_filter_by_status_platform_and_active(env: Env) -> None:
    ids = [t["id"] for t in env.register(USER, "a", "b")]
    env.uow.committed.trackers[ids[1]].scraping_status = TrackerStatus.FAILED
    env.uow.committed.trackers[ids[0]].is_active = False
    query = "status=FAILED,COMPLETED&platform=STEAM&isActive=true"
    body = env.client.get(f"/api/trackers/me?{query}", as_user=USER).get_json()
    assert [t["id"] for t in body["data"]] == [ids[1]]
    body = env.client.get("/api/trackers?isActive=0", as_user=USER).get_json()
    assert [t["id"] for t in body["data"]] == [ids[0]]


def test_empty_list_is_200(client: ApiClient) -> None:
    response = client.get("/api/trackers", as_user=USER)
    assert response.status_code == 200
    assert response.get_json() == {
        "data": [],
        "pagination": {"page": 1, "limit": 50, "total": 0, "pages": 0},
    }


def test_guild_listing_for_guild_admins(env: Env) -> None:
    env.add_guild(GUILD, {USER: (STAFF_ROLE,), OTHER: ()})
    env.register(OTHER, "member")
    body = env.client.get(f"/api/trackers?guildId={GUILD}", as_user=USER).get_json()
    assert [t["username"] for t in body["data"]] == ["member"]
    response = env.client.get(f"/api/trackers?guildId={GUILD}", as_user=OTHER)
    assert response.status_code == 403
    assert message(response) == READ_DENIED
    assert env.client.get(f"/api/trackers?guildId={GUILD}", as_user=ADMIN).status_code == 200


def test_guild_listing_of_unknown_guild_is_404(client: ApiClient) -> None:
    response = client.get(f"/api/trackers?guildId={GUILD}", as_user=ADMIN)
    assert response.status_code == 404
    assert message(response) == f"Guild {GUILD} not found"


def test_user_listing_follows_the_read_rule(env: Env) -> None:
    env.register(OTHER, "other")
    response = env.client.get(f"/api/trackers/user/{OTHER}", as_user=USER)
    assert response.status_code == 403
    assert message(response) == READ_DENIED
    env.add_guild(GUILD, {USER: (STAFF_ROLE,), OTHER: ()})
    body = env.client.get(f"/api/trackers/user/{OTHER}", as_user=USER).get_json()
    assert [t["username"] for t in body["data"]] == ["other"]
    assert env.client.get(f"/api/trackers/user/{OTHER}", as_user=OTHER).status_code == 200


def test_user_listing_needs_a_snowflake(client: ApiClient) -> None:
    response = client.get("/api/trackers/user/bob", as_user=USER)
    assert response.status_code == 400
    assert message(response) == "User ID must be a valid Discord snowflake ID (17-20 digits)"


def _with_season(env: Env, tracker_id: str) -> None:
    now = env.clock.now()
    env.uow.committed.seasons[(tracker_id, 34)] = TrackerSeason(
        id="c" + "s" * 24,
        tracker_id=tracker_id,
        stats=season(34, twos=(1500, 100)),
        scraped_at=now,
        created_at=now,
        updated_at=now,
    )


def test_show_embeds_user_snapshots_and_seasons(env: Env) -> None:
    tracker_id = env.register(USER)[0]["id"]
    _with_season(env, tracker_id)
    snap = {"twos": 1500, "twosGamesPlayed": 100, "seasonNumber": 34}
    assert env.client.post(f"/api/trackers/{tracker_id}/snapshots", as_user=USER, json=snap)
    body = env.client.get(f"/api/trackers/{tracker_id}", as_user=USER).get_json()
    assert set(body["user"]) == {"id", "username", "globalName", "avatar"}
    assert body["snapshots"][0]["twos"] == 1500
    assert body["seasons"][0]["playlist2v2"]["rating"] == 1500
    assert body["seasons"][0]["playlist1v1"] is None


def test_detail_status_seasons_and_snapshots(env: Env) -> None:
    tracker_id = env.register(USER)[0]["id"]
    _with_season(env, tracker_id)
    base = f"/api/trackers/{tracker_id}"
    detail = env.client.get(f"{base}/detail", as_user=USER).get_json()
    assert detail["tracker"]["id"] == tracker_id
    assert [s["seasonNumber"] for s in detail["seasons"]] == [34]
    status = env.client.get(f"{base}/status", as_user=USER).get_json()
    assert status == {
        "status": "PENDING",
        "error": None,
        "errorCategory": None,
        "lastScrapedAt": None,
        "attempts": 0,
        "nextAttemptAt": None,
    }
    assert len(env.client.get(f"{base}/seasons", as_user=USER).get_json()) == 1
    for number in (33, 34):
        env.client.post(f"{base}/snapshots", as_user=USER, json={"ones": 1, "seasonNumber": number})
    assert len(env.client.get(f"{base}/snapshots", as_user=USER).get_json()) == 2
    only = env.client.get(f"{base}/snapshots?season=33", as_user=USER).get_json()
    assert [s["seasonNumber"] for s in only] == [33]


@pytest.mark.parametrize("suffix", ["", "/detail", "/status", "/seasons", "/snapshots"])
def test_reads_of_unknown_or_foreign_trackers(env: Env, suffix: str) -> None:
    tracker_id = env.register(OTHER)[0]["id"]
    response = env.client.get(f"/api/trackers/{MISSING}{suffix}", as_user=USER)
    assert (response.status_code, message(response)) == (404, "Tracker not found")
    response = env.client.get(f"/api/trackers/{tracker_id}{suffix}", as_user=USER)
    assert (response.status_code, message(response)) == (403, READ_DENIED)
    assert env.client.get(f"/api/trackers/{tracker_id}{suffix}", as_user=ADMIN).status_code == 200


def test_manual_snapshot_rules(env: Env) -> None:
    tracker_id = env.register(USER)[0]["id"]
    path = f"/api/trackers/{tracker_id}/snapshots"
    created = env.client.post(path, as_user=USER, json={"threes": 1200})
    assert created.status_code == 201
    assert (created.get_json()["source"], created.get_json()["enteredBy"]) == ("MANUAL", USER)
    response = env.client.post(path, as_user=USER, json={})
    assert (response.status_code, message(response)) == (400, "At least one rating is required")
    response = env.client.post(path, as_user=OTHER, json={"ones": 1})
    assert (response.status_code, message(response)) == (403, OWNER_ONLY)
    env.client.delete(f"/api/trackers/{tracker_id}", as_user=USER)
    response = env.client.post(path, as_user=USER, json={"ones": 1})
    assert (response.status_code, message(response)) == (
        400,
        "Cannot create snapshot for deleted tracker",
    )
    response = env.client.post(f"/api/trackers/{MISSING}/snapshots", as_user=USER, json={"ones": 1})
    assert response.status_code == 404


def test_refresh_enqueues_at_high_priority_then_cools_down(env: Env) -> None:
    tracker_id = env.register(USER)[0]["id"]
    path = f"/api/trackers/{tracker_id}/refresh"
    queued = env.client.post(path, as_user=USER)
    assert queued.status_code == 201
    assert queued.get_json() == {
        "message": "Tracker is already queued for refresh",
        "trackerId": tracker_id,
        "status": "PENDING",
    }
    env.queue.jobs.clear()
    response = env.client.post(path, as_user=USER)
    assert response.get_json()["message"] == "Refresh job enqueued successfully"
    assert env.queue.jobs[tracker_id][0] == Priority.HIGH
    env.queue.jobs.clear()
    env.clock.advance(seconds=10)
    response = env.client.post(path, as_user=USER)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "290"
    assert message(response) == "Please wait 290 seconds before refreshing this tracker again"


def test_refresh_inside_the_cache_window_answers_from_storage(env: Env) -> None:
    tracker_id = env.register(USER)[0]["id"]
    env.queue.jobs.clear()
    tracker = env.uow.committed.trackers[tracker_id]
    tracker.scraping_status = TrackerStatus.COMPLETED
    tracker.last_scraped_at = env.clock.now()
    tracker.source_expires_at = env.clock.now() + timedelta(minutes=20)
    path = f"/api/trackers/{tracker_id}/refresh"
    assert env.client.post(path, as_user=USER).status_code == 429  # the cooldown comes first
    env.clock.advance(minutes=6)
    response = env.client.post(path, as_user=USER)
    assert response.status_code == 201
    body = response.get_json()
    assert body["message"].startswith("Tracker data is fresh: served from storage")
    assert (body["status"], body["freshUntil"]) == ("COMPLETED", "2026-01-01T12:20:00.000Z")
    assert env.queue.jobs == {}
    assert env.uow.committed.trackers[tracker_id].scraping_status == TrackerStatus.COMPLETED


def test_refresh_of_foreign_or_unknown_tracker(env: Env) -> None:
    tracker_id = env.register(OTHER)[0]["id"]
    response = env.client.post(f"/api/trackers/{tracker_id}/refresh", as_user=USER)
    assert (response.status_code, message(response)) == (403, OWNER_ONLY)
    response = env.client.post(f"/api/trackers/{MISSING}/refresh", as_user=USER)
    assert (response.status_code, message(response)) == (404, "Tracker not found")


def test_update_by_owner_only(env: Env) -> None:
    tracker_id = env.register(USER)[0]["id"]
    path = f"/api/trackers/{tracker_id}"
    response = env.client.put(path, as_user=USER, json={"displayName": "Main", "isActive": False})
    assert response.status_code == 200
    assert (response.get_json()["displayName"], response.get_json()["isActive"]) == ("Main", False)
    response = env.client.put(path, as_user=OTHER, json={"displayName": "Mine"})
    assert (response.status_code, message(response)) == (403, OWNER_ONLY)
    response = env.client.put(f"/api/trackers/{MISSING}", as_user=USER, json={})
    assert response.status_code == 404


def test_delete_is_soft_and_owner_only(env: Env) -> None:
    tracker_id = env.register(USER)[0]["id"]
    path = f"/api/trackers/{tracker_id}"
    response = env.client.delete(path, as_user=OTHER)
    assert (response.status_code, message(response)) == (403, OWNER_ONLY)
    response = env.client.delete(path, as_user=USER)
    assert response.status_code == 200
    assert response.get_json() == {"message": "Tracker deleted successfully", "id": tracker_id}
    assert env.uow.committed.trackers[tracker_id].is_deleted
    assert env.client.get(path, as_user=USER).status_code == 404
    assert env.client.delete(path, as_user=USER).status_code == 404
    assert env.client.get("/api/trackers/me", as_user=USER).get_json()["data"] == []
