"""The two ways to reach tracker.gg: direct HTTPS, or through a FlareSolverr instance.

A transport turns one API URL into an :class:`UpstreamResponse` (tracker.gg's status, body
and headers) or raises the network-level :class:`FetchError` categories (timeout, network,
and — for FlareSolverr — challenge). Classifying tracker.gg's own answer is the fetcher's job.
"""

from __future__ import annotations

import html
import json
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from email.message import Message
from typing import Any, Protocol
from urllib.parse import urlsplit

import attrs
import certifi
import httpx
import urllib3
from urllib3 import exceptions as u3

from tracker_core.errors import (
    ChallengeBlockedError,
    FetchNetworkError,
    FetchTimeoutError,
    UpstreamError,
)

BROWSER_HEADERS: Mapping[str, str] = {
    "User-Agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36"
    ),
    "Accept": "application/json, text/plain, */*",
    "Accept-Language": "en-US,en;q=0.9",
    "Origin": "https://rocketleague.tracker.network",
    "Referer": "https://rocketleague.tracker.network/",
    "Sec-Fetch-Dest": "empty",
    "Sec-Fetch-Mode": "cors",
    "Sec-Fetch-Site": "cross-site",
}

FLARESOLVERR_SLACK_SECONDS = 10.0
"""At most how much longer than its own ``maxTimeout`` we give FlareSolverr to answer."""


@attrs.frozen
class UpstreamResponse:
    """What tracker.gg answered: HTTP status, body text and lower-cased headers."""

    status: int
    body: str
    headers: Mapping[str, str] = attrs.field(factory=dict)


class Transport(Protocol):
    """Fetches one tracker.gg API URL."""

    def get(self, api_url: str) -> UpstreamResponse:
        """tracker.gg's answer to ``GET api_url``; raises timeout/network/challenge errors."""
        ...


def bounded_timeout(seconds: float) -> httpx.Timeout:
    """Connect, read, write and pool timeouts, each bounded by ``seconds``."""
    return httpx.Timeout(seconds, connect=min(10.0, seconds))


