"""The league pages of the dashboard through the Flask test client: standings and eligibility,
numbers pulls (take, rows, CSV, override, diff), review flags and manual entry; staff only,
CSRF on every form, a bad value shown beside its field with nothing stored, audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import TestResponse

from tests.builders import season
from tests.http.conftest import ADMIN, GUILD, OTHER, USER, Env, Keys
from tests.http.test_dashboard_pages import PAGE_BUDGET, csrf_of, html, sign_in
from tests.http.test_league import STAFF_MEMBER, THIRD, _flag, seed, tid
from tests.http.test_league import league as league
from tests.http.test_league_sql import STAFF_MEMBER as SQL_STAFF
from tests.http.test_league_sql import sql_env as sql_env
from tracker_core.guilds import GuildMember, User

BASE = f"/guilds/{GUILD}"


@pytest.fixture
def staff(league: Env, keys: Keys) -> Env:
    """The league of ``tests.http.test_league``, signed in as its staff member."""
    sign_in(league, keys, STAFF_MEMBER)
    return league


def token(env: Env, path: str = f"{BASE}/league") -> str:
    return csrf_of(env.client.flask.get(path))


def post(env: Env, path: str, form: dict[str, Any], *, csrf: str | None = None) -> TestResponse:
    """A form post with the page's CSRF token (unless ``csrf`` is given)."""
    data = {"csrf_token": token(env) if csrf is None else csrf, **form}
    return env.client.flask.post(path, data=data)


def take_pull(env: Env, name: str = "Placement") -> str:
    done = post(env, f"{BASE}/pulls", {"name": name, "note": "cut-off 18:00"})
    assert done.status_code == 303, done.get_data(as_text=True)
    pull_id = done.headers["Location"].rsplit("/", 1)[1]
    assert pull_id in env.uow.committed.pulls
    return pull_id


def audited(env: Env, path: str) -> list[dict[str, Any]]:
    return [e for e in env.uow.committed.audit if e["path"] == path]


def test_league_page_shows_standings_with_eligibility_tracker_and_flags(staff: Env) -> None:
    _flag(staff, OTHER, "RATING_DROP", 1)
    staff.uow.committed.settings[GUILD] = staff.uow.committed.settings[GUILD].merged(
        {"eligibility": {"minGames": {"twos": 100}}}
    )
    page = html(staff.client.flask.get(f"{BASE}/league"))
    assert "<h1>League" in page and 'aria-label="Standings table"' in page
    assert "2 members with data" in page
    assert page.index(USER) < page.index(OTHER)  # highest MMR first
    assert f"/trackers/{tid(1)}" in page  # the strongest tracker, not the newest
    assert "highest ASCENDANCY MMR" in page
    assert "✗ no" in page and "twos: 60 of 100 games" in page  # OTHER; USER counts 2 trackers
    assert 'kind=RATING_DROP">RATING_DROP</a>' in page
    assert 'value="100"' in page and "minimum games: twos 100" in page
    assert f"{BASE}/members/{USER}/manual-ratings" in page


def test_eligibility_form_saves_through_the_settings_merge(staff: Env) -> None:
    path = f"{BASE}/league/eligibility"
    form = {
        "eligibility.seasonsCounted": "2",
        "eligibility.minGames.twos": "50",
        "eligibility.minGames.combined": "120",
        "eligibility.combinedPlaylists": ["twos", "threes"],
    }
    done = post(staff, path, form)
    assert done.status_code == 303 and "saved=1" in done.headers["Location"]
    rules = staff.uow.committed.settings[GUILD].eligibility
    assert (rules.seasons_counted, dict(rules.min_games)) == (2, {"twos": 50, "combined": 120})
    assert "Eligibility saved" in html(staff.client.flask.get(done.headers["Location"]))
    (entry,) = audited(staff, path)
    assert entry["actor"] == STAFF_MEMBER and entry["status"] == 303
    assert entry["body"]["eligibility"]["minGames"] == {"twos": 50, "combined": 120}

    bad = post(staff, path, {**form, "eligibility.minGames.twos": "lots"})
    assert bad.status_code == 400
    page = html(bad)
    assert 'id="err-eligibility-minGames-twos"' in page and "must be an integer" in page
    assert 'value="lots"' in page  # the form keeps what was typed
    none = post(staff, path, {**form, "eligibility.combinedPlaylists": []})
    assert none.status_code == 400 and "must be a non-empty list" in html(none)
    assert dict(staff.uow.committed.settings[GUILD].eligibility.min_games) == {
        "twos": 50,
        "combined": 120,
    }
    off = post(
        staff, path, {**form, "eligibility.minGames.twos": "", "eligibility.minGames.combined": ""}
    )
    assert off.status_code == 303
    assert not staff.uow.committed.settings[GUILD].eligibility.enabled


