"""The tracker repository contract (fake, SQLite, PostgreSQL): identity, CAS and queries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest

from tests.contract import aggregates as a
from tests.contract.aggregates import G1, G2, U1, U2, U3
from tracker_core.errors import AlreadyRegisteredError, ConflictError
from tracker_core.model import Tracker, TrackerQuery, TrackerStatus
from tracker_core.ports import UnitOfWork

P, IP, C, F = (
    TrackerStatus.PENDING,
    TrackerStatus.IN_PROGRESS,
    TrackerStatus.COMPLETED,
    TrackerStatus.FAILED,
)


def _add(uow: UnitOfWork, *trackers: Tracker) -> None:
    with uow:
        for user_id in sorted({t.user_id for t in trackers}):
            if uow.users.get(user_id) is None:
                uow.users.add(a.user(user_id))
        for tracker in trackers:
            uow.trackers.add(tracker)
        uow.commit()


def test_round_trip_of_every_field(uow: UnitOfWork) -> None:
    original = a.busy_tracker("ctrk01", U1)
    deleted = a.tracker("ctrk02", U1, "gone", is_deleted=True, deleted_at=a.at(2))
    _add(uow, original, deleted)
    with uow:
        assert uow.trackers.get("ctrk01") == original
        assert uow.trackers.get("ctrk02") == deleted
        assert uow.trackers.get("cmissing") is None


def test_live_identity_is_unique_and_a_deleted_tracker_frees_it(uow: UnitOfWork) -> None:
    _add(uow, a.tracker("ctrk01", U1, "Taken"))
    with uow:
        uow.users.add(a.user(U2))
        with pytest.raises(AlreadyRegisteredError):
            uow.trackers.add(a.tracker("ctrk02", U2, "taken"))
        uow.trackers.add(a.tracker("ctrk03", U2, "free"))  # the transaction is still usable
        uow.commit()
    with uow:
        assert uow.trackers.get("ctrk02") is None
        assert uow.trackers.get("ctrk03") is not None
        first = uow.trackers.get("ctrk01")
        assert first is not None
        first.soft_delete(a.at(10))
        uow.trackers.save(first)
        uow.trackers.add(a.tracker("ctrk02", U2, "TAKEN"))
        uow.commit()
    with uow:
        live = uow.trackers.live_by_identity("steam:taken")
        assert live is not None and live.id == "ctrk02"


def test_restoring_onto_a_taken_identity_is_already_registered(uow: UnitOfWork) -> None:
    gone = a.tracker("ctrk01", U1, "name", is_deleted=True, deleted_at=a.at(1))
    _add(uow, gone, a.tracker("ctrk02", U2, "Name"))
    with uow:
        restored = uow.trackers.get("ctrk01")
        assert restored is not None
        restored.restore(a.at(5))
        with pytest.raises(AlreadyRegisteredError):
            uow.trackers.save(restored)
        uow.trackers.add(a.tracker("ctrk03", U2, "another"))
        uow.commit()
    with uow:
        assert uow.trackers.get("ctrk01") == gone
        assert uow.trackers.get("ctrk03") is not None


def test_save_is_compare_and_set_within_and_across_transactions(uow: UnitOfWork) -> None:
    _add(uow, a.tracker("ctrk01", U1, "name"))
    with uow:
        mine, theirs = uow.trackers.get("ctrk01"), uow.trackers.get("ctrk01")
        assert mine is not None and theirs is not None
    with uow:
        theirs.update(a.at(1), display_name="theirs", is_active=None)
        uow.trackers.save(theirs)
        assert theirs.version == 1
        uow.commit()
    with uow:
        mine.update(a.at(2), display_name="mine", is_active=False)
        with pytest.raises(ConflictError):
            uow.trackers.save(mine)
        again = uow.trackers.get("ctrk01")
        assert again == theirs and again is not None
        again.claim(a.at(3), a.at(13) - a.at(3), "token")
        uow.trackers.save(again)
        uow.trackers.save(again)
        assert again.version == 3
        uow.commit()
    with uow:
        assert uow.trackers.get("ctrk01") == again


def test_for_user_and_live_by_identity(uow: UnitOfWork) -> None:
    later = a.tracker("ctrk01", U1, "later", minute=5)
    gone = a.tracker("ctrk02", U1, "gone", minute=1, is_deleted=True, deleted_at=a.at(2))
    tie_b = a.tracker("ctrk04", U1, "tie-b", minute=3)
    tie_a = a.tracker("ctrk03", U1, "tie-a", minute=3)
    _add(uow, later, gone, tie_b, tie_a, a.tracker("ctrk05", U2, "other"))
    with uow:
        assert uow.trackers.for_user(U1) == [tie_a, tie_b, later]
        assert uow.trackers.for_user(U1, include_deleted=True) == [gone, tie_a, tie_b, later]
        assert uow.trackers.for_user(U3) == []
        assert uow.trackers.live_by_identity("steam:later") == later
        assert uow.trackers.live_by_identity("steam:gone") is None


def _fleet() -> list[Tracker]:
    """Eight trackers of three users; ctrk04 and ctrk08 are deleted."""

    def t(n: int, user_id: str, platform: str, status: TrackerStatus, **kw: Any) -> Tracker:
        kw.setdefault("updated_at", a.at(kw.get("minute", 0)))
        return a.tracker(
            f"ctrk0{n}", user_id, f"p{n}", platform=platform, scraping_status=status, **kw
        )

    return [
        t(1, U1, "STEAM", P, minute=1, updated_at=a.at(9)),
        t(2, U1, "EPIC", C, minute=2, updated_at=a.at(3), last_scraped_at=a.at(5)),
        t(3, U1, "PSN", F, minute=3, updated_at=a.at(3), last_scraped_at=a.at(1), is_active=False),
        t(4, U1, "STEAM", C, minute=4, is_deleted=True, last_scraped_at=a.at(0)),
        t(5, U2, "STEAM", IP, minute=5, updated_at=a.at(6), last_scraped_at=a.at(2),
          lease_expires_at=a.at(10), lease_token="lease"),
        t(6, U2, "XBL", P, minute=5, updated_at=a.at(1)),
        t(7, U3, "SWITCH", C, minute=7, last_scraped_at=a.at(5)),
        t(8, U3, "STEAM", IP, minute=8, is_deleted=True, lease_expires_at=a.at(4)),
    ]  # fmt: skip


def _ids(found: list[Tracker]) -> list[str]:
    return [t.id.removeprefix("ctrk0") for t in found]


SEARCHES = [
    (TrackerQuery(), ["7", "6", "5", "3", "2", "1"], 6),
    (TrackerQuery(user_ids=(U1,), sort_order="asc"), ["1", "2", "3"], 3),
    (TrackerQuery(user_ids=(U1, U2), platforms=("STEAM",)), ["5", "1"], 2),
    (TrackerQuery(statuses=(P, F)), ["6", "3", "1"], 3),
    (TrackerQuery(is_active=False), ["3"], 1),
    (TrackerQuery(is_active=True, platforms=("STEAM", "XBL")), ["6", "5", "1"], 3),
    (TrackerQuery(sort_by="lastScrapedAt", sort_order="asc"), ["1", "6", "3", "5", "2", "7"], 6),
    (TrackerQuery(sort_by="lastScrapedAt"), ["7", "2", "5", "3", "6", "1"], 6),
    (TrackerQuery(sort_by="updatedAt"), ["1", "7", "5", "3", "2", "6"], 6),
    (TrackerQuery(page=2, limit=4), ["2", "1"], 6),
    (TrackerQuery(page=3, limit=4), [], 6),
    (TrackerQuery(user_ids=()), [], 0),
    (TrackerQuery(user_ids=("nobody",)), [], 0),
]


@pytest.mark.parametrize(("query", "expected", "total"), SEARCHES)
def test_search_filters_sorts_pages_and_counts(
    uow: UnitOfWork, query: TrackerQuery, expected: list[str], total: int
) -> None:
    fleet = _fleet()
    _add(uow, *fleet)
    with uow:
        found, counted = uow.trackers.search(query)
    assert (_ids(found), counted) == (expected, total)
    by_id = {t.id: t for t in fleet}
    assert all(t == by_id[t.id] for t in found)


def _with_guilds(uow: UnitOfWork) -> None:
    _add(uow, *_fleet())
    with uow:
        uow.guilds.add(a.guild(G1))
        uow.guilds.add(a.guild(G2))
        members = [a.member(G1, U1), a.member(G1, U2, is_banned=True), a.member(G1, U3)]
        uow.guilds.replace_members(G1, members)
        uow.guilds.replace_members(G2, [a.member(G2, U2)])
        uow.commit()


@pytest.mark.parametrize(
    ("stale_minute", "guild_id", "expected"),
    [
        (3, None, ["1", "6"]),
        (6, None, ["1", "2", "6", "7"]),
        (6, G1, ["1", "2", "7"]),
        (6, G2, ["6"]),
        (6, "no-such-guild", []),
    ],
)
def test_pending_or_stale_ids(
    uow: UnitOfWork, stale_minute: int, guild_id: str | None, expected: list[str]
) -> None:
    _with_guilds(uow)
    with uow:
        found = uow.trackers.pending_or_stale_ids(a.at(stale_minute), guild_id)
    assert [i.removeprefix("ctrk0") for i in found] == expected


def test_pending_ids_status_counts_and_expired_leases(uow: UnitOfWork) -> None:
    _add(uow, *_fleet())
    with uow:
        assert uow.trackers.pending_ids() == ["ctrk01", "ctrk06"]
        assert uow.trackers.status_counts() == {P: 2, IP: 1, C: 2, F: 1}
        assert _ids(uow.trackers.expired_leases(a.at(3))) == []
        assert sorted(_ids(uow.trackers.expired_leases(a.at(10)))) == ["5", "8"]
        assert _ids(uow.trackers.expired_leases(a.at(5))) == ["8"]


def test_pending_first_scrapes_counts_pending_trackers_without_a_season(uow: UnitOfWork) -> None:
    _add(uow, *_fleet())
    with uow:
        assert uow.trackers.pending_first_scrapes() == 2  # ctrk01 and ctrk06
        uow.seasons.upsert(a.season("cseason1", "ctrk06", 34))
        uow.seasons.upsert(a.season("cseason2", "ctrk02", 34))  # not PENDING: no change
        uow.commit()
    with uow:
        assert uow.trackers.pending_first_scrapes() == 1


def test_mark_pending_in_bulk(uow: UnitOfWork) -> None:
    _add(uow, *_fleet())
    now: datetime = a.at(50)
    with uow:
        stale = uow.trackers.get("ctrk02")
        ids = ["ctrk02", "ctrk05", "ctrk04", "cmissing", "ctrk03", "ctrk01"]
        assert uow.trackers.mark_pending(ids, now) == ["ctrk02", "ctrk03", "ctrk01"]
        assert uow.trackers.mark_pending([], now) == []
        uow.commit()
    assert stale is not None
    with uow:
        changed = uow.trackers.get("ctrk02")
        assert changed is not None
        assert (changed.scraping_status, changed.updated_at, changed.version) == (P, now, 1)
        assert changed.scraping_attempts == 0 and changed.next_attempt_at is None
        untouched = uow.trackers.get("ctrk05")
        assert untouched is not None and untouched.scraping_status == IP
        assert untouched.version == 0
        with pytest.raises(ConflictError):
            uow.trackers.save(stale)


# --- the scrape's compare-and-sets: claim, save_scrape, renew_lease ------------------------

LEASE = timedelta(minutes=5)


@pytest.mark.parametrize(
    ("changes", "claimable"),
    [
        ({}, True),
        ({"next_attempt_at": a.at(10)}, True),  # due exactly now
        ({"next_attempt_at": a.at(11)}, False),  # not yet due
        ({"is_active": False}, False),
        ({"is_deleted": True, "deleted_at": a.at(1)}, False),
        ({"scraping_status": C}, False),
        ({"scraping_status": F}, False),
        ({"scraping_status": IP, "lease_token": "other", "lease_expires_at": a.at(12)}, False),
    ],
)
def test_claim_is_can_be_claimed_then_claim(
    uow: UnitOfWork, changes: dict[str, Any], claimable: bool
) -> None:
    original = a.tracker("ctrk01", U1, "one", **changes)
    _add(uow, original)
    now = a.at(10)
    with uow:
        claimed = uow.trackers.claim("ctrk01", now, LEASE, "tok1")
        uow.commit()
    assert original.can_be_claimed(now) is claimable
    expected = attrs.evolve(original)
    if claimable:
        expected.claim(now, LEASE, "tok1")
        expected.version += 1
        assert claimed == expected
    else:
        assert claimed is None
    with uow:
        assert uow.trackers.get("ctrk01") == expected
        assert uow.trackers.claim("cmissing", now, LEASE, "tok2") is None


def test_a_tracker_is_claimed_once(uow: UnitOfWork) -> None:
    _add(uow, a.tracker("ctrk01", U1, "one"))
    with uow:
        assert uow.trackers.claim("ctrk01", a.at(1), LEASE, "tok1") is not None
        uow.commit()
    with uow:
        assert uow.trackers.claim("ctrk01", a.at(2), LEASE, "tok2") is None
        uow.commit()
    with uow:
        stored = uow.trackers.get("ctrk01")
        assert stored is not None and stored.lease_token == "tok1"


def test_save_scrape_writes_the_scrape_fields_while_the_lease_is_held(uow: UnitOfWork) -> None:
    _add(uow, a.tracker("ctrk01", U1, "one"))
    with uow:
        claimed = uow.trackers.claim("ctrk01", a.at(1), LEASE, "tok1")
        uow.commit()
    assert claimed is not None
    with uow:  # the owner renames it meanwhile: the scrape must keep that
        renamed = uow.trackers.get("ctrk01")
        assert renamed is not None
        renamed.update(a.at(2), display_name="Renamed", is_active=None)
        uow.trackers.save(renamed)
        uow.commit()
    renewed = attrs.evolve(claimed)
    renewed.renew_lease(a.at(3), LEASE)
    with uow:
        assert uow.trackers.renew_lease(renewed, "tok1") is True
        assert uow.trackers.renew_lease(renewed, "wrong") is False
        uow.commit()
    done = attrs.evolve(claimed)
    done.complete(a.at(4), "platform-42")
    done.source_expires_at = a.at(8)
    assert a.saved_scrape(uow, done, "wrong") is None
    returned = a.saved_scrape(uow, done, "tok1")
    assert returned is not None and returned.id == "ctrk01"
    with uow:
        stored = uow.trackers.get("ctrk01")
    assert stored is not None
    assert stored.display_name == "Renamed"
    assert (stored.scraping_status, stored.last_scraped_at) == (C, a.at(4))
    assert (stored.lease_token, stored.lease_expires_at) == (None, None)
    assert stored.platform_user_id == "platform-42"
    assert stored.source_expires_at == a.at(8)
    assert stored.version == claimed.version + 3  # rename, renewal, completion
    with uow:
        assert uow.trackers.get("ctrk01") == stored
        # the lease is gone: a late renewal or result writes nothing
        assert uow.trackers.renew_lease(renewed, "tok1") is False
    assert a.saved_scrape(uow, done, "tok1") is None
    with uow:
        assert uow.trackers.get("ctrk01") == stored


def test_the_seasons_read_after_a_claim_are_the_stored_ones(uow: UnitOfWork) -> None:
    _add(uow, a.tracker("ctrk01", U1, "one"))
    older, newer = a.season("cs1", "ctrk01", 33), a.season("cs2", "ctrk01", 34)
    with uow:
        uow.seasons.upsert_many([older, newer])
        uow.commit()
    with uow:
        assert uow.trackers.claim("ctrk01", a.at(1), LEASE, "tok1") is not None
        assert uow.seasons.for_tracker("ctrk01") == [newer, older]
        assert uow.seasons.for_tracker("ctrk01") == [newer, older]
        replaced = a.season("cs9", "ctrk01", 34, rating=1900)
        uow.seasons.upsert_many([replaced])
        assert uow.seasons.for_tracker("ctrk01")[0].stats == replaced.stats
        uow.commit()


def test_pending_first_scrapes_count_live_never_scraped_pending_trackers(uow: UnitOfWork) -> None:
    _add(uow, *_fleet())
    with uow:
        assert uow.trackers.pending_first_scrapes() == 2  # ctrk01 and ctrk06
    _add(
        uow,
        a.tracker("ctrk10", U1, "p10", scraping_status=P, last_scraped_at=a.at(1)),
        a.tracker("ctrk11", U2, "p11", scraping_status=P, is_deleted=True),
        a.tracker("ctrk12", U3, "p12", scraping_status=P),
    )
    with uow:  # ctrk10 was scraped before: a season is stored, so its next scrape is not a first
        uow.seasons.upsert(a.season("cseason10", "ctrk10", 34))
        uow.commit()
    with uow:
        assert uow.trackers.pending_first_scrapes() == 3
