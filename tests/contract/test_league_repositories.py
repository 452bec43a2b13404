"""The repository contract of the league: member data for the rules, and numbers pulls with
their rows and overrides (fake, SQLite, PostgreSQL)."""

from __future__ import annotations

import pytest

from tests.contract import aggregates as a
from tests.contract.aggregates import G1, G2, U1, U2, U3
from tracker_core.errors import ConflictError
from tracker_core.flags import ReviewFlag
from tracker_core.league import Eligibility, EligibilityRules, evaluate_eligibility, league_view
from tracker_core.mmr import MmrInputs
from tracker_core.ports import UnitOfWork
from tracker_core.pulls import Pull, PullOverride, PullRow
from tracker_core.stats import PlaylistStats

T1, T2, T3, T4 = (f"ctracker00000000000000000{n}" for n in range(1, 5))


def _seed(uow: UnitOfWork) -> None:
    """U1 (two live trackers, three seasons on one), U2 (a deleted and an inactive tracker),
    U3 banned; all in G1; U1 also in G2."""
    with uow:
        for user_id in (U1, U2, U3):
            uow.users.add(a.user(user_id))
        uow.guilds.add(a.guild(G1))
        uow.guilds.add(a.guild(G2))
        uow.guilds.save_member(a.member(G1, U1))
        uow.guilds.save_member(a.member(G1, U2))
        uow.guilds.save_member(a.member(G1, U3, is_banned=True))
        uow.guilds.save_member(a.member(G2, U1))
        uow.trackers.add(a.tracker(T1, U1, "one", last_scraped_at=a.at(30)))
        uow.trackers.add(a.tracker(T2, U1, "two"))
        uow.trackers.add(a.tracker(T3, U2, "three", is_deleted=True, deleted_at=a.at(2)))
        uow.trackers.add(a.tracker(T4, U2, "four", is_active=False))
        for number in (32, 33, 34):
            uow.seasons.upsert(a.season(f"cs{number}", T1, number, rating=1000 + number))
        uow.seasons.upsert(a.season("cs99", T3, 34))
        uow.seasons.upsert(a.season("cs98", T4, 34))
        uow.commit()


def test_member_data_has_live_trackers_and_two_newest_seasons(uow: UnitOfWork) -> None:
    _seed(uow)
    with uow:
        found = uow.league.member_data(G1)
    assert [m.user_id for m in found] == [U1, U2]
    one = found[0]
    assert [t.tracker_id for t in one.trackers] == [T1, T2]
    assert [s.season_number for s in one.trackers[0].seasons] == [34, 33]
    ranked = league_view(a.season("x", T1, 34, rating=1034).stats)
    assert ranked.playlist("2v2") == PlaylistStats(
        rating=1034, matches_played=120, all_time_peak_rating=1134
    )
    assert one.trackers[0].seasons[0] == ranked
    assert one.trackers[0].last_scraped_at == a.at(30)
    assert one.trackers[1].seasons == () and found[1].trackers == ()
    with uow:
        assert [m.user_id for m in uow.league.member_data(G1, [U2, U3])] == [U2]
        assert uow.league.member_data("none") == []


def _pull(pull_id: str, guild_id: str, number: int, minute: float = 0) -> Pull:
    return Pull(
        id=pull_id,
        guild_id=guild_id,
        number=number,
        name=f"Pull {number}",
        note="placement day",
        created_by="bot:100000000000000001",
        created_at=a.at(minute),
        settings={"mmrCalculation": {"algorithm": "ASCENDANCY"}, "staleDays": 7},
        member_count=3,
    )


def _row(pull_id: str, user_id: str, mmr: int | None, *, eligible: bool = True) -> PullRow:
    rules = EligibilityRules(min_games={"twos": 0 if eligible else 10})
    return PullRow(
        pull_id=pull_id,
        user_id=user_id,
        tracker_id=None if mmr is None else T1,
        mmr=mmr,
        algorithm="ASCENDANCY",
        inputs=None if mmr is None else MmrInputs(twos=mmr, twos_games=12, threes_peak=1.5),
        eligibility=evaluate_eligibility({"twos": 5}, rules),
        data_at=None if mmr is None else a.at(-60),
        stale=mmr is None,
        reason=None if mmr is None else "only tracker with data (ASCENDANCY 1)",
    )


P1, P2, P3 = (f"cpull0000000000000000000{n}" for n in range(1, 4))


