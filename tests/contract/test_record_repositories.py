"""The repository contract for the history and work records: seasons, snapshots, logs,
schedules, the notification outbox and player ratings (fake, SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from tests.contract import aggregates as a
from tests.contract.aggregates import G1, G2, U1, U2, U3
from tests.contract.conftest import Backend
from tracker_core.errors import ConflictError
from tracker_core.model import ActivityLog, StoredSeasons
from tracker_core.notifications import DeliveryStatus
from tracker_core.ports import UnitOfWork
from tracker_core.schedules import Schedule, ScheduleStatus


def _seed_tracker(uow: UnitOfWork, tracker_id: str = "ctracker000000000000000001") -> str:
    with uow:
        uow.users.add(a.user(U1))
        uow.trackers.add(a.tracker(tracker_id, U1, "seed"))
        uow.commit()
    return tracker_id


# --- seasons, snapshots, logs -------------------------------------------------------------


def test_seasons_upsert_and_come_newest_first(uow: UnitOfWork) -> None:
    tracker_id = _seed_tracker(uow)
    older, newer = a.season("cs1", tracker_id, 33), a.season("cs2", tracker_id, 34)
    replaced = a.season("cs2", tracker_id, 34, rating=1800)
    with uow:
        uow.seasons.upsert(older)
        uow.seasons.upsert(newer)
        uow.commit()
    with uow:
        assert uow.seasons.for_tracker(tracker_id) == [newer, older]
        uow.seasons.upsert(replaced)
        uow.commit()
    with uow:
        assert uow.seasons.for_tracker(tracker_id) == [replaced, older]
        assert uow.seasons.for_tracker("cunknown") == []


def test_seasons_upsert_many_keeps_the_id_and_creation_of_a_stored_season(uow: UnitOfWork) -> None:
    tracker_id = _seed_tracker(uow)
    older, newer = a.season("cs1", tracker_id, 33), a.season("cs2", tracker_id, 34)
    with uow:
        uow.seasons.upsert_many([older, newer])
        assert uow.seasons.for_tracker(tracker_id) == [newer, older]  # seen by the next read
        uow.commit()
    again = attrs.evolve(
        a.season("cs9", tracker_id, 34, rating=1800),
        created_at=newer.created_at + timedelta(minutes=5),
        updated_at=newer.updated_at + timedelta(minutes=5),
    )
    fresh = a.season("cs3", tracker_id, 35)
    with uow:
        uow.seasons.upsert_many([again, fresh])
        uow.commit()
    with uow:
        kept = attrs.evolve(again, id="cs2", created_at=newer.created_at)
        assert uow.seasons.for_tracker(tracker_id) == [fresh, kept, older]
        uow.seasons.upsert_many([a.season("cs4", tracker_id, 36)])
        uow.snapshots.add(a.snapshot("csnap1", tracker_id, 1, 36))
    with uow:  # not committed: nothing of it was kept
        assert [s.season_number for s in uow.seasons.for_tracker(tracker_id)] == [35, 34, 33]
        assert uow.snapshots.for_tracker(tracker_id) == []


def test_seasons_for_a_scrape_are_their_numbers_and_the_newest_in_full(
    uow: UnitOfWork,
) -> None:
    tracker_id = _seed_tracker(uow)
    seasons = [a.season(f"cs{n}", tracker_id, n, rating=1000 + n) for n in (31, 34, 33)]
    with uow:
        assert uow.seasons.for_scrape(tracker_id) == StoredSeasons()
        uow.seasons.upsert_many(seasons)
        uow.commit()
    with uow:
        assert uow.seasons.for_scrape(tracker_id) == StoredSeasons(
            frozenset({31, 33, 34}), seasons[1]
        )
        assert uow.seasons.for_scrape("cunknown") == StoredSeasons()


def test_snapshots_newest_first_by_season_and_limit(uow: UnitOfWork) -> None:
    tracker_id = _seed_tracker(uow)
    shots = [a.snapshot(f"csnap{i}", tracker_id, i, 34 if i % 2 else 33) for i in range(6)]
    manual = a.snapshot("csnapm", tracker_id, 10, None)
    with uow:
        for shot in [*shots, manual]:
            uow.snapshots.add(shot)
        uow.commit()
    with uow:
        assert uow.snapshots.for_tracker(tracker_id) == [manual, *reversed(shots)]
        assert uow.snapshots.for_tracker(tracker_id, season=34) == [shots[5], shots[3], shots[1]]
        assert uow.snapshots.for_tracker(tracker_id, season=33, limit=2) == [shots[4], shots[2]]
        assert uow.snapshots.for_tracker(tracker_id, limit=1) == [manual]


def test_scraping_logs_filter_page_and_total(uow: UnitOfWork) -> None:
    tracker_id = _seed_tracker(uow)
    other = "ctracker000000000000000002"
    with uow:
        uow.trackers.add(a.tracker(other, U1, "other"))
        uow.commit()
    statuses = ["SUCCESS", "FAILED", "PARTIAL", "FAILED", "SKIPPED"]
    logs = [a.scraping_log(f"clog{i}", tracker_id, i, s) for i, s in enumerate(statuses)]
    with uow:
        for log in logs:
            uow.scraping_logs.add(log)
        uow.scraping_logs.add(a.scraping_log("clogx", other, 99, "FAILED"))
        uow.commit()
    with uow:
        page, total = uow.scraping_logs.search(tracker_id, None, 1, 2)
        assert page == [logs[4], logs[3]] and total == 5
        page, total = uow.scraping_logs.search(None, "FAILED", 2, 2)
        assert page == [logs[1]] and total == 3
        page, total = uow.scraping_logs.search(tracker_id, "FAILED", 1, 50)
        assert page == [logs[3], logs[1]] and total == 2


def test_scraping_logs_by_category_failure_counts_and_requests_since(uow: UnitOfWork) -> None:
    tracker_id = _seed_tracker(uow)
    logs = [
        a.scraping_log("clog0", tracker_id, 0, "SUCCESS"),
        a.scraping_log("clog1", tracker_id, 1, "FAILED"),
        attrs.evolve(a.scraping_log("clog2", tracker_id, 2, "FAILED"), error_category="challenge"),
        a.scraping_log("clog3", tracker_id, 3, "FAILED"),
        attrs.evolve(
            a.scraping_log("clog4", tracker_id, 4, "FAILED"), error_category=None, seasons_scraped=0
        ),
    ]
    with uow:
        for log in logs:
            uow.scraping_logs.add(log)
        uow.commit()
    with uow:
        page, total = uow.scraping_logs.search(None, "FAILED", 1, 50, "timeout")
        assert page == [logs[3], logs[1]] and total == 2
        page, total = uow.scraping_logs.search(tracker_id, None, 1, 1, "challenge")
        assert page == [logs[2]] and total == 1
        assert uow.scraping_logs.failure_categories() == {"timeout": 2, "challenge": 1, None: 1}
        # scraped 4 + failed 0/1 per log; clog4 scraped none: started at or after minute 2
        assert uow.scraping_logs.requests_since(a.at(2)) == 5 + 5 + 1
        assert uow.scraping_logs.requests_since(a.at(0)) == 4 + 5 + 5 + 5 + 1
        assert uow.scraping_logs.requests_since(a.at(5)) == 0


def test_activity_and_audit_entries_are_stored(backend: Backend) -> None:
    uow = backend.uow
    tracker_id = _seed_tracker(uow)
    with uow:
        uow.activity.add(
            ActivityLog(
                id=uow.next_id(),
                tracker_id=tracker_id,
                user_id=U1,
                kind="SCRAPE_FAILED",
                message="Scrape failed: boom",
                created_at=a.at(1),
            )
        )
        uow.audit.add(U1, "POST", "/api/trackers/add", 201, {"url": "x", "n": [1]}, a.at(2))
        uow.audit.add(None, "DELETE", "/internal/users/1", 200, None, a.at(3))
        uow.commit()
    assert backend.count("activity_logs") == 1
    assert backend.count("audit_logs") == 2


# --- schedules ----------------------------------------------------------------------------


def test_audit_successes_of_paths_newest_first(uow: UnitOfWork) -> None:
    with uow:
        uow.audit.add(U1, "PATCH", "/a", 200, {"n": 1}, a.at(1))
        uow.audit.add(U1, "PATCH", "/a", 400, {"n": 2}, a.at(2))
        uow.audit.add(None, "POST", "/b", 201, None, a.at(3))
        uow.audit.add(U2, "PATCH", "/c", 200, {"n": 4}, a.at(4))
        uow.audit.add(U2, "PATCH", "/a", 200, {"n": 5}, a.at(5))
        uow.commit()
    with uow:
        found, total = uow.audit.successes(["/a", "/b"], 1, 2)
        assert total == 3
        assert [(e.actor, e.path, e.body) for e in found] == [
            (U2, "/a", {"n": 5}),
            (None, "/b", None),
        ]
        assert found[0].created_at == a.at(5) and found[0].status == 200
        found, total = uow.audit.successes(["/a", "/b"], 2, 2)
        assert [e.body for e in found] == [{"n": 1}] and total == 3


def test_audit_successes_count_a_signed_in_form_s_redirect(uow: UnitOfWork) -> None:
    """A dashboard form that saved answers 303 with its actor; a 303 without one (the sign-in
    redirect of a signed-out browser) and other redirects' statuses are not successes."""
    with uow:
        uow.audit.add(U1, "POST", "/f", 303, {"n": 1}, a.at(1))
        uow.audit.add(None, "POST", "/f", 303, {"n": 2}, a.at(2))
        uow.audit.add(U1, "POST", "/f", 302, {"n": 3}, a.at(3))
        uow.audit.add(U1, "POST", "/f", 400, {"n": 4}, a.at(4))
        uow.commit()
    with uow:
        found, total = uow.audit.successes(["/f"], 1, 10)
        assert total == 1 and [(e.actor, e.status, e.body) for e in found] == [(U1, 303, {"n": 1})]


