"""TrackerGgFetcher over httpx.MockTransport: transports, error categories, budget, hosts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.trackergg.budget import BudgetExhaustedError, BudgetUnavailableError
from adapters.trackergg.fetcher import TrackerGgFetcher, parse_retry_after
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
from tracker_core.stats import PlaylistStats

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "trn"
PLAIN = (FIXTURES / "profile-psn-season34.json").read_bytes()
ENVELOPE = (FIXTURES / "flaresolverr-profile-psn-season34.json").read_bytes()
API_BASE = "https://api.tracker.gg/api/v2/rocket-league/standard/profile"
FLARESOLVERR = "http://flaresolverr.internal:8191"
API_URL = f"{API_BASE}/psn/nssbali_"
CHALLENGE_HTML = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    '<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script></body></html>'
)
NOT_FOUND = json.dumps({"errors": [{"code": "NotFound", "message": "We could not find x."}]})

Handler = Callable[[httpx.Request], httpx.Response]


class RecordingBudget:
    """Grants every request at once and records what the fetcher asked of it."""

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.acquired = 0
        self.paused: list[float] = []
        self.successes = 0
        self.fail_with = fail_with

    def acquire(self, timeout: float | None = None) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.acquired += 1

    def pause(self, seconds: float) -> None:
        self.paused.append(seconds)

    def succeeded(self) -> None:
        self.successes += 1

    def effective_rate(self) -> float:
        return 60.0


class Upstream:
    """A MockTransport handler that records every request it is asked."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


def make_fetcher(
    handler: Handler,
    *,
    flaresolverr: bool = False,
    budget: RecordingBudget | None = None,
    max_retry_after: float = 900,
) -> tuple[TrackerGgFetcher, Upstream, RecordingBudget]:
    upstream = Upstream(handler)
    spent = budget or RecordingBudget()
    fetcher = TrackerGgFetcher(
        API_BASE,
        flaresolverr_url=FLARESOLVERR if flaresolverr else None,
        timeout_seconds=30,
        budget=spent,
        client=httpx.Client(transport=httpx.MockTransport(upstream)),
        max_retry_after_seconds=max_retry_after,
    )
    return fetcher, upstream, spent


def envelope_for(status: int, body: str, headers: dict[str, str] | None = None) -> bytes:
    """A FlareSolverr answer carrying tracker.gg's ``status`` and ``body``."""
    document = json.loads(ENVELOPE)
    solution = document["solution"]
    solution["status"] = status
    solution["headers"] = headers or {}
    if body.startswith("<"):
        solution["response"] = body
    else:
        escaped = body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        solution["response"] = f"<html><body><pre>{escaped}</pre></body></html>"
    return json.dumps(document).encode()


def respond(status: int, body: str | bytes, headers: dict[str, str] | None = None) -> Handler:
    content = body.encode() if isinstance(body, str) else body
    return lambda request: httpx.Response(status, content=content, headers=headers)


def test_direct_transport_gets_the_api_url_with_browser_headers_and_bounded_timeouts() -> None:
    fetcher, upstream, budget = make_fetcher(respond(200, PLAIN))
    page = fetcher.fetch_page("psn/nssbali_", None)
    assert page.season.playlists["2v2"] == PlaylistStats(
        "Supersonic Legend", 22, "Division I", 0, 2629, 1534, -1, 2698, 2772
    )
    (request,) = upstream.requests
    assert request.method == "GET"
    assert str(request.url) == API_URL
    assert "Mozilla/5.0" in request.headers["user-agent"]
    assert "application/json" in request.headers["accept"]
    assert request.extensions["timeout"] == {"connect": 10.0, "read": 30, "write": 30, "pool": 30}
    assert page.api_url == API_URL
    assert budget.acquired == 1


def test_season_is_asked_with_the_season_query() -> None:
    fetcher, upstream, _ = make_fetcher(respond(200, PLAIN))
    page = fetcher.fetch_page("psn/nssbali_", 33)
    assert str(upstream.requests[0].url) == f"{API_URL}?season=33"
    assert page.season.season_number == 33
    assert page.season.season_name == "Season 19 (33)"