def test_league_pages_are_for_the_guilds_staff(league: Env, keys: Keys) -> None:
    pull_id = "c" + "0" * 24
    flag_id = _flag(league, OTHER, "STALE", 1)
    sign_in(league, keys, USER)
    client = league.client.flask
    for path in (
        f"{BASE}/league",
        f"{BASE}/pulls",
        f"{BASE}/pulls/{pull_id}",
        f"{BASE}/pulls/{pull_id}.csv",
        f"{BASE}/pulls/diff?before={pull_id}&after={pull_id}",
        f"{BASE}/flags",
        f"{BASE}/members/{OTHER}/manual-ratings",
    ):
        assert client.get(path).status_code == 403, path
    csrf = csrf_of(client.get("/"))
    for path, form in (
        (f"{BASE}/league/eligibility", {"eligibility.seasonsCounted": "2"}),
        (f"{BASE}/pulls", {"name": "mine"}),
        (f"{BASE}/pulls/{pull_id}/override", {"userId": OTHER, "mmr": "1", "reason": "x"}),
        (f"{BASE}/flags/{flag_id}/resolve", {"resolution": "dismissed"}),
        (f"{BASE}/flags/settings", {"flags.ratingDrop": "1"}),
        (f"{BASE}/members/{OTHER}/manual-ratings", {"trackerId": tid(3)}),
    ):
        assert post(league, path, form, csrf=csrf).status_code == 403, path
    assert league.uow.committed.pulls == {}
    assert league.uow.committed.settings[GUILD].flags.rating_drop == 150
    assert league.uow.committed.flags[flag_id].status == "open"
    sign_in(league, keys, ADMIN)  # a system admin may act in any guild
    assert client.get(f"{BASE}/league").status_code == 200
    made = take_pull(league)
    assert league.uow.committed.pulls[made].created_by == ADMIN
    assert client.get("/guilds/777777777777777777/league").status_code == 404


def test_every_league_form_needs_the_csrf_token_and_this_origin(staff: Env) -> None:
    flag_id = _flag(staff, OTHER, "STALE", 1)
    pull_id = take_pull(staff)
    client = staff.client.flask
    forms = (
        (f"{BASE}/league/eligibility", {"eligibility.seasonsCounted": "2"}),
        (f"{BASE}/pulls", {"name": "forged"}),
        (f"{BASE}/pulls/{pull_id}/override", {"userId": OTHER, "mmr": "1", "reason": "x"}),
        (f"{BASE}/flags/{flag_id}/resolve", {"resolution": "dismissed"}),
        (f"{BASE}/flags/settings", {"flags.ratingDrop": "1"}),
        (
            f"{BASE}/members/{OTHER}/manual-ratings",
            {"trackerId": tid(3), "seasonNumber": "34", "playlists.twos.rating": "1",
             "playlists.twos.gamesPlayed": "1", "note": "forged"},
        ),
    )  # fmt: skip
    good = token(staff)
    for path, form in forms:
        assert client.post(path, data=form).status_code == 403, path
        assert post(staff, path, form, csrf="0" * 64).status_code == 403, path
        foreign = client.post(
            path, data={"csrf_token": good, **form}, headers={"Origin": "https://evil.example"}
        )
        assert foreign.status_code == 403, path
    store = staff.uow.committed
    assert len(store.pulls) == 1 and store.pull_overrides == []
    assert store.flags[flag_id].status == "open"
    assert store.settings[GUILD].eligibility.seasons_counted == 1
    assert store.settings[GUILD].flags.rating_drop == 150
    assert not [s for s in store.snapshots if s.source == "MANUAL"]


