"""The league API end to end on the real SQL adapters (SQLite and PostgreSQL): settings,
standings, a pull with its page, CSV, override and diff, flags and manual entry, a player's rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers

from adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    upgrade_database,
)
from entrypoints.container import Container
from tests import pg
from tests.builders import season
from tests.http.conftest import GUILD, OTHER, STAFF_ROLE, USER, Env, Keys, build_env
from tracker_core.flags import ReviewFlag
from tracker_core.guilds import Guild, GuildMember, GuildSettings, User
from tracker_core.model import Tracker, TrackerSeason, TrackerStatus

STAFF_MEMBER = "666666666666666666"


def tid(n: int) -> str:
    return f"c{n:024d}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'league.sqlite3'}"
        return
    with pg.fresh_database("tracker_league_api") as url:
        yield url


@pytest.fixture
def sql_env(keys: Keys, sql_url: str) -> Iterator[Env]:
    upgrade_database(sql_url)
    engine = create_engine_for(sql_url)
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))

    def configure(container: Container) -> None:
        container.uow.override(providers.Object(uow))

    env = build_env(keys, configure)
    now = env.clock.now()
    with uow:
        uow.guilds.add(Guild(id=GUILD, name="League", created_at=now, updated_at=now))
        uow.guilds.save_settings(GUILD, GuildSettings(admin_roles=(STAFF_ROLE,)))
        for user_id, roles in ((STAFF_MEMBER, (STAFF_ROLE,)), (USER, ()), (OTHER, ())):
            uow.users.add(User(id=user_id, username=user_id, created_at=now, updated_at=now))
            uow.guilds.save_member(GuildMember(guild_id=GUILD, user_id=user_id, roles=roles))
        for n, (user_id, twos, games, age) in enumerate(
            ((USER, 1500, 40, 3), (USER, 1000, 100, 0), (OTHER, 1200, 60, 10)), start=1
        ):
            scraped = now - timedelta(days=age)
            uow.trackers.add(
                Tracker(
                    id=tid(n),
                    url=f"https://tracker.gg/rocket-league/profile/steam/p{n}/overview",
                    platform="STEAM",
                    username=f"p{n}",
                    identity=f"steam:p{n}",
                    api_path=f"steam/p{n}",
                    user_id=user_id,
                    created_at=now,
                    updated_at=now,
                    last_scraped_at=scraped,
                    scraping_status=TrackerStatus.COMPLETED,
                )
            )
            uow.seasons.upsert(
                TrackerSeason(
                    id=tid(100 + n),
                    tracker_id=tid(n),
                    stats=season(34, twos=(twos, games), threes=(twos, games)),
                    scraped_at=scraped,
                    created_at=scraped,
                    updated_at=scraped,
                )
            )
        uow.flags.add(
            ReviewFlag(
                id=tid(200),
                guild_id=GUILD,
                user_id=OTHER,
                kind="RATING_DROP",
                tracker_id=tid(3),
                detail="2v2 fell 150 (1350 → 1200) within 14 days",
                raised_at=now,
            )
        )
        uow.commit()
    yield env
    engine.dispose()


def test_the_league_flow_on_sql(sql_env: Env) -> None:
    c = sql_env.client
    staff: dict[str, Any] = {"as_user": STAFF_MEMBER}
    base = f"/api/guilds/{GUILD}"
    patch = {"eligibility": {"minGames": {"twos": 50}}}
    assert c.patch(f"{base}/settings", json=patch, **staff).status_code == 200
    rows = c.get(f"{base}/mmr", **staff).get_json()
    assert [(r["userId"], r["trackerId"], r["mmr"]) for r in rows] == [
        (USER, tid(1), 1500),
        (OTHER, tid(3), 1200),
    ]
    assert rows[1]["flags"] == ["RATING_DROP"] and rows[1]["stale"] is True
    eligibility = c.get(f"/internal/guilds/{GUILD}/members/{USER}/eligibility", bot=True)
    assert eligibility.get_json()["games"]["twos"] == 140

    first = c.post(f"{base}/pulls", json={"name": "one"}, **staff).get_json()
    page = c.get(f"{base}/pulls/{first['id']}?filter=stale", **staff).get_json()
    assert [r["userId"] for r in page["data"]] == [OTHER, STAFF_MEMBER]
    override = {"mmr": 1250, "reason": "appeal granted"}
    put = c.put(f"{base}/pulls/{first['id']}/members/{OTHER}/override", json=override, **staff)
    assert put.get_json()["effectiveMmr"] == 1250
    csv_text = c.get(f"{base}/pulls/{first['id']}.csv", **staff).get_data(as_text=True)
    assert csv_text.splitlines()[2].startswith(f"2,{OTHER},{tid(3)},1200,1250,1250,")

    manual = {
        "trackerId": tid(3),
        "seasonNumber": 34,
        "playlists": {"twos": {"rating": 1400, "gamesPlayed": 60}},
        "note": "source refused",
    }
    entered = c.post(f"{base}/members/{OTHER}/manual-ratings", json=manual, **staff)
    assert entered.status_code == 201, entered.get_json()
    second = c.post(f"{base}/pulls", json={"name": "two"}, **staff).get_json()
    assert second["number"] == 2
    diff = c.get(f"{base}/pulls/{first['id']}/diff/{second['id']}", **staff).get_json()
    assert [(m["userId"], m["before"], m["after"]) for m in diff["moved"]] == [(OTHER, 1250, 1300)]
    # the first pull is untouched by the manual entry
    again = c.get(f"{base}/pulls/{first['id']}", **staff).get_json()
    assert next(r for r in again["data"] if r["userId"] == OTHER)["mmr"] == 1200

    resolved = c.post(f"{base}/flags/{tid(200)}/resolve", json={"resolution": "dismissed"}, **staff)
    assert resolved.get_json()["status"] == "resolved"
    assert c.get(f"{base}/flags?status=open", **staff).get_json() == []
    mine = c.get("/api/trackers/me/pulls", as_user=OTHER).get_json()
    assert [(o["pull"]["number"], o["row"]["effectiveMmr"]) for o in mine] == [(2, 1300), (1, 1250)]
