"""League MMR of a player in each guild: the best tracker under the guild's formula."""

from __future__ import annotations

from datetime import datetime

from tracker_core.mmr import MmrConfig, MmrInputs, PlayerRating, calculate_mmr
from tracker_core.ports import UnitOfWork


def best_rating(
    uow: UnitOfWork, guild_id: str, user_id: str, config: MmrConfig, now: datetime
) -> PlayerRating | None:
    """The user's highest MMR over their active, non-deleted trackers' latest seasons."""
    best: PlayerRating | None = None
    for tracker in uow.trackers.for_user(user_id):
        if not tracker.is_active:
            continue
        seasons = uow.seasons.for_tracker(tracker.id)
        if not seasons:
            continue
        inputs = MmrInputs.from_season(seasons[0].stats)
        mmr = calculate_mmr(inputs, config)
        if best is None or mmr > best.mmr:
            best = PlayerRating(
                guild_id=guild_id,
                user_id=user_id,
                tracker_id=tracker.id,
                mmr=mmr,
                algorithm=config.algorithm,
                inputs=inputs,
                calculated_at=now,
            )
    return best


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