def test_take_a_pull_and_page_filter_and_download_its_rows(staff: Env) -> None:
    bad = post(staff, f"{BASE}/pulls", {"name": "", "note": "x" * 1001})
    assert bad.status_code == 400
    page = html(bad)
    assert 'id="err-name"' in page and 'id="err-note"' in page
    nul = post(staff, f"{BASE}/pulls", {"name": "a\x00b"})
    assert nul.status_code == 400 and "must not contain NUL characters" in html(nul)
    assert staff.uow.committed.pulls == {}
    pull_id = take_pull(staff, "Season 20 <placement>")
    client = staff.client.flask
    listed = html(client.get(f"{BASE}/pulls"))
    assert "Season 20 &lt;placement&gt;" in listed and f"{BASE}/pulls/{pull_id}" in listed
    page = html(client.get(f"{BASE}/pulls/{pull_id}"))
    assert "Pull #1" in page and "4 rows" in page and "cut-off 18:00" in page
    assert page.index(USER) < page.index(OTHER) < page.index(THIRD)
    assert "no data" in page and "<strong>stale</strong>" in page
    assert f"{BASE}/pulls/{pull_id}.csv" in page
    stale = html(client.get(f"{BASE}/pulls/{pull_id}", query_string={"filter": "stale"}))
    assert "3 rows" in stale
    eligible = html(client.get(f"{BASE}/pulls/{pull_id}", query_string={"filter": "eligible"}))
    assert "4 rows" in eligible
    wrong = client.get(f"{BASE}/pulls/{pull_id}", query_string={"filter": "old"})
    assert wrong.status_code == 400 and "filter must be one of" in html(wrong)
    beyond = client.get(f"{BASE}/pulls/{pull_id}", query_string={"page": 2})
    assert beyond.status_code == 400 and "page must be between 1 and 1" in html(beyond)
    assert client.get(f"{BASE}/pulls/not-a-cuid").status_code == 400
    assert client.get(f"{BASE}/pulls/c{'9' * 24}").status_code == 404

    download = client.get(f"{BASE}/pulls/{pull_id}.csv")
    assert (
        download.mimetype == "text/csv" and "pull-1.csv" in download.headers["Content-Disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert [r["userId"] for r in rows] == [USER, OTHER, STAFF_MEMBER, THIRD]
    assert rows[0]["trackerId"] == tid(1) and rows[0]["rank"] == "1"


def test_override_a_member_with_a_reason_beside_the_frozen_row(staff: Env) -> None:
    pull_id = take_pull(staff)
    client = staff.client.flask
    path = f"{BASE}/pulls/{pull_id}/override"
    link = html(client.get(f"{BASE}/pulls/{pull_id}"))
    assert f"member={OTHER}#override" in link
    prefilled = html(client.get(f"{BASE}/pulls/{pull_id}", query_string={"member": OTHER}))
    assert f'value="{OTHER}"' in prefilled
    for form, field, message in (
        ({"userId": OTHER, "mmr": "high", "reason": "appeal"}, "mmr", "must be an integer"),
        ({"userId": OTHER, "mmr": "-5", "reason": "appeal"}, "mmr", "must be at least 0"),
        ({"userId": OTHER, "mmr": "1400", "reason": ""}, "reason", "at least 1 character"),
        ({"userId": "bob", "mmr": "1400", "reason": "appeal"}, "userId", "snowflake"),
        ({"userId": "888888888888888888", "mmr": "1", "reason": "x"}, "form", "has no row"),
    ):
        bad = post(staff, path, form)
        assert bad.status_code == 400, form
        page = html(bad)
        assert message in page, form
        if field != "form":
            assert f'id="err-{field}"' in page and 'aria-invalid="true"' in page
    assert not staff.uow.committed.pull_overrides
    done = post(staff, path, {"userId": OTHER, "mmr": "1400", "reason": "=smurf <b>alt</b>"})
    assert done.status_code == 303 and f"overridden={OTHER}" in done.headers["Location"]
    page = html(client.get(done.headers["Location"]))
    assert "Override of" in page and "<strong>1400</strong>" in page
    assert "=smurf &lt;b&gt;alt&lt;/b&gt;" in page
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"{BASE}/pulls/{pull_id}.csv").get_data(as_text=True))
        )
    )
    other = next(r for r in rows if r["userId"] == OTHER)
    assert (other["mmr"], other["effectiveMmr"]) == ("1186", "1400")
    assert other["overrideReason"] == "'=smurf <b>alt</b>"  # a spreadsheet shows it as text
    (entry,) = [e for e in audited(staff, path) if e["status"] == 303]
    assert entry["actor"] == STAFF_MEMBER and entry["body"]["mmr"] == 1400


