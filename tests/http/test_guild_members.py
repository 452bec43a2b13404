"""Guild sync with the guild and its admin roles, memberCount, and the bot's member events."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.conftest import ADMIN, GUILD, OTHER, STAFF_ROLE, USER, Env
from tracker_core.guilds import GuildSettings
from tracker_core.mmr import MmrConfig

OWNER = "987654321098765432"
NEW_ROLE = "555555555555555555"


def guild_info(**changes: Any) -> dict[str, Any]:
    return {"id": GUILD, "name": "League", "ownerId": OWNER, "memberCount": 10, **changes}


def sync(env: Env, body: dict[str, Any], guild_id: str = GUILD) -> Any:
    return env.client.post(f"/internal/guilds/{guild_id}/sync", bot=True, json=body)


def test_sync_creates_the_guild_sets_admin_roles_and_members(env: Env) -> None:
    members = [
        {"userId": USER, "username": "bob", "roles": [STAFF_ROLE]},
        {"userId": OTHER, "username": "ann", "roles": [], "nickname": "A"},
    ]
    body = {"guild": guild_info(), "members": members, "roles": {"admin": [{"id": NEW_ROLE}]}}
    response = sync(env, body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["membersSynced"] == 2
    store = env.uow.committed
    assert store.guilds[GUILD].member_count == 10 and store.guilds[GUILD].owner_id == OWNER
    assert store.settings[GUILD].admin_roles == (NEW_ROLE,)
    assert store.users[OTHER].username == "ann"
    assert store.members[(GUILD, OTHER)].nickname == "A"


def test_sync_keeps_other_settings_reactivates_and_drops_absent_members(env: Env) -> None:
    env.add_guild(GUILD, {OTHER: (), ADMIN: ()})
    custom = GuildSettings(
        admin_roles=(STAFF_ROLE,),
        tracker_processing_enabled=False,
        mmr=MmrConfig("PEAK_MMR"),
    )
    env.uow.committed.settings[GUILD] = custom
    env.uow.committed.guilds[GUILD].is_active = False
    env.client.post(
        "/internal/users", bot=True, json={"id": USER, "username": "bob", "globalName": "Bob"}
    )
    members = [{"userId": USER, "username": "bobby", "roles": [NEW_ROLE]}]
    body = {"guild": guild_info(), "members": members, "roles": {"admin": [{"id": NEW_ROLE}]}}
    assert sync(env, body).status_code == 200
    store = env.uow.committed
    assert store.guilds[GUILD].is_active is True
    assert store.settings[GUILD].tracker_processing_enabled is False
    assert store.settings[GUILD].mmr.algorithm == "PEAK_MMR"
    assert store.settings[GUILD].admin_roles == (NEW_ROLE,)
    assert {u for (_, u) in store.members} == {USER}
    assert store.users[USER].username == "bobby"
    assert store.users[USER].global_name == "Bob"  # the bot never sends it: kept


def test_sync_without_roles_keeps_the_admin_roles(env: Env) -> None:
    env.add_guild(GUILD)
    assert sync(env, {"guild": guild_info(), "members": []}).status_code == 200
    assert env.uow.committed.settings[GUILD].admin_roles == (STAFF_ROLE,)


def test_sync_errors(env: Env) -> None:
    members_only = sync(env, {"members": []})
    assert (members_only.status_code, members_only.get_json()["message"]) == (
        404,
        f"Guild {GUILD} not found",
    )
    mismatch = sync(env, {"guild": guild_info(id=OTHER), "members": []})
    assert mismatch.status_code == 400
    assert mismatch.get_json()["errors"][0]["field"] == "guild.id"
    bad_role = sync(env, {"guild": guild_info(), "members": [], "roles": {"admin": [{"id": "x"}]}})
    assert bad_role.status_code == 400
    assert bad_role.get_json()["errors"][0]["field"] == "roles.admin[0].id"
    assert GUILD not in env.uow.committed.guilds


@pytest.mark.parametrize(
    ("value", "status", "message"),
    [
        (0, 201, None),
        ("1500", 201, None),
        (1_000_000, 201, None),
        (-1, 400, "Member count cannot be negative"),
        ("-3", 400, "Member count cannot be negative"),
        (1_000_001, 400, "Member count cannot exceed 1,000,000"),
        ("many", 400, "Validation failed"),
        (1.5, 400, "Validation failed"),
        (True, 400, "Validation failed"),
    ],
)
def test_member_count(env: Env, value: Any, status: int, message: str | None) -> None:
    body = {"id": GUILD, "name": "League", "ownerId": OWNER, "memberCount": value}
    response = env.client.post("/internal/guilds", bot=True, json=body)
    assert response.status_code == status
    if message is None:
        assert response.get_json()["memberCount"] == int(value)
    else:
        assert response.get_json()["message"] == message
        assert response.get_json()["errors"][0]["field"] == "memberCount"


def test_upsert_answers_201_when_it_creates_and_200_when_it_updates(env: Env) -> None:
    body = {"id": GUILD, "name": "League", "ownerId": OWNER, "memberCount": 5}
    created = env.client.post("/internal/guilds/upsert", bot=True, json=body)
    assert created.status_code == 201
    env.client.patch(f"/internal/guilds/{GUILD}", bot=True, json={"isActive": False})
    updated = env.client.post("/internal/guilds/upsert", bot=True, json={**body, "memberCount": 6})
    assert updated.status_code == 200
    assert updated.get_json()["memberCount"] == 6 and updated.get_json()["isActive"] is True


def test_member_join_update_leave(env: Env) -> None:
    env.add_guild(GUILD)
    joined = env.client.post(
        "/internal/guild-members",
        bot=True,
        json={"userId": USER, "guildId": GUILD, "username": "bob", "roles": [STAFF_ROLE]},
    )
    assert joined.status_code == 201
    assert joined.get_json() == {
        "guildId": GUILD,
        "userId": USER,
        "nickname": None,
        "roles": [STAFF_ROLE],
        "isBanned": False,
        "isDeleted": False,
    }
    assert env.uow.committed.users[USER].username == "bob"
    path = f"/internal/guild-members/{GUILD}/users/{USER}"
    updated = env.client.patch(path, bot=True, json={"nickname": "B", "username": "bobby"})
    assert updated.get_json()["nickname"] == "B"
    assert updated.get_json()["roles"] == [STAFF_ROLE]
    assert env.uow.committed.users[USER].username == "bobby"
    assert env.client.delete(path, bot=True).get_json() == {
        "message": "Member removed successfully"
    }
    for method in ("PATCH", "DELETE"):
        response = env.client.call(method, path, bot=True, json={})
        assert (response.status_code, response.get_json()["message"]) == (
            404,
            f"Member {USER} not found in guild {GUILD}",
        )


def test_member_event_errors(env: Env) -> None:
    body = {"userId": USER, "guildId": GUILD, "username": "bob"}
    unknown = env.client.post("/internal/guild-members", bot=True, json=body)
    assert (unknown.status_code, unknown.get_json()["message"]) == (404, f"Guild {GUILD} not found")
    env.add_guild(GUILD)
    too_many = [str(10**17 + i) for i in range(251)]
    response = env.client.post(
        "/internal/guild-members", bot=True, json={**body, "roles": too_many}
    )
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {"field": "roles", "message": "must contain at most 250 items"}
    ]
    response = env.client.patch(
        f"/internal/guild-members/{GUILD}/users/{USER}", bot=True, json={"guildId": GUILD}
    )
    assert response.get_json()["errors"] == [{"field": "guildId", "message": "is not allowed"}]
    assert env.client.post("/internal/guild-members", json=body).status_code == 401


def test_members_only_sync_route(env: Env) -> None:
    env.add_guild(GUILD, {OTHER: ()})
    members = [{"userId": USER, "username": "bob", "roles": []}]
    response = env.client.post(
        f"/internal/guild-members/{GUILD}/sync", bot=True, json={"members": members}
    )
    assert response.status_code == 200 and response.get_json()["membersSynced"] == 1
    assert {u for (_, u) in env.uow.committed.members} == {USER}


def test_admin_rights_and_the_guard_follow_member_events(env: Env) -> None:
    env.add_guild(GUILD, {USER: ()})
    env.uow.committed.settings[GUILD] = GuildSettings(
        admin_roles=(STAFF_ROLE,), tracker_processing_enabled=False
    )
    [tracker] = env.register(OTHER)
    assert tracker["scrapingStatus"] == "PENDING"  # OTHER is in no guild yet
    tracker_path = f"/api/trackers/{tracker['id']}"
    assert env.client.get(tracker_path, as_user=USER).status_code == 403
    member_path = f"/internal/guild-members/{GUILD}/users/{USER}"
    env.client.patch(member_path, bot=True, json={"roles": [STAFF_ROLE]})
    env.client.post(
        "/internal/guild-members",
        bot=True,
        json={"userId": OTHER, "guildId": GUILD, "username": "ann"},
    )
    assert env.client.get(tracker_path, as_user=USER).status_code == 200
    processed = env.client.post("/internal/trackers/process-pending", bot=True).get_json()
    assert processed["processed"] == 0  # OTHER's only guild disables processing
    env.client.delete(f"/internal/guild-members/{GUILD}/users/{OTHER}", bot=True)
    assert env.client.get(tracker_path, as_user=USER).status_code == 403
