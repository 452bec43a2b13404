"""The league's real clients, replayed: every call the Discord bot and the web dashboard make,
with the bodies they really send (field names, snowflakes, interaction tokens, ``memberCount``,
role objects, as their API-client modules build them), against the app on real storage
(SQLite and PostgreSQL) with the real in-process queue and the TRN simulator. Each test
asserts the response fields the client reads.

Sources: discord-bot ``src/api/api.service.ts`` and the guild/member services and listeners
(tracker commands as of the parent of commit 3d9049c), league-frontend
``src/lib/api/{trackers,guilds,mmr-calculation}.ts``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from flask.testing import FlaskClient
from tests import pg
from tests.http.conftest import Keys, session_keys

from adapters.queue.inline_queue import InProcessJobQueue
from adapters.sql import upgrade_database
from adapters.trackergg.simulator import TrnSimulator
from entrypoints.config import load_settings
from entrypoints.container import Container, container_for, is_embedded, set_container
from entrypoints.http.app import create_app

DASHBOARD_ORIGIN = "https://dashboard.league.example"
BOT_KEY = "bot-key-for-the-contract-tests"
GUILD = "123456789012345678"
OWNER = "987654321098765432"
PLAYER = "111111111111111111"
STAFF = "222222222222222222"
STAFF_ROLE = "444444444444444444"
MEMBER_ROLE = "333333333333333333"
CHANNEL = "555555555555555555"
TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OnNlY3JldA"
TRN = "https://rocketleague.tracker.network/rocket-league/profile"


@attrs.define
class League:
    """The app on real storage, its container, and the bot's and a user's headers."""

    client: FlaskClient
    container: Container
    keys: Keys
    simulator: TrnSimulator

    def bot(self, method: str, path: str, body: Any = None) -> Any:
        """A bot call: bearer bot key and a JSON body (the bot's axios instance)."""
        headers = {"Authorization": f"Bearer {BOT_KEY}"}
        return self.client.open(path, method=method, json=body, headers=headers)

    def dashboard(self, method: str, path: str, user: str, body: Any = None) -> Any:
        """A dashboard call from its own origin (a cross-origin fetch, so the browser sends
        ``Origin``): the ``auth_token`` cookie, JSON bodies."""
        self.client.set_cookie("auth_token", self.keys.token(user, username=f"u{user[-3:]}"))
        try:
            headers = {"Origin": DASHBOARD_ORIGIN}
            return self.client.open(path, method=method, json=body, headers=headers)
        finally:
            self.client.delete_cookie("auth_token")

    def drain(self) -> None:
        """Let the in-process workers finish every queued scrape."""
        queue = self.container.queue()
        assert isinstance(queue, InProcessJobQueue)
        assert queue.drain(timeout=30)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'league.sqlite3'}"
        upgrade_database(url)
        yield url
        return
    with pg.fresh_database("tracker_clients") as url:
        upgrade_database(url)
        yield url


@pytest.fixture
def league(database_url: str) -> Iterator[League]:
    keys = session_keys()
    with TrnSimulator() as simulator:
        settings = load_settings(
            {},
            database_url=database_url,
            jwt_public_key=keys.public_pem,
            bot_api_key=BOT_KEY,
            frontend_url=DASHBOARD_ORIGIN,
            trn_api_base_url=simulator.base_url,
            trn_rate_limit_per_minute=100_000,
            tracker_initial_seasons=1,
        )
        container = container_for(settings)
        assert is_embedded(container)
        set_container(container)
        queue = container.queue()
        queue.start()
        try:
            yield League(create_app(container).test_client(), container, keys, simulator)
        finally:
            queue.stop(timeout=30)
            set_container(None)
            container.engine().dispose()


def startup_sync_body(*members: dict[str, Any], admin: bool = True) -> dict[str, Any]:
    """What ``GuildSyncService`` sends for a cached guild on ``clientReady``."""
    body: dict[str, Any] = {
        "guild": {
            "id": GUILD,
            "name": "RL League",
            "icon": "a_1269e74af4df7417b13759eae50c83dc",
            "ownerId": OWNER,
            "memberCount": 150,
        },
        "members": list(members),
    }
    if admin:  # the bot drops the key when no role has Administrator
        body["roles"] = {"admin": [{"id": STAFF_ROLE, "name": "Admin"}]}
    return body


