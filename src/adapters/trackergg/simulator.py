"""A local tracker.gg simulator: a real HTTP server for tests, benchmarks and the sandbox mode.

It answers the direct API (``GET /api/v2/rocket-league/standard/profile/<platform>/<user>``,
``?season=``) and FlareSolverr (``POST /v1``, ``request.get``) with synthetic profiles, can be
told to misbehave per username pattern or at a seeded random rate, enforces its own sliding
per-minute limit with 429, and records every request. Only the standard library and this
package are needed: ``python -m adapters.trackergg.simulator --port 8765``.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import random
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, cast, get_args
from urllib.parse import parse_qs, unquote, urlsplit

import attrs

from adapters.background_http import Served
from adapters.trackergg.synthetic import ProfileFactory, not_found_payload

API_PREFIX = "/api/v2/rocket-league/standard/profile"
PLATFORMS = frozenset({"steam", "epic", "xbl", "psn", "switch"})
WINDOW_SECONDS = 60.0

Behaviour = Literal["not_found", "rate_limited", "challenge", "server_error", "slow", "invalid"]
BEHAVIOURS: frozenset[str] = frozenset(get_args(Behaviour))

CHALLENGE_PAGE = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body>
<div id="cf-challenge-running">Checking your browser before accessing tracker.gg.</div>
<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1"></script>
</body></html>"""

_PROFILE_PATH = re.compile(re.escape(API_PREFIX) + r"/([^/]+)/([^/]+)/?")


@attrs.frozen
class Rule:
    """Misbehave (``behaviour``) for usernames matching ``pattern``, at probability ``rate``."""

    pattern: re.Pattern[str] | None
    behaviour: Behaviour
    rate: float = 1.0
    retry_after: str = "60"
    status: int = 503
    delay: float = 1.0


@attrs.frozen
class RecordedRequest:
    """One request received: when (simulator clock, wall clock), what, tracker.gg's status,
    and the HTTP headers it came with (names lower-cased)."""

    at: float
    wall: float
    method: str
    path: str
    via: Literal["direct", "flaresolverr"]
    status: int
    headers: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class Answer:
    """What tracker.gg says to one API request."""

    status: int
    body: str
    headers: Mapping[str, str] = attrs.field(factory=dict)
    delay: float = 0.0
    challenged: bool = False

    @property
    def content_type(self) -> str:
        """HTML for pages, JSON for everything else."""
        return "text/html; charset=utf-8" if self.body.startswith("<") else "application/json"