def test_diff_two_pulls(staff: Env) -> None:
    first = take_pull(staff, "one")
    seed(staff, OTHER, tid(3), season(34, twos=(1500, 60), threes=(1400, 60)))
    second = take_pull(staff, "two")
    client = staff.client.flask
    listed = html(client.get(f"{BASE}/pulls"))
    assert '<label for="before">Compare pull</label>' in listed
    page = html(client.get(f"{BASE}/pulls/diff", query_string={"before": first, "after": second}))
    assert "Pull #1 → #2" in page and "Moved (1)" in page
    assert f'<th scope="row">{OTHER}</th><td>1186</td>' in page and "+" in page
    bad = client.get(f"{BASE}/pulls/diff", query_string={"before": first, "after": "x"})
    assert bad.status_code == 400 and "Invalid CUID format: x" in html(bad)
    assert client.get(f"{BASE}/pulls/diff").status_code == 400


def test_flags_list_filter_and_resolve(staff: Env) -> None:
    drop = _flag(staff, OTHER, "RATING_DROP", 1)
    stale = _flag(staff, USER, "STALE", 2)
    client = staff.client.flask
    page = html(client.get(f"{BASE}/flags"))
    assert "2 flags" in page
    assert page.index(f'<h2 id="flag-{stale}">') < page.index(f'<h2 id="flag-{drop}">')
    assert f'<label for="res-{drop}">Resolution</label>' in page
    only = html(client.get(f"{BASE}/flags", query_string={"kind": "RATING_DROP"}))
    assert "1 flag," in only and f"res-{stale}" not in only
    wrong = client.get(f"{BASE}/flags", query_string={"kind": "BOGUS"})
    assert wrong.status_code == 400 and "kind must be one of" in html(wrong)
    path = f"{BASE}/flags/{drop}/resolve"
    bad = post(staff, path, {"resolution": "maybe", "note": "?"})
    assert bad.status_code == 400 and "must be one of confirmed, dismissed" in html(bad)
    assert staff.uow.committed.flags[drop].status == "open"
    done = post(staff, path, {"resolution": "confirmed", "note": "tanked", "kind": "RATING_DROP"})
    assert done.status_code == 303 and "kind=RATING_DROP" in done.headers["Location"]
    flag = staff.uow.committed.flags[drop]
    assert (flag.status, flag.resolution, flag.resolved_by) == (
        "resolved",
        "confirmed",
        STAFF_MEMBER,
    )
    resolved = html(client.get(f"{BASE}/flags", query_string={"status": "resolved"}))
    assert "<strong>confirmed</strong> by" in resolved
    assert "✓ Flag resolved." in html(client.get(done.headers["Location"]))
    again = post(staff, path, {"resolution": "dismissed"})
    assert again.status_code == 400 and "already resolved" in html(again)
    entries = audited(staff, path)
    assert [e["status"] for e in entries] == [400, 303, 400]
    assert {e["actor"] for e in entries} == {STAFF_MEMBER}
    assert entries[1]["body"] == {"resolution": "confirmed", "note": "tanked"}