def test_schedule_round_trip_and_compare_and_set(uow: UnitOfWork) -> None:
    done = a.finished_schedule("csched1", G1)
    pending = a.schedule("csched2", G1, 5)
    with uow:
        uow.schedules.add(done)
        uow.schedules.add(pending)
        uow.commit()
    with uow:
        assert uow.schedules.get("csched1") == done
        claimer, stale = uow.schedules.get("csched2"), uow.schedules.get("csched2")
        assert claimer == pending and claimer is not None and stale is not None
        claimer.claim(a.at(6), timedelta(minutes=10))
        uow.schedules.save(claimer)
        stale.cancel(a.at(6))
        with pytest.raises(ConflictError):
            uow.schedules.save(stale)
        uow.commit()
    with uow:
        loaded = uow.schedules.get("csched2")
        assert loaded == claimer and loaded is not None
        assert loaded.status == ScheduleStatus.RUNNING and loaded.version == 1
        assert (loaded.attempts, loaded.lease_expires_at) == (1, a.at(16))
        assert uow.schedules.get("cmissing") is None


def test_schedules_for_guild_and_due(uow: UnitOfWork) -> None:
    items = [
        a.schedule("cs-late", G1, 30),
        a.finished_schedule("cs-done", G1),
        a.schedule("cs-cancel", G1, 10, status=ScheduleStatus.CANCELLED),
        a.schedule("cs-early", G1, -5),
        a.schedule("cs-tie", G1, -5),
        a.schedule("cs-other", G2, -50),
    ]
    with uow:
        for item in items:
            uow.schedules.add(item)
        uow.commit()

    def ids(found: list[Schedule]) -> list[str]:
        return [s.id for s in found]

    with uow:
        listed = uow.schedules.for_guild(G1, None, True)
        assert ids(listed) == ["cs-done", "cs-early", "cs-tie", "cs-cancel", "cs-late"]
        assert ids(uow.schedules.for_guild(G1, None, False)) == [
            "cs-early",
            "cs-tie",
            "cs-cancel",
            "cs-late",
        ]
        completed = uow.schedules.for_guild(G1, ScheduleStatus.COMPLETED, False)
        assert ids(completed) == ["cs-done"]
        assert ids(uow.schedules.due(a.at(0))) == ["cs-other", "cs-early", "cs-tie"]
        assert ids(uow.schedules.due(a.at(30))) == ["cs-other", "cs-early", "cs-tie", "cs-late"]


