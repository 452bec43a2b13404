"""The sandbox's demo seed: once, only in the sandbox, and every dashboard page has data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.trackergg.synthetic import ProfileFactory
from entrypoints.config import Settings
from entrypoints.devkeys import ensure_dev_keys
from entrypoints.http.deps import settings as current_settings
from entrypoints.sandbox import (
    DEMO_ADMIN,
    DEMO_GUILD,
    FAILING,
    HISTORY_WEEKS,
    MEMBERS,
    demo_admin_settings,
    seed_on_first_start,
)
from tests.http.conftest import Env, Keys, build_env
from tracker_core.model import Priority

PROFILES = ProfileFactory()


def _settings(env: Env) -> Settings:
    with env.app.app_context():
        return current_settings()


@pytest.fixture
def sandbox(keys: Keys, tmp_path: Path) -> Env:
    dev = ensure_dev_keys(tmp_path)
    base = build_env(keys, sandbox=True, data_dir=tmp_path, jwt_public_key=dev.public_pem)
    settings = demo_admin_settings(_settings(base))
    env = build_env(
        keys,
        sandbox=True,
        data_dir=tmp_path,
        jwt_public_key=dev.public_pem,
        system_admin_user_ids=settings.system_admin_user_ids,
    )
    report = seed_on_first_start(settings, env.container.use_cases(), PROFILES)
    assert report is not None
    return env


def _counts(env: Env) -> tuple[int, int, int, int]:
    store = env.uow.committed
    return (
        len(store.users),
        len(store.guilds),
        len(store.trackers),
        len(store.snapshots),
    )


def test_the_seed_runs_once(sandbox: Env) -> None:
    before = _counts(sandbox)
    users, guilds, trackers, snapshots = before
    assert users == len(MEMBERS) + 1 and guilds == 1
    assert trackers == sum(len(m.profiles) for m in MEMBERS)
    assert snapshots >= HISTORY_WEEKS * 2
    settings = demo_admin_settings(_settings(sandbox))
    again = seed_on_first_start(settings, sandbox.container.use_cases(), PROFILES)
    assert again is None and _counts(sandbox) == before


def test_history_spans_weeks_and_ends_before_now(sandbox: Env) -> None:
    snapshots = sandbox.uow.committed.snapshots
    now = sandbox.clock.now()
    oldest = min(s.captured_at for s in snapshots)
    assert (now - oldest).days >= HISTORY_WEEKS * 7 - 1
    assert all(s.captured_at < now for s in snapshots)
    # the failing members have no history: their profiles do not exist or never answer
    failing = {
        t.id
        for t in sandbox.uow.committed.trackers.values()
        if any(prefix in t.url for prefix, _ in FAILING)
    }
    assert len(failing) == len(FAILING)
    assert not any(s.tracker_id in failing for s in snapshots)


def test_seeded_trackers_wait_in_the_low_lane(sandbox: Env) -> None:
    jobs = sandbox.queue.jobs
    assert len(jobs) == len(sandbox.uow.committed.trackers)
    assert {priority for priority, _ in jobs.values()} == {Priority.LOW}


def test_nothing_is_seeded_outside_the_sandbox(keys: Keys) -> None:
    env = build_env(keys)
    settings = _settings(env)
    assert not settings.sandbox
    assert demo_admin_settings(settings) == settings
    assert seed_on_first_start(settings, env.container.use_cases(), PROFILES) is None
    assert _counts(env) == (0, 0, 0, 0)


def _sign_in(env: Env, role: str) -> None:
    client = env.client.flask
    client.delete_cookie("auth_token")
    response = client.post("/sign-in", data={"user": role}, headers={"Origin": "http://localhost"})
    assert response.status_code == 303, response.get_data(as_text=True)


def _page(env: Env, path: str) -> str:
    response = env.client.flask.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def test_sign_in_offers_the_seeded_player_staff_and_admin(sandbox: Env) -> None:
    page = _page(sandbox, "/sign-in")
    for role in ("Player", "Guild admin", "System admin"):
        assert role in page
    assert DEMO_ADMIN in _settings(sandbox).system_admin_user_ids


def test_every_page_has_data(sandbox: Env) -> None:
    _sign_in(sandbox, "player")
    mine = _page(sandbox, "/")
    tracker_ids = re.findall(r'href="/trackers/(c[a-z0-9]{24})"', mine)
    assert tracker_ids
    detail = _page(sandbox, f"/trackers/{tracker_ids[0]}")
    assert detail.count('<figure class="chart"') >= 2
    assert detail.count('class="dot"') >= 2 * HISTORY_WEEKS * 2

    _sign_in(sandbox, "staff")
    assert "Sandbox League" in _page(sandbox, "/guilds")
    roster = _page(sandbox, f"/guilds/{DEMO_GUILD}")
    for member in MEMBERS:
        assert member.username in roster
    assert "Valid formula" in _page(sandbox, f"/guilds/{DEMO_GUILD}/formula?formula=twos*2")
    assert _page(sandbox, f"/guilds/{DEMO_GUILD}/roster.csv").count("\n") == len(MEMBERS) + 1

    _sign_in(sandbox, "admin")
    admin = _page(sandbox, "/admin")
    assert f"<dt>Trackers</dt><dd>{len(sandbox.uow.committed.trackers)}</dd>" in admin
    assert "<dt>PENDING</dt>" in admin