def test_manual_entry_form_stores_a_manual_snapshot(staff: Env) -> None:
    client = staff.client.flask
    path = f"{BASE}/members/{OTHER}/manual-ratings"
    page = html(client.get(path))
    assert (
        f'<option value="{tid(3)}"' in page and '<label for="m-twos-rating">Rating</label>' in page
    )
    form = {
        "trackerId": tid(3),
        "seasonNumber": "34",
        "playlists.twos.rating": "1400",
        "playlists.twos.gamesPlayed": "60",
        "playlists.twos.peak": "1450",
        "evidenceUrl": "https://example.com/shot.png",
        "note": "tracker.gg answers 403",
    }
    for change, field, message in (
        ({"playlists.twos.rating": "x"}, "playlists-twos-rating", "must be an integer"),
        ({"playlists.twos.gamesPlayed": ""}, "playlists-twos-gamesPlayed", "is required"),
        ({"seasonNumber": "0"}, "seasonNumber", "must be at least 1"),
        ({"evidenceUrl": "javascript:alert(1)"}, "evidenceUrl", "must match"),
        ({"note": ""}, "note", "at least 1 character"),
        ({"note": "bad\x00"}, "note", "must not contain NUL characters"),
        ({"trackerId": tid(1)}, None, "not found"),
        (
            {
                "playlists.twos.rating": "",
                "playlists.twos.gamesPlayed": "",
                "playlists.twos.peak": "",
            },
            None,
            "At least one playlist is required",
        ),
    ):
        bad = post(staff, path, {**form, **change})
        assert bad.status_code in (400, 404), change
        text = html(bad)
        assert message in text, (change, text[-3000:])
        if field is not None:
            assert f'id="err-{field}"' in text, change
    assert not [s for s in staff.uow.committed.snapshots if s.source == "MANUAL"]
    before = html(client.get(f"{BASE}/league"))
    done = post(staff, path, form)
    assert done.status_code == 303 and f"saved={tid(3)}" in done.headers["Location"]
    (snapshot,) = [s for s in staff.uow.committed.snapshots if s.source == "MANUAL"]
    assert snapshot.entered_by == STAFF_MEMBER and snapshot.ratings["2v2"] == 1400
    assert "MANUAL snapshot" in html(client.get(done.headers["Location"]))
    after = html(client.get(f"{BASE}/league"))
    rows = staff.client.get(f"/internal/guilds/{GUILD}/mmr", bot=True).get_json()
    mmr = next(r["mmr"] for r in rows if r["userId"] == OTHER)
    assert f"<td>{mmr} " in after and f"<td>{mmr} " not in before  # counts at once
    (entry,) = [e for e in audited(staff, path) if e["status"] == 303]
    assert entry["body"]["evidenceUrl"] == "https://example.com/shot.png"
    assert client.get(f"{BASE}/members/888888888888888888/manual-ratings").status_code == 404


def test_big_standings_and_pulls_are_paged_within_the_budget(staff: Env) -> None:
    for n in range(230):
        user = f"{800000000000000000 + n}"
        staff.uow.committed.members[(GUILD, user)] = GuildMember(guild_id=GUILD, user_id=user)
        seed(staff, user, tid(1000 + n), season(34, twos=(900 + n, 10), threes=(900, 10)))
    client = staff.client.flask
    first = client.get(f"{BASE}/league")
    assert len(first.data) < PAGE_BUDGET
    assert "232 members with data" in html(first) and "page 1 of 3" in html(first)
    last = html(client.get(f"{BASE}/league", query_string={"page": 3}))
    assert "← Previous" in last and "Next →" not in last
    assert client.get(f"{BASE}/league", query_string={"page": 4}).status_code == 400
    pull_id = take_pull(staff)
    rows = client.get(f"{BASE}/pulls/{pull_id}")
    assert len(rows.data) < PAGE_BUDGET and "234 rows, page 1 of 5" in html(rows)
    assert len(client.get(f"{BASE}/pulls/{pull_id}.csv").data.splitlines()) == 235


