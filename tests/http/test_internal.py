"""Contract tests of the bot endpoints for trackers, processing and schedules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.http.conftest import (
    GUILD,
    INTERACTION_TOKEN,
    OTHER,
    USER,
    ApiClient,
    Env,
    trn,
)
from tracker_core.guilds import GuildSettings
from tracker_core.model import TrackerStatus

GUILD_ID_MESSAGE = "Guild ID must be a valid Discord snowflake ID (17-20 digits)"
MISSING = "c" + "z" * 24


def test_register_multiple_stores_the_token_but_never_returns_it(env: Env) -> None:
    response = env.client.post(
        "/internal/trackers/register-multiple",
        bot=True,
        json={
            "userId": USER,
            "urls": [trn("bot1"), trn("bot2", "psn")],
            "userData": {"username": "bob", "globalName": "Bobby"},
            "channelId": "555555555555555555",
            "interactionToken": INTERACTION_TOKEN,
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    assert [t["registrationChannelId"] for t in body] == ["555555555555555555"] * 2
    stored = env.uow.committed.trackers[body[0]["id"]]
    assert stored.registration_interaction_token == INTERACTION_TOKEN
    assert env.uow.committed.users[USER].global_name == "Bobby"
    for path in (f"/api/trackers/{body[0]['id']}", "/api/trackers/me"):
        assert env.client.get(path, as_user=USER).status_code == 200


def test_register_multiple_errors(env: Env) -> None:
    env.register(OTHER, "taken")
    response = env.client.post(
        "/internal/trackers/register-multiple",
        bot=True,
        json={"userId": USER, "urls": [trn("taken")], "interactionToken": INTERACTION_TOKEN},
    )
    assert response.status_code == 400
    assert response.get_json()["message"] == (
        f"The following tracker URL(s) have already been registered: {trn('taken')}"
    )
    response = env.client.post(
        "/internal/trackers/register-multiple", bot=True, json={"userId": "bob", "urls": []}
    )
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {
            "field": "userId",
            "message": "User ID must be a valid Discord snowflake ID (17-20 digits)",
        }
    ]


def test_add_for_a_user(env: Env) -> None:
    body = {"userId": USER, "url": trn("solo"), "interactionToken": INTERACTION_TOKEN}
    response = env.client.post("/internal/trackers/add", bot=True, json=body)
    assert response.status_code == 201
    assert response.get_json()["userId"] == USER
    again = env.client.post("/internal/trackers/add", bot=True, json=body)
    assert again.status_code == 400
    assert again.get_json()["message"] == "You have already registered this tracker URL."


def test_process_pending_respects_the_guard(env: Env) -> None:
    ids = [t["id"] for t in env.register(USER, "a")] + [t["id"] for t in env.register(OTHER)]
    env.add_guild(GUILD, {OTHER: ()})
    env.uow.committed.settings[GUILD] = GuildSettings(tracker_processing_enabled=False)
    response = env.client.post("/internal/trackers/process-pending", bot=True)
    assert response.status_code == 201
    assert response.get_json() == {"processed": 1, "trackers": [ids[0]]}
    assert env.uow.committed.trackers[ids[1]].scraping_status == TrackerStatus.FAILED


def test_process_pending_rejects_a_body_with_fields(client: ApiClient) -> None:
    response = client.post("/internal/trackers/process-pending", bot=True, json={"x": 1})
    assert response.status_code == 400
    assert response.get_json()["errors"] == [{"field": "x", "message": "is not allowed"}]


def test_process_guild(env: Env) -> None:
    env.add_guild(GUILD, {USER: ()})
    ids = [t["id"] for t in env.register(USER, "a")]
    response = env.client.post("/internal/trackers/process", bot=True, json={"guildId": GUILD})
    assert response.status_code == 201
    assert response.get_json() == {"processed": 1, "trackers": ids}


@pytest.mark.parametrize("guild_id", ["123", "1234567890123456789012", "abcdefghijklmnopqr"])
def test_process_guild_needs_a_snowflake(client: ApiClient, guild_id: str) -> None:
    response = client.post("/internal/trackers/process", bot=True, json={"guildId": guild_id})
    assert response.status_code == 400
    assert response.get_json()["message"] == GUILD_ID_MESSAGE


def test_process_unknown_guild_is_404(client: ApiClient) -> None:
    response = client.post("/internal/trackers/process", bot=True, json={"guildId": GUILD})
    assert (response.status_code, response.get_json()["message"]) == (
        404,
        f"Guild {GUILD} not found",
    )


def _schedule(client: ApiClient, when: str, **extra: object) -> dict[str, object]:
    body = {"guildId": GUILD, "scheduledAt": when, "createdBy": USER, **extra}
    response = client.post("/internal/trackers/schedule", bot=True, json=body)
    assert response.status_code == 201, response.get_json()
    created: dict[str, object] = response.get_json()
    return created


def test_schedule_lifecycle(env: Env) -> None:
    env.add_guild(GUILD)
    first = _schedule(env.client, "2026-02-01T00:00:00", metadata={"season": 20})
    assert first["scheduledAt"] == "2026-02-01T00:00:00.000Z"
    assert (first["status"], first["metadata"], first["result"]) == (
        "PENDING",
        {"season": 20},
        None,
    )
    second = _schedule(env.client, "2026-01-15T10:00:00+02:00")
    assert second["scheduledAt"] == "2026-01-15T08:00:00.000Z"
    listed = env.client.get(f"/internal/trackers/schedule/guild/{GUILD}", bot=True).get_json()
    assert [s["id"] for s in listed] == [second["id"], first["id"]]
    cancel = f"/internal/trackers/schedule/{second['id']}/cancel"
    response = env.client.post(cancel, bot=True)
    assert (response.status_code, response.get_json()["status"]) == (201, "CANCELLED")
    response = env.client.post(cancel, bot=True)
    assert (response.status_code, response.get_json()["message"]) == (
        400,
        "Cannot cancel schedule with status CANCELLED",
    )
    only = env.client.get(
        f"/internal/trackers/schedule/guild/{GUILD}?status=CANCELLED", bot=True
    ).get_json()
    assert [s["id"] for s in only] == [second["id"]]


def test_schedule_list_can_drop_completed(env: Env) -> None:
    env.add_guild(GUILD)
    done = _schedule(env.client, "2026-02-01T00:00:00Z")
    env.uow.committed.schedules[str(done["id"])].status = "COMPLETED"  # type: ignore[assignment]
    path = f"/internal/trackers/schedule/guild/{GUILD}"
    assert len(env.client.get(path, bot=True).get_json()) == 1
    assert env.client.get(f"{path}?includeCompleted=false", bot=True).get_json() == []
    response = env.client.get(f"{path}?includeCompleted=no", bot=True)
    assert response.status_code == 400


def test_schedule_errors(env: Env) -> None:
    response = env.client.post(
        "/internal/trackers/schedule",
        bot=True,
        json={"guildId": GUILD, "scheduledAt": "2030-01-01T00:00:00Z", "createdBy": USER},
    )
    assert (response.status_code, response.get_json()["message"]) == (
        404,
        f"Guild {GUILD} not found",
    )
    env.add_guild(GUILD)
    past = (env.clock.now() - timedelta(minutes=1)).isoformat()
    response = env.client.post(
        "/internal/trackers/schedule",
        bot=True,
        json={"guildId": GUILD, "scheduledAt": past, "createdBy": USER},
    )
    assert (response.status_code, response.get_json()["message"]) == (
        400,
        "Scheduled date must be in the future",
    )
    response = env.client.post(
        "/internal/trackers/schedule",
        bot=True,
        json={"guildId": GUILD, "scheduledAt": "tomorrow", "createdBy": USER},
    )
    assert response.get_json()["errors"] == [
        {"field": "scheduledAt", "message": "must be an ISO 8601 date-time string"}
    ]


def test_cancel_unknown_or_malformed_schedule(client: ApiClient) -> None:
    response = client.post(f"/internal/trackers/schedule/{MISSING}/cancel", bot=True)
    assert (response.status_code, response.get_json()["message"]) == (
        404,
        f"Schedule {MISSING} not found",
    )
    response = client.post("/internal/trackers/schedule/42/cancel", bot=True)
    assert (response.status_code, response.get_json()["message"]) == (
        400,
        "Invalid CUID format: 42",
    )


def test_internal_health(client: ApiClient) -> None:
    body = client.get("/internal/health", bot=True).get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"status": "up"}
