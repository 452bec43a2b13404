"""League MMR of a player in each guild: the best tracker under the guild's formula."""

from __future__ import annotations

from datetime import datetime

from tracker_core.mmr import MmrConfig, MmrInputs, PlayerRating, calculate_mmr
from tracker_core.ports import UnitOfWork
from tracker_core.stats import PlaylistStats, SeasonStats


def mmr_inputs(season: SeasonStats) -> MmrInputs:
    """MMR inputs from one season: ratings, games played and all-time peaks."""

    def pick(name: str) -> PlaylistStats:
        return season.playlists.get(name) or PlaylistStats()  # type: ignore[call-overload]

    ones, twos, threes, fours = (pick(p) for p in ("1v1", "2v2", "3v3", "4v4"))
    return MmrInputs(
        ones=ones.rating,
        twos=twos.rating,
        threes=threes.rating,
        fours=fours.rating,
        ones_games=ones.matches_played,
        twos_games=twos.matches_played,
        threes_games=threes.matches_played,
        fours_games=fours.matches_played,
        ones_peak=ones.all_time_peak_rating,
        twos_peak=twos.all_time_peak_rating,
        threes_peak=threes.all_time_peak_rating,
        fours_peak=fours.all_time_peak_rating,
    )


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
        inputs = mmr_inputs(seasons[0].stats)
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
