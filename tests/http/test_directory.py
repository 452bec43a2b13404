"""Contract tests of the bot endpoints for users, guilds, settings, sync and MMR."""

from __future__ import annotations

from tests.http.conftest import (
    GUILD,
    INTERACTION_TOKEN,
    OTHER,
    STAFF_ROLE,
    USER,
    ApiClient,
    Env,
    trn,
)

ADMIN_MEMBER = "666666666666666666"
USER_MESSAGE = "User ID must be a valid Discord snowflake ID (17-20 digits)"


def test_user_crud(client: ApiClient) -> None:
    created = client.post(
        "/internal/users", bot=True, json={"id": USER, "username": "bob", "email": "b@x.io"}
    )
    assert created.status_code == 201
    assert created.get_json()["email"] == "b@x.io"
    assert client.get(f"/internal/users/{USER}", bot=True).get_json()["username"] == "bob"
    patched = client.patch(f"/internal/users/{USER}", bot=True, json={"globalName": "Bobby"})
    assert (patched.get_json()["globalName"], patched.get_json()["username"]) == ("Bobby", "bob")
    listed = client.get("/internal/users?limit=1", bot=True).get_json()
    assert listed["pagination"] == {"page": 1, "limit": 1, "total": 1, "pages": 1}
    deleted = client.delete(f"/internal/users/{USER}", bot=True)
    assert deleted.get_json() == {"message": "User deleted successfully", "id": USER}
    missing = client.get(f"/internal/users/{USER}", bot=True)
    assert (missing.status_code, missing.get_json()["message"]) == (404, f"User {USER} not found")
    for method in ("PATCH", "DELETE"):
        response = client.call(method, f"/internal/users/{USER}", bot=True, json={})
        assert response.status_code == 404


def test_user_ids_must_be_snowflakes(client: ApiClient) -> None:
    response = client.get("/internal/users/bob", bot=True)
    assert (response.status_code, response.get_json()["message"]) == (400, USER_MESSAGE)
    response = client.post("/internal/users", bot=True, json={"id": "bob", "username": "b"})
    assert response.get_json()["message"] == USER_MESSAGE


def test_deleting_a_user_soft_deletes_their_trackers(env: Env) -> None:
    tracker_id = env.register(USER)[0]["id"]
    assert env.client.delete(f"/internal/users/{USER}", bot=True).status_code == 200
    assert env.uow.committed.trackers[tracker_id].is_deleted


def _staff_body(**extra: object) -> dict[str, object]:
    return {
        "staffUserId": ADMIN_MEMBER,
        "guildId": GUILD,
        "userId": USER,
        "urls": [trn("staffed")],
        "interactionToken": INTERACTION_TOKEN,
        **extra,
    }


