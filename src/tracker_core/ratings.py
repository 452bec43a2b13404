"""League MMR of a player in each guild: the best tracker under the guild's formula."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from tracker_core.guilds import GuildSettings
from tracker_core.league import TrackerData, choose_best
from tracker_core.mmr import MmrConfig, PlayerRating
from tracker_core.ports import UnitOfWork
from tracker_core.stats import SeasonStats


def latest_seasons(
    uow: UnitOfWork, user_id: str, known: Mapping[str, SeasonStats | None] | None = None
) -> list[TrackerData]:
    """The user's active, non-deleted trackers that have a season, each with its latest one
    (what :func:`tracker_core.league.choose_best` reads).

    ``known`` gives the latest season of some trackers (e.g. the one just scraped), which are
    then not read again.
    """
    known = known or {}
    found = []
    for tracker in uow.trackers.for_user(user_id):
        if not tracker.is_active:
            continue
        if tracker.id in known:
            latest = known[tracker.id]
        else:
            seasons = uow.seasons.for_tracker(tracker.id)
            latest = seasons[0].stats if seasons else None
        if latest is not None:
            found.append(TrackerData(tracker.id, tracker.last_scraped_at, (latest,)))
    return found


def best_rating(
    uow: UnitOfWork,
    guild_id: str,
    user_id: str,
    config: MmrConfig,
    now: datetime,
    seasons: Sequence[TrackerData] | None = None,
) -> PlayerRating | None:
    """The user's highest MMR over their active, non-deleted trackers' latest seasons (the same
    choice, ties included, as the league standings: :func:`tracker_core.league.choose_best`);
    ``seasons`` as :func:`latest_seasons` gives them, read when not given."""
    candidates = latest_seasons(uow, user_id) if seasons is None else seasons
    best = choose_best(candidates, config)
    if best is None:
        return None
    return PlayerRating(
        guild_id=guild_id,
        user_id=user_id,
        tracker_id=best.tracker_id,
        mmr=best.mmr,
        algorithm=config.algorithm,
        inputs=best.inputs,
        calculated_at=now,
    )


def guilds_of(uow: UnitOfWork, user_id: str) -> list[tuple[str, GuildSettings]]:
    """The user's current guilds (neither banned nor deleted), each with its settings, by guild
    id: where the user is rated, notified and flagged."""
    return [(m.guild_id, uow.guilds.settings(m.guild_id)) for m in uow.guilds.memberships(user_id)]


def update_player_ratings(
    uow: UnitOfWork,
    user_id: str,
    now: datetime,
    known: Mapping[str, SeasonStats | None] | None = None,
    guilds: Sequence[tuple[str, GuildSettings]] | None = None,
) -> list[PlayerRating]:
    """Recompute and store the user's PlayerRating in every guild they belong to.

    The user's trackers and their latest seasons are read once (``known`` as in
    ``latest_seasons``). ``guilds``: the user's current guilds with their settings, when the
    caller has read them already (else they are read).
    """
    if guilds is None:
        guilds = guilds_of(uow, user_id)
    if not guilds:
        return []
    seasons = latest_seasons(uow, user_id, known)
    stored = []
    for guild_id, settings in guilds:
        rating = best_rating(uow, guild_id, user_id, settings.mmr, now, seasons)
        if rating is not None:
            uow.ratings.upsert(rating)
            stored.append(rating)
    return stored