def test_flaresolverr_transport_posts_request_get_and_unwraps_the_pre() -> None:
    fetcher, upstream, budget = make_fetcher(respond(200, ENVELOPE), flaresolverr=True)
    page = fetcher.fetch_page("psn/nssbali_", None)
    assert page.season.playlists["1v1"] == PlaylistStats(
        "Supersonic Legend", 22, "Division I", 0, 1721, 62, 11, 1721, 1851
    )
    assert page.season.season_name == "Season 20 (34)"
    (request,) = upstream.requests
    assert (request.method, str(request.url)) == ("POST", f"{FLARESOLVERR}/v1")
    assert json.loads(request.content) == {
        "cmd": "request.get",
        "url": API_URL,
        "maxTimeout": 30000,
    }
    assert request.extensions["timeout"]["read"] == 40
    assert budget.acquired == 1


def test_fetch_profile_spends_one_token_per_season_request() -> None:
    fetcher, upstream, budget = make_fetcher(respond(200, PLAIN))
    profile = fetch_profile(fetcher, "psn/nssbali_", first_scrape=True, initial_seasons=3)
    assert [season.season_number for season in profile.seasons] == [34, 33, 32, 31]
    assert [request.url.params.get("season") for request in upstream.requests] == [
        None,
        "33",
        "32",
        "31",
    ]
    assert budget.acquired == len(upstream.requests) == 4


HTTP_DATE_IN_2_MINUTES = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
CATEGORY_CASES: list[tuple[str, int, str, dict[str, str], type[FetchError]]] = [
    ("404 json", 404, NOT_FOUND, {}, ProfileNotFoundError),
    ("404 html", 404, "<html>Not Found</html>", {}, ProfileNotFoundError),
    ("200 errors array", 200, NOT_FOUND, {}, ProfileNotFoundError),
    ("400 errors array", 400, NOT_FOUND, {}, ProfileNotFoundError),
    ("429 seconds", 429, "{}", {"Retry-After": "17"}, FetchRateLimitedError),
    ("429 no header", 429, "", {}, FetchRateLimitedError),
    ("429 http date", 429, "", {"Retry-After": HTTP_DATE_IN_2_MINUTES}, FetchRateLimitedError),
    ("429 junk header", 429, "", {"Retry-After": "later"}, FetchRateLimitedError),
    ("403", 403, "<html>Forbidden</html>", {}, ChallengeBlockedError),
    ("503 just a moment", 503, CHALLENGE_HTML, {}, ChallengeBlockedError),
    ("200 challenge page", 200, CHALLENGE_HTML, {}, ChallengeBlockedError),
    ("500", 500, "Internal Server Error", {}, UpstreamError),
    ("502", 502, "<html>Bad Gateway</html>", {}, UpstreamError),
    ("418", 418, "teapot", {}, UpstreamError),
    ("400 not json", 400, "bad request", {}, UpstreamError),
    ("302 elsewhere", 302, "", {"Location": "https://evil.example/x"}, UpstreamError),
    ("200 not json", 200, "<html><body>hello</body></html>", {}, InvalidPayloadError),
    ("200 no segments", 200, '{"data": {"metadata": {}}}', {}, InvalidPayloadError),
]
EXPECTED_RETRY_AFTER = {"17": (17.0, 17.0), "": (60.0, 60.0), "later": (60.0, 60.0)}


@pytest.mark.parametrize("transport", ["direct", "flaresolverr"])
@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [case[1:] for case in CATEGORY_CASES],
    ids=[case[0] for case in CATEGORY_CASES],
)
def test_each_upstream_answer_maps_to_its_category(
    transport: str,
    status: int,
    body: str,
    headers: dict[str, str],
    expected: type[FetchError],
) -> None:
    via_flaresolverr = transport == "flaresolverr"
    handler = (
        respond(200, envelope_for(status, body, headers))
        if via_flaresolverr
        else respond(status, body, headers)
    )
    fetcher, upstream, budget = make_fetcher(handler, flaresolverr=via_flaresolverr)
    with pytest.raises(FetchError) as caught:
        fetcher.fetch_page("psn/nssbali_", None)
    error = caught.value
    assert type(error) is expected
    assert error.upstream_status == status
    assert error.api_url == API_URL
    assert len(upstream.requests) == 1
    assert error.retryable is (expected not in (ProfileNotFoundError, InvalidPayloadError))
    if expected is FetchRateLimitedError:
        low, high = EXPECTED_RETRY_AFTER.get(headers.get("Retry-After", ""), (1.0, 121.0))
        assert error.retry_after is not None
        assert low <= error.retry_after <= high
        assert budget.paused == [error.retry_after]
    else:
        assert budget.paused == []
    # tracker.gg's own answer (a profile, "not found", a changed format) lets the rate recover;
    # a 429, a challenge or a server error does not.
    assert budget.successes == (1 if expected in (ProfileNotFoundError, InvalidPayloadError) else 0)


