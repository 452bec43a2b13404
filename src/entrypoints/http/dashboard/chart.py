"""Rating-history charts drawn on the server: the geometry of an inline SVG per playlist.

Each playlist gets its own chart with one series, so nothing depends on colour: points carry
their exact value and time in a ``<title>`` (hover) and the page repeats them in a table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import attrs

from tracker_core.model import TrackerSnapshot
from tracker_core.stats import RANKED_PLAYLISTS, RankedPlaylist

WIDTH = 480
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 14, 42
X_TICKS = 4
MAX_POINTS = 120
"""Points per chart: the newest ones, so that a page stays far under its 250 KB budget."""
Y_TICKS = 4


@attrs.frozen
class Point:
    """One snapshot's rating at a position of the plot."""

    x: float
    y: float
    at: datetime
    rating: int
    games: int | None


@attrs.frozen
class Tick:
    """An axis label at a position."""

    position: float
    label: str
    anchor: str = "middle"


@attrs.frozen
class Chart:
    """The drawable history of one playlist (points oldest first)."""

    playlist: RankedPlaylist
    points: tuple[Point, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    total: int
    """How many rated snapshots there are (``points`` holds the newest MAX_POINTS)."""
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM

    @property
    def path(self) -> str:
        """The SVG polyline ``points`` attribute."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def lowest(self) -> int:
        return min(p.rating for p in self.points)

    @property
    def highest(self) -> int:
        return max(p.rating for p in self.points)


def _nice_step(span: float, count: int) -> int:
    raw = max(span / count, 1.0)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return int(factor * magnitude)
    return int(10 * magnitude)


def _y_range(ratings: Sequence[int]) -> tuple[int, int, int]:
    low, high = min(ratings), max(ratings)
    step = _nice_step(high - low or 40, Y_TICKS)
    bottom = (low // step) * step
    top = -(-high // step) * step
    if top - bottom < 2 * step:
        bottom, top = bottom - step, top + step
    return bottom, top, step


def _time_label(at: datetime, span_seconds: float) -> str:
    at = at.astimezone(UTC)
    if span_seconds < 3600:
        return at.strftime("%H:%M:%S")
    return at.strftime("%H:%M") if span_seconds < 2 * 86400 else at.strftime("%d %b")


def build_chart(playlist: RankedPlaylist, snapshots: Sequence[TrackerSnapshot]) -> Chart | None:
    """The chart of one playlist from snapshots in any order (None without a rating)."""
    rated = sorted(
        (
            (s.captured_at, r, s.games_played.get(playlist))
            for s in snapshots
            if (r := s.ratings.get(playlist)) is not None
        ),
        key=lambda item: item[0],
    )
    if not rated:
        return None
    total = len(rated)
    rated = rated[-MAX_POINTS:]
    first, last = rated[0][0], rated[-1][0]
    span = (last - first).total_seconds()
    low, high, step = _y_range([r for _, r, _ in rated])
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM

    def x_of(at: datetime) -> float:
        if span <= 0:
            return LEFT + inner_w / 2
        return LEFT + inner_w * (at - first).total_seconds() / span

    def y_of(rating: float) -> float:
        return TOP + inner_h * (1 - (rating - low) / (high - low))

    points = tuple(Point(x_of(at), y_of(rating), at, rating, games) for at, rating, games in rated)
    y_ticks = tuple(Tick(y_of(v), str(v)) for v in range(low, high + 1, step))
    return Chart(playlist, points, _x_ticks(first, last, x_of), y_ticks, total)


def _x_ticks(
    first: datetime, last: datetime, x_of: Callable[[datetime], float]
) -> tuple[Tick, ...]:
    span = (last - first).total_seconds()
    if span <= 0:
        return (Tick(x_of(first), _time_label(first, span)),)
    moments = [first + (last - first) * (i / X_TICKS) for i in range(X_TICKS + 1)]
    ticks: list[Tick] = []
    for i, at in enumerate(moments):
        label = _time_label(at, span)
        if ticks and ticks[-1].label == label:
            continue
        anchor = "start" if i == 0 else "end" if i == X_TICKS else "middle"
        ticks.append(Tick(x_of(at), label, anchor))
    return tuple(ticks)


def build_charts(snapshots: Sequence[TrackerSnapshot]) -> list[Chart]:
    """One chart per ranked playlist that has at least one rating."""
    charts = (build_chart(p, snapshots) for p in RANKED_PLAYLISTS)
    return [c for c in charts if c is not None]
