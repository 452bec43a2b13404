"""Typed request bodies and query strings: validated by :mod:`validation`, documented by
:mod:`openapi`. Attribute names are snake_case; their JSON names are the camelCase form."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from entrypoints.http.constraints import (
    CUID_PATTERN,
    GUILD_ID_MESSAGE,
    SNOWFLAKE_PATTERN,
    USER_ID_MESSAGE,
    MemberCount,
    rules,
    snowflake_rules,
)
from tracker_core.errors import FETCH_ERROR_CATEGORIES
from tracker_core.model import LogStatus, SortField, SortOrder, TrackerStatus
from tracker_core.schedules import ScheduleStatus
from tracker_core.urls import Platform

URL_SCHEMA: dict[str, Any] = {"maxLength": 2048}
SECRET = rules(maxLength=4096, writeOnly=True)
NAME: dict[str, Any] = {"minLength": 1, "maxLength": 100}
TEXT: dict[str, Any] = {"maxLength": 255}
RATING: dict[str, Any] = {"minimum": 0, "maximum": 100000}
GAMES: dict[str, Any] = {"minimum": 0, "maximum": 10000000}
CUID_MESSAGE = "Invalid CUID format: {value}"


@attrs.frozen
class EmptyBody:
    """No fields: an empty body or ``{}``."""


@attrs.frozen
class RegisterBody:
    """POST /api/trackers/register."""

    urls: list[str] = attrs.field(metadata=rules(items=URL_SCHEMA))


@attrs.frozen
class AddBody:
    """POST /api/trackers/add."""

    url: str = attrs.field(metadata=rules(**URL_SCHEMA))


@attrs.frozen
class UpdateTrackerBody:
    """PUT /api/trackers/:id."""

    display_name: str | None = attrs.field(default=None, metadata=rules(maxLength=100))
    is_active: bool | None = None


@attrs.frozen
class SnapshotBody:
    """POST /api/trackers/:id/snapshots: ratings entered by the owner."""

    season_number: int | None = attrs.field(default=None, metadata=rules(minimum=1, maximum=1000))
    ones: int | None = attrs.field(default=None, metadata=rules(**RATING))
    twos: int | None = attrs.field(default=None, metadata=rules(**RATING))
    threes: int | None = attrs.field(default=None, metadata=rules(**RATING))
    fours: int | None = attrs.field(default=None, metadata=rules(**RATING))
    ones_games_played: int | None = attrs.field(default=None, metadata=rules(**GAMES))
    twos_games_played: int | None = attrs.field(default=None, metadata=rules(**GAMES))
    threes_games_played: int | None = attrs.field(default=None, metadata=rules(**GAMES))
    fours_games_played: int | None = attrs.field(default=None, metadata=rules(**GAMES))


@attrs.frozen
class UserData:
    """User fields supplied by the bot: with a registration, or as PATCH /internal/users/:id
    (only the supplied fields change)."""

    username: str | None = attrs.field(default=None, metadata=rules(**NAME))
    global_name: str | None = attrs.field(default=None, metadata=rules(maxLength=100))
    avatar: str | None = attrs.field(default=None, metadata=rules(**TEXT))
    email: str | None = attrs.field(default=None, metadata=rules(maxLength=320))


@attrs.frozen
class BotRegisterBody:
    """POST /internal/trackers/register-multiple."""

    user_id: str = attrs.field(metadata=snowflake_rules(USER_ID_MESSAGE))
    urls: list[str] = attrs.field(metadata=rules(items=URL_SCHEMA))
    user_data: UserData | None = None
    channel_id: str | None = attrs.field(default=None, metadata=snowflake_rules())
    interaction_token: str | None = attrs.field(default=None, repr=False, metadata=SECRET)


@attrs.frozen
class BotAddBody:
    """POST /internal/trackers/add."""

    user_id: str = attrs.field(metadata=snowflake_rules(USER_ID_MESSAGE))
    url: str = attrs.field(metadata=rules(**URL_SCHEMA))
    user_data: UserData | None = None
    channel_id: str | None = attrs.field(default=None, metadata=snowflake_rules())
    interaction_token: str | None = attrs.field(default=None, repr=False, metadata=SECRET)


@attrs.frozen
class StaffRegisterBody:
    """POST /internal/users/register-by-staff."""

    staff_user_id: str = attrs.field(metadata=snowflake_rules(USER_ID_MESSAGE))
    guild_id: str = attrs.field(metadata=snowflake_rules(GUILD_ID_MESSAGE))
    user_id: str = attrs.field(metadata=snowflake_rules(USER_ID_MESSAGE))
    urls: list[str] = attrs.field(metadata=rules(items=URL_SCHEMA))
    user_data: UserData | None = None
    channel_id: str | None = attrs.field(default=None, metadata=snowflake_rules())
    interaction_token: str | None = attrs.field(default=None, repr=False, metadata=SECRET)


@attrs.frozen
class ProcessGuildBody:
    """POST /internal/trackers/process."""

    guild_id: str = attrs.field(metadata=snowflake_rules(GUILD_ID_MESSAGE))


@attrs.frozen
class ScheduleBody:
    """POST /internal/trackers/schedule."""

    guild_id: str = attrs.field(metadata=snowflake_rules(GUILD_ID_MESSAGE))
    scheduled_at: datetime
    created_by: str = attrs.field(metadata=snowflake_rules(USER_ID_MESSAGE))
    metadata: dict[str, Any] | None = None


@attrs.frozen
class CreateUserBody:
    """POST /internal/users."""

    id: str = attrs.field(metadata=snowflake_rules(USER_ID_MESSAGE))
    username: str = attrs.field(metadata=rules(**NAME))
    global_name: str | None = attrs.field(default=None, metadata=rules(maxLength=100))
    avatar: str | None = attrs.field(default=None, metadata=rules(**TEXT))
    email: str | None = attrs.field(default=None, metadata=rules(maxLength=320))


@attrs.frozen
class GuildBody:
    """POST /internal/guilds and /internal/guilds/upsert."""

    id: str = attrs.field(metadata=snowflake_rules(GUILD_ID_MESSAGE))
    name: str = attrs.field(metadata=rules(**NAME))
    icon: str | None = attrs.field(default=None, metadata=rules(**TEXT))
    owner_id: str | None = attrs.field(default=None, metadata=snowflake_rules(USER_ID_MESSAGE))
    is_active: bool | None = None
    member_count: MemberCount | None = None


@attrs.frozen
class GuildPatchBody:
    """PATCH /internal/guilds/:id (only the supplied fields change)."""

    name: str | None = attrs.field(default=None, metadata=rules(**NAME))
    icon: str | None = attrs.field(default=None, metadata=rules(**TEXT))
    owner_id: str | None = attrs.field(default=None, metadata=snowflake_rules(USER_ID_MESSAGE))
    is_active: bool | None = None
    member_count: MemberCount | None = None


@attrs.frozen
class SettingsPatchBody:
    """PATCH /internal/guilds/:id/settings: sections merged into the current settings."""

    tracker_processing: dict[str, Any] | None = None
    roles: dict[str, Any] | None = None
    mmr_calculation: dict[str, Any] | None = None
    notifications: dict[str, Any] | None = None
    eligibility: dict[str, Any] | None = None
    flags: dict[str, Any] | None = None


ROLE_IDS = rules(maxItems=250, items={"pattern": SNOWFLAKE_PATTERN})
MEMBERS = rules(maxItems=100000)


@attrs.frozen
class SyncMember:
    """One member of a membership sync."""

    user_id: str = attrs.field(metadata=snowflake_rules(USER_ID_MESSAGE))
    roles: list[str] = attrs.field(metadata=ROLE_IDS)
    username: str | None = attrs.field(default=None, metadata=rules(**NAME))
    global_name: str | None = attrs.field(default=None, metadata=rules(maxLength=100))
    avatar: str | None = attrs.field(default=None, metadata=rules(**TEXT))
    nickname: str | None = attrs.field(default=None, metadata=rules(maxLength=100))


@attrs.frozen
class SyncGuildInfo:
    """The guild as Discord describes it."""

    id: str = attrs.field(metadata=snowflake_rules(GUILD_ID_MESSAGE))
    name: str = attrs.field(metadata=rules(**NAME))
    owner_id: str = attrs.field(metadata=snowflake_rules(USER_ID_MESSAGE))
    icon: str | None = attrs.field(default=None, metadata=rules(**TEXT))
    member_count: MemberCount | None = None


@attrs.frozen
class RoleRef:
    """A Discord role."""

    id: str = attrs.field(metadata=snowflake_rules())
    name: str | None = attrs.field(default=None, metadata=rules(maxLength=100))


@attrs.frozen
class SyncRoles:
    """Roles by purpose; ``admin`` holders are the guild's admins."""

    admin: list[RoleRef] | None = attrs.field(default=None, metadata=rules(maxItems=250))


