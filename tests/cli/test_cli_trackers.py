"""register, add, list, show, refresh and delete over the fakes."""

from __future__ import annotations

import json
from datetime import timedelta

from entrypoints.cli.services import OPERATOR
from entrypoints.responses import api as res
from entrypoints.responses.base import to_json
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
from tests.fakes import FakeQueue, FakeUnitOfWork, FixedClock
from tracker_core.model import Priority
from tracker_core.use_cases.queries import get_tracker_detail


def test_help_lists_every_command_of_the_spec(run: Invoke) -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in (
        "serve", "worker", "scheduler", "migrate", "register", "add", "list", "show",
        "refresh", "delete", "process-pending", "process", "batch-refresh", "schedule",
        "status", "logs", "export", "dev-token", "guild", "mmr", "history", "user",
    ):  # fmt: skip
        assert f"  {command} " in result.stdout or f"  {command}\n" in result.stdout


def test_every_command_explains_itself(run: Invoke) -> None:
    for args in (["serve"], ["register"], ["schedule", "add"], ["export"], ["dev-token"]):
        result = run(*args, "--help")
        assert result.exit_code == 0
        assert "Usage: " in result.stdout
        assert len(result.stdout.splitlines()) > 4


def test_register_prints_a_table_and_queues_the_trackers(run: Invoke, queue: FakeQueue) -> None:
    result = run("register", "--user", USER, steam_url("alice"), steam_url("bob"))
    assert result.exit_code == 0, result.stderr
    assert "Registered" in result.stdout
    assert "alice" in result.stdout and "bob" in result.stdout
    assert len(queue.jobs) == 2


def test_register_json_is_the_api_shape(run: Invoke, uow: FakeUnitOfWork) -> None:
    data = out_json(
        run("register", "--user", USER, "--username", "alice", steam_url("alice"), "--json")
    )
    assert [t["scrapingStatus"] for t in data] == ["PENDING"]
    assert data[0]["url"] == steam_url("alice")
    assert data[0]["userId"] == USER
    stored = uow.committed.trackers[data[0]["id"]]
    assert data[0] == to_json(res.tracker(stored)) | {"errorCategory": None, "nextAttemptAt": None}
    assert uow.committed.users[USER].username == "alice"


def test_json_never_shows_the_interaction_token(run: Invoke, uow: FakeUnitOfWork) -> None:
    tracker_id = register_one(run)
    uow.committed.trackers[tracker_id].registration_interaction_token = "secret-interaction"
    for args in (["show", tracker_id], ["list"], ["delete", tracker_id]):
        result = run(*args, "--json")
        assert result.exit_code == 0, result.stderr
        assert "secret-interaction" not in result.stdout
        assert "registrationInteractionToken" not in result.stdout


def test_register_rule_violation_exits_1_with_the_message(run: Invoke) -> None:
    register_one(run)
    result = run("register", "--user", USER, steam_url("carol"))
    assert result.exit_code == 1
    assert "You already have 1 tracker(s) registered" in result.stderr
    assert result.stdout == ""


def test_failure_with_json_is_json_on_stderr(run: Invoke) -> None:
    result = run("register", "--user", USER, "https://example.com/nope", "--json")
    assert result.exit_code == 1
    error = json.loads(result.stderr)
    assert error["error"].startswith("Invalid tracker URL format")
    assert error["code"] == "INVALID_TRACKER_URL"


def test_bad_user_id_is_a_usage_error(run: Invoke) -> None:
    result = run("register", "--user", "alice", steam_url("alice"))
    assert result.exit_code == 2
    assert "snowflake" in result.stderr


def test_add_respects_the_limit(run: Invoke) -> None:
    register_one(run, "p1")
    for name in ("p2", "p3", "p4"):
        assert run("add", "--user", USER, steam_url(name)).exit_code == 0
    result = run("add", "--user", USER, steam_url("p5"))
    assert result.exit_code == 1
    assert "You have reached the maximum of 4 trackers" in result.stderr


def test_add_json(run: Invoke) -> None:
    data = out_json(run("add", "--user", USER, steam_url("alice"), "--json"))
    assert data["platform"] == "STEAM"
    assert data["scrapingStatus"] == "PENDING"


def test_list_pages_and_filters(run: Invoke) -> None:
    register_one(run, "alice", USER)
    register_one(run, "bob", OTHER_USER)
    everything = out_json(run("list", "--json"))
    assert everything["pagination"] == {"page": 1, "limit": 50, "total": 2, "pages": 1}
    mine = out_json(run("list", "--user", USER, "--status", "pending", "--json"))
    assert [t["username"] for t in mine["data"]] == ["alice"]
    assert out_json(run("list", "--status", "COMPLETED", "--json"))["data"] == []
    assert len(out_json(run("list", "--platform", "steam", "--json"))["data"]) == 2
    assert out_json(run("list", "--platform", "EPIC", "--json"))["data"] == []
    assert run("list", "--platform", "atari").exit_code == 2
    human = run("list")
    assert "alice" in human.stdout and "bob" in human.stdout


