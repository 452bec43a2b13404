"""The two ways to reach tracker.gg: direct HTTPS, or through a FlareSolverr instance.

A transport turns one API URL into an :class:`UpstreamResponse` (tracker.gg's status, body
and headers) or raises the network-level :class:`FetchError` categories (timeout, network,
and — for FlareSolverr — challenge). Classifying tracker.gg's own answer is the fetcher's job.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

import attrs
import httpx

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
    """GETs the API URL directly, with browser-like headers.

    ``headers``: sent with each request; None when the client carries them already (httpx
    merges per-request headers into the client's on every request, which cost about a tenth of
    a scrape's CPU).
    """

    def __init__(
        self,
        client: httpx.Client,
        timeout_seconds: float,
        headers: Mapping[str, str] | None = BROWSER_HEADERS,
    ) -> None:
        self._client = client
        self._timeout = bounded_timeout(timeout_seconds)
        self._headers = headers

    def get(self, api_url: str) -> UpstreamResponse:
        """GET ``api_url``; never follows redirects (they could lead to another host)."""
        with translated_errors(api_url, "tracker.gg"):
            response = self._client.get(
                api_url, headers=self._headers, timeout=self._timeout, follow_redirects=False
            )
            body = response.text
        return UpstreamResponse(response.status_code, body, _lower(response.headers.items()))


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