@pytest.mark.parametrize("transport", ["direct", "flaresolverr"])
@pytest.mark.parametrize(
    ("exception", "expected"),
    [
        (httpx.ReadTimeout("read timed out"), FetchTimeoutError),
        (httpx.ConnectTimeout("connect timed out"), FetchTimeoutError),
        (httpx.PoolTimeout("pool timed out"), FetchTimeoutError),
        (httpx.ConnectError("connection refused"), FetchNetworkError),
        (httpx.ReadError("connection reset"), FetchNetworkError),
        (httpx.RemoteProtocolError("server disconnected"), FetchNetworkError),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else value.__name__,
)
def test_transport_failures_map_to_timeout_and_network(
    transport: str, exception: Exception, expected: type[FetchError]
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exception

    fetcher, _, _ = make_fetcher(fail, flaresolverr=transport == "flaresolverr")
    with pytest.raises(expected) as caught:
        fetcher.fetch_page("psn/nssbali_", None)
    assert caught.value.api_url == API_URL
    assert caught.value.upstream_status is None
    assert caught.value.retryable is True


CHALLENGE = ChallengeBlockedError


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (500, {"status": "error", "message": "Error: Error solving the challenge."}, CHALLENGE),
        (200, {"status": "warning", "message": "Cloudflare has blocked it."}, CHALLENGE),
        (200, {"status": "ok", "message": "", "solution": None}, UpstreamError),
        (200, [1, 2], UpstreamError),
        (502, "<html>502 Bad Gateway (nginx)</html>", UpstreamError),
    ],
    ids=["error", "warning", "no solution", "not an object", "not json"],
)  # fmt: skip
def test_flaresolverr_failures(status: int, body: Any, expected: type[FetchError]) -> None:
    content = body if isinstance(body, str) else json.dumps(body)
    fetcher, _, budget = make_fetcher(respond(status, content), flaresolverr=True)
    with pytest.raises(expected) as caught:
        fetcher.fetch_page("psn/nssbali_", None)
    assert caught.value.api_url == API_URL
    assert budget.paused == []


@pytest.mark.parametrize(
    "api_path",
    [
        "https://evil.example/psn/x",
        "//evil.example/psn/x",
        "rocketleague.tracker.network/rocket-league/profile/psn/x/overview",
        "psn/../../../../x",
        "psn/x?next=https://evil.example",
        "psn/x#frag",
        "psn/",
        "",
    ],
)
@pytest.mark.parametrize("transport", ["direct", "flaresolverr"])
def test_paths_outside_the_configured_base_are_refused_before_any_request(
    api_path: str, transport: str
) -> None:
    fetcher, upstream, budget = make_fetcher(
        respond(200, PLAIN), flaresolverr=transport != "direct"
    )
    with pytest.raises(ProfileNotFoundError):
        fetcher.fetch_page(api_path, None)
    assert upstream.requests == []
    assert budget.acquired == 0


@given(
    platform=st.text(min_size=0, max_size=20),
    name=st.text(min_size=0, max_size=40),
    season=st.none() | st.integers(min_value=0, max_value=99),
)
def test_every_url_the_fetcher_builds_stays_under_its_base(
    platform: str, name: str, season: int | None
) -> None:
    """The fetcher builds URLs from strings without parsing them; whatever path it accepts,
    httpx's parsing of the result keeps the base's host and path (else it refuses)."""
    fetcher, upstream, _ = make_fetcher(respond(200, PLAIN))
    base = httpx.URL(API_BASE + "/")
    for api_path in (f"{platform}/{name}", f"{platform}/{name}/../{name}", name):
        try:
            text = fetcher.api_url(api_path, season)
        except ProfileNotFoundError:
            continue
        url = httpx.URL(text)
        assert (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)
        assert url.path.startswith(base.path) and url.path.count("/") == base.path.count("/") + 1
        assert url.fragment == ""
        assert url.query == (b"" if season is None else f"season={season}".encode())
    assert upstream.requests == []