class TrnSimulator(Served):
    """A tracker.gg + FlareSolverr look-alike on 127.0.0.1 (port 0 picks a free port).

    ``per_minute_limit`` requests are served per ``window_seconds`` (60 s, one minute, unless a
    test compresses time), beyond that it answers 429.

    With ``cache_seconds``, it caches profiles like tracker.gg: a profile's ``lastUpdated`` is
    when it was last refreshed (by ``wall_clock``) and ``data.expiryDate`` that plus
    ``cache_seconds``; a request after the expiry refreshes it. Without, the template's own
    (long past) times are served.
    """

    thread_name = "trn-simulator"

    def __init__(
        self,
        per_minute_limit: int | None = None,
        *,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        current_season: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        window_seconds: float = WINDOW_SECONDS,
        cache_seconds: float | None = None,
        wall_clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.per_minute_limit = per_minute_limit
        self.window_seconds = window_seconds
        self.cache_seconds = cache_seconds
        self._wall_clock = wall_clock or (lambda: datetime.now(UTC))
        self._cached_at: dict[tuple[str, str], datetime] = {}
        self.profiles = ProfileFactory(current_season)
        self._address = (host, port)
        self._clock = clock
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._served: deque[float] = deque()
        self._requests: list[RecordedRequest] = []

    @property
    def base_url(self) -> str:
        """The direct API base, the simulator's ``TRN_API_BASE_URL``."""
        return self.root_url + API_PREFIX

    @property
    def flaresolverr_url(self) -> str:
        """The simulator's ``FLARESOLVERR_URL`` (POST ``/v1``)."""
        return self.root_url

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def make_server(self) -> _Server:
        server = _Server(self._address, _Handler)
        server.simulator = self
        return server

    def set_rule(
        self,
        pattern: str | None,
        behaviour: Behaviour,
        *,
        rate: float = 1.0,
        retry_after: int | str = 60,
        status: int = 503,
        delay: float = 1.0,
    ) -> None:
        """Add a rule (first match wins); ``pattern`` is a regex searched in the username."""
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}")
        compiled = None if pattern is None else re.compile(pattern, re.IGNORECASE)
        rule = Rule(compiled, behaviour, rate, str(retry_after), status, delay)
        with self._lock:
            self._rules.append(rule)

    def set_rating_series(
        self, platform: str, username: str, playlist_id: int, ratings: list[int]
    ) -> None:
        """Serve ``ratings`` one per current-season request as that playlist's rating (the
        last one stays): e.g. a 2v2 (playlist 11) drop, end to end."""
        self.profiles.set_rating_series(platform, username, playlist_id, ratings)

    def clear_rules(self) -> None:
        """Forget every rule: answer normally again."""
        with self._lock:
            self._rules.clear()

    def answer(self, target: str) -> Answer:
        """tracker.gg's answer to ``GET target`` (path and query), rules and limit applied."""
        parts = urlsplit(target)
        match = _PROFILE_PATH.fullmatch(parts.path)
        if match is None:
            return Answer(404, json.dumps(not_found_payload("?", parts.path)))
        platform, username = match.group(1).lower(), unquote(match.group(2))
        with self._lock:
            limited = self._over_limit()
            rule = None if limited else self._rule_for(username)
        if limited is not None:
            return limited
        answer = _misbehave(rule, platform, username) if rule is not None else None
        if answer is None or answer.delay:
            normal = self._profile_answer(platform, username, parts.query)
            delay = answer.delay if answer is not None else 0.0
            return attrs.evolve(normal, delay=delay)
        return answer

    def _over_limit(self) -> Answer | None:
        if self.per_minute_limit is None:
            return None
        now = self._clock()
        while self._served and self._served[0] <= now - self.window_seconds:
            self._served.popleft()
        if len(self._served) >= self.per_minute_limit:
            wait = math.ceil(self._served[0] + self.window_seconds - now)
            return _rate_limited(str(max(1, wait)))
        self._served.append(now)
        return None

    def _rule_for(self, username: str) -> Rule | None:
        for rule in self._rules:
            if rule.pattern is not None and not rule.pattern.search(username):
                continue
            if rule.rate >= 1.0 or self._random.random() < rule.rate:
                return rule
        return None

    def _profile_answer(self, platform: str, username: str, query: str) -> Answer:
        seasons = parse_qs(query).get("season")
        season: int | None = None
        if seasons:
            try:
                season = int(seasons[0])
            except ValueError:
                return Answer(400, json.dumps({"errors": [{"code": "BadRequest", "data": {}}]}))
        payload = None
        if platform in PLATFORMS:
            payload = self.profiles.profile(platform, username, season)
        if payload is None:
            return Answer(404, json.dumps(not_found_payload(platform, username)))
        if self.cache_seconds is not None:
            self._stamp_cache(payload["data"], platform, username.casefold())
        return Answer(200, json.dumps(payload, separators=(",", ":")))

    def _stamp_cache(self, data: dict[str, Any], platform: str, username: str) -> None:
        """``lastUpdated`` and ``expiryDate`` of tracker.gg's cache of this profile."""
        assert self.cache_seconds is not None
        window = timedelta(seconds=self.cache_seconds)
        now = self._wall_clock()
        with self._lock:
            updated = self._cached_at.get((platform, username))
            if updated is None or now >= updated + window:
                updated = self._cached_at[(platform, username)] = now
        stamp = updated.isoformat()
        data.setdefault("metadata", {})["lastUpdated"] = {"value": stamp, "displayValue": stamp}
        data["expiryDate"] = (updated + window).isoformat()

    def now(self) -> tuple[float, float]:
        """(the simulator's clock, wall-clock epoch seconds) for stamping a request."""
        return self._clock(), time.time()

    def record(self, request: RecordedRequest) -> None:
        """Append one request to the log (the handler calls this)."""
        with self._lock:
            self._requests.append(request)


def _rate_limited(retry_after: str) -> Answer:
    body = {"errors": [{"code": "RateLimited", "message": "Too many requests.", "data": {}}]}
    return Answer(429, json.dumps(body), {"Retry-After": retry_after})


def _misbehave(rule: Rule, platform: str, username: str) -> Answer:
    if rule.behaviour == "not_found":
        return Answer(404, json.dumps(not_found_payload(platform, username)))
    if rule.behaviour == "rate_limited":
        return _rate_limited(rule.retry_after)
    if rule.behaviour == "challenge":
        return Answer(403, CHALLENGE_PAGE, {"cf-mitigated": "challenge"}, challenged=True)
    if rule.behaviour == "server_error":
        return Answer(rule.status, "<html><body><h1>Server error</h1></body></html>")
    if rule.behaviour == "invalid":
        return Answer(200, json.dumps({"data": {"message": "we changed the API"}}))
    return Answer(200, "", delay=rule.delay)


