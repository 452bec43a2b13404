"""TrackerGgFetcher against the TRN simulator (a real local HTTP server), both transports."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.integration.conftest_trn import simulator

from adapters.trackergg.budget import BudgetExhaustedError, InProcessBudget
from adapters.trackergg.fetcher import TrackerGgFetcher
from adapters.trackergg.parser import parse_profile
from adapters.trackergg.simulator import API_PREFIX, Behaviour, TrnSimulator
from adapters.trackergg.transport import BROWSER_HEADERS
from tracker_core.errors import (
    ChallengeBlockedError,
    FetchError,
    FetchNetworkError,
    FetchRateLimitedError,
    FetchTimeoutError,
    InvalidPayloadError,
    ProfileNotFoundError,
    UpstreamError,
)
from tracker_core.fetching import fetch_profile

__all__ = ["simulator"]

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "trn" / "profile-psn-season34.json"
TRANSPORTS = ["direct", "flaresolverr"]


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def budget() -> InProcessBudget:
    return InProcessBudget(6000)


@pytest.fixture
def fetcher(
    simulator: TrnSimulator, transport: str, budget: InProcessBudget
) -> Iterator[TrackerGgFetcher]:
    with make_fetcher(simulator, transport, budget) as made:
        yield made


def make_fetcher(
    simulator: TrnSimulator, transport: str, budget: InProcessBudget, timeout: float = 5
) -> TrackerGgFetcher:
    return TrackerGgFetcher(
        simulator.base_url,
        flaresolverr_url=simulator.flaresolverr_url if transport == "flaresolverr" else None,
        timeout_seconds=timeout,
        budget=budget,
    )


def test_the_template_player_is_served_exactly(fetcher: TrackerGgFetcher) -> None:
    page = fetcher.fetch_page("psn/nssbali_", None)
    expected = parse_profile(FIXTURE.read_bytes(), season=None, api_url=page.api_url)
    assert page == expected
    assert page.season.playlists["2v2"] is not None
    assert page.season.playlists["2v2"].all_time_peak_rating == 2772


def test_profiles_are_distinct_per_name_and_stable(fetcher: TrackerGgFetcher) -> None:
    alice = fetcher.fetch_page("psn/alice", None)
    again = fetcher.fetch_page("psn/alice", None)
    bob = fetcher.fetch_page("psn/bob", None)
    steam_alice = fetcher.fetch_page("steam/alice", None)
    assert alice.season == again.season
    assert alice.platform_user_id == again.platform_user_id
    assert len({alice.platform_user_id, bob.platform_user_id, steam_alice.platform_user_id}) == 3
    ratings = {
        name: tuple(stats.rating if stats else None for stats in page.season.playlists.values())
        for name, page in {"alice": alice, "bob": bob, "steam": steam_alice}.items()
    }
    assert len(set(ratings.values())) == 3
    for stats in alice.season.playlists.values():
        assert stats is not None and stats.rating is not None and stats.rank is not None
        assert stats.all_time_peak_rating is not None and stats.peak_rating is not None
        assert stats.all_time_peak_rating >= stats.peak_rating >= stats.rating


def test_season_query_is_honoured(fetcher: TrackerGgFetcher, simulator: TrnSimulator) -> None:
    current = fetcher.fetch_page("psn/alice", None)
    earlier = fetcher.fetch_page("psn/alice", 30)
    assert earlier.current_season == current.current_season == 34
    assert earlier.season.season_number == 30
    assert earlier.season.season_name == "Season 16 (30)"
    assert all(stats is not None for stats in earlier.season.playlists.values())
    assert earlier.season.playlists != current.season.playlists
    with pytest.raises(ProfileNotFoundError) as caught:
        fetcher.fetch_page("psn/alice", 35)
    assert caught.value.upstream_status == 404
    assert [r.path.rsplit("/", 1)[-1] for r in simulator.requests] == [
        "alice",
        "alice?season=30",
        "alice?season=35",
    ]


def test_first_scrape_fetches_current_and_three_earlier_seasons(
    fetcher: TrackerGgFetcher, simulator: TrnSimulator, transport: str
) -> None:
    profile = fetch_profile(fetcher, "epic/Some%20Body", first_scrape=True, initial_seasons=3)
    assert [season.season_number for season in profile.seasons] == [34, 33, 32, 31]
    assert profile.seasons_failed == ()
    recorded = simulator.requests
    assert [r.via for r in recorded] == [transport] * 4
    assert recorded[0].path == f"{API_PREFIX}/epic/Some%20Body"


def test_unknown_platform_and_path_are_not_found(fetcher: TrackerGgFetcher) -> None:
    with pytest.raises(ProfileNotFoundError):
        fetcher.fetch_page("nintendo64/alice", None)


def test_unknown_paths_and_commands_are_refused(simulator: TrnSimulator) -> None:
    with httpx.Client() as client:
        assert client.get(simulator.root_url + "/elsewhere").status_code == 404
        command = {"cmd": "sessions.create"}
        answer = client.post(simulator.flaresolverr_url + "/v1", json=command)
        assert answer.status_code == 500
        assert answer.json()["status"] == "error"


BEHAVIOUR_CASES: list[tuple[Behaviour, type[FetchError], int]] = [
    ("not_found", ProfileNotFoundError, 404),
    ("rate_limited", FetchRateLimitedError, 429),
    ("challenge", ChallengeBlockedError, 403),
    ("server_error", UpstreamError, 502),
    ("invalid", InvalidPayloadError, 200),
]


@pytest.mark.parametrize(
    ("behaviour", "expected", "status"),
    BEHAVIOUR_CASES,
    ids=[case[0] for case in BEHAVIOUR_CASES],
)
def test_each_behaviour_by_username_pattern(
    fetcher: TrackerGgFetcher,
    simulator: TrnSimulator,
    transport: str,
    budget: InProcessBudget,
    behaviour: Behaviour,
    expected: type[FetchError],
    status: int,
) -> None:
    simulator.set_rule(r"^ghost", behaviour, retry_after=42, status=502)
    assert fetcher.fetch_page("psn/alice", None).season.playlists["1v1"] is not None
    with pytest.raises(FetchError) as caught:
        fetcher.fetch_page("psn/Ghost-42", None)
    assert type(caught.value) is expected
    via_flaresolverr_challenge = behaviour == "challenge" and transport == "flaresolverr"
    assert caught.value.upstream_status == (None if via_flaresolverr_challenge else status)
    assert caught.value.api_url == f"{simulator.base_url}/psn/Ghost-42"
    if expected is FetchRateLimitedError:
        assert caught.value.retry_after == 42
        with pytest.raises(BudgetExhaustedError) as paused:
            budget.acquire(timeout=0)
        assert 40 < paused.value.retry_after <= 42
        return
    simulator.clear_rules()
    assert fetcher.fetch_page("psn/Ghost-42", None).season.season_number == 34


def test_slow_answers_time_out_and_bounded_waits_succeed(
    simulator: TrnSimulator, transport: str, budget: InProcessBudget
) -> None:
    simulator.set_rule("^slow", "slow", delay=2.5)
    simulator.set_rule("^sluggish", "slow", delay=0.3)
    with make_fetcher(simulator, transport, budget, timeout=0.5) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchTimeoutError) as caught:
            fetcher.fetch_page("psn/slowpoke", None)
        assert time.monotonic() - started < 2.0
        assert caught.value.retryable is True
        started = time.monotonic()
        assert fetcher.fetch_page("psn/sluggish", None).season.season_number == 34
        assert time.monotonic() - started >= 0.3


def test_random_rate_is_seeded_and_roughly_honoured(transport: str) -> None:
    def outcomes(seed: int) -> list[str]:
        with TrnSimulator(seed=seed) as simulator:
            simulator.set_rule(None, "server_error", rate=0.5)
            with make_fetcher(simulator, transport, InProcessBudget(6000)) as fetcher:
                seen = []
                for index in range(40):
                    try:
                        fetcher.fetch_page(f"psn/p{index}", None)
                        seen.append("ok")
                    except UpstreamError:
                        seen.append("upstream")
                return seen

    first, again, other = outcomes(7), outcomes(7), outcomes(8)
    assert first == again
    assert first != other
    assert 8 <= first.count("upstream") <= 32


def test_own_per_minute_limit_answers_429(transport: str) -> None:
    with TrnSimulator(per_minute_limit=3) as simulator:
        with make_fetcher(simulator, transport, InProcessBudget(6000)) as fetcher:
            for index in range(3):
                fetcher.fetch_page(f"psn/p{index}", None)
            with pytest.raises(FetchRateLimitedError) as caught:
                fetcher.fetch_page("psn/p3", None)
        assert caught.value.retry_after is not None
        assert 1 <= caught.value.retry_after <= 60
        assert [r.status for r in simulator.requests] == [200, 200, 200, 429]


def test_requests_are_recorded_in_order(fetcher: TrackerGgFetcher, simulator: TrnSimulator) -> None:
    before = time.monotonic()
    for name in ("a", "b", "c"):
        fetcher.fetch_page(f"xbl/{name}", None)
    recorded = simulator.requests
    assert [r.path for r in recorded] == [f"{API_PREFIX}/xbl/{name}" for name in "abc"]
    assert [r.status for r in recorded] == [200, 200, 200]
    times = [r.at for r in recorded]
    assert times == sorted(times)
    assert before <= times[0] <= time.monotonic()
    assert {r.method for r in recorded} == ({"GET"} if recorded[0].via == "direct" else {"POST"})


def test_stopped_simulator_is_a_network_error(transport: str, budget: InProcessBudget) -> None:
    simulator = TrnSimulator().start()
    simulator.stop()
    with pytest.raises(RuntimeError):
        _ = simulator.base_url
    with TrnSimulator() as running:
        base, flaresolverr = running.base_url, running.flaresolverr_url
    fetcher = TrackerGgFetcher(
        base,
        flaresolverr_url=flaresolverr if transport == "flaresolverr" else None,
        timeout_seconds=2,
        budget=budget,
    )
    with fetcher, pytest.raises(FetchNetworkError) as caught:
        fetcher.fetch_page("psn/alice", None)
    assert caught.value.retryable is True


@pytest.mark.parametrize("own_client", [True, False])
def test_direct_requests_carry_the_browser_headers(
    simulator: TrnSimulator, budget: InProcessBudget, own_client: bool
) -> None:
    """The fetcher's own client carries them (set once); an injected one gets them per
    request. FlareSolverr is asked without them: it fetches as its own browser."""
    client = None if own_client else httpx.Client()
    with TrackerGgFetcher(simulator.base_url, budget=budget, client=client) as direct:
        direct.fetch_page("psn/nssbali_", None)
    with make_fetcher(simulator, "flaresolverr", budget) as solver:
        solver.fetch_page("psn/nssbali_", None)
    if client is not None:
        client.close()
    sent, solved = simulator.requests
    for name, value in BROWSER_HEADERS.items():
        assert sent.headers[name.lower()] == value
    assert (sent.via, solved.via) == ("direct", "flaresolverr")
    assert "origin" not in solved.headers and "referer" not in solved.headers


def test_flaresolverr_envelope_escapes_the_json_like_chrome(simulator: TrnSimulator) -> None:
    command = {"cmd": "request.get", "url": f"{simulator.base_url}/psn/a<b>&c", "maxTimeout": 1000}
    with httpx.Client() as client:
        envelope = client.post(simulator.flaresolverr_url + "/v1", json=command).json()
    assert envelope["status"] == "ok"
    response = envelope["solution"]["response"]
    assert "<pre>" in response and "a&lt;b&gt;&amp;c" in response
    assert envelope["solution"]["status"] == 200


def test_simulator_imports_without_test_dependencies() -> None:
    code = (
        "import sys, adapters.trackergg.simulator as s; "
        "banned = {'pytest', 'hypothesis', 'fakeredis'} & set(sys.modules); "
        "print(sorted(banned)); s.TrnSimulator().start().stop()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout.replace("'", '"')) == []