def member(user_id: str, username: str, *roles: str, nickname: str | None = None) -> Any:
    """One member as the bot maps it: no globalName/avatar, @everyone left out."""
    found: dict[str, Any] = {"userId": user_id, "username": username, "roles": list(roles)}
    if nickname is not None:
        found["nickname"] = nickname
    return found


def test_bot_start_up_and_its_three_tracker_commands(league: League) -> None:
    health = league.bot("GET", "/internal/health")
    assert health.status_code == 200 and health.get_json()["status"] == "ok"

    synced = league.bot(
        "POST",
        f"/internal/guilds/{GUILD}/sync",
        startup_sync_body(
            member(PLAYER, "player1", MEMBER_ROLE),
            member(STAFF, "staff1", STAFF_ROLE, nickname="Staff"),
        ),
    )
    assert synced.status_code == 200, synced.get_json()
    assert synced.get_json()["membersSynced"] == 2
    assert synced.get_json()["guild"]["memberCount"] == 150

    settings = league.bot("GET", f"/internal/guilds/{GUILD}/settings")
    assert settings.status_code == 200
    # The bot's channel guards treat a missing list as "every channel allowed".
    assert "staff_command_channels" not in settings.get_json()
    assert settings.get_json()["roles"]["admin"] == [STAFF_ROLE]

    user_data = {"username": "player1", "globalName": "Player One", "avatar": "b1946ac92492d2347c"}
    registered = league.bot(
        "POST",
        "/internal/trackers/register-multiple",
        {
            "userId": PLAYER,
            "urls": [f"{TRN}/steam/76561198000000042/overview", f"{TRN}/psn/PlayerOne/overview"],
            "userData": user_data,
            "channelId": CHANNEL,
            "interactionToken": TOKEN,
        },
    )
    assert registered.status_code == 201, registered.get_json()
    trackers = registered.get_json()
    assert len(trackers) == 2
    for tracker in trackers:  # the embed fields of /register
        assert {"url", "platform", "username", "scrapingStatus"} <= tracker.keys()
    assert TOKEN not in registered.get_data(as_text=True)

    added = league.bot(
        "POST",
        "/internal/trackers/add",
        {
            "userId": PLAYER,
            "url": f"{TRN}/epic/PlayerOneEpic/overview",
            "userData": user_data,
            "channelId": CHANNEL,
            "interactionToken": TOKEN,
        },
    )
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["platform"] == "EPIC"
    league.drain()

    processed = league.bot("POST", "/internal/trackers/process", {"guildId": GUILD})
    assert processed.status_code == 201
    body = processed.get_json()
    assert body["processed"] == len(body["trackers"])  # what /process-trackers reads
    league.drain()

    mine = league.dashboard("GET", "/api/trackers/me", PLAYER).get_json()
    assert {t["scrapingStatus"] for t in mine["data"]} == {"COMPLETED"}
    assert mine["pagination"]["total"] == 3


def test_guild_join_and_leave(league: League) -> None:
    join = {
        "id": GUILD,
        "name": "RL League",
        "ownerId": OWNER,
        "memberCount": 42,
        "icon": "a_1269e74af4df7417b13759eae50c83dc",
    }
    first = league.bot("POST", "/internal/guilds/upsert", join)
    assert first.status_code == 201 and first.get_json()["memberCount"] == 42
    again = league.bot("POST", "/internal/guilds/upsert", {**join, "memberCount": 43})
    assert again.status_code == 200 and again.get_json()["memberCount"] == 43
    left = league.bot("DELETE", f"/internal/guilds/{GUILD}")
    assert left.status_code == 200 and left.get_json()