def test_pulls_round_trip_and_page_rows(uow: UnitOfWork) -> None:
    rows = [_row(P1, U3, None), _row(P1, U1, 1200, eligible=False), _row(P1, U2, 1500)]
    with uow:
        assert uow.pulls.next_number(G1) == 1
        uow.pulls.add(_pull(P1, G1, 1), rows)
        uow.pulls.add(_pull(P2, G1, 2, minute=5), [])
        uow.pulls.add(_pull(P3, G2, 1), [_row(P3, U1, 900)])
        uow.commit()
    with uow:
        assert uow.pulls.next_number(G1) == 3
        assert uow.pulls.get(G1, P1) == _pull(P1, G1, 1)
        assert uow.pulls.get(G2, P1) is None
        assert [p.id for p in uow.pulls.for_guild(G1)] == [P2, P1]
        assert uow.pulls.all_rows(P1) == [rows[2], rows[1], rows[0]]
        assert uow.pulls.row(P1, U1) == rows[1]
        assert uow.pulls.row(P1, "nobody") is None
        page, total = uow.pulls.rows(P1, None, 2, 2)
        assert (page, total) == ([rows[0]], 3)
        assert uow.pulls.rows(P1, "eligible", 1, 10) == ([rows[2], rows[0]], 2)
        assert uow.pulls.rows(P1, "ineligible", 1, 10) == ([rows[1]], 1)
        assert uow.pulls.rows(P1, "stale", 1, 10) == ([rows[0]], 1)
        found = uow.pulls.rows_for_user(U1, [G1, G2])
        assert [(p.id, r.mmr) for p, r in found] == [(P1, 1200), (P3, 900)]
        assert uow.pulls.rows_for_user(U1, []) == []


def test_pull_number_is_unique_per_guild(uow: UnitOfWork) -> None:
    with uow:
        uow.pulls.add(_pull(P1, G1, 1), [])
        uow.commit()
    with uow, pytest.raises(ConflictError):
        uow.pulls.add(_pull(P2, G1, 1), [])


def test_overrides_are_appended_beside_the_row(uow: UnitOfWork) -> None:
    row = _row(P1, U1, 1200)
    first = PullOverride(
        id="cover000000000000000000001",
        pull_id=P1,
        user_id=U1,
        mmr=1300,
        reason="alt",
        actor=U2,
        created_at=a.at(1),
    )
    second = PullOverride(
        id="cover000000000000000000002",
        pull_id=P1,
        user_id=U1,
        mmr=1350,
        reason="appeal",
        actor="bot",
        created_at=a.at(2),
    )
    with uow:
        uow.pulls.add(_pull(P1, G1, 1), [row])
        uow.pulls.add_override(first)
        uow.pulls.add_override(second)
        uow.commit()
    with uow:
        assert uow.pulls.overrides(P1) == [first, second]
        assert uow.pulls.row(P1, U1) == row


def test_eligibility_round_trips_through_a_row() -> None:
    found = Eligibility(False, ("twos: 5 of 10 games",), {"twos": 5})
    assert Eligibility.from_dict(found.to_dict()).reasons == found.reasons


def _review_flag(flag_id: str, user_id: str, kind: str, minute: float) -> ReviewFlag:
    return ReviewFlag(
        id=flag_id,
        guild_id=G1,
        user_id=user_id,
        kind=kind,  # type: ignore[arg-type]
        tracker_id=T1,
        detail="2v2 fell 150 (1650 → 1500) within 14 days",
        data={"playlist": "2v2", "drop": 150},
        raised_at=a.at(minute),
    )


F1, F2, F3 = (f"cflag0000000000000000000{n}" for n in range(1, 4))


def test_one_open_flag_per_member_and_kind(uow: UnitOfWork) -> None:
    first = _review_flag(F1, U1, "RATING_DROP", 1)
    with uow:
        uow.flags.add(first)
        uow.flags.add(_review_flag(F2, U1, "STALE", 2))
        uow.commit()
    with uow, pytest.raises(ConflictError):
        uow.flags.add(_review_flag(F3, U1, "RATING_DROP", 3))
    with uow:
        found = uow.flags.open_flag(G1, U1, "RATING_DROP")
        assert found == first
        assert uow.flags.open_kinds(G1) == {U1: ["RATING_DROP", "STALE"]}
        assert found is not None
        found.resolve("dismissed", "noise", "bot:1", a.at(4))
        uow.flags.save(found)
        uow.flags.add(_review_flag(F3, U1, "RATING_DROP", 5))
        uow.commit()
    with uow:
        resolved = uow.flags.get(G1, F1)
        assert resolved is not None and resolved.version == 1
        assert (resolved.status, resolved.resolution, resolved.resolved_at) == (
            "resolved",
            "dismissed",
            a.at(4),
        )
        assert [f.id for f in uow.flags.search(G1, None, None)] == [F3, F2, F1]
        assert [f.id for f in uow.flags.search(G1, "open", "RATING_DROP")] == [F3]
        assert uow.flags.get(G2, F1) is None
        stale_copy = uow.flags.get(G1, F3)
    assert stale_copy is not None
    with uow:
        fresh = uow.flags.get(G1, F3)
        assert fresh is not None
        fresh.resolve("confirmed", None, "x", a.at(6))
        uow.flags.save(fresh)
        uow.commit()
    with uow, pytest.raises(ConflictError):
        stale_copy.resolve("dismissed", None, "y", a.at(7))
        uow.flags.save(stale_copy)


def test_other_holders_of_a_platform_account(uow: UnitOfWork) -> None:
    _seed(uow)
    with uow:
        for tracker_id in (T1, T3):
            tracker = uow.trackers.get(tracker_id)
            assert tracker is not None
            tracker.platform_user_id = "42"
            uow.trackers.save(tracker)
        uow.commit()
    with uow:
        assert uow.flags.other_holders("STEAM", "42", U1) == [U2]
        assert uow.flags.other_holders("STEAM", "42", U2) == [U1]
        assert uow.flags.other_holders("EPIC", "42", U1) == []