@attrs.frozen
class SyncBody:
    """POST /internal/guilds/:id/sync: the guild, its admin roles and its complete member set."""

    members: list[SyncMember] = attrs.field(metadata=MEMBERS)
    guild: SyncGuildInfo | None = None
    roles: SyncRoles | None = None


@attrs.frozen
class MembersSyncBody:
    """POST /internal/guild-members/:guildId/sync: the complete member set."""

    members: list[SyncMember] = attrs.field(metadata=MEMBERS)


@attrs.frozen
class MemberBody:
    """POST /internal/guild-members: a member joined."""

    user_id: str = attrs.field(metadata=snowflake_rules(USER_ID_MESSAGE))
    guild_id: str = attrs.field(metadata=snowflake_rules(GUILD_ID_MESSAGE))
    username: str = attrs.field(metadata=rules(**NAME))
    nickname: str | None = attrs.field(default=None, metadata=rules(maxLength=100))
    roles: list[str] | None = attrs.field(default=None, metadata=ROLE_IDS)
    global_name: str | None = attrs.field(default=None, metadata=rules(maxLength=100))
    avatar: str | None = attrs.field(default=None, metadata=rules(**TEXT))


@attrs.frozen
class MemberPatchBody:
    """PATCH /internal/guild-members/:guildId/users/:userId (only the supplied fields)."""

    username: str | None = attrs.field(default=None, metadata=rules(**NAME))
    nickname: str | None = attrs.field(default=None, metadata=rules(maxLength=100))
    roles: list[str] | None = attrs.field(default=None, metadata=ROLE_IDS)