def test_abandoned_schedules_are_running_ones_past_their_lease(uow: UnitOfWork) -> None:
    running = ScheduleStatus.RUNNING
    with uow:
        for item in (
            a.schedule("ca-live", G1, -20, status=running, attempts=1, lease_expires_at=a.at(5)),
            a.schedule("ca-dead", G1, -10, status=running, attempts=2, lease_expires_at=a.at(-1)),
            a.schedule("ca-legacy", G2, -30, status=running, attempts=1),
            a.schedule("ca-pending", G1, -40),
            a.finished_schedule("ca-done", G1),
        ):
            uow.schedules.add(item)
        uow.commit()
    with uow:
        assert [s.id for s in uow.schedules.abandoned(a.at(0))] == ["ca-legacy", "ca-dead"]
        assert [s.id for s in uow.schedules.abandoned(a.at(5))] == [
            "ca-legacy",
            "ca-live",
            "ca-dead",
        ]
        dead = uow.schedules.get("ca-dead")
        assert dead is not None and (dead.attempts, dead.lease_expires_at) == (2, a.at(-1))


# --- notifications and ratings ------------------------------------------------------------


def test_notifications_due_round_trip_and_compare_and_set(uow: UnitOfWork) -> None:
    tracker_id = _seed_tracker(uow)
    later = a.notification("cn-later", tracker_id, 20)
    fresh = a.notification(
        "cn-fresh", tracker_id, 1, attempts=0, next_attempt_at=None, last_error=None, guild_id=None
    )
    retry = a.notification("cn-retry", tracker_id, 0, channel="DISCORD_DM", target=U1)
    with uow:
        for note in (later, fresh, retry):
            uow.notifications.add(note)
        uow.commit()
    with uow:
        assert uow.notifications.due(a.at(2), 10) == [retry, fresh]
        assert uow.notifications.due(a.at(30), 1) == [retry]
        sent, stale = uow.notifications.due(a.at(30), 3)[0], uow.notifications.due(a.at(30), 3)[0]
        sent.mark_sent(a.at(30))
        uow.notifications.save(sent)
        stale.status = DeliveryStatus.FAILED
        with pytest.raises(ConflictError):
            uow.notifications.save(stale)
        uow.commit()
    with uow:
        assert uow.notifications.due(a.at(30), 10) == [fresh, later]


