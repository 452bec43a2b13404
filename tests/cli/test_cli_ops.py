"""process-pending, process, batch-refresh, schedule, status, logs and export over the fakes."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

import entrypoints.cli.wait as cli_wait
from entrypoints.config import Settings
from entrypoints.responses import api as res
from entrypoints.responses.base import to_json
from tests.cli.conftest import (
    GUILD,
    OTHER_USER,
    USER,
    Invoke,
    add_guild,
    add_log,
    add_season,
    make_container,
    out_json,
    register_one,
)
from tests.fakes import FakeQueue, FakeUnitOfWork, FixedClock
from tracker_core.model import TrackerStatus
from tracker_core.use_cases.league import guild_standings


def test_process_pending(run: Invoke, queue: FakeQueue) -> None:
    first = register_one(run, "alice", USER)
    second = register_one(run, "bob", OTHER_USER)
    queue.jobs.clear()
    data = out_json(run("process-pending", "--json"))
    assert data == {"processed": 2, "trackers": sorted([first, second])}
    assert set(queue.jobs) == {first, second}
    assert "Queued 2 pending tracker(s)" in run("process-pending").stdout


def test_process_guild(run: Invoke, uow: FakeUnitOfWork, clock: FixedClock) -> None:
    missing = run("process", "--guild", GUILD)
    assert missing.exit_code == 1
    assert f"Guild {GUILD} not found" in missing.stderr
    tracker_id = register_one(run, "alice", USER)
    register_one(run, "bob", OTHER_USER)
    add_guild(uow, clock, USER)
    assert out_json(run("process", "--guild", GUILD, "--json"))["trackers"] == [tracker_id]
    assert run("process", "--guild", "12").exit_code == 2


def test_batch_refresh_given_and_stale(
    run: Invoke, uow: FakeUnitOfWork, clock: FixedClock, queue: FakeQueue
) -> None:
    tracker_id = register_one(run)
    add_season(uow, clock, tracker_id)
    queue.jobs.clear()
    assert out_json(run("batch-refresh", "--json"))["processed"] == 0
    data = out_json(run("batch-refresh", tracker_id, "--json"))
    assert data == {"processed": 1, "trackers": [tracker_id]}
    queue.jobs.clear()
    clock.advance(hours=25)
    uow.committed.trackers[tracker_id].scraping_status = TrackerStatus.COMPLETED
    assert out_json(run("batch-refresh", "--json"))["trackers"] == [tracker_id]
    assert run("batch-refresh", "bogus").exit_code == 2


def _finish_on_sleep(
    monkeypatch: pytest.MonkeyPatch, uow: FakeUnitOfWork, status: TrackerStatus
) -> None:
    def sleep(_seconds: float) -> None:
        for tracker in uow.committed.trackers.values():
            tracker.scraping_status = status

    monkeypatch.setattr(cli_wait, "sleep", sleep)


def test_wait_follows_the_scrapes(
    run: Invoke, uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_one(run)
    _finish_on_sleep(monkeypatch, uow, TrackerStatus.COMPLETED)
    data = out_json(run("process-pending", "--wait", "--json"))
    assert data["final"] == {"COMPLETED": 1}


def test_wait_exits_1_when_a_scrape_failed(
    run: Invoke, uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker_id = register_one(run)
    _finish_on_sleep(monkeypatch, uow, TrackerStatus.FAILED)
    result = run("batch-refresh", tracker_id, "--wait")
    assert result.exit_code == 1
    assert "1 tracker(s) FAILED" in result.stderr


def test_wait_times_out(run: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    tracker_id = register_one(run)
    ticks = iter(range(0, 1000, 10))
    monkeypatch.setattr(cli_wait, "monotonic", lambda: float(next(ticks)))
    monkeypatch.setattr(cli_wait, "sleep", lambda _s: None)
    result = run("refresh", tracker_id, "--wait", "--timeout", "15")
    assert result.exit_code == 1
    assert "Timed out after 15 s: 1 tracker(s) still queued" in result.stderr


def test_schedules(run: Invoke, uow: FakeUnitOfWork, clock: FixedClock) -> None:
    at = (clock.now() + timedelta(days=1)).replace(tzinfo=None).isoformat()
    missing = run("schedule", "add", "--guild", GUILD, "--at", at)
    assert missing.exit_code == 1 and f"Guild {GUILD} not found" in missing.stderr
    add_guild(uow, clock)
    past = run("schedule", "add", "--guild", GUILD, "--at", "2020-01-01T00:00:00Z")
    assert past.exit_code == 1 and "Scheduled date must be in the future" in past.stderr
    created = out_json(
        run("schedule", "add", "--guild", GUILD, "--at", at, "--metadata", '{"s": 21}', "--json")
    )
    assert created["scheduledAt"] == at + ".000Z"
    assert created["metadata"] == {"s": 21} and created["status"] == "PENDING"
    listed = out_json(run("schedule", "list", "--guild", GUILD, "--json"))
    assert [s["id"] for s in listed] == [created["id"]]
    assert created["id"] in run("schedule", "list", "--guild", GUILD).stdout
    assert out_json(run("schedule", "cancel", created["id"], "--json"))["status"] == "CANCELLED"
    again = run("schedule", "cancel", created["id"])
    assert again.exit_code == 1
    assert "Cannot cancel schedule with status CANCELLED" in again.stderr
    assert run("schedule", "add", "--guild", GUILD, "--at", "tomorrow").exit_code == 2


def test_status(run: Invoke, uow: FakeUnitOfWork, clock: FixedClock) -> None:
    first = register_one(run, "alice", USER)
    register_one(run, "bob", OTHER_USER)
    add_season(uow, clock, first)
    data = out_json(run("status", "--json"))
    assert data["mode"] == "embedded"
    assert data["total"] == 2
    assert data["byStatus"] == {"PENDING": 1, "IN_PROGRESS": 0, "COMPLETED": 1, "FAILED": 0}
    assert data["queueDepth"] == 2
    assert data["etaMinutes"] == pytest.approx(2 / 60, abs=0.1)
    assert "Queue depth" in run("status").stdout


def test_status_eta_counts_the_requests_of_first_scrapes(
    settings: Settings, uow: FakeUnitOfWork, queue: FakeQueue, clock: FixedClock, run: Invoke
) -> None:
    from entrypoints.container import set_container

    slow = attrs.evolve(settings, trn_rate_limit_per_minute=1)
    set_container(make_container(slow, uow=uow, queue=queue, clock=clock))
    first = register_one(run, "alice", USER)
    register_one(run, "bob", OTHER_USER)
    add_season(uow, clock, first)
    uow.committed.trackers[first].scraping_status = TrackerStatus.PENDING  # a refresh: 1 request
    data = out_json(run("status", "--json"))
    assert data["queueDepth"] == 2
    # bob's first scrape: the current season and 3 earlier ones; alice's refresh: 1
    assert data["etaMinutes"] == 1 + 1 + 3


def test_logs(run: Invoke, uow: FakeUnitOfWork, clock: FixedClock) -> None:
    tracker_id = register_one(run)
    add_log(uow, clock, tracker_id, "SUCCESS")
    add_log(uow, clock, tracker_id, "FAILED")
    everything = out_json(run("logs", "--json"))
    assert everything["pagination"] == {
        "page": 1,
        "limit": 50,
        "total": 2,
        "pages": 1,
        "totalPages": 1,
    }
    failed = out_json(run("logs", "--tracker", tracker_id, "--status", "failed", "--json"))
    assert failed["data"] == [to_json(res.scraping_log(uow.committed.scraping_logs[1]))]
    assert [e["errorCategory"] for e in failed["data"]] == ["upstream"]
    assert failed["data"][0]["metadata"] == {"durationMs": 2000, "attempt": 1}
    assert "upstream" in run("logs").stdout
    malformed = run("logs", "--tracker", "x")
    assert malformed.exit_code == 2 and "Invalid CUID format: x" in malformed.stderr


def test_tables_honour_a_set_terminal_width(
    run: Invoke, uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    tracker_id = register_one(run)
    add_log(uow, clock, tracker_id, "FAILED")
    narrow = run("logs", columns=80)
    assert narrow.exit_code == 0
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 80, narrow.stdout
    assert max(len(line) for line in run("logs").stdout.splitlines()) > 80


def test_export_csv_to_stdout_and_file(
    run: Invoke, uow: FakeUnitOfWork, clock: FixedClock, tmp_path: Path
) -> None:
    scraped = register_one(run, "alice", USER)
    register_one(run, "bob", OTHER_USER)
    add_season(uow, clock, scraped)
    result = run("export")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    by_name = {row["username"]: row for row in rows}
    assert by_name["alice"]["season"] == "34"
    assert by_name["alice"]["rating2v2"] == "1500"
    assert by_name["alice"]["rating4v4"] == ""
    assert by_name["bob"]["rating1v1"] == ""
    assert by_name["alice"]["lastScrapedAt"] == "2026-01-01T12:00:00.000Z"
    target = tmp_path / "export.csv"
    assert run("export", "--output", str(target), "--status", "COMPLETED").exit_code == 0
    assert [r["id"] for r in csv.DictReader(target.open())] == [scraped]


def test_export_keeps_ids_as_text_and_adds_owner_and_mmr(
    run: Invoke, uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    alice = register_one(run, "alice", USER)
    bob = register_one(run, "bob", OTHER_USER)
    add_season(uow, clock, alice)
    uow.committed.users[USER].username = "alice_discord"
    uow.committed.users[OTHER_USER].username = "=HYPERLINK(1)"
    add_guild(uow, clock, USER)
    [standing] = [s for s in guild_standings(GUILD, uow=uow, clock=clock) if s.best is not None]
    assert standing.best is not None and standing.best.tracker_id == alice
    expected = standing.best.mmr  # the league standings' MMR: the strongest tracker's
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(run("export").stdout))}
    assert rows[alice]["userId"] == f'="{USER}"'  # a spreadsheet keeps all 18 digits
    assert rows[alice]["ownerUsername"] == "alice_discord"
    assert rows[bob]["ownerUsername"] == "'=HYPERLINK(1)"  # never run as a formula
    assert rows[alice]["mmr"] == ""  # MMR is per guild: --guild
    in_guild = list(csv.DictReader(io.StringIO(run("export", "--guild", GUILD).stdout)))
    assert [(r["id"], r["mmr"]) for r in in_guild] == [(alice, str(expected))]
    plain = {r["id"]: r for r in csv.DictReader(io.StringIO(run("export", "--plain").stdout))}
    assert plain[alice]["userId"] == USER and plain[bob]["ownerUsername"] == "=HYPERLINK(1)"
    data = out_json(run("export", "--guild", GUILD, "--json"))
    assert data[0]["userId"] == USER and data[0]["mmr"] == expected


def test_export_json(run: Invoke, uow: FakeUnitOfWork, clock: FixedClock) -> None:
    scraped = register_one(run)
    add_season(uow, clock, scraped)
    rows = out_json(run("export", "--json"))
    assert rows[0]["rating3v3"] == 1400
    assert rows[0]["games2v2"] == 120


def test_embedded_cli_leaves_work_pending_and_wakes_the_server(
    settings: Settings, uow: FakeUnitOfWork, clock: FixedClock, run: Invoke
) -> None:
    from entrypoints.container import set_container

    set_container(make_container(settings, uow=uow, clock=clock))
    registered = run(
        "register",
        "--user",
        USER,
        "https://rocketleague.tracker.network/rocket-league/profile/epic/zed/overview",
    )
    assert registered.exit_code == 0, registered.stderr
    assert "Woke the running `trackers serve`" in registered.stderr
    status = json.loads(run("status", "--json").stdout)
    assert status["queueDepth"] == 1
