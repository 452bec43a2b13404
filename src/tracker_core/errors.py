"""One error hierarchy for the whole service.

Every error a use case or an adapter raises on purpose derives from :class:`TrackerError`.
The HTTP layer maps each *base* class to one status code in one table
(``entrypoints.http.errors.ERROR_STATUS``); subclasses inherit their base's status and views
never catch. The hierarchy, with those statuses::

    TrackerError
    ├── RuleViolationError (400)
    │   ├── ValidationError
    │   ├── InvalidTrackerUrlError
    │   ├── InvalidFormulaError
    │   ├── AlreadyRegisteredError
    │   ├── LimitReachedError
    │   └── IllegalTransitionError
    ├── UnauthorizedError (401)
    ├── ForbiddenError (403)
    ├── NotFoundError (404)
    ├── ConflictError (409)
    │   └── LeaseLostError
    ├── RateLimitedError (429)
    ├── StorageUnavailableError (503)
    ├── QueueUnavailableError (503)
    ├── FetchError (jobs only)
    │   ├── ProfileNotFoundError
    │   ├── FetchRateLimitedError
    │   ├── ChallengeBlockedError
    │   ├── FetchTimeoutError
    │   ├── FetchNetworkError
    │   ├── UpstreamError
    │   └── InvalidPayloadError
    └── DeliveryError (jobs only)

*jobs only*: raised and handled by the scrape and notification jobs; one that reached a view
would be answered as a 500. ``tests/unit/test_error_hierarchy.py`` checks this tree against the
classes and the status table.

Naming: every exception class name ends in ``Error`` (PEP 8; ruff's N818 enforces it). The
``code`` each class carries (``RULE_VIOLATION``, ``VALIDATION_FAILED``, …) and its message
are the HTTP contract and do not follow the class name. :class:`FieldError` is not an
exception: it is one entry of :attr:`ValidationError.errors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker_core.stats import SeasonStats


class TrackerError(Exception):
    """Base of every deliberate error of the Tracker Service."""

    code = "ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class RuleViolationError(TrackerError):
    """A request broke a domain rule (HTTP 400)."""

    code = "RULE_VIOLATION"


class ValidationError(RuleViolationError):
    """Input failed validation; ``errors`` names each offending field (HTTP 400)."""

    code = "VALIDATION_FAILED"

    def __init__(self, errors: Sequence[FieldError], message: str = "Validation failed") -> None:
        super().__init__(message)
        self.errors = list(errors)


class FieldError:
    """One field's validation problem."""

    __slots__ = ("field", "message")

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}

    def __repr__(self) -> str:
        return f"FieldError({self.field!r}, {self.message!r})"


class InvalidTrackerUrlError(RuleViolationError):
    """A tracker URL is not a Rocket League TRN profile URL (HTTP 400)."""

    code = "INVALID_TRACKER_URL"


class InvalidFormulaError(RuleViolationError):
    """A CUSTOM MMR formula cannot be parsed or evaluated (HTTP 400)."""

    code = "INVALID_FORMULA"


class AlreadyRegisteredError(RuleViolationError):
    """A tracker identity is already held by a non-deleted tracker (HTTP 400)."""

    code = "ALREADY_REGISTERED"


class LimitReachedError(RuleViolationError):
    """The user holds the maximum number of trackers (HTTP 400)."""

    code = "LIMIT_REACHED"


class IllegalTransitionError(RuleViolationError):
    """A state machine was asked for a step it does not allow (HTTP 400)."""

    code = "ILLEGAL_TRANSITION"


class NotFoundError(TrackerError):
    """The addressed thing does not exist or is hidden from the caller (HTTP 404)."""

    code = "NOT_FOUND"


class ForbiddenError(TrackerError):
    """The caller is known but may not do this (HTTP 403)."""

    code = "FORBIDDEN"


class UnauthorizedError(TrackerError):
    """The caller could not be authenticated (HTTP 401)."""

    code = "UNAUTHORIZED"


class ConflictError(TrackerError):
    """The request conflicts with the current state (HTTP 409)."""

    code = "CONFLICT"


class LeaseLostError(ConflictError):
    """A job's lease on its tracker expired and was taken back; it must stop."""

    code = "LEASE_LOST"


class RateLimitedError(TrackerError):
    """Too many requests; retry after ``retry_after`` seconds (HTTP 429)."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class StorageUnavailableError(TrackerError):
    """The database cannot be reached (HTTP 503)."""

    code = "STORAGE_UNAVAILABLE"


class QueueUnavailableError(TrackerError):
    """The job queue cannot be reached (HTTP 503)."""

    code = "QUEUE_UNAVAILABLE"


class FetchError(TrackerError):
    """Fetching a profile from tracker.gg failed; carries what the job layer needs.

    ``category`` is one of ``not_found``, ``rate_limited``, ``challenge``, ``timeout``,
    ``network``, ``upstream``, ``invalid``. ``retryable`` tells whether another attempt can
    help; ``retry_after`` is the suggested delay in seconds (None: use backoff);
    ``upstream_status`` is the HTTP status tracker.gg answered, when there was one.
    """

    category = "upstream"
    retryable = True
    code = "FETCH_FAILED"

    def __init__(
        self,
        message: str,
        *,
        upstream_status: int | None = None,
        retry_after: float | None = None,
        api_url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.upstream_status = upstream_status
        self.retry_after = retry_after
        self.api_url = api_url
        self.fetched_seasons: tuple[SeasonStats, ...] = ()
        """Earlier seasons fetched before this error stopped a first scrape: stored anyway,
        so the retry does not ask for them again."""


class ProfileNotFoundError(FetchError):
    """tracker.gg has no such profile (404 or an ``errors`` array): terminal."""

    category = "not_found"
    retryable = False


class FetchRateLimitedError(FetchError):
    """tracker.gg answered 429: wait ``retry_after`` and pause the whole budget."""

    category = "rate_limited"


class ChallengeBlockedError(FetchError):
    """Cloudflare answered a challenge page or FlareSolverr failed: retry with backoff."""

    category = "challenge"


class FetchTimeoutError(FetchError):
    """tracker.gg did not answer within the timeout: retry with backoff."""

    category = "timeout"


class FetchNetworkError(FetchError):
    """The connection failed: retry with backoff."""

    category = "network"


class UpstreamError(FetchError):
    """tracker.gg answered 5xx (or another unexpected status): retry with backoff."""

    category = "upstream"


class InvalidPayloadError(FetchError):
    """The answer is not the JSON we know ("API changed"): terminal."""

    category = "invalid"
    retryable = False


FETCH_ERROR_CATEGORIES: dict[str, type[FetchError]] = {
    cls.category: cls
    for cls in (
        ProfileNotFoundError,
        FetchRateLimitedError,
        ChallengeBlockedError,
        FetchTimeoutError,
        FetchNetworkError,
        UpstreamError,
        InvalidPayloadError,
    )
}


class DeliveryError(TrackerError):
    """A notification could not be delivered; retry after ``retry_after`` unless ``permanent``.

    ``retry_after`` is the delay in seconds the channel asked for (Discord 429), None to use
    backoff; ``permanent`` means another try cannot help (e.g. the user does not accept DMs).
    Messages never contain credentials (bot token, webhook URL).
    """

    code = "DELIVERY_FAILED"

    def __init__(
        self, message: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent
