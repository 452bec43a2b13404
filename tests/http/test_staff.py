"""Guild staff on the user side: settings, reset, history; the MMR calculator and formulas."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.conftest import ADMIN, GUILD, OTHER, STAFF_ROLE, USER, Env
from tracker_core.guilds import GuildSettings
from tracker_core.mmr import MmrConfig

SETTINGS = f"/api/guilds/{GUILD}/settings"
WEBHOOK = "https://discord.com/api/webhooks/123/SECRET-webhook-token"
ASCENDANCY = {  # a real league's row: 2s score 1290.75, 3s score 1121, 2s share 900/1032
    "mmr2sCurrent": 1164,
    "mmr2sPeak": 1333,
    "games2sCurrSeason": 529,
    "games2sPrevSeason": 371,
    "mmr3sCurrent": 947,
    "mmr3sPeak": 1179,
    "games3sCurrSeason": 51,
    "games3sPrevSeason": 81,
}


@pytest.fixture
def staffed(env: Env) -> Env:
    """GUILD with USER as its admin and OTHER as a plain member."""
    env.add_guild(GUILD, {USER: (STAFF_ROLE,), OTHER: ()})
    env.client.secrets.append("SECRET-webhook-token")
    return env


def test_settings_for_guild_admins_and_system_admins_only(staffed: Env) -> None:
    client = staffed.client
    assert client.get(SETTINGS, as_user=USER).get_json()["roles"]["admin"] == [STAFF_ROLE]
    assert client.get(SETTINGS, as_user=ADMIN).status_code == 200
    denied = client.get(SETTINGS, as_user=OTHER)
    assert (denied.status_code, denied.get_json()["message"]) == (
        403,
        "Only admins of this guild can do this",
    )
    assert client.patch(SETTINGS, as_user=OTHER, json={}).status_code == 403
    assert client.post(SETTINGS + "/reset", as_user=OTHER).status_code == 403
    assert client.get(SETTINGS + "/history", as_user=OTHER).status_code == 403
    missing = client.get("/api/guilds/777777777777777777/settings", as_user=ADMIN)
    assert missing.status_code == 404
    assert client.get(SETTINGS).status_code == 401


def test_patch_reset_and_history(staffed: Env) -> None:
    client = staffed.client
    patch = {"notifications": {"webhookUrl": WEBHOOK}, "trackerProcessing": {"enabled": False}}
    saved = client.patch(SETTINGS, as_user=USER, json=patch)
    assert saved.status_code == 200
    assert saved.get_json()["notifications"]["webhookUrl"].endswith("/[REDACTED]")
    assert staffed.uow.committed.settings[GUILD].notifications.webhook_url == WEBHOOK
    bad = client.patch(SETTINGS, as_user=USER, json={"mmrCalculation": {"algorithm": "X"}})
    assert bad.status_code == 400
    staffed.clock.advance(minutes=1)
    client.patch(f"/internal/guilds/{GUILD}/settings", bot=True, json={"roles": {"admin": []}})
    client.patch(
        f"/internal/guilds/{GUILD}/settings", bot=True, json={"roles": {"admin": [STAFF_ROLE]}}
    )
    staffed.clock.advance(minutes=1)
    reset = client.post(SETTINGS + "/reset", as_user=USER)
    assert reset.status_code == 201
    assert reset.get_json()["roles"]["admin"] == [STAFF_ROLE]
    assert reset.get_json()["trackerProcessing"] == {"enabled": True}
    assert staffed.uow.committed.settings[GUILD] == GuildSettings(admin_roles=(STAFF_ROLE,))
    history = client.get(SETTINGS + "/history?limit=3", as_user=USER).get_json()
    assert history["pagination"] == {"page": 1, "limit": 3, "total": 4, "pages": 2}
    first = history["data"][0]
    assert (first["action"], first["eventType"], first["userId"]) == (
        "reset",
        "SETTINGS_RESET",
        USER,
    )
    assert [e["userId"] for e in history["data"][1:]] == ["bot", "bot"]
    oldest = client.get(SETTINGS + "/history?page=2&limit=3", as_user=USER).get_json()["data"]
    assert oldest[0]["changes"]["notifications"]["webhookUrl"] == "[REDACTED]"
    assert oldest[0]["changes"]["trackerProcessing"] == {"enabled": False}


def calculate(env: Env, user: str, body: dict[str, Any], path: str = "/api/calculator") -> Any:
    return env.client.post(path, as_user=user, json={"guildId": GUILD, **body})


def test_calculator_with_tracker_data_under_each_algorithm(staffed: Env) -> None:
    data = {
        "ones": 1000,
        "twos": 1400,
        "threes": 1600,
        "onesGamesPlayed": 100,
        "twosGamesPlayed": 300,
        "threesGamesPlayed": 500,
        "threesPeak": 1800,
    }
    answer = calculate(staffed, OTHER, {"trackerData": data})
    assert answer.status_code == 201
    body = answer.get_json()
    # ASCENDANCY: 2s score 1400, 3s score (1600·0.25 + 1800·0.75) = 1750, shares 300:500
    assert (body["result"], body["algorithm"]) == (1619, "ASCENDANCY")
    assert body["config"]["ascendancyWeights"] == {"current": 0.25, "peak": 0.75}
    staffed.uow.committed.settings[GUILD] = GuildSettings(mmr=MmrConfig("PEAK_MMR"))
    assert calculate(staffed, OTHER, {"trackerData": data}).get_json()["result"] == 1600


def test_calculator_with_ascendancy_data(staffed: Env) -> None:
    answer = calculate(staffed, OTHER, {"ascendancyData": ASCENDANCY})
    assert answer.get_json()["result"] == 1269
    staffed.uow.committed.settings[GUILD] = GuildSettings(mmr=MmrConfig("PEAK_MMR"))
    refused = calculate(staffed, OTHER, {"ascendancyData": ASCENDANCY})
    assert (refused.status_code, refused.get_json()["message"]) == (
        400,
        "ascendancyData can only be used with ASCENDANCY algorithm",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Either trackerData or ascendancyData must be provided"),
        (
            {"trackerData": {}, "ascendancyData": ASCENDANCY},
            "Cannot provide both trackerData and ascendancyData",
        ),
        ({"ascendancyData": {"mmr2sCurrent": 1}}, "Validation failed"),
        ({"trackerData": {"twos": -1}}, "Validation failed"),
        ({"trackerData": {"rank2s": 1}}, "Validation failed"),
    ],
)
def test_calculator_errors(staffed: Env, body: dict[str, Any], message: str) -> None:
    response = calculate(staffed, OTHER, body)
    assert (response.status_code, response.get_json()["message"]) == (400, message)


def test_calculate_mmr_is_for_guild_staff(staffed: Env) -> None:
    path = "/api/mmr-calculation/calculate-mmr"
    body = {"trackerData": {"twos": 1500, "twosGamesPlayed": 10}}
    assert calculate(staffed, USER, body, path).get_json()["result"] == 1500
    assert calculate(staffed, ADMIN, body, path).status_code == 201
    assert calculate(staffed, OTHER, body, path).status_code == 403
    unknown = staffed.client.post(
        "/api/calculator", as_user=OTHER, json={"guildId": "777777777777777777", **body}
    )
    assert unknown.status_code == 404


def test_validate_and_test_formula(staffed: Env) -> None:
    client = staffed.client
    path = "/api/mmr-calculation/validate-formula"
    valid = client.post(path, as_user=OTHER, json={"formula": "max(twos, threes) + totalGames"})
    assert valid.get_json() == {"valid": True, "variables": ["threes", "totalGames", "twos"]}
    invalid = client.post(path, as_user=OTHER, json={"formula": "twos + foo"}).get_json()
    assert invalid["valid"] is False and "foo" in invalid["error"]
    assert invalid["variables"] == []
    too_long = client.post(path, as_user=OTHER, json={"formula": "1+" * 250 + "1"})
    assert too_long.status_code == 400
    assert too_long.get_json()["errors"][0]["field"] == "formula"

    test_path = "/api/mmr-calculation/test-formula"
    sample = client.post(test_path, as_user=OTHER, json={"formula": "twosPeak"}).get_json()
    assert sample["result"] == 1500 and sample["valid"] is True
    assert sample["testData"]["twosGamesPlayed"] == 300
    given = client.post(
        test_path,
        as_user=OTHER,
        json={"formula": "twos / 2", "testData": {"twos": 1001}},
    ).get_json()
    assert given["result"] == 501  # 500.5 rounds half up
    assert given["testData"]["threes"] is None
    broken = client.post(test_path, as_user=OTHER, json={"formula": "twos *"}).get_json()
    assert (broken["valid"], broken["result"]) == (False, 0) and broken["error"]
