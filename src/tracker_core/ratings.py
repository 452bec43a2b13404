"""League MMR of a player in each guild: the best tracker under the guild's formula."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from tracker_core.mmr import MmrConfig, MmrInputs, PlayerRating, calculate_mmr
from tracker_core.ports import UnitOfWork
from tracker_core.stats import SeasonStats


def latest_seasons(
    uow: UnitOfWork, user_id: str, known: Mapping[str, SeasonStats | None] | None = None
) -> list[tuple[str, SeasonStats]]:
    """(tracker id, latest season) of the user's active, non-deleted trackers that have one.

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
            found.append((tracker.id, latest))
    return found


def best_rating(
    uow: UnitOfWork,
    guild_id: str,
    user_id: str,
    config: MmrConfig,
    now: datetime,
    seasons: Sequence[tuple[str, SeasonStats]] | None = None,
) -> PlayerRating | None:
    """The user's highest MMR over their active, non-deleted trackers' latest seasons
    (``seasons`` as ``latest_seasons`` gives them; read when not given)."""
    if seasons is None:
        seasons = latest_seasons(uow, user_id)
    best: PlayerRating | None = None
    for tracker_id, latest in seasons:
        inputs = MmrInputs.from_season(latest)
        mmr = calculate_mmr(inputs, config)
        if best is None or mmr > best.mmr:
            best = PlayerRating(
                guild_id=guild_id,
                user_id=user_id,
                tracker_id=tracker_id,
                mmr=mmr,
                algorithm=config.algorithm,
                inputs=inputs,
                calculated_at=now,
            )
    return best


def update_player_ratings(
    uow: UnitOfWork,
    user_id: str,
    now: datetime,
    known: Mapping[str, SeasonStats | None] | None = None,
) -> list[PlayerRating]:
    """Recompute and store the user's PlayerRating in every guild they belong to.

    The user's trackers and their latest seasons are read once (``known`` as in
    ``latest_seasons``).
    """
    memberships = uow.guilds.memberships(user_id)
    if not memberships:
        return []
    seasons = latest_seasons(uow, user_id, known)
    stored = []
    for member in memberships:
        config = uow.guilds.settings(member.guild_id).mmr
        rating = best_rating(uow, member.guild_id, user_id, config, now, seasons)
        if rating is not None:
            uow.ratings.upsert(rating)
            stored.append(rating)
    return stored
