"""How tables read: 80 columns, colour, empty results, and JSON for every --json error."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.cli.conftest import (
    GUILD,
    OTHER_USER,
    USER,
    Invoke,
    add_guild,
    add_log,
    register_one,
)
from tests.fakes import FakeUnitOfWork, FixedClock
from tracker_core.model import TrackerStatus

LONG_ERROR = "tracker.gg answered 503 Service Unavailable " * 3


def _fleet(run: Invoke, uow: FakeUnitOfWork, clock: FixedClock) -> list[str]:
    ids = [
        register_one(run, "alice-with-a-rather-long-name", USER),
        register_one(run, "bob", OTHER_USER),
    ]
    failed = uow.committed.trackers[ids[0]]
    failed.scraping_status, failed.scraping_error = TrackerStatus.FAILED, LONG_ERROR
    failed.last_scraped_at = clock.now()
    uow.committed.trackers[ids[1]].scraping_status = TrackerStatus.IN_PROGRESS
    add_log(uow, clock, ids[0], "FAILED")
    add_log(uow, clock, ids[1], "SUCCESS")
    return ids


def _fits(text: str, columns: int) -> None:
    for line in text.splitlines():
        assert len(line) <= columns, line
    assert "…" not in text


def test_tables_fit_80_columns_and_never_cut_the_status(
    run: Invoke, uow: FakeUnitOfWork, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _fleet(run, uow, clock)
    add_guild(uow, clock)
    at = (clock.now() + timedelta(days=1)).isoformat()
    run("schedule", "add", "--guild", GUILD, "--at", at, "--created-by", "a-long-creator-name")
    listing = run("list", columns=80)
    assert listing.exit_code == 0, listing.stderr
    _fits(listing.stdout, 80)
    assert "IN_PROGRESS" in listing.stdout and "FAILED" in listing.stdout
    assert all(tracker_id in listing.stdout for tracker_id in ids)
    logs = run("logs", columns=80)
    _fits(logs.stdout, 80)
    assert "FAILED" in logs.stdout and "SUCCESS" in logs.stdout
    schedules = run("schedule", "list", "--guild", GUILD, columns=80)
    _fits(schedules.stdout, 80)
    assert "PENDING" in schedules.stdout
    wide = run("list", columns=200).stdout  # wide: every column, the error in full
    assert USER in wide and "Service Unavailable" in wide


def test_failed_is_red_on_a_colour_terminal_only(
    run: Invoke, uow: FakeUnitOfWork, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fleet(run, uow, clock)
    assert "\x1b[" not in run("list").stdout  # not a terminal: no escape codes
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = run("list").stdout
    assert "\x1b[1;31mFAILED" in coloured
    assert "\x1b[1;31mIN_PROGRESS" not in coloured
    monkeypatch.setenv("NO_COLOR", "1")
    assert "31m" not in run("list").stdout


def test_empty_results_say_nothing_found(
    run: Invoke, uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    add_guild(uow, clock)
    for args, what in (
        (["list"], "No trackers found."),
        (["list", "--guild", GUILD], "No trackers found."),
        (["logs"], "No scraping logs found."),
        (["schedule", "list", "--guild", GUILD], "No schedules found."),
    ):
        result = run(*args)
        assert result.exit_code == 0, result.stderr
        assert what in result.stdout, args


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--bogus", "--json"],
        ["list", "--json", "--limit", "500"],
        ["show", "not-a-cuid", "--json"],
        ["register", "--json"],
        ["guild", "show", "12", "--json"],
        ["guild", "settings", "set", GUILD, "nodot", "--json"],
        ["schedule", "add", "--guild", GUILD, "--at", "tomorrow", "--json"],
        ["list", "--user", USER, "--guild", GUILD, "--json"],
        ["--json", "nope"],
    ],
)
def test_usage_errors_are_json_with_json(run: Invoke, args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    error = json.loads(result.stderr)
    assert error["code"] == "USAGE_ERROR" and error["error"]


def test_usage_errors_stay_text_without_json(run: Invoke) -> None:
    result = run("list", "--bogus")
    assert result.exit_code == 2
    assert "No such option '--bogus'" in result.stderr and "Usage:" in result.stderr
    after = run("list", "--", "--json")  # after "--" it is an argument, not the option
    assert after.exit_code == 2 and not after.stderr.startswith("{")
