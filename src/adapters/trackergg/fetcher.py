"""The tracker.gg ``ProfileFetcher``: budget, then transport, then classify, then parse."""

from __future__ import annotations

import logging
import math
import re
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Self

import httpx

from adapters.trackergg.budget import BudgetExhaustedError, BudgetUnavailableError, RateBudget
from adapters.trackergg.parser import load_document, parse_profile
from adapters.trackergg.transport import (
    DirectTransport,
    FlareSolverrTransport,
    PooledDirectTransport,
    Transport,
    UpstreamResponse,
)
from tracker_core.errors import (
    ChallengeBlockedError,
    FetchError,
    FetchNetworkError,
    FetchRateLimitedError,
    InvalidPayloadError,
    ProfileNotFoundError,
    UpstreamError,
)
from tracker_core.stats import ProfilePage

DEFAULT_API_BASE_URL = "https://api.tracker.gg/api/v2/rocket-league/standard/profile"
DEFAULT_RETRY_AFTER_SECONDS = 60.0
DEFAULT_MAX_RETRY_AFTER_SECONDS = 900.0

log = logging.getLogger(__name__)

CHALLENGE_MARKERS = (
    "just a moment",
    "cf-challenge",
    "challenge-platform",
    "cf_chl_",
    "cf-browser-verification",
    "attention required! | cloudflare",
    "checking your browser",
)

_API_PATH = re.compile(r"[A-Za-z0-9]{1,16}/[^/?#\s\\\x00-\x1f\x7f]{1,400}")


class TrackerGgFetcher:
    """Fetches tracker.gg profile pages directly or through FlareSolverr, within a budget."""

    def __init__(
        self,
        api_base_url: str = DEFAULT_API_BASE_URL,
        *,
        flaresolverr_url: str | None = None,
        timeout_seconds: float = 30,
        budget: RateBudget,
        client: httpx.Client | None = None,
        budget_wait_seconds: float | None = None,
        max_retry_after_seconds: float = DEFAULT_MAX_RETRY_AFTER_SECONDS,
    ) -> None:
        self.api_base_url = api_base_url.rstrip("/")
        self._budget = budget
        self._budget_wait = budget_wait_seconds
        self._max_retry_after = max_retry_after_seconds
        self._owned: httpx.Client | PooledDirectTransport | None = None
        self._transport: Transport
        if flaresolverr_url:
            http = client or httpx.Client(follow_redirects=False)
            self._owned = None if client else http
            self._transport = FlareSolverrTransport(http, flaresolverr_url, timeout_seconds)
        elif client is None:
            # Its own pool (urllib3: about half httpx's CPU per GET), the browser headers set once.
            self._owned = pooled = PooledDirectTransport(self.api_base_url, timeout_seconds)
            self._transport = pooled
        else:
            self._transport = DirectTransport(client, timeout_seconds)

    def fetch_page(self, api_path: str, season: int | None) -> ProfilePage:
        """Fetch and parse ``{api_base_url}/{api_path}`` (``?season=`` when given).

        Raises:
            FetchError: one of its categories (see ``tracker_core.errors``).
        """
        api_url = self.api_url(api_path, season)
        self._acquire(api_url)
        response = self._transport.get(api_url)
        try:
            classify(response, api_url=api_url)
        except FetchRateLimitedError as exc:
            exc.retry_after = self._capped(exc.retry_after or DEFAULT_RETRY_AFTER_SECONDS, api_url)
            self._budget.pause(exc.retry_after)
            raise
        except ProfileNotFoundError:
            self._budget.succeeded()  # tracker.gg answered, it did not refuse us
            raise
        self._budget.succeeded()
        return parse_profile(
            response.body, season=season, api_url=api_url, upstream_status=response.status
        )

    def _capped(self, retry_after: float, api_url: str) -> float:
        """An upstream ``Retry-After`` bounded by the cap: one absurd header must not stop
        every worker for days."""
        if retry_after <= self._max_retry_after:
            return retry_after
        log.warning(
            "tracker.gg asked to wait %.0f s (%s); capped at %.0f s",
            retry_after,
            api_url,
            self._max_retry_after,
        )
        return self._max_retry_after

    def api_url(self, api_path: str, season: int | None) -> str:
        """The URL for ``api_path`` under the configured base; refuses anything else."""
        # The pattern admits one platform segment and one name segment without "/", "?",
        # "#", "\\", whitespace or control characters, and ".." is refused: the URL below
        # always stays under the base's host and path (a property test checks it with httpx's
        # own parsing), so no URL is parsed per request.
        if not _API_PATH.fullmatch(api_path) or ".." in api_path:
            raise ProfileNotFoundError(f"not a tracker.gg profile path: {api_path!r}")
        text = f"{self.api_base_url}/{api_path}"
        return text if season is None else f"{text}?season={int(season)}"

    def close(self) -> None:
        """Close the HTTP client or connection pool if this fetcher created it."""
        if self._owned is not None:
            self._owned.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _acquire(self, api_url: str) -> None:
        try:
            self._budget.acquire(self._budget_wait)
        except BudgetExhaustedError as exc:
            raise FetchRateLimitedError(
                "no tracker.gg request budget left in time", retry_after=exc.retry_after
            ) from exc
        except BudgetUnavailableError as exc:
            raise FetchNetworkError(str(exc), api_url=api_url) from exc


def classify(response: UpstreamResponse, *, api_url: str) -> None:
    """Raise the FetchError category for a response that is not a profile payload.

    A 2xx answer passes through (the parser still turns ``errors`` or junk into
    ProfileNotFoundError / InvalidPayloadError).
    """
    status = response.status
    if 200 <= status < 300 and not _is_challenge(response.body):
        return
    error: FetchError
    if status == 404:
        error = ProfileNotFoundError("tracker.gg: profile not found (404)")
    elif status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        error = FetchRateLimitedError("tracker.gg rate limit (429)", retry_after=retry_after)
    elif status == 403 or _is_challenge(response.body):
        error = ChallengeBlockedError(f"Cloudflare challenge (HTTP {status})")
    elif status >= 500:
        error = UpstreamError(f"tracker.gg server error (HTTP {status})")
    else:
        _raise_if_errors_array(response, api_url=api_url)
        error = UpstreamError(f"tracker.gg answered an unexpected HTTP {status}")
    error.upstream_status = status
    error.api_url = api_url
    raise error


def _raise_if_errors_array(response: UpstreamResponse, *, api_url: str) -> None:
    if response.body.lstrip().startswith("{"):
        try:
            load_document(response.body, api_url=api_url, upstream_status=response.status)
        except InvalidPayloadError:
            return


def _is_challenge(body: str) -> bool:
    head = body[:4096].lstrip()
    if not head.startswith("<"):
        return False
    lowered = body.lower()
    return any(marker in lowered for marker in CHALLENGE_MARKERS)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date); default 60."""
    if value is None or not value.strip():
        return DEFAULT_RETRY_AFTER_SECONDS
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return DEFAULT_RETRY_AFTER_SECONDS
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        current = time.time() if now is None else now
        seconds = (moment - datetime.fromtimestamp(current, UTC)).total_seconds()
    if not math.isfinite(seconds):
        return DEFAULT_RETRY_AFTER_SECONDS
    return max(1.0, seconds)
