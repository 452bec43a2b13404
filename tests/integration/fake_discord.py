"""A local fake of the Discord HTTP API, enough for the notifiers: DM channels, messages with
nonce deduplication (``enforce_nonce``), webhooks, and injected 429 or 5xx answers.

It binds to 127.0.0.1 on a free port; use it as a context manager so it is always stopped.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import attrs

from adapters.background_http import BackgroundHttpServer

_CHANNELS = re.compile(r"/api/v10/users/@me/channels")
_MESSAGES = re.compile(r"/api/v10/channels/(\d+)/messages")
_WEBHOOK = re.compile(r"/api/webhooks/(\d+)/([\w-]+)")


@attrs.define
class Answer:
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = attrs.field(factory=dict)


@attrs.define
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict[str, Any]


class FakeDiscord:
    """The fake server and what it recorded."""

    def __init__(self, token: str = "fake-bot-token-123", nonce_window: float = 300.0) -> None:
        self.token = token
        self.nonce_window = nonce_window
        self.messages: list[dict[str, Any]] = []
        self.webhook_messages: list[dict[str, Any]] = []
        self.requests: list[Seen] = []
        self.blocked_recipients: set[str] = set()
        self.webhooks: dict[str, str] = {}
        self._injected: list[Answer] = []
        self._channels: dict[str, str] = {}
        self._nonces: dict[str, tuple[float, dict[str, Any]]] = {}
        self._ids = itertools.count(100_000_000_000_000_001)
        self._lock = threading.Lock()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._serving = BackgroundHttpServer(server, "fake-discord")

    @property
    def url(self) -> str:
        return self._serving.root_url

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v10"

    def add_webhook(self, webhook_id: str, token: str) -> str:
        """Register a webhook; its URL."""
        self.webhooks[webhook_id] = token
        return f"{self.url}/api/webhooks/{webhook_id}/{token}"

    def rate_limit_next(self, count: int, retry_after: float, *, in_body: bool = True) -> None:
        """Answer the next ``count`` requests 429 (``retry_after`` in the body and the header)."""
        body = {"message": "You are being rate limited.", "global": False}
        if in_body:
            body["retry_after"] = retry_after
        headers = {"Retry-After": str(retry_after)}
        with self._lock:
            self._injected += [Answer(429, body, headers) for _ in range(count)]

    def fail_next(self, count: int, status: int = 502) -> None:
        """Answer the next ``count`` requests with ``status`` and a non-JSON body."""
        with self._lock:
            self._injected += [Answer(status) for _ in range(count)]

    def requests_to(self, pattern: str) -> list[Seen]:
        return [r for r in self.requests if re.fullmatch(pattern, r.path)]

    def __enter__(self) -> Self:
        self._serving.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._serving.stop()

    def answer(self, seen: Seen) -> Answer:
        """What Discord would answer (called by the request handler)."""
        with self._lock:
            self.requests.append(seen)
            if self._injected:
                return self._injected.pop(0)
            if match := _WEBHOOK.fullmatch(seen.path):
                return self._webhook(seen, match.group(1), match.group(2))
            if seen.headers.get("authorization") != f"Bot {self.token}":
                return Answer(401, {"message": "401: Unauthorized", "code": 0})
            if _CHANNELS.fullmatch(seen.path):
                return self._open_dm(seen)
            if match := _MESSAGES.fullmatch(seen.path):
                return self._create_message(seen, match.group(1))
            return Answer(404, {"message": "404: Not Found", "code": 0})

    def _open_dm(self, seen: Seen) -> Answer:
        recipient = str(seen.body.get("recipient_id", ""))
        channel_id = self._channels.setdefault(recipient, str(next(self._ids)))
        return Answer(200, {"id": channel_id, "type": 1, "recipients": [{"id": recipient}]})

    def _create_message(self, seen: Seen, channel_id: str) -> Answer:
        recipient = next((r for r, c in self._channels.items() if c == channel_id), None)
        if recipient is None:
            return Answer(404, {"message": "Unknown Channel", "code": 10003})
        if recipient in self.blocked_recipients:
            return Answer(403, {"message": "Cannot send messages to this user", "code": 50007})
        nonce = seen.body.get("nonce")
        if nonce is not None and seen.body.get("enforce_nonce"):
            first = self._nonces.get(str(nonce))
            if first is not None and time.monotonic() - first[0] < self.nonce_window:
                return Answer(200, first[1])
        message = {
            "id": str(next(self._ids)),
            "channel_id": channel_id,
            "recipient": recipient,
            "content": seen.body.get("content"),
            "nonce": nonce,
            "allowed_mentions": seen.body.get("allowed_mentions"),
        }
        self.messages.append(message)
        if nonce is not None:
            self._nonces[str(nonce)] = (time.monotonic(), message)
        return Answer(200, message)

    def _webhook(self, seen: Seen, webhook_id: str, token: str) -> Answer:
        if self.webhooks.get(webhook_id) != token:
            return Answer(404, {"message": "Unknown Webhook", "code": 10015})
        message = {"id": str(next(self._ids)), "webhook_id": webhook_id} | seen.body
        self.webhook_messages.append(message)
        if seen.query.get("wait") == ["true"]:
            return Answer(200, message)
        return Answer(204)


def _handler_for(server: FakeDiscord) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            seen = Seen(
                method="POST",
                path=parts.path,
                query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=json.loads(raw) if raw else {},
            )
            self._reply(server.answer(seen))

        def _reply(self, answer: Answer) -> None:
            payload = json.dumps(answer.body).encode() if answer.body is not None else b""
            if answer.body is None and answer.status >= 500:
                payload = b"<html>upstream error</html>"
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            if answer.body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests look at ``requests`` instead."""

    return Handler