def test_register_by_staff(env: Env) -> None:
    env.add_guild(GUILD, {ADMIN_MEMBER: (STAFF_ROLE,), USER: ()})
    response = env.client.post(
        "/internal/users/register-by-staff",
        bot=True,
        json=_staff_body(userData={"username": "member"}),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"] == {"id": USER, "username": "member", "globalName": None, "avatar": None}
    assert body["trackers"]["count"] == 1
    assert body["trackers"]["items"][0]["username"] == "staffed"


def test_register_by_staff_refusals(env: Env) -> None:
    path = "/internal/users/register-by-staff"
    response = env.client.post(path, bot=True, json=_staff_body())
    assert (response.status_code, response.get_json()["message"]) == (
        404,
        f"Guild {GUILD} not found",
    )
    env.add_guild(GUILD, {ADMIN_MEMBER: (), OTHER: (STAFF_ROLE,)})
    response = env.client.post(path, bot=True, json=_staff_body())
    assert (response.status_code, response.get_json()["message"]) == (
        403,
        "Only guild admins can register trackers for other users",
    )
    response = env.client.post(path, bot=True, json=_staff_body(staffUserId=OTHER))
    assert (response.status_code, response.get_json()["message"]) == (
        400,
        f"User {USER} is not a member of guild {GUILD}",
    )


def test_guild_crud(client: ApiClient) -> None:
    body = {"id": GUILD, "name": "League", "ownerId": USER}
    created = client.post("/internal/guilds", bot=True, json=body)
    assert created.status_code == 201
    assert created.get_json()["isActive"] is True
    again = client.post("/internal/guilds", bot=True, json=body)
    assert (again.status_code, again.get_json()["message"]) == (
        409,
        f"Guild {GUILD} already exists",
    )
    upserted = client.post("/internal/guilds/upsert", bot=True, json={**body, "name": "Renamed"})
    assert (upserted.status_code, upserted.get_json()["name"]) == (200, "Renamed")
    patched = client.patch(f"/internal/guilds/{GUILD}", bot=True, json={"isActive": False})
    assert patched.get_json()["isActive"] is False
    assert client.get(f"/internal/guilds/{GUILD}", bot=True).get_json()["name"] == "Renamed"
    deleted = client.delete(f"/internal/guilds/{GUILD}", bot=True)
    assert deleted.get_json() == {"message": "Guild deleted successfully", "id": GUILD}
    for method in ("GET", "PATCH", "DELETE"):
        response = client.call(method, f"/internal/guilds/{GUILD}", bot=True, json={})
        assert (response.status_code, response.get_json()["message"]) == (
            404,
            f"Guild {GUILD} not found",
        )


def test_guild_path_needs_a_snowflake(client: ApiClient) -> None:
    response = client.get("/internal/guilds/12", bot=True)
    assert (response.status_code, response.get_json()["message"]) == (
        400,
        "Guild ID must be a valid Discord snowflake ID (17-20 digits)",
    )


def test_settings_defaults_and_merge(env: Env) -> None:
    env.add_guild(GUILD)
    path = f"/internal/guilds/{GUILD}/settings"
    settings = env.client.get(path, bot=True).get_json()
    assert settings["trackerProcessing"] == {"enabled": True}
    assert settings["mmrCalculation"]["algorithm"] == "ASCENDANCY"
    patch = {
        "trackerProcessing": {"enabled": False},
        "mmrCalculation": {"algorithm": "CUSTOM", "customFormula": "twos * 0.5 + threes * 0.5"},
    }
    merged = env.client.patch(path, bot=True, json=patch).get_json()
    assert merged["trackerProcessing"] == {"enabled": False}
    assert merged["roles"] == {"admin": [STAFF_ROLE]}
    assert merged["mmrCalculation"]["customFormula"] == "twos * 0.5 + threes * 0.5"


def test_settings_errors(env: Env) -> None:
    path = f"/internal/guilds/{GUILD}/settings"
    assert env.client.get(path, bot=True).status_code == 404
    env.add_guild(GUILD)
    bad_formula = {"mmrCalculation": {"algorithm": "CUSTOM", "customFormula": "import os"}}
    response = env.client.patch(path, bot=True, json=bad_formula)
    assert response.status_code == 400
    assert response.get_json()["code"] == "INVALID_FORMULA"
    response = env.client.patch(path, bot=True, json={"roles": {"admin": "x"}})
    assert response.get_json()["errors"] == [{"field": "roles.admin", "message": "must be a list"}]
    response = env.client.patch(path, bot=True, json={"other": {}})
    assert response.get_json()["errors"] == [{"field": "other", "message": "is not allowed"}]


def test_sync_replaces_members_and_upserts_users(env: Env) -> None:
    env.add_guild(GUILD, {OTHER: ()})
    members = [
        {"userId": USER, "username": "bob", "roles": [STAFF_ROLE], "nickname": "B"},
        {"userId": ADMIN_MEMBER, "roles": []},
    ]
    response = env.client.post(
        f"/internal/guilds/{GUILD}/sync", bot=True, json={"members": members}
    )
    assert response.status_code == 200
    assert response.get_json()["membersSynced"] == 2
    assert response.get_json()["guild"]["id"] == GUILD
    assert {u for (_, u) in env.uow.committed.members} == {USER, ADMIN_MEMBER}
    assert env.uow.committed.users[USER].username == "bob"
    response = env.client.post(
        f"/internal/guilds/{OTHER}/sync", bot=True, json={"members": members}
    )
    assert response.status_code == 404
    response = env.client.post(
        f"/internal/guilds/{GUILD}/sync", bot=True, json={"members": [{"userId": USER}]}
    )
    assert response.get_json()["errors"] == [
        {"field": "members[0].roles", "message": "is required"}
    ]
