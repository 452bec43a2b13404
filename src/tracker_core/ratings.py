"""League MMR of a player in each guild: the best tracker under the guild's formula."""

from __future__ import annotations

from datetime import datetime

from tracker_core.league import TrackerData, choose_best
from tracker_core.mmr import MmrConfig, PlayerRating
from tracker_core.ports import UnitOfWork


def best_rating(
    uow: UnitOfWork, guild_id: str, user_id: str, config: MmrConfig, now: datetime
) -> PlayerRating | None:
    """The user's highest MMR over their active, non-deleted trackers' latest seasons (the same
    choice, ties included, as the league standings: :func:`tracker_core.league.choose_best`)."""
    candidates = [
        TrackerData(t.id, t.last_scraped_at, tuple(s.stats for s in uow.seasons.for_tracker(t.id)))
        for t in uow.trackers.for_user(user_id)
        if t.is_active
    ]
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


def update_player_ratings(uow: UnitOfWork, user_id: str, now: datetime) -> list[PlayerRating]:
    """Recompute and store the user's PlayerRating in every guild they belong to."""
    stored = []
    for member in uow.guilds.memberships(user_id):
        config = uow.guilds.settings(member.guild_id).mmr
        rating = best_rating(uow, member.guild_id, user_id, config, now)
        if rating is not None:
            uow.ratings.upsert(rating)
            stored.append(rating)
    return stored
