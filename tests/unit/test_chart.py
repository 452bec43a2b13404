"""The rating-history chart geometry: every point inside the plot, in time order, scaled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from entrypoints.http.dashboard.chart import MAX_POINTS, build_chart, build_charts
from tracker_core.model import TrackerSnapshot

START = datetime(2026, 1, 1, tzinfo=UTC)


def snap(minute: int, ones: int | None, twos: int | None = None) -> TrackerSnapshot:
    at = START + timedelta(minutes=minute)
    return TrackerSnapshot(
        id=f"c{minute:024d}",
        tracker_id="c" + "1" * 24,
        captured_at=at,
        season_number=34,
        ratings={"1v1": ones, "2v2": twos, "3v3": None, "4v4": None},
        games_played={"1v1": 10, "2v2": None, "3v3": None, "4v4": None},
        source="SCRAPE",
        entered_by=None,
        created_at=at,
    )


samples = st.lists(
    st.tuples(st.integers(0, 60 * 24 * 120), st.one_of(st.none(), st.integers(0, 3000))),
    min_size=1,
    max_size=40,
    unique_by=lambda item: item[0],
)


@given(samples)
def test_points_lie_in_the_plot_in_time_order_and_keep_rating_order(
    items: list[tuple[int, int | None]],
) -> None:
    snapshots = [snap(minute, rating) for minute, rating in items]
    chart = build_chart("1v1", list(reversed(snapshots)))
    rated = sorted((m, r) for m, r in items if r is not None)
    if not rated:
        assert chart is None
        return
    assert chart is not None
    assert [p.rating for p in chart.points] == [r for _, r in rated]
    for p in chart.points:
        assert chart.left <= p.x <= chart.right and chart.top <= p.y <= chart.bottom
    xs = [p.x for p in chart.points]
    assert xs == sorted(xs)
    for a in chart.points:
        for b in chart.points:
            if a.rating > b.rating:
                assert a.y < b.y
    labels = [int(t.label) for t in chart.y_ticks]
    assert labels[0] <= chart.lowest and labels[-1] >= chart.highest
    assert len(chart.x_ticks) >= 1


def test_a_long_history_keeps_the_newest_points() -> None:
    chart = build_chart("1v1", [snap(minute, 1000 + minute) for minute in range(500)])
    assert chart is not None and chart.total == 500 and len(chart.points) == MAX_POINTS
    assert chart.points[-1].rating == 1499 and chart.points[0].rating == 1500 - MAX_POINTS


def test_only_playlists_with_a_rating_get_a_chart() -> None:
    charts = build_charts([snap(0, 1000, None), snap(5, 1010, None)])
    assert [c.playlist for c in charts] == ["1v1"]
    assert charts[0].path.count(",") == 2
