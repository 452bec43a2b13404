"""tracker.gg adapter: the profile fetcher, its transports, the rate budget and a simulator."""

from adapters.trackergg.budget import (
    BudgetExhaustedError,
    BudgetUnavailableError,
    InProcessBudget,
    RateBudget,
    RedisBudget,
)
from adapters.trackergg.fetcher import DEFAULT_API_BASE_URL, TrackerGgFetcher
from adapters.trackergg.parser import parse_profile

__all__ = [
    "DEFAULT_API_BASE_URL",
    "BudgetExhaustedError",
    "BudgetUnavailableError",
    "InProcessBudget",
    "RateBudget",
    "RedisBudget",
    "TrackerGgFetcher",
    "parse_profile",
]
