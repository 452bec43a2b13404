"""The season strategy over a source that may answer the wrong season or fail."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from tests.builders import page, season
from tests.fakes import FakeFetcher

from tracker_core.errors import UpstreamError
from tracker_core.fetching import earlier_seasons, fetch_profile

CURRENT = 34
PATH = "steam/player"

answers = st.one_of(
    st.just("right"),
    st.just("current"),
    st.integers(min_value=1, max_value=CURRENT),
    st.just("error"),
)


@given(
    available=st.sets(st.integers(min_value=1, max_value=CURRENT - 1), max_size=8),
    initial=st.integers(min_value=0, max_value=5),
    stored=st.sets(st.integers(min_value=1, max_value=CURRENT - 1), max_size=4),
    answer=st.dictionaries(st.integers(min_value=1, max_value=CURRENT - 1), answers),
)
def test_each_season_is_fetched_at_most_once_and_stored_only_as_asked(
    available: set[int], initial: int, stored: set[int], answer: dict[int, object]
) -> None:
    fetcher = FakeFetcher()
    fetcher.pages[(PATH, None)] = page(current=CURRENT, available=(*sorted(available), CURRENT))
    for number in available:
        given_answer = answer.get(number, "right")
        if given_answer == "error":
            fetcher.pages[(PATH, number)] = UpstreamError("tracker.gg server error (HTTP 500)")
        elif given_answer == "right":
            fetcher.pages[(PATH, number)] = page(stats=season(number, twos=(1000 + number, 5)))
        elif isinstance(given_answer, int):
            fetcher.pages[(PATH, number)] = page(stats=season(given_answer, twos=(900, 5)))
        # "current": no page of its own, so the fake answers the current season
    profile = fetch_profile(
        fetcher, PATH, first_scrape=True, initial_seasons=initial, stored=stored
    )
    asked = [s for _, s in fetcher.calls[1:]]
    expected = [n for n in earlier_seasons(CURRENT, available, initial) if n not in stored]
    assert asked == expected
    numbers = [s.season_number for s in profile.seasons]
    assert numbers[0] == CURRENT and len(numbers) == len(set(numbers))
    assert sorted(numbers[1:] + list(profile.seasons_failed)) == sorted(expected)
    for stats in profile.seasons[1:]:  # only seasons answered as the one asked for
        assert answer.get(stats.season_number, "right") in ("right", stats.season_number)
