"""The fetcher's own direct transport (urllib3) against real loopback servers: what it sends,
what it decodes, which errors become which fetch categories, proxies, and connection reuse."""

from __future__ import annotations

import gzip
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from adapters.background_http import BackgroundHttpServer
from adapters.trackergg.budget import InProcessBudget
from adapters.trackergg.fetcher import TrackerGgFetcher
from adapters.trackergg.transport import BROWSER_HEADERS, PooledDirectTransport
from tracker_core.errors import (
    FetchNetworkError,
    FetchTimeoutError,
    ProfileNotFoundError,
    UpstreamError,
)

PROFILE = (
    b'{"data": {"platformInfo": {}, "metadata": {"currentSeason": 30}, '
    b'"segments": [], "availableSegments": []}}'
)

Answer = Callable[[BaseHTTPRequestHandler], None]


@contextmanager
def http_server(answer: Answer) -> Iterator[tuple[str, list[dict[str, str]], set[int]]]:
    """A keep-alive HTTP/1.1 server on loopback: (base URL, headers of each request, the client
    ports of the connections it accepted)."""
    seen: list[dict[str, str]] = []
    ports: set[int] = set()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.append({**{k.lower(): v for k, v in self.headers.items()}, "path": self.path})
            ports.add(self.client_address[1])
            answer(self)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with BackgroundHttpServer(server, "upstream") as serving:
        yield f"{serving.root_url}/api", seen, ports


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    handler.send_response(status)
    for name, value in {"Content-Length": str(len(body)), **headers}.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


def fetcher(base: str, timeout: float = 5) -> TrackerGgFetcher:
    return TrackerGgFetcher(base, budget=InProcessBudget(1000), timeout_seconds=timeout)


def test_it_sends_the_browser_headers_asks_for_compression_and_decodes_gzip() -> None:
    def answer(h: BaseHTTPRequestHandler) -> None:
        send(h, 200, gzip.compress(PROFILE), Content_Encoding="gzip")

    with http_server(answer) as (base, seen, _), fetcher(base) as f:
        page = f.fetch_page("psn/someone", 29)
    assert page.current_season == 30
    (sent,) = seen
    assert sent["path"] == "/api/psn/someone?season=29"
    for name, value in BROWSER_HEADERS.items():
        assert sent[name.lower()] == value
    assert sent["accept-encoding"] == "gzip, deflate"


def test_it_keeps_one_connection_for_successive_gets() -> None:
    with (
        http_server(lambda h: send(h, 200, PROFILE)) as (base, seen, ports),
        fetcher(base) as f,
    ):
        for _ in range(3):
            f.fetch_page("psn/someone", None)
    assert len(seen) == 3 and len(ports) == 1


def test_it_never_follows_a_redirect() -> None:
    def answer(h: BaseHTTPRequestHandler) -> None:
        send(h, 302, b"", Location="http://127.0.0.1:9/elsewhere")

    with (
        http_server(answer) as (base, seen, _),
        fetcher(base) as f,
        pytest.raises(UpstreamError, match="unexpected HTTP 302"),
    ):
        f.fetch_page("psn/someone", None)
    assert len(seen) == 1


def test_a_declared_charset_is_honoured_and_bad_bytes_do_not_raise() -> None:
    transport = PooledDirectTransport("http://127.0.0.1", 5)
    latin = '{"name": "\u00e9"}'.encode("latin-1")

    def answer(h: BaseHTTPRequestHandler) -> None:
        kind = "application/json; charset=latin-1" if "latin" in h.path else "application/json"
        send(h, 200, latin, Content_Type=kind)

    with http_server(answer) as (base, _, _):
        assert transport.get(base + "/latin").body == '{"name": "\u00e9"}'
        assert transport.get(base + "/utf8").body == '{"name": "\ufffd"}'
    transport.close()


def test_a_404_is_a_missing_profile() -> None:
    with (
        http_server(lambda h: send(h, 404, b"{}")) as (base, _, _),
        fetcher(base) as f,
        pytest.raises(ProfileNotFoundError),
    ):
        f.fetch_page("psn/nobody", None)


def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with (
        fetcher(f"http://127.0.0.1:{port}/api") as f,
        pytest.raises(FetchNetworkError, match="cannot reach tracker.gg"),
    ):
        f.fetch_page("psn/someone", None)


@contextmanager
def raw_server(behave: Callable[[socket.socket], None]) -> Iterator[str]:
    """A loopback socket server that handles each connection with ``behave`` (bounded: it
    stops with the block)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                behave(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/api"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_a_silent_server_is_a_timeout() -> None:
    def silent(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.recv(65536)  # until the client gives up and closes

    with (
        raw_server(silent) as base,
        fetcher(base, timeout=0.2) as f,
        pytest.raises(FetchTimeoutError, match="did not answer in time"),
    ):
        f.fetch_page("psn/someone", None)


def test_a_connection_closed_mid_answer_is_a_network_error() -> None:
    def cut(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{"data"')

    with raw_server(cut) as base, fetcher(base) as f, pytest.raises(FetchNetworkError):
        f.fetch_page("psn/someone", None)


def test_a_body_that_is_not_the_gzip_it_claims_is_an_upstream_error() -> None:
    def answer(h: BaseHTTPRequestHandler) -> None:
        send(h, 200, b"not gzip at all", Content_Encoding="gzip")

    with (
        http_server(answer) as (base, _, _),
        fetcher(base) as f,
        pytest.raises(UpstreamError, match="answered badly"),
    ):
        f.fetch_page("psn/someone", None)


def test_the_proxy_named_by_the_environment_is_used_unless_bypassed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with http_server(lambda h: send(h, 200, PROFILE)) as (proxy, seen, _):
        proxy_url = proxy.removesuffix("/api")
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with fetcher("http://api.tracker.example/api") as f:
            f.fetch_page("psn/someone", None)
        assert seen[-1]["path"] == "http://api.tracker.example/api/psn/someone"
        monkeypatch.setenv("NO_PROXY", "api.tracker.example")
        with (
            fetcher("http://api.tracker.example/api") as f,
            pytest.raises(FetchNetworkError),
        ):  # direct: the name does not resolve
            f.fetch_page("psn/someone", None)
        assert len(seen) == 1
