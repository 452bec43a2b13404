"""The use cases bound to a container's unit of work, queue, clock, policy and notifier.

``container.use_cases()`` (HTTP views, the scheduler) and ``container.command_use_cases()``
(one-shot CLI commands, whose queue in the embedded mode leaves trackers for the serving
process) are built once per container, so callers pass only what the user asked for:
``use_cases.register_trackers(cmd)``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import attrs

from tracker_core.flags import FlagKind, FlagStatus, ReviewFlag
from tracker_core.guilds import Guild, GuildMember, GuildSettings, User, UserProfile
from tracker_core.league import Standing
from tracker_core.model import (
    AuditEntry,
    Priority,
    ScrapingLog,
    Tracker,
    TrackerQuery,
    TrackerSeason,
    TrackerSnapshot,
)
from tracker_core.policy import Policy
from tracker_core.ports import Clock, JobQueue, Notifier, UnitOfWork
from tracker_core.pulls import Pull, RowFilter
from tracker_core.schedules import Schedule, ScheduleStatus
from tracker_core.use_cases import (
    calculator,
    flags,
    guilds,
    league,
    manual,
    notifications,
    processing,
    queries,
    roster,
    schedules,
    trackers,
)
from tracker_core.use_cases import (
    members as members_uc,
)
from tracker_core.use_cases.calculator import CalculateMmr, Calculation
from tracker_core.use_cases.flags import ResolveFlag
from tracker_core.use_cases.guilds import GuildData, RegisterByStaff, SavedGuild
from tracker_core.use_cases.league import (
    CreatePull,
    OverriddenRow,
    OverridePullRow,
    OwnRow,
    PullComparison,
    PullPage,
)
from tracker_core.use_cases.manual import EnterManualRatings
from tracker_core.use_cases.members import MemberData, SyncGuild, SyncResult, UpdateMember
from tracker_core.use_cases.notifications import CLAIM_LEASE, DispatchResult
from tracker_core.use_cases.processing import ProcessResult, ReconcileResult
from tracker_core.use_cases.queries import (
    BudgetUse,
    ScrapingOverview,
    TrackerChange,
    TrackerDetail,
    TrackerStatusView,
    Viewer,
)
from tracker_core.use_cases.roster import Roster
from tracker_core.use_cases.schedules import CreateSchedule, ScheduleRun
from tracker_core.use_cases.trackers import (
    AddTracker,
    CreateManualSnapshot,
    RefreshOutcome,
    RefreshTracker,
    RegisterTrackers,
    UpdateTracker,
)


@attrs.frozen
class UseCases:
    """One method per use case an entrypoint calls; each opens its own unit of work."""

    uow: Callable[[], UnitOfWork]
    queue: JobQueue
    clock: Clock
    policy: Policy
    notifier: Notifier
    rng: random.Random

    def calculate_guild_mmr(self, cmd: CalculateMmr, *, staff: Viewer | None = None) -> Calculation:
        """See :func:`tracker_core.use_cases.calculator.calculate_guild_mmr`."""
        return calculator.calculate_guild_mmr(cmd, uow=self.uow(), staff=staff)

    def list_flags(
        self,
        guild_id: str,
        status: FlagStatus | None,
        kind: FlagKind | None,
        *,
        viewer: Viewer | None = None,
    ) -> list[ReviewFlag]:
        """See :func:`tracker_core.use_cases.flags.list_flags`."""
        return flags.list_flags(guild_id, status, kind, uow=self.uow(), viewer=viewer)

    def resolve_flag(self, cmd: ResolveFlag, *, viewer: Viewer | None = None) -> ReviewFlag:
        """See :func:`tracker_core.use_cases.flags.resolve_flag`."""
        return flags.resolve_flag(cmd, uow=self.uow(), clock=self.clock, viewer=viewer)

    def create_guild(self, guild_id: str, data: GuildData, *, upsert: bool = False) -> SavedGuild:
        """See :func:`tracker_core.use_cases.guilds.create_guild`."""
        return guilds.create_guild(guild_id, data, uow=self.uow(), clock=self.clock, upsert=upsert)

    def delete_guild(self, guild_id: str) -> Guild:
        """See :func:`tracker_core.use_cases.guilds.delete_guild`."""
        return guilds.delete_guild(guild_id, uow=self.uow())

    def delete_user(self, user_id: str) -> User:
        """See :func:`tracker_core.use_cases.guilds.delete_user`."""
        return guilds.delete_user(user_id, uow=self.uow(), clock=self.clock)

    def get_guild(self, guild_id: str) -> Guild:
        """See :func:`tracker_core.use_cases.guilds.get_guild`."""
        return guilds.get_guild(guild_id, uow=self.uow())

    def get_settings(self, guild_id: str, *, viewer: Viewer | None = None) -> GuildSettings:
        """See :func:`tracker_core.use_cases.guilds.get_settings`."""
        return guilds.get_settings(guild_id, uow=self.uow(), viewer=viewer)

    def get_user(self, user_id: str) -> User:
        """See :func:`tracker_core.use_cases.guilds.get_user`."""
        return guilds.get_user(user_id, uow=self.uow())

    def list_guilds(self) -> list[Guild]:
        """See :func:`tracker_core.use_cases.guilds.list_guilds`."""
        return guilds.list_guilds(uow=self.uow())

    def list_users(self, page: int, limit: int) -> tuple[list[User], int]:
        """See :func:`tracker_core.use_cases.guilds.list_users`."""
        return guilds.list_users(page, limit, uow=self.uow())

    def register_by_staff(self, cmd: RegisterByStaff) -> tuple[User, list[Tracker]]:
        """See :func:`tracker_core.use_cases.guilds.register_by_staff`."""
        return guilds.register_by_staff(
            cmd, uow=self.uow(), queue=self.queue, clock=self.clock, policy=self.policy
        )

    def reset_settings(self, guild_id: str, *, viewer: Viewer | None = None) -> GuildSettings:
        """See :func:`tracker_core.use_cases.guilds.reset_settings`."""
        return guilds.reset_settings(guild_id, uow=self.uow(), viewer=viewer)

    def save_user(self, user_id: str, profile: UserProfile) -> User:
        """See :func:`tracker_core.use_cases.guilds.save_user`."""
        return guilds.save_user(user_id, profile, uow=self.uow(), clock=self.clock)

    def settings_history(
        self,
        guild_id: str,
        paths: Sequence[str],
        page: int,
        limit: int,
        *,
        viewer: Viewer | None = None,
    ) -> tuple[list[AuditEntry], int]:
        """See :func:`tracker_core.use_cases.guilds.settings_history`."""
        return guilds.settings_history(guild_id, paths, page, limit, uow=self.uow(), viewer=viewer)

    def update_guild(self, guild_id: str, data: GuildData) -> Guild:
        """See :func:`tracker_core.use_cases.guilds.update_guild`."""
        return guilds.update_guild(guild_id, data, uow=self.uow(), clock=self.clock)

    def update_settings(
        self, guild_id: str, patch: Mapping[str, Any], *, viewer: Viewer | None = None
    ) -> GuildSettings:
        """See :func:`tracker_core.use_cases.guilds.update_settings`."""
        return guilds.update_settings(guild_id, patch, uow=self.uow(), viewer=viewer)

    def update_user(self, user_id: str, profile: UserProfile) -> User:
        """See :func:`tracker_core.use_cases.guilds.update_user`."""
        return guilds.update_user(user_id, profile, uow=self.uow(), clock=self.clock)

    def compare_pulls(
        self, guild_id: str, a_id: str, b_id: str, *, viewer: Viewer | None = None
    ) -> PullComparison:
        """See :func:`tracker_core.use_cases.league.compare_pulls`."""
        return league.compare_pulls(guild_id, a_id, b_id, uow=self.uow(), viewer=viewer)

    def create_pull(self, cmd: CreatePull, *, viewer: Viewer | None = None) -> Pull:
        """See :func:`tracker_core.use_cases.league.create_pull`."""
        return league.create_pull(cmd, uow=self.uow(), clock=self.clock, viewer=viewer)

    def export_pull(self, guild_id: str, pull_id: str, *, viewer: Viewer | None = None) -> PullPage:
        """See :func:`tracker_core.use_cases.league.export_pull`."""
        return league.export_pull(guild_id, pull_id, uow=self.uow(), viewer=viewer)

    def get_pull(
        self,
        guild_id: str,
        pull_id: str,
        row_filter: RowFilter | None,
        page: int,
        limit: int,
        *,
        viewer: Viewer | None = None,
    ) -> PullPage:
        """See :func:`tracker_core.use_cases.league.get_pull`."""
        return league.get_pull(
            guild_id, pull_id, row_filter, page, limit, uow=self.uow(), viewer=viewer
        )

    def guild_standings(self, guild_id: str, *, viewer: Viewer | None = None) -> list[Standing]:
        """See :func:`tracker_core.use_cases.league.guild_standings`."""
        return league.guild_standings(guild_id, uow=self.uow(), clock=self.clock, viewer=viewer)

    def list_pulls(self, guild_id: str, *, viewer: Viewer | None = None) -> list[Pull]:
        """See :func:`tracker_core.use_cases.league.list_pulls`."""
        return league.list_pulls(guild_id, uow=self.uow(), viewer=viewer)

    def member_standing(
        self, guild_id: str, user_id: str, *, viewer: Viewer | None = None
    ) -> Standing:
        """See :func:`tracker_core.use_cases.league.member_standing`."""
        return league.member_standing(
            guild_id, user_id, uow=self.uow(), clock=self.clock, viewer=viewer
        )

    def my_pull_rows(self, user_id: str) -> list[OwnRow]:
        """See :func:`tracker_core.use_cases.league.my_pull_rows`."""
        return league.my_pull_rows(user_id, uow=self.uow())

    def override_pull_row(
        self, cmd: OverridePullRow, *, viewer: Viewer | None = None
    ) -> OverriddenRow:
        """See :func:`tracker_core.use_cases.league.override_pull_row`."""
        return league.override_pull_row(cmd, uow=self.uow(), clock=self.clock, viewer=viewer)

    def enter_manual_ratings(
        self, cmd: EnterManualRatings, *, viewer: Viewer | None = None
    ) -> TrackerSnapshot:
        """See :func:`tracker_core.use_cases.manual.enter_manual_ratings`."""
        return manual.enter_manual_ratings(cmd, uow=self.uow(), clock=self.clock, viewer=viewer)

    def add_member(self, guild_id: str, data: MemberData) -> GuildMember:
        """See :func:`tracker_core.use_cases.members.add_member`."""
        return members_uc.add_member(guild_id, data, uow=self.uow(), clock=self.clock)

    def remove_member(self, guild_id: str, user_id: str) -> None:
        """See :func:`tracker_core.use_cases.members.remove_member`."""
        return members_uc.remove_member(guild_id, user_id, uow=self.uow())

    def sync_guild(self, cmd: SyncGuild) -> SyncResult:
        """See :func:`tracker_core.use_cases.members.sync_guild`."""
        return members_uc.sync_guild(cmd, uow=self.uow(), clock=self.clock)

    def sync_members(self, guild_id: str, members: Sequence[MemberData]) -> SyncResult:
        """See :func:`tracker_core.use_cases.members.sync_members`."""
        return members_uc.sync_members(guild_id, members, uow=self.uow(), clock=self.clock)

    def update_member(self, cmd: UpdateMember) -> GuildMember:
        """See :func:`tracker_core.use_cases.members.update_member`."""
        return members_uc.update_member(cmd, uow=self.uow(), clock=self.clock)

    def dispatch_notifications(
        self, *, limit: int = 100, lease: timedelta = CLAIM_LEASE
    ) -> DispatchResult:
        """See :func:`tracker_core.use_cases.notifications.dispatch_notifications`."""
        return notifications.dispatch_notifications(
            uow=self.uow(),
            notifier=self.notifier,
            clock=self.clock,
            policy=self.policy,
            rng=self.rng,
            limit=limit,
            lease=lease,
        )

    def process_guild(self, guild_id: str) -> ProcessResult:
        """See :func:`tracker_core.use_cases.processing.process_guild`."""
        return processing.process_guild(
            guild_id, uow=self.uow(), queue=self.queue, clock=self.clock, policy=self.policy
        )

    def process_pending(self) -> ProcessResult:
        """See :func:`tracker_core.use_cases.processing.process_pending`."""
        return processing.process_pending(uow=self.uow(), queue=self.queue, clock=self.clock)

    def reconcile(self) -> ReconcileResult:
        """See :func:`tracker_core.use_cases.processing.reconcile`."""
        return processing.reconcile(
            uow=self.uow(), queue=self.queue, clock=self.clock, policy=self.policy
        )

    def refresh_stale(
        self, *, tracker_ids: Sequence[str] | None = None, priority: Priority = Priority.LOW
    ) -> ProcessResult:
        """See :func:`tracker_core.use_cases.processing.refresh_stale`."""
        return processing.refresh_stale(
            uow=self.uow(),
            queue=self.queue,
            clock=self.clock,
            policy=self.policy,
            tracker_ids=tracker_ids,
            priority=priority,
        )

    def get_tracker_detail(self, viewer: Viewer, tracker_id: str) -> TrackerDetail:
        """See :func:`tracker_core.use_cases.queries.get_tracker_detail`."""
        return queries.get_tracker_detail(viewer, tracker_id, uow=self.uow())

    def get_tracker_seasons(self, viewer: Viewer, tracker_id: str) -> list[TrackerSeason]:
        """See :func:`tracker_core.use_cases.queries.get_tracker_seasons`."""
        return queries.get_tracker_seasons(viewer, tracker_id, uow=self.uow())

    def get_tracker_snapshots(
        self, viewer: Viewer, tracker_id: str, season: int | None
    ) -> list[TrackerSnapshot]:
        """See :func:`tracker_core.use_cases.queries.get_tracker_snapshots`."""
        return queries.get_tracker_snapshots(viewer, tracker_id, season, uow=self.uow())

    def get_tracker_status(self, viewer: Viewer, tracker_id: str) -> TrackerStatusView:
        """See :func:`tracker_core.use_cases.queries.get_tracker_status`."""
        return queries.get_tracker_status(viewer, tracker_id, uow=self.uow())

    def list_guild_trackers(
        self, viewer: Viewer, guild_id: str, query: TrackerQuery
    ) -> tuple[list[Tracker], int]:
        """See :func:`tracker_core.use_cases.queries.list_guild_trackers`."""
        return queries.list_guild_trackers(viewer, guild_id, query, uow=self.uow())

    def list_tracker_changes(
        self, viewer: Viewer, tracker_id: str, limit: int
    ) -> list[TrackerChange]:
        """See :func:`tracker_core.use_cases.queries.list_tracker_changes`."""
        return queries.list_tracker_changes(viewer, tracker_id, limit, uow=self.uow())

    def list_user_trackers(
        self, viewer: Viewer, user_id: str, query: TrackerQuery
    ) -> tuple[list[Tracker], int]:
        """See :func:`tracker_core.use_cases.queries.list_user_trackers`."""
        return queries.list_user_trackers(viewer, user_id, query, uow=self.uow())

    def scraping_overview(self, *, requests_per_minute: int) -> ScrapingOverview:
        """See :func:`tracker_core.use_cases.queries.scraping_overview`."""
        return queries.scraping_overview(
            uow=self.uow(),
            queue=self.queue,
            requests_per_minute=requests_per_minute,
            initial_seasons=self.policy.initial_seasons,
        )

    def budget_use(self, *, requests_per_minute: int) -> BudgetUse:
        """See :func:`tracker_core.use_cases.queries.budget_use`."""
        return queries.budget_use(
            uow=self.uow(), now=self.clock.now(), requests_per_minute=requests_per_minute
        )

    def failure_categories(self) -> list[tuple[str, int]]:
        """See :func:`tracker_core.use_cases.queries.failure_categories`."""
        return queries.failure_categories(uow=self.uow())

    def search_scraping_logs(
        self,
        tracker_id: str | None,
        status: str | None,
        page: int,
        limit: int,
        *,
        category: str | None = None,
    ) -> tuple[list[ScrapingLog], int]:
        """See :func:`tracker_core.use_cases.queries.search_scraping_logs`."""
        return queries.search_scraping_logs(
            tracker_id, status, page, limit, uow=self.uow(), category=category
        )

    def search_trackers(self, query: TrackerQuery) -> tuple[list[Tracker], int]:
        """See :func:`tracker_core.use_cases.queries.search_trackers`."""
        return queries.search_trackers(query, uow=self.uow())

    def guild_roster(self, viewer: Viewer, guild_id: str) -> Roster:
        """See :func:`tracker_core.use_cases.roster.guild_roster`."""
        return roster.guild_roster(viewer, guild_id, uow=self.uow())

    def member_names(
        self, viewer: Viewer, guild_id: str, user_ids: Iterable[str]
    ) -> dict[str, str]:
        """See :func:`tracker_core.use_cases.roster.member_names`."""
        return roster.member_names(viewer, guild_id, user_ids, uow=self.uow())

    def staff_guilds(self, viewer: Viewer) -> list[Guild]:
        """See :func:`tracker_core.use_cases.roster.staff_guilds`."""
        return roster.staff_guilds(viewer, uow=self.uow())

    def cancel_schedule(self, schedule_id: str) -> Schedule:
        """See :func:`tracker_core.use_cases.schedules.cancel_schedule`."""
        return schedules.cancel_schedule(schedule_id, uow=self.uow(), clock=self.clock)

    def create_schedule(self, cmd: CreateSchedule) -> Schedule:
        """See :func:`tracker_core.use_cases.schedules.create_schedule`."""
        return schedules.create_schedule(cmd, uow=self.uow(), clock=self.clock)

    def list_schedules(
        self, guild_id: str, *, status: ScheduleStatus | None, include_completed: bool
    ) -> list[Schedule]:
        """See :func:`tracker_core.use_cases.schedules.list_schedules`."""
        return schedules.list_schedules(
            guild_id, status=status, include_completed=include_completed, uow=self.uow()
        )

    def run_due_schedules(self) -> list[ScheduleRun]:
        """See :func:`tracker_core.use_cases.schedules.run_due_schedules`."""
        return schedules.run_due_schedules(
            uow=self.uow(), queue=self.queue, clock=self.clock, policy=self.policy
        )

    def add_tracker(self, cmd: AddTracker) -> Tracker:
        """See :func:`tracker_core.use_cases.trackers.add_tracker`."""
        return trackers.add_tracker(
            cmd, uow=self.uow(), queue=self.queue, clock=self.clock, policy=self.policy
        )

    def create_manual_snapshot(self, cmd: CreateManualSnapshot) -> TrackerSnapshot:
        """See :func:`tracker_core.use_cases.trackers.create_manual_snapshot`."""
        return trackers.create_manual_snapshot(cmd, uow=self.uow(), clock=self.clock)

    def delete_tracker(self, actor_id: str, tracker_id: str) -> Tracker:
        """See :func:`tracker_core.use_cases.trackers.delete_tracker`."""
        return trackers.delete_tracker(actor_id, tracker_id, uow=self.uow(), clock=self.clock)

    def refresh_tracker(self, cmd: RefreshTracker) -> RefreshOutcome:
        """See :func:`tracker_core.use_cases.trackers.refresh_tracker`."""
        return trackers.refresh_tracker(
            cmd, uow=self.uow(), queue=self.queue, clock=self.clock, policy=self.policy
        )

    def register_trackers(self, cmd: RegisterTrackers) -> list[Tracker]:
        """See :func:`tracker_core.use_cases.trackers.register_trackers`."""
        return trackers.register_trackers(
            cmd, uow=self.uow(), queue=self.queue, clock=self.clock, policy=self.policy
        )

    def update_tracker(self, cmd: UpdateTracker) -> Tracker:
        """See :func:`tracker_core.use_cases.trackers.update_tracker`."""
        return trackers.update_tracker(cmd, uow=self.uow(), clock=self.clock)
