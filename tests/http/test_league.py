"""League endpoints over HTTP (fakes): standings with the strongest tracker and eligibility,
numbers pulls with their pages, CSV, diffs and overrides, on the bot and the staff side."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest

from tests.builders import season
from tests.http.conftest import GUILD, OTHER, STAFF_ROLE, USER, Env
from tracker_core.flags import ReviewFlag
from tracker_core.model import Tracker, TrackerSeason, TrackerStatus
from tracker_core.stats import SeasonStats

STAFF_MEMBER = "666666666666666666"
THIRD = "777777777777777777"


def seed(env: Env, user: str, tracker_id: str, *seasons: SeasonStats, age_days: float = 0) -> None:
    """A live, scraped tracker of ``user`` holding ``seasons``."""
    store = env.uow.committed
    now = env.clock.now()
    scraped = now - timedelta(days=age_days)
    store.trackers[tracker_id] = Tracker(
        id=tracker_id,
        url=f"https://tracker.gg/rocket-league/profile/steam/{tracker_id}/overview",
        platform="STEAM",
        username=tracker_id,
        identity=f"steam:{tracker_id}",
        api_path=f"steam/{tracker_id}",
        user_id=user,
        created_at=now,
        updated_at=now,
        last_scraped_at=scraped,
        scraping_status=TrackerStatus.COMPLETED,
    )
    for stats in seasons:
        store.seasons[(tracker_id, stats.season_number)] = TrackerSeason(
            id=f"s{tracker_id}{stats.season_number}",
            tracker_id=tracker_id,
            stats=stats,
            scraped_at=scraped,
            created_at=now,
            updated_at=now,
        )


def tid(n: int) -> str:
    return f"c{n:024d}"


@pytest.fixture
def league(env: Env) -> Env:
    """A guild with a staff member and three players: USER has two trackers (the older one is
    the stronger), OTHER one, THIRD none."""
    env.add_guild(GUILD, {STAFF_MEMBER: (STAFF_ROLE,), USER: (), OTHER: (), THIRD: ()})
    seed(env, USER, tid(1), season(34, twos=(1500, 40), threes=(1500, 40)), age_days=3)
    seed(env, USER, tid(2), season(34, twos=(1000, 100), threes=(1000, 100)))
    seed(env, OTHER, tid(3), season(34, twos=(1200, 60), threes=(1100, 10)), age_days=10)
    return env


SIDES = [
    pytest.param({"bot": True}, "/internal", id="bot"),
    pytest.param({"as_user": STAFF_MEMBER}, "/api", id="staff"),
]


@pytest.mark.parametrize(("who", "prefix"), SIDES)
def test_mmr_rows_use_the_strongest_tracker_and_show_eligibility(
    league: Env, who: dict[str, Any], prefix: str
) -> None:
    league.client.patch(
        f"/internal/guilds/{GUILD}/settings",
        bot=True,
        json={"eligibility": {"minGames": {"twos": 50}}},
    )
    body = league.client.get(f"{prefix}/guilds/{GUILD}/mmr", **who).get_json()
    assert [(r["userId"], r["trackerId"]) for r in body] == [(USER, tid(1)), (OTHER, tid(3))]
    top = body[0]
    assert (
        top["mmr"] == 1500
        and "highest ASCENDANCY MMR 1500 of 2 trackers" in top["bestTrackerReason"]
    )
    # games are summed over both of USER's trackers: 40 + 100 twos games
    assert top["eligibility"] == {
        "eligible": True,
        "reasons": [],
        "games": {"ones": 0, "twos": 140, "threes": 140, "fours": 0, "combined": 280},
    }
    assert (body[1]["eligibility"]["eligible"], body[1]["mmr"]) == (True, 1186)
    assert body[1]["stale"] is True and top["stale"] is False


def test_member_eligibility_lists_every_unmet_minimum(league: Env) -> None:
    patch = {"eligibility": {"minGames": {"threes": 50, "combined": 100}}}
    assert (
        league.client.patch(f"/internal/guilds/{GUILD}/settings", bot=True, json=patch).status_code
        == 200
    )
    path = f"/api/guilds/{GUILD}/members/{OTHER}/eligibility"
    body = league.client.get(path, as_user=STAFF_MEMBER).get_json()
    assert body["eligible"] is False
    assert body["reasons"] == ["threes: 10 of 50 games", "combined: 70 of 100 games"]
    assert body["trackerId"] == tid(3) and body["seasonsCounted"] == 1
    assert league.client.get(path, as_user=USER).status_code == 403
    missing = f"/internal/guilds/{GUILD}/members/888888888888888888/eligibility"
    assert league.client.get(missing, bot=True).status_code == 404


def test_two_seasons_counted(league: Env) -> None:
    seed(league, OTHER, tid(3), season(33, threes=(1000, 45)), season(34, threes=(1100, 10)))
    patch = {"eligibility": {"seasonsCounted": 2, "minGames": {"threes": 50}}}
    league.client.patch(f"/internal/guilds/{GUILD}/settings", bot=True, json=patch)
    body = league.client.get(
        f"/internal/guilds/{GUILD}/members/{OTHER}/eligibility", bot=True
    ).get_json()
    assert (body["eligible"], body["games"]["threes"]) == (True, 55)


def test_bad_eligibility_settings_name_the_field(league: Env) -> None:
    for patch, field in (
        ({"seasonsCounted": 3}, "eligibility.seasonsCounted"),
        ({"minGames": {"twos": -1}}, "eligibility.minGames.twos"),
        ({"minGames": {"fives": 1}}, "eligibility.minGames.fives"),
        ({"combinedPlaylists": ["sixes"]}, "eligibility.combinedPlaylists"),
    ):
        response = league.client.patch(
            f"/internal/guilds/{GUILD}/settings", bot=True, json={"eligibility": patch}
        )
        assert response.status_code == 400, patch
        assert [e["field"] for e in response.get_json()["errors"]] == [field]


def _pull(env: Env, name: str = "Placement", **who: Any) -> dict[str, Any]:
    who = who or {"bot": True}
    prefix = "/internal" if who.get("bot") else "/api"
    response = env.client.post(f"{prefix}/guilds/{GUILD}/pulls", json={"name": name}, **who)
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


@pytest.mark.parametrize(("who", "prefix"), SIDES)
def test_pull_freezes_every_member(league: Env, who: dict[str, Any], prefix: str) -> None:
    first = _pull(league, **who)
    assert (first["number"], first["memberCount"]) == (1, 4)
    assert first["createdBy"] == ("bot" if who.get("bot") else STAFF_MEMBER)
    page = league.client.get(f"{prefix}/guilds/{GUILD}/pulls/{first['id']}", **who).get_json()
    assert [r["userId"] for r in page["data"]] == [USER, OTHER, STAFF_MEMBER, THIRD]
    assert page["data"][0]["dataAgeSeconds"] == 3 * 86400
    assert page["data"][3]["mmr"] is None and page["data"][3]["stale"] is True
    stale = league.client.get(
        f"{prefix}/guilds/{GUILD}/pulls/{first['id']}?filter=stale&limit=1", **who
    ).get_json()
    assert stale["pagination"] == {"page": 1, "limit": 1, "total": 3, "pages": 3}
    assert _pull(league, "Second", **who)["number"] == 2
    listed = league.client.get(f"{prefix}/guilds/{GUILD}/pulls", **who).get_json()
    assert [p["number"] for p in listed] == [2, 1]


def test_later_scrapes_never_change_a_pull(league: Env) -> None:
    pull = _pull(league)
    path = f"/internal/guilds/{GUILD}/pulls/{pull['id']}"
    before = league.client.get(path, bot=True).get_data()
    seed(league, USER, tid(1), season(34, twos=(1900, 90), threes=(1900, 90)))
    league.clock.advance(days=3)
    assert league.client.get(path, bot=True).get_data() == before
    assert league.client.get(f"/internal/guilds/{GUILD}/mmr", bot=True).get_json()[0]["mmr"] == 1900


def test_override_sits_beside_the_frozen_value_and_is_audited(league: Env) -> None:
    pull = _pull(league)
    path = f"/api/guilds/{GUILD}/pulls/{pull['id']}/members/{OTHER}/override"
    body = {"mmr": 1400, "reason": "smurf on a second account"}
    response = league.client.put(path, as_user=STAFF_MEMBER, json=body)
    assert response.status_code == 200
    row = response.get_json()
    assert (row["mmr"], row["effectiveMmr"]) == (1186, 1400)
    assert row["override"]["actor"] == STAFF_MEMBER
    audit = league.uow.committed.audit
    assert any(e["path"] == path and e["actor"] == STAFF_MEMBER for e in audit)
    page = league.client.get(f"/internal/guilds/{GUILD}/pulls/{pull['id']}", bot=True).get_json()
    other = next(r for r in page["data"] if r["userId"] == OTHER)
    assert (other["mmr"], other["effectiveMmr"]) == (1186, 1400)
    assert league.client.put(path, as_user=USER, json=body).status_code == 403
    blank = league.client.put(path, as_user=STAFF_MEMBER, json={"mmr": 1, "reason": " "})
    assert blank.status_code == 400
    stranger = path.replace(OTHER, "888888888888888888")
    assert league.client.put(stranger, as_user=STAFF_MEMBER, json=body).status_code == 400


def test_csv_has_a_line_per_member_with_the_override(league: Env) -> None:
    pull = _pull(league)
    league.client.put(
        f"/internal/guilds/{GUILD}/pulls/{pull['id']}/members/{USER}/override",
        bot=True,
        json={"mmr": 1600, "reason": "peer review", "actorId": STAFF_MEMBER},
    )
    response = league.client.get(f"/internal/guilds/{GUILD}/pulls/{pull['id']}.csv", bot=True)
    assert response.mimetype == "text/csv"
    lines = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [line["userId"] for line in lines] == [USER, OTHER, STAFF_MEMBER, THIRD]
    assert (lines[0]["mmr"], lines[0]["overrideMmr"], lines[0]["effectiveMmr"]) == (
        "1500",
        "1600",
        "1600",
    )
    assert lines[0]["overrideActor"] == f"bot:{STAFF_MEMBER}"


def test_csv_cells_written_by_staff_never_run_as_spreadsheet_formulas(league: Env) -> None:
    pull = _pull(league)
    league.client.put(
        f"/internal/guilds/{GUILD}/pulls/{pull['id']}/members/{USER}/override",
        bot=True,
        json={"mmr": 1600, "reason": '=HYPERLINK("http://x","y")', "actorId": STAFF_MEMBER},
    )
    response = league.client.get(f"/internal/guilds/{GUILD}/pulls/{pull['id']}.csv", bot=True)
    lines = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert lines[0]["overrideReason"] == '\'=HYPERLINK("http://x","y")'
    assert lines[0]["overrideMmr"] == "1600"


def test_diff_two_pulls(league: Env) -> None:
    a = _pull(league, "before")
    seed(league, OTHER, tid(3), season(34, twos=(1300, 60), threes=(1100, 10)))
    league.uow.committed.members.pop((GUILD, THIRD))
    b = _pull(league, "after")
    body = league.client.get(
        f"/api/guilds/{GUILD}/pulls/{a['id']}/diff/{b['id']}", as_user=STAFF_MEMBER
    ).get_json()
    assert [(m["userId"], m["delta"]) for m in body["moved"]] == [(OTHER, 85)]
    assert body["disappeared"] == [{"userId": THIRD, "mmr": None}]
    assert (body["appeared"], body["unchanged"]) == ([], 2)


def test_player_reads_their_own_rows(league: Env) -> None:
    _pull(league, "one")
    _pull(league, "two")
    body = league.client.get("/api/trackers/me/pulls", as_user=USER).get_json()
    assert [(o["pull"]["number"], o["row"]["userId"]) for o in body] == [(2, USER), (1, USER)]
    assert body[0]["row"]["mmr"] == 1500


def test_unknown_pull_and_malformed_ids(league: Env) -> None:
    missing = league.client.get(f"/internal/guilds/{GUILD}/pulls/{tid(99)}", bot=True)
    assert missing.status_code == 404
    malformed = league.client.get(f"/internal/guilds/{GUILD}/pulls/nope", bot=True)
    assert malformed.status_code == 400
    bad_filter = league.client.get(f"/internal/guilds/{GUILD}/pulls/{tid(99)}?filter=x", bot=True)
    assert bad_filter.status_code == 400
    no_name = league.client.post(f"/internal/guilds/{GUILD}/pulls", bot=True, json={})
    assert no_name.get_json()["errors"][0]["field"] == "name"
    not_staff = league.client.post(f"/api/guilds/{GUILD}/pulls", as_user=USER, json={"name": "x"})
    assert not_staff.status_code == 403


def _flag(env: Env, user: str, kind: str, n: int) -> str:
    flag_id = tid(500 + n)
    env.uow.committed.flags[flag_id] = ReviewFlag(
        id=flag_id,
        guild_id=GUILD,
        user_id=user,
        kind=kind,  # type: ignore[arg-type]
        tracker_id=tid(3),
        detail="2v2 fell 150 (1650 → 1500) within 14 days",
        data={"drop": 150},
        raised_at=env.clock.now() + timedelta(minutes=n),
    )
    return flag_id


@pytest.mark.parametrize(("who", "prefix"), SIDES)
def test_flags_list_resolve_and_show_in_rows(league: Env, who: dict[str, Any], prefix: str) -> None:
    drop = _flag(league, OTHER, "RATING_DROP", 1)
    _flag(league, OTHER, "STALE", 2)
    flags = f"{prefix}/guilds/{GUILD}/flags"
    assert [f["kind"] for f in league.client.get(flags, **who).get_json()] == [
        "STALE",
        "RATING_DROP",
    ]
    rows = league.client.get(f"{prefix}/guilds/{GUILD}/mmr", **who).get_json()
    assert next(r for r in rows if r["userId"] == OTHER)["flags"] == ["RATING_DROP", "STALE"]
    pull = _pull(league, **who)
    page = league.client.get(f"{prefix}/guilds/{GUILD}/pulls/{pull['id']}", **who).get_json()
    assert next(r for r in page["data"] if r["userId"] == OTHER)["flags"] == [
        "RATING_DROP",
        "STALE",
    ]
    body = {"resolution": "confirmed", "note": "tanked on purpose"}
    done = league.client.post(f"{flags}/{drop}/resolve", json=body, **who)
    assert done.status_code == 201
    resolved = done.get_json()
    assert (resolved["status"], resolved["resolution"]) == ("resolved", "confirmed")
    assert resolved["resolvedBy"] == ("bot" if who.get("bot") else STAFF_MEMBER)
    again = league.client.post(f"{flags}/{drop}/resolve", json=body, **who)
    assert again.status_code == 400
    open_only = league.client.get(f"{flags}?status=open", **who).get_json()
    assert [f["kind"] for f in open_only] == ["STALE"]
    by_kind = league.client.get(f"{flags}?status=resolved&kind=RATING_DROP", **who).get_json()
    assert [f["id"] for f in by_kind] == [drop]
    # the pull froze the flags as they were
    page = league.client.get(f"{prefix}/guilds/{GUILD}/pulls/{pull['id']}", **who).get_json()
    assert "RATING_DROP" in next(r for r in page["data"] if r["userId"] == OTHER)["flags"]


def test_flag_requests_are_validated(league: Env) -> None:
    flags = f"/internal/guilds/{GUILD}/flags"
    assert league.client.get(f"{flags}?kind=NOPE", bot=True).status_code == 400
    assert league.client.get(f"{flags}?status=closed", bot=True).status_code == 400
    wrong = league.client.post(f"{flags}/{tid(1)}/resolve", bot=True, json={"resolution": "maybe"})
    assert wrong.status_code == 400 and wrong.get_json()["errors"][0]["field"] == "resolution"
    missing = league.client.post(
        f"{flags}/{tid(1)}/resolve", bot=True, json={"resolution": "dismissed"}
    )
    assert missing.status_code == 404
    not_staff = league.client.get(f"/api/guilds/{GUILD}/flags", as_user=USER)
    assert not_staff.status_code == 403


@pytest.mark.parametrize(("who", "prefix"), SIDES)
def test_manual_entry_counts_and_shows_as_manual(
    league: Env, who: dict[str, Any], prefix: str
) -> None:
    seed(league, THIRD, tid(9))  # a tracker the source refused: no season stored
    patch = {"eligibility": {"minGames": {"twos": 50}}}
    league.client.patch(f"/internal/guilds/{GUILD}/settings", bot=True, json=patch)
    body = {
        "trackerId": tid(9),
        "seasonNumber": 34,
        "playlists": {"twos": {"rating": 1300, "gamesPlayed": 60, "peak": 1350}},
        "evidenceUrl": "https://example.com/screenshot.png",
        "note": "tracker.gg answers 403 for this profile",
        "actorId": STAFF_MEMBER,
    }
    path = f"{prefix}/guilds/{GUILD}/members/{THIRD}/manual-ratings"
    response = league.client.post(path, json=body, **who)
    assert response.status_code == 201, response.get_json()
    snapshot = response.get_json()["snapshot"]
    actor = f"bot:{STAFF_MEMBER}" if who.get("bot") else STAFF_MEMBER
    assert (snapshot["source"], snapshot["enteredBy"], snapshot["twos"]) == ("MANUAL", actor, 1300)
    rows = league.client.get(f"{prefix}/guilds/{GUILD}/mmr", **who).get_json()
    third = next(r for r in rows if r["userId"] == THIRD)
    assert (third["trackerId"], third["mmr"]) == (tid(9), 1338)  # 0.25·1300 + 0.75·1350
    assert third["eligibility"]["eligible"] is True
    assert any(e["path"] == path for e in league.uow.committed.audit)
    history = league.client.get(f"/api/trackers/{tid(9)}/snapshots", as_user=THIRD).get_json()
    assert [s["source"] for s in history] == ["MANUAL"]


def test_manual_entry_refusals(league: Env) -> None:
    path = f"/internal/guilds/{GUILD}/members/{OTHER}/manual-ratings"
    body: dict[str, Any] = {
        "trackerId": tid(3),
        "seasonNumber": 34,
        "playlists": {},
        "note": "x",
    }
    assert league.client.post(path, bot=True, json=body).status_code == 400
    body["playlists"] = {"twos": {"rating": 1, "gamesPlayed": 1}}
    not_theirs = path.replace(OTHER, USER)
    assert league.client.post(not_theirs, bot=True, json=body).status_code == 404
    body["evidenceUrl"] = "javascript:alert(1)"
    bad = league.client.post(path, bot=True, json=body)
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "evidenceUrl"
    del body["evidenceUrl"]
    assert league.client.post(path, as_user=USER, json=body).status_code == 401  # bot side
    assert (
        league.client.post(path.replace("/internal", "/api"), as_user=USER, json=body).status_code
        == 403
    )