@contextmanager
def translated_errors(api_url: str, via: str) -> Iterator[None]:
    """Turn httpx exceptions into the timeout / network / upstream fetch categories."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise FetchTimeoutError(f"{via} did not answer in time: {exc!r}", api_url=api_url) from exc
    except httpx.TransportError as exc:
        raise FetchNetworkError(f"cannot reach {via}: {exc!r}", api_url=api_url) from exc
    except httpx.HTTPError as exc:
        raise UpstreamError(f"{via} answered badly: {exc!r}", api_url=api_url) from exc


class DirectTransport:
    """GETs the API URL directly over an httpx client given to the fetcher, with the browser
    headers on each request (the fetcher's own GETs go through :class:`PooledDirectTransport`).
    """

    def __init__(self, client: httpx.Client, timeout_seconds: float) -> None:
        self._client = client
        self._timeout = bounded_timeout(timeout_seconds)

    def get(self, api_url: str) -> UpstreamResponse:
        """GET ``api_url``; never follows redirects (they could lead to another host)."""
        with translated_errors(api_url, "tracker.gg"):
            response = self._client.get(
                api_url, headers=BROWSER_HEADERS, timeout=self._timeout, follow_redirects=False
            )
            body = response.text
        return UpstreamResponse(response.status_code, body, _lower(response.headers.items()))


POOL_CONNECTIONS = 16
"""Connections the direct transport keeps open to tracker.gg (one per thread scraping at once;
a thread beyond them opens and closes its own)."""

ACCEPT_ENCODING = "gzip, deflate"
"""What the direct transport accepts (as httpx asks by default): a compressed answer is
smaller for tracker.gg to send."""


class PooledDirectTransport:
    """GETs the API URL directly over a urllib3 connection pool, with the browser headers.

    What the fetcher builds for itself (the worker's): a GET costs about half the CPU of
    httpx's (decisions: "The worker's GET on urllib3"). Same behaviour as
    :class:`DirectTransport`: redirects are never followed, nothing is retried (one request
    per budget token), connect and read timeouts bounded by ``timeout_seconds``, gzip and
    deflate answers decoded, TLS verified against certifi's CA bundle, and ``HTTPS_PROXY`` /
    ``NO_PROXY`` (and the ``HTTP_`` ones for an ``http://`` base) honoured. Thread-safe.
    """

    def __init__(
        self,
        api_base_url: str,
        timeout_seconds: float,
        headers: Mapping[str, str] = BROWSER_HEADERS,
    ) -> None:
        options: dict[str, Any] = {
            "headers": {**headers, "Accept-Encoding": ACCEPT_ENCODING},
            "retries": False,
            "timeout": urllib3.Timeout(connect=min(10.0, timeout_seconds), read=timeout_seconds),
            "maxsize": POOL_CONNECTIONS,
            "ca_certs": certifi.where(),
        }
        proxy = _proxy_for(api_base_url)
        self._pool: urllib3.PoolManager = (
            urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
        )

    def get(self, api_url: str) -> UpstreamResponse:
        """GET ``api_url``; never follows redirects (they could lead to another host)."""
        with translated_urllib3_errors(api_url, "tracker.gg"):
            response = self._pool.request("GET", api_url, redirect=False)
            content = response.data
        headers = response.headers
        return UpstreamResponse(
            response.status, _text(content, headers.get("content-type")), _lower(headers.items())
        )

    def close(self) -> None:
        """Close the pooled connections."""
        self._pool.clear()


def _proxy_for(url: str) -> str | None:
    """The proxy the environment names for ``url`` (as httpx's ``trust_env`` would)."""
    parts = urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return proxy


def _text(content: bytes, content_type: str | None) -> str:
    """The body as text: the declared charset, else UTF-8 (what JSON is); undecodable bytes
    become U+FFFD, as httpx's ``.text`` does."""
    charset = "utf-8"
    if content_type:
        message = Message()
        message["content-type"] = content_type
        charset = message.get_content_charset() or charset
    try:
        return content.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return content.decode("utf-8", errors="replace")


@contextmanager
def translated_urllib3_errors(api_url: str, via: str) -> Iterator[None]:
    """Turn urllib3 exceptions into the timeout / network / upstream fetch categories (the
    same as :func:`translated_errors` does for httpx)."""
    try:
        yield
    except u3.NewConnectionError as exc:  # refused, unresolvable (a ConnectTimeoutError too)
        raise FetchNetworkError(f"cannot reach {via}: {exc!r}", api_url=api_url) from exc
    except u3.TimeoutError as exc:
        raise FetchTimeoutError(f"{via} did not answer in time: {exc!r}", api_url=api_url) from exc
    except (u3.DecodeError, u3.HeaderParsingError, u3.ResponseError) as exc:
        raise UpstreamError(f"{via} answered badly: {exc!r}", api_url=api_url) from exc
    except (u3.HTTPError, OSError) as exc:  # reset, closed, TLS, proxy
        raise FetchNetworkError(f"cannot reach {via}: {exc!r}", api_url=api_url) from exc


class FlareSolverrTransport:
    """Asks a FlareSolverr instance (``POST {url}/v1``, ``request.get``) to fetch the URL."""

    def __init__(self, client: httpx.Client, flaresolverr_url: str, timeout_seconds: float) -> None:
        self._client = client
        self._endpoint = flaresolverr_url.rstrip("/") + "/v1"
        self._max_timeout_ms = int(timeout_seconds * 1000)
        slack = min(FLARESOLVERR_SLACK_SECONDS, timeout_seconds)
        self._timeout = bounded_timeout(timeout_seconds + slack)

    def get(self, api_url: str) -> UpstreamResponse:
        """Fetch ``api_url`` through FlareSolverr and unwrap tracker.gg's answer."""
        command = {"cmd": "request.get", "url": api_url, "maxTimeout": self._max_timeout_ms}
        with translated_errors(api_url, "FlareSolverr"):
            response = self._client.post(
                self._endpoint, json=command, timeout=self._timeout, follow_redirects=False
            )
            content = response.content
        return unwrap_flaresolverr(content, api_url=api_url, http_status=response.status_code)


def unwrap_flaresolverr(
    envelope: bytes | str | Mapping[str, Any], *, api_url: str, http_status: int = 200
) -> UpstreamResponse:
    """tracker.gg's answer inside a FlareSolverr envelope (JSON from the first ``<pre>``).

    Raises:
        ChallengeBlockedError: FlareSolverr's ``status`` is not ``ok`` (it could not get through).
        UpstreamError: FlareSolverr itself answered something that is not its JSON envelope.
    """
    document = _envelope_document(envelope, api_url=api_url, http_status=http_status)
    if document.get("status") != "ok":
        message = document.get("message")
        detail = message if isinstance(message, str) else repr(document.get("status"))
        raise ChallengeBlockedError(f"FlareSolverr failed: {detail}", api_url=api_url)
    solution = document.get("solution")
    if not isinstance(solution, dict) or not isinstance(solution.get("status"), int):
        raise UpstreamError("FlareSolverr answered ok without a solution", api_url=api_url)
    raw = solution.get("response")
    headers = solution.get("headers")
    return UpstreamResponse(
        status=solution["status"],
        body=extract_json_text(raw) if isinstance(raw, str) else "",
        headers=_lower(headers.items()) if isinstance(headers, dict) else {},
    )


def _envelope_document(
    envelope: bytes | str | Mapping[str, Any], *, api_url: str, http_status: int
) -> Mapping[str, Any]:
    if isinstance(envelope, Mapping):
        return envelope
    try:
        document = json.loads(envelope)
    except ValueError as exc:
        raise UpstreamError(
            f"FlareSolverr answered HTTP {http_status} without its JSON envelope", api_url=api_url
        ) from exc
    if not isinstance(document, dict):
        raise UpstreamError("FlareSolverr answered an unexpected JSON value", api_url=api_url)
    return document


def extract_json_text(page: str) -> str:
    """The HTML-unescaped text of the first ``<pre>`` element, else the page itself."""
    if page.lstrip().startswith(("{", "[")):
        return page
    start = page.find("<pre")
    if start < 0:
        return page
    open_end = page.find(">", start)
    close = page.find("</pre>", open_end)
    if open_end < 0 or close < 0:
        return page
    return html.unescape(page[open_end + 1 : close])


def _lower(items: Any) -> dict[str, str]:
    return {str(name).lower(): str(value) for name, value in items}