def test_list_by_guild(run: Invoke, uow: FakeUnitOfWork, clock: FixedClock) -> None:
    register_one(run, "alice", USER)
    register_one(run, "bob", OTHER_USER)
    add_guild(uow, clock, OTHER_USER)
    data = out_json(run("list", "--guild", GUILD, "--json"))
    assert [t["username"] for t in data["data"]] == ["bob"]
    assert run("list", "--guild", GUILD, "--user", USER).exit_code == 2


def test_show_has_seasons_and_owner(run: Invoke, uow: FakeUnitOfWork, clock: FixedClock) -> None:
    tracker_id = register_one(run)
    add_season(uow, clock, tracker_id)
    data = out_json(run("show", tracker_id, "--json"))
    detail = get_tracker_detail(OPERATOR, tracker_id, uow=uow)
    assert data == to_json(res.tracker_with_details(detail)) | {
        "errorCategory": None,
        "nextAttemptAt": None,
    }
    assert data["scrapingStatus"] == "COMPLETED"
    assert data["user"]["id"] == USER
    assert data["seasons"][0]["seasonNumber"] == 34
    assert data["seasons"][0]["playlist2v2"]["rating"] == 1500
    human = run("show", tracker_id)
    assert "Season 34" in human.stdout and "1500" in human.stdout


def test_show_errors(run: Invoke) -> None:
    tracker_id = register_one(run)
    missing = run("show", "c" + "9" * 24)
    assert missing.exit_code == 1 and "Tracker not found" in missing.stderr
    malformed = run("show", "not-an-id")
    assert malformed.exit_code == 2 and "Invalid CUID format: not-an-id" in malformed.stderr
    denied = run("show", tracker_id, "--user", OTHER_USER)
    assert denied.exit_code == 1 and "You can only view trackers" in denied.stderr


def test_refresh_as_operator_queues_high(
    run: Invoke, uow: FakeUnitOfWork, clock: FixedClock, queue: FakeQueue
) -> None:
    tracker_id = register_one(run)
    add_season(uow, clock, tracker_id)
    queue.jobs.clear()
    data = out_json(run("refresh", tracker_id, "--json"))
    assert data == {
        "message": "Refresh job enqueued successfully",
        "trackerId": tracker_id,
        "status": "PENDING",
        "enqueued": True,
    }
    assert queue.jobs[tracker_id][0] == Priority.HIGH


def test_refresh_inside_the_cache_window_answers_from_storage(
    run: Invoke, uow: FakeUnitOfWork, clock: FixedClock, queue: FakeQueue
) -> None:
    tracker_id = register_one(run)
    add_season(uow, clock, tracker_id)
    uow.committed.trackers[tracker_id].source_expires_at = clock.now() + timedelta(minutes=4)
    queue.jobs.clear()
    result = run("refresh", tracker_id, "--wait", "--json")
    assert result.exit_code == 0
    data = out_json(result)
    assert data["message"].startswith("Tracker data is fresh: served from storage")
    assert (data["status"], data["enqueued"]) == ("COMPLETED", False)
    assert data["freshUntil"] == "2026-01-01T12:04:00.000Z"
    assert queue.jobs == {}
    text = run("refresh", tracker_id).stdout
    assert "no request to tracker.gg" in text
    clock.advance(minutes=4)
    assert out_json(run("refresh", tracker_id, "--json"))["enqueued"] is True


def test_refresh_already_queued_makes_no_second_job(run: Invoke, queue: FakeQueue) -> None:
    tracker_id = register_one(run)
    result = run("refresh", tracker_id)
    assert result.exit_code == 0
    assert "no second job" in result.stdout
    assert len(queue.history) == 1


def test_owner_refresh_in_cooldown_exits_1_with_retry_after(
    run: Invoke, uow: FakeUnitOfWork, clock: FixedClock, queue: FakeQueue
) -> None:
    tracker_id = register_one(run)
    add_season(uow, clock, tracker_id)
    queue.jobs.clear()
    result = run("refresh", tracker_id, "--user", USER, "--json")
    assert result.exit_code == 1
    error = json.loads(result.stderr)
    assert error["code"] == "RATE_LIMITED"
    assert error["retryAfter"] == 300


def test_delete_as_owner_and_by_default(run: Invoke, uow: FakeUnitOfWork) -> None:
    first = register_one(run, "alice", USER)
    second = register_one(run, "bob", OTHER_USER)
    denied = run("delete", first, "--user", OTHER_USER)
    assert denied.exit_code == 1
    assert "You can only perform this operation on your own trackers" in denied.stderr
    assert out_json(run("delete", first, "--user", USER, "--json"))["isDeleted"] is True
    assert "Deleted tracker" in run("delete", second).stdout
    assert all(t.is_deleted for t in uow.committed.trackers.values())
    assert run("delete", first).exit_code == 1