@attrs.frozen
class BatchRefreshBody:
    """POST /api/admin/trackers/batch-refresh; no ids: every pending-or-stale tracker."""

    tracker_ids: list[str] | None = attrs.field(
        default=None,
        metadata=rules(message=CUID_MESSAGE, maxItems=1000, items={"pattern": CUID_PATTERN}),
    )


@attrs.frozen
class PageQuery:
    """``page`` ≥ 1 and ``limit`` 1–100."""

    page: int = attrs.field(default=1, metadata=rules(minimum=1))
    limit: int = attrs.field(default=50, metadata=rules(minimum=1, maximum=100))


@attrs.frozen
class OwnTrackersQuery(PageQuery):
    """Filters, sort and paging of a tracker list."""

    platform: Platform | None = None
    status: tuple[TrackerStatus, ...] = ()
    is_active: bool | None = None
    sort_by: SortField = "createdAt"
    sort_order: SortOrder = "desc"


@attrs.frozen
class TrackersQuery(OwnTrackersQuery):
    """GET /api/trackers: own trackers, or with ``guildId`` those of the guild's members."""

    guild_id: str | None = attrs.field(default=None, metadata=snowflake_rules(GUILD_ID_MESSAGE))


@attrs.frozen
class AdminTrackersQuery(PageQuery):
    """GET /api/admin/trackers."""

    status: tuple[TrackerStatus, ...] = ()
    platform: Platform | None = None