def test_ratings_upsert_per_guild_and_user_sorted_by_mmr(uow: UnitOfWork) -> None:
    tracker_id = _seed_tracker(uow)
    first = a.rating(G1, U1, tracker_id, 1500)
    second = a.rating(G1, U2, tracker_id, 1700)
    tie = a.rating(G1, U3, tracker_id, 1500)
    elsewhere = a.rating(G2, U1, tracker_id, 100)
    with uow:
        for item in (first, second, tie, elsewhere):
            uow.ratings.upsert(item)
        uow.commit()
    with uow:
        assert uow.ratings.for_guild(G1) == [second, first, tie]
        improved = a.rating(G1, U1, tracker_id, 1800)
        uow.ratings.upsert(improved)
        uow.commit()
    with uow:
        assert uow.ratings.for_guild(G1) == [improved, second, tie]
        assert uow.ratings.for_guild(G2) == [elsewhere]
        assert uow.ratings.for_guild("none") == []


def test_notifications_of_a_tracker_newest_first_with_limit(uow: UnitOfWork) -> None:
    tracker_id = _seed_tracker(uow)
    other = _seed_other_tracker(uow)
    old, new = a.notification("cn-old", tracker_id, 1), a.notification("cn-new", tracker_id, 5)
    with uow:
        for note in (old, new, a.notification("cn-other", other, 3)):
            uow.notifications.add(note)
        uow.commit()
    with uow:
        assert uow.notifications.for_tracker(tracker_id, 10) == [new, old]
        assert uow.notifications.for_tracker(tracker_id, 1) == [new]
        assert [n.id for n in uow.notifications.for_tracker(other, 10)] == ["cn-other"]


def _seed_other_tracker(uow: UnitOfWork) -> str:
    tracker_id = "ctracker000000000000000002"
    with uow:
        uow.trackers.add(a.tracker(tracker_id, U1, "other"))
        uow.commit()
    return tracker_id
