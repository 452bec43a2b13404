"""League rules as hypothesis properties: eligibility, the strongest tracker, pull immutability
and pull diffs (use cases over the fakes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.builders import season
from tests.fakes import FakeUnitOfWork, FixedClock

from tracker_core.guilds import Guild, GuildMember, GuildSettings
from tracker_core.league import (
    GAME_KEYS,
    EligibilityRules,
    TrackerData,
    choose_best,
    evaluate_eligibility,
)
from tracker_core.mmr import ALGORITHMS, MmrConfig, MmrInputs, calculate_mmr
from tracker_core.model import Tracker, TrackerSeason
from tracker_core.pulls import PullOverride, PullRow, diff_pulls, latest_overrides
from tracker_core.use_cases import league as uc

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
GAMES = st.integers(min_value=0, max_value=500)
MINIMUMS = st.dictionaries(st.sampled_from(GAME_KEYS), st.integers(0, 300), max_size=5)
GAME_COUNTS = st.fixed_dictionaries({key: GAMES for key in GAME_KEYS})


@given(MINIMUMS, GAME_COUNTS)
def test_no_member_is_both_eligible_and_with_reasons(
    minimums: dict[str, int], games: dict[str, int]
) -> None:
    result = evaluate_eligibility(games, EligibilityRules(min_games=minimums))
    assert result.eligible == (not result.reasons)
    assert len(result.reasons) == sum(1 for k, v in minimums.items() if games[k] < v)


@given(MINIMUMS, GAME_COUNTS, st.fixed_dictionaries({key: GAMES for key in GAME_KEYS}))
def test_eligibility_is_monotone_in_games(
    minimums: dict[str, int], games: dict[str, int], more: dict[str, int]
) -> None:
    rules = EligibilityRules(min_games=minimums)
    before = evaluate_eligibility(games, rules)
    after = evaluate_eligibility({k: games[k] + more[k] for k in GAME_KEYS}, rules)
    assert before.eligible <= after.eligible
    failing_before = {r.split(":")[0] for r in before.reasons}
    assert {r.split(":")[0] for r in after.reasons} <= failing_before


def test_off_by_default() -> None:
    result = evaluate_eligibility(dict.fromkeys(GAME_KEYS, 0), EligibilityRules())
    assert (result.eligible, result.reasons) == (True, ())


RATING = st.integers(min_value=0, max_value=2500)
FORMULAS = st.sampled_from(
    [
        "twos",
        "max(ones, twos, threes)",
        "threes * 2 - twos",
        "(twos + threes) / 2 + totalGames / 100",
        "0 - twos",
    ]
)


@st.composite
def configs(draw: st.DrawFn) -> MmrConfig:
    algorithm = draw(st.sampled_from(ALGORITHMS))
    formula = draw(FORMULAS) if algorithm == "CUSTOM" else None
    return MmrConfig(algorithm, custom_formula=formula)


@st.composite
def tracker_data(draw: st.DrawFn, index: int) -> TrackerData:
    stats = season(
        34,
        ones=(draw(RATING), draw(GAMES)),
        twos=(draw(RATING), draw(GAMES)),
        threes=(draw(RATING), draw(GAMES)),
    )
    age = draw(st.none() | st.integers(0, 30))
    scraped = None if age is None else NOW - timedelta(days=age)
    return TrackerData(f"c{index:024d}", scraped, (stats,))


@given(
    configs(), st.integers(1, 5).flatmap(lambda n: st.tuples(*[tracker_data(i) for i in range(n)]))
)
def test_best_tracker_is_the_max_under_any_formula(
    config: MmrConfig, trackers: tuple[TrackerData, ...]
) -> None:
    best = choose_best(trackers, config)
    assert best is not None
    scores = [calculate_mmr(MmrInputs.from_season(t.seasons[0]), config) for t in trackers]
    assert best.mmr == max(scores)
    chosen = next(t for t in trackers if t.tracker_id == best.tracker_id)
    assert calculate_mmr(MmrInputs.from_season(chosen.seasons[0]), config) == best.mmr
    # the choice does not depend on the order the trackers were read in
    assert choose_best(tuple(reversed(trackers)), config) == best


GUILD = "333333333333333333"
USERS = [f"1{n:017d}" for n in range(4)]


def _store(uow: FakeUnitOfWork, ratings: list[int]) -> None:
    store = uow.committed
    store.guilds[GUILD] = Guild(id=GUILD, name="L", created_at=NOW, updated_at=NOW)
    store.settings[GUILD] = GuildSettings(eligibility=EligibilityRules(min_games={"twos": 50}))
    for n, (user, rating) in enumerate(zip(USERS, ratings, strict=True)):
        store.members[(GUILD, user)] = GuildMember(guild_id=GUILD, user_id=user)
        _scrape(uow, user, n, rating, 40 + n * 10, NOW)


def _scrape(uow: FakeUnitOfWork, user: str, n: int, rating: int, games: int, at: datetime) -> None:
    store = uow.committed
    tracker_id = f"c{n:024d}"
    store.trackers.setdefault(
        tracker_id,
        Tracker(
            id=tracker_id,
            url="u",
            platform="STEAM",
            username=tracker_id,
            identity=tracker_id,
            api_path=tracker_id,
            user_id=user,
            created_at=NOW,
            updated_at=NOW,
        ),
    ).last_scraped_at = at
    store.seasons[(tracker_id, 34)] = TrackerSeason(
        id=f"s{tracker_id}",
        tracker_id=tracker_id,
        stats=season(34, twos=(rating, games), threes=(rating, games)),
        scraped_at=at,
        created_at=at,
        updated_at=at,
    )


SCRAPES = st.lists(st.tuples(st.integers(0, 3), RATING, GAMES, st.integers(1, 600)), max_size=12)


@settings(max_examples=40, deadline=None)
@given(st.lists(RATING, min_size=4, max_size=4), SCRAPES)
def test_later_scrapes_leave_every_pull_identical(
    ratings: list[int], scrapes: list[tuple[int, int, int, int]]
) -> None:
    uow, clock = FakeUnitOfWork(), FixedClock(NOW)
    _store(uow, ratings)
    pull = uc.create_pull(uc.CreatePull(guild_id=GUILD, name="p"), uow=uow, clock=clock)
    before = uc.export_pull(GUILD, pull.id, uow=uow)
    for n, rating, games, minutes in scrapes:
        clock.advance(minutes=minutes)
        _scrape(uow, USERS[n], n, rating, games, clock.now())
        uow.committed.settings[GUILD] = GuildSettings(mmr=MmrConfig("PEAK_MMR"))
    assert uc.export_pull(GUILD, pull.id, uow=uow) == before
    assert repr(uc.export_pull(GUILD, pull.id, uow=uow)) == repr(before)


@st.composite
def pull_rows(draw: st.DrawFn, pull_id: str) -> list[PullRow]:
    users = draw(st.sets(st.sampled_from(USERS)))
    return [
        PullRow(
            pull_id=pull_id,
            user_id=u,
            tracker_id=None,
            mmr=draw(st.none() | RATING),
            algorithm="ASCENDANCY",
            inputs=None,
            eligibility=evaluate_eligibility({}, EligibilityRules()),
            data_at=None,
            stale=False,
            reason=None,
        )
        for u in sorted(users)
    ]


@given(pull_rows("a"), pull_rows("b"), st.dictionaries(st.sampled_from(USERS), RATING))
def test_diff_accounts_for_every_member_once(
    a: list[PullRow], b: list[PullRow], overridden: dict[str, int]
) -> None:
    overrides = latest_overrides(
        PullOverride(
            id=f"o{u}", pull_id="b", user_id=u, mmr=m, reason="r", actor="x", created_at=NOW
        )
        for u, m in overridden.items()
    )
    diff = diff_pulls(a, {}, b, overrides)
    moved = {m.user_id for m in diff.moved}
    appeared = {u for u, _ in diff.appeared}
    gone = {u for u, _ in diff.disappeared}
    in_a, in_b = {r.user_id for r in a}, {r.user_id for r in b}
    assert appeared == in_b - in_a and gone == in_a - in_b
    assert moved <= in_a & in_b and len(moved) + diff.unchanged == len(in_a & in_b)
    for move in diff.moved:
        expected = overridden.get(move.user_id, next(r.mmr for r in b if r.user_id == move.user_id))
        assert move.after == expected and move.before != move.after
