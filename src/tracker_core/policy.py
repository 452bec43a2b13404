"""The tunable numbers of the rules, with the spec's defaults."""

from __future__ import annotations

from datetime import timedelta

import attrs

from tracker_core.errors import LimitReachedError, RuleViolationError


@attrs.frozen(kw_only=True)
class Policy:
    """Limits, cooldowns and timings the use cases apply."""

    max_trackers_per_user: int = 4
    max_scraping_attempts: int = 3
    refresh_cooldown: timedelta = timedelta(seconds=300)
    refresh_interval: timedelta = timedelta(hours=24)
    initial_seasons: int = 3
    lease: timedelta = timedelta(minutes=10)
    misfire_grace: timedelta = timedelta(hours=24)
    schedule_max_attempts: int = 3
    backoff_base_seconds: float = 30.0
    backoff_cap_seconds: float = 1800.0
    notification_max_attempts: int = 8

    def check_register_count(self, count: int) -> None:
        """A first registration brings 1 to ``max_trackers_per_user`` URLs.

        Raises:
            RuleViolationError: too few or too many.
        """
        if not 1 <= count <= self.max_trackers_per_user:
            raise RuleViolationError(
                f"You must provide between 1 and {self.max_trackers_per_user} tracker URLs"
            )

    def check_room_for_one(self, live_count: int) -> None:
        """Adding or restoring one tracker keeps the user within ``max_trackers_per_user``.

        Raises:
            LimitReachedError: the user already holds the maximum.
        """
        limit = self.max_trackers_per_user
        if live_count >= limit:
            raise LimitReachedError(
                f"You have reached the maximum of {limit} trackers. "
                "Please remove one before adding another."
            )
