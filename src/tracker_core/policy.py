"""The tunable numbers of the rules, with the spec's defaults."""

from __future__ import annotations

from datetime import timedelta

import attrs


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
    backoff_base_seconds: float = 30.0
    backoff_cap_seconds: float = 1800.0
    notification_max_attempts: int = 8
