"""A loopback HTTP proxy that holds every request for a random 0..``max_delay`` seconds (seeded)
before forwarding it to one upstream: the network jitter between a worker and tracker.gg.

Only ``GET`` is forwarded (the direct API); the upstream's status, ``Content-Type`` and
``Retry-After`` come back unchanged. Each client connection (kept alive) gets its own handler
thread and its own kept-alive connection to the upstream, so one slow request does not hold up
another worker's.
"""

from __future__ import annotations

import http.client
import random
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast
from urllib.parse import urlsplit

from adapters.background_http import Served

_FORWARDED = ("Content-Type", "Retry-After")


class JitterProxy(Served):
    """``http://127.0.0.1:<port>`` forwarding to ``upstream`` (``http://host:port``)."""

    thread_name = "jitter-proxy"

    def __init__(self, upstream: str, *, max_delay: float, seed: int = 0) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError("upstream must be http://host:port")
        self.upstream = (parts.hostname, parts.port)
        self.max_delay = max_delay
        self.delays: list[float] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def next_delay(self) -> float:
        """The hold of the next request (the seeded sequence, in the order requests come)."""
        with self._lock:
            delay = self._random.uniform(0.0, self.max_delay)
            self.delays.append(delay)
            return delay

    def make_server(self) -> _Server:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.proxy = self
        return server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    proxy: JitterProxy


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    _upstream: http.client.HTTPConnection | None = None

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if self._upstream is not None:
                self._upstream.close()

    def do_GET(self) -> None:
        proxy = cast(_Server, self.server).proxy
        time.sleep(proxy.next_delay())  # the injected network jitter, not a wait for a condition
        if self._upstream is None:
            host, port = proxy.upstream
            self._upstream = http.client.HTTPConnection(host, port, timeout=30)
        self._upstream.request("GET", self.path, headers={"Accept": "application/json"})
        answer = self._upstream.getresponse()
        body = answer.read()
        self.send_response(answer.status)
        for name in _FORWARDED:
            value = answer.getheader(name)
            if value is not None:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads the upstream's record."""