@attrs.frozen
class LogsQuery(PageQuery):
    """GET /api/admin/trackers/scraping-logs."""

    tracker_id: str | None = attrs.field(
        default=None, metadata=rules(message=CUID_MESSAGE, pattern=CUID_PATTERN)
    )
    status: LogStatus | None = None
    category: str | None = attrs.field(
        default=None,
        metadata=rules(
            message=f"category must be one of {', '.join(FETCH_ERROR_CATEGORIES)}",
            pattern=f"^({'|'.join(FETCH_ERROR_CATEGORIES)})$",
        ),
    )


@attrs.frozen
class SnapshotsQuery:
    """GET /api/trackers/:id/snapshots."""

    season: int | None = attrs.field(default=None, metadata=rules(minimum=0, maximum=1000))


@attrs.frozen
class ScheduleListQuery:
    """GET /internal/trackers/schedule/guild/:guildId; ``status`` wins over the flag."""

    status: ScheduleStatus | None = None
    include_completed: bool = True


@attrs.frozen
class TrackerDataBody:
    """Ratings, games played and peaks per playlist, as the dashboard's calculator sends them."""

    ones: float | None = attrs.field(default=None, metadata=rules(**RATING))
    twos: float | None = attrs.field(default=None, metadata=rules(**RATING))
    threes: float | None = attrs.field(default=None, metadata=rules(**RATING))
    fours: float | None = attrs.field(default=None, metadata=rules(**RATING))
    ones_games_played: int | None = attrs.field(default=None, metadata=rules(**GAMES))
    twos_games_played: int | None = attrs.field(default=None, metadata=rules(**GAMES))
    threes_games_played: int | None = attrs.field(default=None, metadata=rules(**GAMES))
    fours_games_played: int | None = attrs.field(default=None, metadata=rules(**GAMES))
    ones_peak: float | None = attrs.field(default=None, metadata=rules(**RATING))
    twos_peak: float | None = attrs.field(default=None, metadata=rules(**RATING))
    threes_peak: float | None = attrs.field(default=None, metadata=rules(**RATING))
    fours_peak: float | None = attrs.field(default=None, metadata=rules(**RATING))


@attrs.frozen
class AscendancyDataBody:
    """2s and 3s current and peak ratings, games this season and the previous one."""

    mmr2s_current: int = attrs.field(metadata=rules(**RATING))
    mmr2s_peak: int = attrs.field(metadata=rules(**RATING))
    games2s_curr_season: int = attrs.field(metadata=rules(**GAMES))
    games2s_prev_season: int = attrs.field(metadata=rules(**GAMES))
    mmr3s_current: int = attrs.field(metadata=rules(**RATING))
    mmr3s_peak: int = attrs.field(metadata=rules(**RATING))
    games3s_curr_season: int = attrs.field(metadata=rules(**GAMES))
    games3s_prev_season: int = attrs.field(metadata=rules(**GAMES))


@attrs.frozen
class CalculateBody:
    """POST /api/calculator and /api/mmr-calculation/calculate-mmr: exactly one data block."""

    guild_id: str = attrs.field(metadata=snowflake_rules(GUILD_ID_MESSAGE))
    tracker_data: TrackerDataBody | None = None
    ascendancy_data: AscendancyDataBody | None = None


FORMULA = rules(minLength=1, maxLength=500)


@attrs.frozen
class FormulaBody:
    """POST /api/mmr-calculation/validate-formula."""

    formula: str = attrs.field(metadata=FORMULA)


@attrs.frozen
class TestFormulaBody:
    """POST /api/mmr-calculation/test-formula; no ``testData``: sample data."""

    formula: str = attrs.field(metadata=FORMULA)
    test_data: TrackerDataBody | None = None
