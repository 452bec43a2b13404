"""guild add|list|show|sync|settings, mmr, history and user show over the fakes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from entrypoints.cli.views import SPARK_BARS, sparkline
from tests.cli.conftest import (
    GUILD,
    OTHER_USER,
    USER,
    Invoke,
    add_guild,
    add_season,
    out_json,
    register_one,
    steam_url,
)
from tests.contract import aggregates as a
from tests.fakes import FakeUnitOfWork, FixedClock
from tracker_core.model import TrackerSnapshot

SECOND_GUILD = "887654321098765432"


def test_guild_add_list_and_show(run: Invoke, uow: FakeUnitOfWork) -> None:
    added = out_json(run("guild", "add", GUILD, "--name", "Zeta League", "--json"))
    assert added["id"] == GUILD and added["name"] == "Zeta League"
    result = run("guild", "add", SECOND_GUILD, "--name", "alpha league", "--owner", USER)
    assert result.exit_code == 0, result.stderr
    assert "Created guild" in result.stdout
    listed = out_json(run("guild", "list", "--json"))
    assert [g["name"] for g in listed] == ["alpha league", "Zeta League"]
    shown = out_json(run("guild", "show", SECOND_GUILD, "--json"))
    assert shown["ownerId"] == USER
    assert shown["members"] == 0 and shown["trackers"] == 0
    assert shown["settings"]["trackerProcessing"] == {"enabled": True}
    human = run("guild", "show", GUILD)
    assert "Zeta League" in human.stdout and "enabled" in human.stdout


def test_guild_add_twice_fails_unless_upsert(run: Invoke) -> None:
    run("guild", "add", GUILD, "--name", "League")
    again = run("guild", "add", GUILD, "--name", "League 2")
    assert again.exit_code == 1
    assert "exists" in again.stderr
    upserted = out_json(run("guild", "add", GUILD, "--name", "League 2", "--upsert", "--json"))
    assert upserted["name"] == "League 2"


def test_guild_list_empty_says_nothing_found(run: Invoke) -> None:
    result = run("guild", "list")
    assert result.exit_code == 0
    assert "No guilds found." in result.stdout
    assert out_json(run("guild", "list", "--json")) == []


def test_unknown_guild_exits_1_with_json_error(run: Invoke) -> None:
    result = run("guild", "show", GUILD, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stderr)["code"] == "NOT_FOUND"


def test_guild_id_must_be_a_snowflake(run: Invoke) -> None:
    result = run("guild", "show", "12ab")
    assert result.exit_code == 2
    assert "snowflake" in result.stderr


def _sync_file(tmp_path: Path, body: object) -> str:
    path = tmp_path / "sync.json"
    path.write_text(json.dumps(body))
    return str(path)


def test_guild_sync_replaces_the_member_set(
    run: Invoke, uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    body = {
        "guild": {"id": GUILD, "name": "Synced", "ownerId": USER},
        "roles": {"admin": [{"id": "300000000000000001"}]},
        "members": [
            {"userId": USER, "roles": ["300000000000000001"], "username": "alice"},
            {"userId": OTHER_USER, "roles": [], "nickname": "Bobby"},
        ],
    }
    data = out_json(run("guild", "sync", GUILD, "--file", _sync_file(tmp_path, body), "--json"))
    assert data["membersSynced"] == 2 and data["guild"]["name"] == "Synced"
    assert {u for (g, u) in uow.committed.members if g == GUILD} == {USER, OTHER_USER}
    assert uow.committed.users[USER].username == "alice"
    assert uow.committed.settings[GUILD].admin_roles == ("300000000000000001",)
    body["members"] = body["members"][:1]  # type: ignore[index]
    result = run("guild", "sync", GUILD, "-f", _sync_file(tmp_path, body))
    assert result.exit_code == 0, result.stderr
    assert "Synced 1 member(s)" in result.stdout
    assert {u for (g, u) in uow.committed.members if g == GUILD} == {USER}


def test_guild_sync_rejects_a_bad_body_naming_the_field(run: Invoke, tmp_path: Path) -> None:
    add_guild_body = {"members": [{"userId": "42", "roles": []}]}
    result = run("guild", "sync", GUILD, "-f", _sync_file(tmp_path, add_guild_body), "--json")
    assert result.exit_code == 1
    error = json.loads(result.stderr)
    assert error["code"] == "VALIDATION_FAILED"
    assert "userId" in result.stderr
    mismatch = {"guild": {"id": SECOND_GUILD, "name": "x", "ownerId": USER}, "members": []}
    result = run("guild", "sync", GUILD, "-f", _sync_file(tmp_path, mismatch))
    assert result.exit_code == 1
    assert "guild.id" in result.stderr


def test_settings_get_and_set(run: Invoke, uow: FakeUnitOfWork, clock: FixedClock) -> None:
    add_guild(uow, clock)
    before = out_json(run("guild", "settings", "get", GUILD, "--json"))
    assert before["mmrCalculation"]["algorithm"] == "ASCENDANCY"
    human = run("guild", "settings", "get", GUILD)
    assert "mmrCalculation.weights.twos" in human.stdout
    after = out_json(
        run(
            "guild", "settings", "set", GUILD,
            "trackerProcessing.enabled=false",
            "mmrCalculation.algorithm=WEIGHTED_AVERAGE",
            "mmrCalculation.weights.twos=0.4",
            "--json",
        )
    )  # fmt: skip
    assert after["trackerProcessing"]["enabled"] is False
    assert after["mmrCalculation"]["algorithm"] == "WEIGHTED_AVERAGE"
    assert after["mmrCalculation"]["weights"] == {
        **before["mmrCalculation"]["weights"],
        "twos": 0.4,
    }
    stored = uow.committed.settings[GUILD]
    assert stored.tracker_processing_enabled is False
    assert stored.mmr.to_dict()["weights"]["twos"] == 0.4


def test_settings_set_refuses_bad_values_and_shapes(
    run: Invoke, uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    add_guild(uow, clock)
    shape = run("guild", "settings", "set", GUILD, "algorithm=WEIGHTED")
    assert shape.exit_code == 2
    assert "SECTION.KEY=VALUE" in shape.stderr
    unknown = run("guild", "settings", "set", GUILD, "nope.enabled=true", "--json")
    assert unknown.exit_code == 1
    assert "nope" in json.loads(unknown.stderr)["error"]
    formula = run(
        "guild", "settings", "set", GUILD,
        "mmrCalculation.algorithm=CUSTOM", "mmrCalculation.customFormula=ones +* 2",
    )  # fmt: skip
    assert formula.exit_code == 1
    assert GUILD not in uow.committed.settings  # all or nothing


def test_mmr_shows_the_leaderboard_with_its_inputs(
    run: Invoke, uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    alice = register_one(run, "alice", USER)
    bob = register_one(run, "bob", OTHER_USER)
    add_guild(uow, clock, USER, OTHER_USER)
    uow.committed.users[USER].username = "alice"
    with uow:  # bob's latest season is the stronger one
        uow.seasons.upsert(a.season("cseasonalice", alice, 34, rating=1200))
        uow.seasons.upsert(a.season("cseasonbob", bob, 34, rating=1500))
        uow.commit()
    data = out_json(run("mmr", "--guild", GUILD, "--json"))
    assert [r["userId"] for r in data] == [OTHER_USER, USER]
    assert data[0]["mmr"] > data[1]["mmr"] > 0
    assert data[1]["username"] == "alice" and data[0]["trackerId"] == bob
    assert data[0]["inputs"]["twos"] == 1500 and data[0]["inputs"]["twosGames"] == 120
    human = run("mmr", "--guild", GUILD)
    assert human.exit_code == 0, human.stderr
    assert data[0]["algorithm"] in human.stdout and "1500 (120)" in human.stdout
    assert human.stdout.index(str(data[0]["mmr"])) < human.stdout.index(str(data[1]["mmr"]))
    narrow = run("mmr", "--guild", GUILD, columns=80).stdout
    assert all(len(line) <= 80 for line in narrow.splitlines()), narrow
    assert "…" not in narrow and "alice" in narrow


def test_mmr_of_a_guild_without_ratings(
    run: Invoke, uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    add_guild(uow, clock)
    result = run("mmr", "--guild", GUILD)
    assert result.exit_code == 0
    assert "No ratings in guild" in result.stdout
    assert run("mmr", "--guild", SECOND_GUILD).exit_code == 1


def _snapshot(tracker_id: str, n: int, clock: FixedClock, twos: int | None) -> TrackerSnapshot:
    at = clock.now() + timedelta(days=n)
    return TrackerSnapshot(
        id=f"csnap{n:020d}",
        tracker_id=tracker_id,
        captured_at=at,
        season_number=34,
        ratings={"1v1": 1000 + n, "2v2": twos, "3v3": None, "4v4": None},
        games_played={"1v1": 10 + n, "2v2": None, "3v3": None, "4v4": None},
        source="SCRAPE",
        entered_by=None,
        created_at=at,
    )


def test_history_draws_a_sparkline_per_playlist(
    run: Invoke, uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    tracker_id = register_one(run)
    for n, twos in enumerate([1500, 1520, None, 1480, 1600]):
        uow.committed.snapshots.append(_snapshot(tracker_id, n, clock, twos))
    result = run("history", tracker_id)
    assert result.exit_code == 0, result.stderr
    assert "5 snapshot(s)" in result.stdout
    assert sparkline([1000, 1001, 1002, 1003, 1004]) in result.stdout
    assert sparkline([1500, 1520, None, 1480, 1600]) in result.stdout
    assert "3v3" not in result.stdout.split("Latest snapshots")[0]  # no data, no line
    data = out_json(run("history", tracker_id, "--json"))
    assert [s["ones"] for s in data["snapshots"]] == [1004, 1003, 1002, 1001, 1000]


def test_history_without_snapshots(run: Invoke) -> None:
    tracker_id = register_one(run)
    result = run("history", tracker_id)
    assert result.exit_code == 0
    assert "No snapshots found." in result.stdout


@given(st.lists(st.one_of(st.none(), st.integers(0, 3000)), max_size=40))
def test_sparkline_has_one_cell_per_value_and_spans_low_to_high(
    values: list[int | None],
) -> None:
    line = sparkline(values)
    known = [v for v in values if v is not None]
    if not known:
        assert line == ""
        return
    assert len(line) == len(values)
    for value, cell in zip(values, line, strict=True):
        assert (cell == " ") == (value is None)
    cells = [c for c in line if c != " "]
    if min(known) < max(known):
        assert SPARK_BARS[0] in cells and SPARK_BARS[-1] in cells
    ordered = sorted((v, c) for v, c in zip(values, line, strict=True) if v is not None)
    ranks = [SPARK_BARS.index(c) for _, c in ordered]
    assert ranks == sorted(ranks)


def test_user_show(run: Invoke, uow: FakeUnitOfWork, clock: FixedClock) -> None:
    run("register", "--user", USER, "--username", "alice", steam_url("alice"))
    tracker_id = next(iter(uow.committed.trackers))
    add_season(uow, clock, tracker_id)
    data = out_json(run("user", "show", USER, "--json"))
    assert data["id"] == USER and data["username"] == "alice"
    assert [t["id"] for t in data["trackers"]] == [tracker_id]
    human = run("user", "show", USER)
    assert "alice" in human.stdout and "COMPLETED" in human.stdout
    missing = run("user", "show", OTHER_USER, "--json")
    assert missing.exit_code == 1
    assert json.loads(missing.stderr)["code"] == "NOT_FOUND"
