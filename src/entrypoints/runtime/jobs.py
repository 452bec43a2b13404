"""Job functions run by the workers (RQ enqueues them by dotted path)."""

from __future__ import annotations

from entrypoints.container import get_container


def scrape_tracker(tracker_id: str) -> str:
    """Scrape one tracker with the process container's :class:`~entrypoints.container.Scraper`."""
    return get_container().scraper()(tracker_id)