def test_member_events_follow_admin_rights(league: League) -> None:
    league.bot("POST", f"/internal/guilds/{GUILD}/sync", startup_sync_body())
    joined = league.bot(
        "POST",
        "/internal/guild-members",
        {"userId": STAFF, "username": "staff1", "roles": [STAFF_ROLE], "guildId": GUILD},
    )
    assert joined.status_code == 201, joined.get_json()
    assert joined.get_json()["roles"] == [STAFF_ROLE]
    settings_path = f"/api/guilds/{GUILD}/settings"
    assert league.dashboard("GET", settings_path, STAFF).status_code == 200

    updated = league.bot(
        "PATCH",
        f"/internal/guild-members/{GUILD}/users/{STAFF}",
        {"username": "staff1", "roles": [MEMBER_ROLE]},
    )
    assert updated.status_code == 200 and updated.get_json()["roles"] == [MEMBER_ROLE]
    assert league.dashboard("GET", settings_path, STAFF).status_code == 403

    removed = league.bot("DELETE", f"/internal/guild-members/{GUILD}/users/{STAFF}")
    assert removed.get_json() == {"message": "Member removed successfully"}
    gone = league.bot("DELETE", f"/internal/guild-members/{GUILD}/users/{STAFF}")
    assert gone.status_code == 404
    assert gone.get_json()["message"] == f"Member {STAFF} not found in guild {GUILD}"


def test_dashboard_settings_screen(league: League) -> None:
    league.bot(
        "POST",
        f"/internal/guilds/{GUILD}/sync",
        startup_sync_body(member(STAFF, "staff1", STAFF_ROLE)),
    )
    path = f"/api/guilds/{GUILD}/settings"
    read = league.dashboard("GET", path, STAFF)
    assert read.get_json()["mmrCalculation"]["algorithm"] == "ASCENDANCY"
    patch = {
        "mmrCalculation": {"algorithm": "CUSTOM", "customFormula": "twos * 0.6 + threes * 0.4"}
    }
    saved = league.dashboard("PATCH", path, STAFF, patch)
    assert saved.status_code == 200, saved.get_json()
    reset = league.dashboard("POST", f"{path}/reset", STAFF)
    assert reset.status_code == 201
    assert reset.get_json()["roles"]["admin"] == [STAFF_ROLE]
    history = league.dashboard("GET", f"{path}/history?limit=50", STAFF).get_json()
    assert [e["action"] for e in history["data"]] == ["reset", "update"]
    assert history["data"][1]["userId"] == STAFF
    assert league.dashboard("GET", path, PLAYER).status_code == 403


def test_dashboard_mmr_screen_and_calculator(league: League) -> None:
    league.bot(
        "POST",
        f"/internal/guilds/{GUILD}/sync",
        startup_sync_body(member(STAFF, "staff1", STAFF_ROLE), member(PLAYER, "player1")),
    )
    tracker_data = {"twos": 1400, "threes": 1600, "twosGamesPlayed": 300, "threesGamesPlayed": 500}
    body = {"guildId": GUILD, "trackerData": tracker_data}
    demo = league.dashboard("POST", "/api/calculator", PLAYER, body)
    assert demo.status_code == 201, demo.get_json()
    assert demo.get_json()["algorithm"] == "ASCENDANCY"
    assert demo.get_json()["result"] == 1525  # (1400·300 + 1600·500) / 800
    staff = league.dashboard("POST", "/api/mmr-calculation/calculate-mmr", STAFF, body)
    assert staff.get_json()["result"] == 1525
    denied = league.dashboard("POST", "/api/mmr-calculation/calculate-mmr", PLAYER, body)
    assert denied.status_code == 403

    checked = league.dashboard(
        "POST", "/api/mmr-calculation/validate-formula", PLAYER, {"formula": "twos * 2"}
    )
    assert checked.get_json()["valid"] is True
    bad = league.dashboard(
        "POST", "/api/mmr-calculation/validate-formula", PLAYER, {"formula": "twos +"}
    )
    assert bad.get_json()["valid"] is False and bad.get_json()["error"]
    sample = {
        "ones": 1200,
        "twos": 1400,
        "threes": 1600,
        "fours": 1000,
        "onesGamesPlayed": 150,
        "twosGamesPlayed": 300,
        "threesGamesPlayed": 500,
        "foursGamesPlayed": 50,
    }
    tested = league.dashboard(
        "POST",
        "/api/mmr-calculation/test-formula",
        PLAYER,
        {"formula": "(twos + threes) / 2", "testData": sample},
    )
    assert tested.get_json()["result"] == 1500
    assert tested.get_json()["testData"]["twos"] == 1400