@pytest.fixture(params=["sqlite"])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite only here (the API's league tests cover PostgreSQL)."""
    yield f"sqlite:///{tmp_path / 'dashboard-league.sqlite3'}"


def test_the_league_pages_on_sqlite(sql_env: Env, keys: Keys) -> None:
    env = sql_env
    sign_in(env, keys, SQL_STAFF)
    client = env.client.flask
    assert client.get(f"{BASE}/league").status_code == 200
    done = post(env, f"{BASE}/pulls", {"name": "sql"})
    assert done.status_code == 303
    page = html(client.get(done.headers["Location"]))
    assert "3 rows" in page
    pull_id = done.headers["Location"].rsplit("/", 1)[1]
    over = post(
        env,
        f"{BASE}/pulls/{pull_id}/override",
        {"userId": OTHER, "mmr": "1250", "reason": "appeal"},
    )
    assert over.status_code == 303
    assert "<strong>1250</strong>" in html(client.get(over.headers["Location"]))
    flags = html(client.get(f"{BASE}/flags", query_string={"status": "open"}))
    assert "RATING_DROP" in flags
    flag_id = tid(200)
    assert (
        post(env, f"{BASE}/flags/{flag_id}/resolve", {"resolution": "dismissed"}).status_code == 303
    )
    manual = {
        "trackerId": tid(3),
        "seasonNumber": "34",
        "playlists.twos.rating": "1400",
        "playlists.twos.gamesPlayed": "60",
        "note": "source refused",
    }
    entered = post(env, f"{BASE}/members/{OTHER}/manual-ratings", manual)
    assert entered.status_code == 303, html(entered)
    second = post(env, f"{BASE}/pulls", {"name": "sql two"})
    diff = html(
        client.get(
            f"{BASE}/pulls/diff",
            query_string={"before": pull_id, "after": second.headers["Location"].rsplit("/", 1)[1]},
        )
    )
    assert "Pull #1 → #2" in diff


def named(env: Env) -> None:
    """USER known by their Discord global name, OTHER by a guild nickname over their own name,
    THIRD by nothing the service has."""
    store = env.uow.committed
    now = env.clock.now()
    store.users[USER] = User(
        id=USER, username="ada_l", global_name="Ada <L>", created_at=now, updated_at=now
    )
    store.users[OTHER] = User(id=OTHER, username="orbit_x", created_at=now, updated_at=now)
    store.members[(GUILD, OTHER)] = GuildMember(guild_id=GUILD, user_id=OTHER, nickname="Orbit")


def test_league_pages_name_members_beside_their_ids(staff: Env) -> None:
    named(staff)
    ada, orbit = (
        f'Ada &lt;L&gt; <span class="muted">{USER}</span>',
        f'Orbit <span class="muted">{OTHER}</span>',
    )
    client = staff.client.flask
    league_page = html(client.get(f"{BASE}/league"))
    assert f'<th scope="row">{ada}</th>' in league_page  # escaped
    assert f'<th scope="row">{orbit}</th>' in league_page  # the nickname in this guild first
    assert '<span class="visually-hidden"> of Orbit</span>' in league_page

    _flag(staff, OTHER, "RATING_DROP", 1)
    assert f'<span class="muted">member {orbit}</span>' in html(client.get(f"{BASE}/flags"))
    manual = html(client.get(f"{BASE}/members/{USER}/manual-ratings"))
    assert f'<h1>Enter ratings <span class="muted">{ada}</span></h1>' in manual

    first = take_pull(staff, "one")
    pull_page = html(client.get(f"{BASE}/pulls/{first}", query_string={"overridden": OTHER}))
    assert f'<th scope="row">{ada}</th>' in pull_page and "✓ Override of Orbit saved." in pull_page
    # THIRD joins with data and OTHER leaves: the diff names whoever it can, ids alone else
    seed(staff, THIRD, tid(4), season(34, twos=(1300, 60), threes=(1300, 60)))
    staff.uow.committed.members[(GUILD, OTHER)] = GuildMember(
        guild_id=GUILD, user_id=OTHER, nickname="Orbit", is_deleted=True
    )
    second = take_pull(staff, "two")
    diff = html(client.get(f"{BASE}/pulls/diff", query_string={"before": first, "after": second}))
    assert f'<th scope="row">{THIRD}</th><td>—</td>' in diff  # moved from no data; no name known
    assert f"<li>{orbit}: " in diff  # a former member keeps the nickname they had


def test_flag_thresholds_form_saves_through_the_settings_merge(staff: Env) -> None:
    path = f"{BASE}/flags/settings"
    client = staff.client.flask
    shown = html(client.get(f"{BASE}/flags"))
    assert 'name="flags.ratingDrop"' in shown and 'value="150"' in shown  # the current rules
    assert "not notified" in shown
    form = {
        "flags.ratingDrop": "200",
        "flags.windowDays": "7",
        "flags.staleDays": "3",
        "flags.notify": "on",
    }
    done = post(staff, path, form, csrf=token(staff, f"{BASE}/flags"))
    assert done.status_code == 303 and "rules_saved=1" in done.headers["Location"]
    rules = staff.uow.committed.settings[GUILD].flags
    assert (rules.rating_drop, rules.window_days, rules.stale_days, rules.notify) == (
        200, 7, 3, True,
    )  # fmt: skip
    page = html(client.get(done.headers["Location"]))
    assert "Thresholds saved" in page and "falls by 200 or more within 7 days" in page
    (entry,) = audited(staff, path)
    assert entry["actor"] == STAFF_MEMBER and entry["status"] == 303
    assert entry["body"] == {
        "flags": {"ratingDrop": 200, "windowDays": 7, "staleDays": 3, "notify": True}
    }

    bad = post(staff, path, {**form, "flags.ratingDrop": "0", "flags.staleDays": "soon"})
    assert bad.status_code == 400
    page = html(bad)
    assert 'id="err-flags-ratingDrop"' in page and "must be an integer from 1 to 10000" in page
    assert 'id="err-flags-staleDays"' in page and 'value="soon"' in page  # kept as typed
    assert staff.uow.committed.settings[GUILD].flags.rating_drop == 200  # nothing stored

    # a blank number keeps its value; an unchecked box turns notifying off
    kept = post(staff, path, {"flags.ratingDrop": "", "flags.windowDays": "9"})
    assert kept.status_code == 303
    rules = staff.uow.committed.settings[GUILD].flags
    assert (rules.rating_drop, rules.window_days, rules.notify) == (200, 9, False)


def test_the_dashboard_s_settings_forms_are_in_the_settings_history(staff: Env) -> None:
    """A change made in the dashboard is a change of the settings like one made by the API:
    the history lists it with its actor and the JSON patch it applied."""
    guild = f"/api/guilds/{GUILD}/settings"
    staff.client.patch(guild, as_user=STAFF_MEMBER, json={"flags": {"staleDays": 5}})
    eligibility_form = {
        "eligibility.minGames.twos": "40",
        "eligibility.combinedPlaylists": ["twos", "threes"],
    }
    weights = {f"weights.{k}": "0.25" for k in ("ones", "twos", "threes", "fours")}
    games = {f"minGamesPlayed.{k}": "10" for k in ("ones", "twos", "threes", "fours")}
    mmr_form = {"algorithm": "WEIGHTED_AVERAGE", "processing": "on", **weights, **games}
    for path, form in (
        (f"{BASE}/league/eligibility", eligibility_form),
        (f"{BASE}/flags/settings", {"flags.ratingDrop": "120"}),
        (f"{BASE}/settings", mmr_form),
    ):
        staff.clock.advance(minutes=1)
        assert post(staff, path, form).status_code == 303, path
    refused = post(staff, f"{BASE}/flags/settings", {"flags.ratingDrop": "0"})
    assert refused.status_code == 400  # not a change

    history = staff.client.get(f"{guild}/history", as_user=STAFF_MEMBER).get_json()
    assert history["pagination"]["total"] == 4
    assert [e["userId"] for e in history["data"]] == [STAFF_MEMBER] * 4
    mmr, flags, eligibility, api = (e["changes"] for e in history["data"])  # newest first
    assert mmr["mmrCalculation"]["algorithm"] == "WEIGHTED_AVERAGE"
    assert set(mmr["mmrCalculation"]["weights"].values()) == {0.25}
    assert mmr["trackerProcessing"] == {"enabled": True}
    assert flags == {"flags": {"ratingDrop": 120, "notify": False}}
    assert eligibility["eligibility"]["minGames"] == {"twos": 40}
    assert api == {"flags": {"staleDays": 5}}