@pytest.mark.parametrize("transport", ["direct", "flaresolverr"])
def test_only_configured_hosts_are_contacted(transport: str) -> None:
    via_flaresolverr = transport == "flaresolverr"
    answer = ENVELOPE if via_flaresolverr else PLAIN
    fetcher, upstream, _ = make_fetcher(respond(200, answer), flaresolverr=via_flaresolverr)
    for api_path in ("psn/nssbali_", "steam/76561198000000000", "epic/Some%20Name", "xbl/a.b"):
        fetcher.fetch_page(api_path, None)
        fetcher.fetch_page(api_path, 30)
    hosts = {request.url.host for request in upstream.requests}
    assert hosts == {"flaresolverr.internal" if via_flaresolverr else "api.tracker.gg"}
    if via_flaresolverr:
        asked = {httpx.URL(json.loads(r.content)["url"]).host for r in upstream.requests}
        assert asked == {"api.tracker.gg"}


def test_budget_exhausted_is_rate_limited_without_a_request() -> None:
    budget = RecordingBudget(fail_with=BudgetExhaustedError(12.5))
    fetcher, upstream, _ = make_fetcher(respond(200, PLAIN), budget=budget)
    with pytest.raises(FetchRateLimitedError) as caught:
        fetcher.fetch_page("psn/nssbali_", None)
    assert caught.value.retry_after == 12.5
    assert upstream.requests == []
    assert budget.paused == []


def test_budget_unavailable_is_a_retryable_network_error_without_a_request() -> None:
    budget = RecordingBudget(fail_with=BudgetUnavailableError("redis down"))
    fetcher, upstream, _ = make_fetcher(respond(200, PLAIN), budget=budget)
    with pytest.raises(FetchNetworkError):
        fetcher.fetch_page("psn/nssbali_", None)
    assert upstream.requests == []


@pytest.mark.parametrize("transport", ["direct", "flaresolverr"])
@pytest.mark.parametrize(
    ("header", "expected"),
    [("600", 600.0), ("900", 900.0), ("901", 900.0), ("99999999999", 900.0), ("1e308", 900.0)],
)
def test_an_absurd_retry_after_is_capped_and_logged(
    transport: str, header: str, expected: float, caplog: pytest.LogCaptureFixture
) -> None:
    via_flaresolverr = transport == "flaresolverr"
    handler = (
        respond(200, envelope_for(429, "", {"Retry-After": header}))
        if via_flaresolverr
        else respond(429, "", {"Retry-After": header})
    )
    fetcher, _, budget = make_fetcher(handler, flaresolverr=via_flaresolverr)
    with (
        caplog.at_level("WARNING", logger="adapters.trackergg.fetcher"),
        pytest.raises(FetchRateLimitedError) as caught,
    ):
        fetcher.fetch_page("psn/nssbali_", None)
    assert caught.value.retry_after == expected
    assert budget.paused == [expected]
    assert ("capped at 900 s" in caplog.text) is (float(header) > 900)


def test_the_retry_after_cap_is_configurable() -> None:
    fetcher, _, budget = make_fetcher(respond(429, "", {"Retry-After": "3600"}), max_retry_after=60)
    with pytest.raises(FetchRateLimitedError) as caught:
        fetcher.fetch_page("psn/nssbali_", None)
    assert (caught.value.retry_after, budget.paused) == (60.0, [60.0])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 60.0),
        ("", 60.0),
        ("30", 30.0),
        ("2.5", 2.5),
        ("0", 1.0),
        ("-5", 1.0),
        ("soon", 60.0),
        ("nan", 60.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 1.0),
        ("Wed, 21 Oct 2015 07:29:30 GMT", 90.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float) -> None:
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after(value, now=now) == expected
