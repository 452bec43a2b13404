"""The season strategy: which seasons a scrape fetches, in which order."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from tracker_core.errors import FetchError
from tracker_core.ports import ProfileFetcher
from tracker_core.stats import FetchedProfile, SeasonStats


def earlier_seasons(current: int, available: Iterable[int], count: int) -> list[int]:
    """The ``count`` most recent seasons before ``current`` among ``available``, newest first."""
    if count <= 0:
        return []
    return sorted({s for s in available if s < current}, reverse=True)[:count]


def planned_requests(*, first_scrape: bool, initial_seasons: int) -> int:
    """Requests one scrape makes at most: the current season, plus on a first scrape the
    ``initial_seasons`` earlier ones (see :func:`fetch_profile`)."""
    return 1 + max(0, initial_seasons) if first_scrape else 1


def fetch_profile(
    fetcher: ProfileFetcher,
    api_path: str,
    *,
    first_scrape: bool,
    initial_seasons: int,
    before_next_page: Callable[[], None] | None = None,
    stored: Collection[int] = (),
) -> FetchedProfile:
    """Fetch the current season and, on a first scrape, the most recent earlier seasons.

    Earlier seasons are fetched one after another (each through the fetcher's rate budget);
    one already ``stored`` is never asked for again (past seasons do not change).
    A failure of the current-season request fails the scrape. A failure of an earlier season,
    or an answer for another season than the one asked for, is recorded in ``seasons_failed``,
    unless it is a rate limit, which stops the scrape: the earlier seasons fetched until then
    ride on the error (``fetched_seasons``) to be stored, so the retry asks only for the rest.

    ``before_next_page`` runs before each request after the first (the job renews its lease
    there, so a scrape waiting long for budget keeps its tracker); what it raises propagates.

    Raises:
        FetchError: the current season could not be fetched, or tracker.gg rate-limited us.
    """
    page = fetcher.fetch_page(api_path, None)
    current = page.current_season
    seasons: list[SeasonStats] = [page.season]
    failed: list[int] = []
    if first_scrape:
        for number in earlier_seasons(current, page.available_seasons, initial_seasons):
            if number in stored:
                continue
            if before_next_page is not None:
                before_next_page()
            try:
                earlier = fetcher.fetch_page(api_path, number).season
            except FetchError as exc:
                if exc.category == "rate_limited":
                    exc.fetched_seasons = tuple(seasons[1:])
                    raise
                failed.append(number)
                continue
            if earlier.season_number == number:
                seasons.append(earlier)
            else:
                # tracker.gg answered another season than the one asked for (it ignored the
                # parameter): nothing to store for this one, and never a season twice.
                failed.append(number)
    return FetchedProfile(
        current_season=current,
        seasons=tuple(seasons),
        platform_user_id=page.platform_user_id,
        trn_last_updated=page.trn_last_updated,
        api_url=page.api_url,
        upstream_status=page.upstream_status,
        seasons_failed=tuple(failed),
        trn_expires_at=page.trn_expires_at,
    )
