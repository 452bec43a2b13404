"""``trackers league …`` over the fakes: eligibility, pull, override, diff, flags, manual entry."""

from __future__ import annotations

from tests.cli.conftest import (
    GUILD,
    OTHER_USER,
    USER,
    Invoke,
    add_guild,
    add_season,
    out_json,
    register_one,
)
from tests.fakes import FakeUnitOfWork, FixedClock
from tracker_core.flags import ReviewFlag


def test_a_guild_admin_session_from_the_cli(
    run: Invoke, uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    add_guild(uow, clock, USER, OTHER_USER)
    tracker_id = register_one(run, "alice", USER)
    add_season(uow, clock, tracker_id)
    other_tracker = register_one(run, "bob", OTHER_USER)

    rules = out_json(run("league", "eligibility", GUILD, "--min", "twos=200", "--json"))
    assert rules["minGames"] == {"twos": 200}
    [row] = out_json(run("league", "standings", GUILD, "--json"))
    assert row["eligibility"]["reasons"] == ["twos: 120 of 200 games"]

    first = out_json(run("league", "pull", GUILD, "--name", "placement", "--json"))
    assert (first["number"], first["memberCount"]) == (1, 2)
    done = out_json(
        run(
            "league",
            "override",
            GUILD,
            first["id"],
            USER,
            "--mmr",
            "1600",
            "--reason",
            "appeal",
            "--json",
        )
    )
    assert (done["effectiveMmr"], done["override"]["actor"]) == (1600, "cli-operator")

    manual = run(
        "league",
        "manual",
        GUILD,
        OTHER_USER,
        "--tracker",
        other_tracker,
        "--season",
        "34",
        "--playlist",
        "twos=1300:60",
        "--playlist",
        "threes=1200:40:1250",
        "--note",
        "403",
        "--json",
    )
    assert out_json(manual)["source"] == "MANUAL"
    second = out_json(run("league", "pull", GUILD, "--name", "again", "--json"))
    moved = out_json(run("league", "diff", GUILD, first["id"], second["id"], "--json"))
    assert [m["userId"] for m in moved["moved"]] == [USER, OTHER_USER]
    shown = out_json(run("league", "show", GUILD, second["id"], "--filter", "eligible", "--json"))
    assert shown["rows"] == []
    assert [p["number"] for p in out_json(run("league", "pulls", GUILD, "--json"))] == [2, 1]

    uow.committed.flags["c" + "f" * 24] = ReviewFlag(
        id="c" + "f" * 24,
        guild_id=GUILD,
        user_id=USER,
        kind="STALE",
        tracker_id=tracker_id,
        detail="no successful scrape for 9 days",
        raised_at=clock.now(),
    )
    [listed] = out_json(run("league", "flags", GUILD, "--status", "open", "--json"))
    resolved = out_json(
        run("league", "resolve", GUILD, listed["id"], "--resolution", "dismissed", "--json")
    )
    assert resolved["status"] == "resolved"
    assert out_json(run("league", "flags", GUILD, "--status", "open", "--json")) == []
    for human in (
        ("standings", GUILD),
        ("pulls", GUILD),
        ("show", GUILD, first["id"]),
        ("diff", GUILD, first["id"], second["id"]),
        ("flags", GUILD),
    ):
        result = run("league", *human)
        assert result.exit_code == 0 and result.stdout.strip(), human


def test_bad_input_is_refused(run: Invoke, uow: FakeUnitOfWork, clock: FixedClock) -> None:
    add_guild(uow, clock, USER)
    assert run("league", "eligibility", GUILD, "--min", "twos").exit_code != 0
    assert run("league", "eligibility", GUILD, "--min", "fives=3").exit_code != 0
    assert run("league", "show", GUILD, "nope").exit_code == 2
    result = run("league", "pulls", "000000000000000001")
    assert result.exit_code == 1 and "not found" in result.stderr