def flaresolverr_envelope(url: str, answer: Answer, *, started_ms: int) -> tuple[int, str]:
    """(HTTP status, JSON body) FlareSolverr sends back for tracker.gg's ``answer``."""
    now_ms = int(time.time() * 1000)
    if answer.challenged:
        error = "Error: Error solving the challenge. Timeout after 60.0 seconds."
        body: dict[str, object] = {"status": "error", "message": error}
        body |= {"startTimestamp": started_ms, "endTimestamp": now_ms, "version": "3.4.6"}
        return 500, json.dumps(body)
    page = answer.body
    if not page.startswith("<"):
        page = (
            '<html><head><meta name="color-scheme" content="light dark"><meta charset="utf-8">'
            f"</head><body><pre>{html.escape(page, quote=False)}</pre>"
            '<div class="json-formatter-container"></div></body></html>'
        )
    solution = {
        "url": url,
        "status": answer.status,
        "cookies": [],
        "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/142.0.0.0 Safari/537.36",
        "headers": dict(answer.headers),
        "response": page,
    }
    envelope: dict[str, object] = {"status": "ok", "message": "Challenge not detected!"}
    envelope |= {"solution": solution, "startTimestamp": started_ms, "endTimestamp": now_ms}
    return 200, json.dumps(envelope | {"version": "3.4.6"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    simulator: TrnSimulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        """Set TCP_NODELAY on the accepted connection."""
        super().setup()
        # Headers and body are two writes: without TCP_NODELAY, Nagle and delayed ACKs
        # add ~40 ms to every answer on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        """The direct API."""
        at, wall = self._simulator.now()
        answer = self._simulator.answer(self.path)
        if answer.delay:
            time.sleep(answer.delay)
        request = RecordedRequest(
            at, wall, "GET", self.path, "direct", answer.status, self._headers()
        )
        self._simulator.record(request)
        headers = {**answer.headers, "Content-Type": answer.content_type}
        self._send(answer.status, answer.body, headers)

    def do_POST(self) -> None:
        """FlareSolverr's ``POST /v1`` with ``request.get``."""
        at, wall = self._simulator.now()
        length = int(self.headers.get("Content-Length") or 0)
        try:
            command = json.loads(self.rfile.read(length))
            url = str(command["url"])
            if self.path.rstrip("/") != "/v1" or command.get("cmd") != "request.get":
                raise ValueError("unsupported command")
        except (ValueError, KeyError, TypeError) as exc:
            self._send(500, json.dumps({"status": "error", "message": f"Error: {exc}"}), {})
            return
        target = urlsplit(url)._replace(scheme="", netloc="").geturl()
        answer = self._simulator.answer(target)
        if answer.delay:
            time.sleep(answer.delay)
        status, body = flaresolverr_envelope(url, answer, started_ms=int(wall * 1000))
        request = RecordedRequest(
            at, wall, "POST", target, "flaresolverr", answer.status, self._headers()
        )
        self._simulator.record(request)
        self._send(status, body, {"Content-Type": "application/json"})

    def _headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}

    @property
    def _simulator(self) -> TrnSimulator:
        return cast(_Server, self.server).simulator

    def _send(self, status: int, body: str, headers: Mapping[str, str]) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: tests read ``TrnSimulator.requests`` instead of stderr."""


def main(argv: list[str] | None = None) -> None:
    """Run the simulator in the foreground (sandbox mode)."""
    parser = argparse.ArgumentParser(description="Local tracker.gg + FlareSolverr simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--per-minute", type=int, default=None, help="own 429 limit")
    parser.add_argument(
        "--cache-seconds",
        type=float,
        default=None,
        help="cache profiles this long (lastUpdated/expiryDate), like tracker.gg",
    )
    options = parser.parse_args(argv)
    simulator = TrnSimulator(
        options.per_minute,
        host=options.host,
        port=options.port,
        cache_seconds=options.cache_seconds,
    ).start()
    print(f"TRN_API_BASE_URL={simulator.base_url}")
    print(f"FLARESOLVERR_URL={simulator.flaresolverr_url}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        simulator.stop()


if __name__ == "__main__":
    main()
