"""Operations on many trackers: processing, batch refresh, schedules, status and logs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, get_args

import click

from entrypoints.cli.embedded import start_queued
from entrypoints.cli.options import check_cuid, json_option, paging_options, snowflake_option
from entrypoints.cli.output import emit, progress_bar
from entrypoints.cli.services import Services, services
from entrypoints.cli.views import logs_table, overview_json, overview_table, schedules_table
from entrypoints.cli.wait import wait_options
from entrypoints.container import eta_rate
from entrypoints.responses import api as res
from entrypoints.responses.base import Json, to_json
from tracker_core.model import LogStatus, Priority
from tracker_core.schedules import ScheduleStatus
from tracker_core.use_cases.processing import ProcessResult
from tracker_core.use_cases.schedules import CreateSchedule

BATCH_SIZE = 100
LOG_STATUSES = list(get_args(LogStatus))


def _report(svc: Services, result: ProcessResult, wait: bool, timeout: float, what: str) -> None:
    data: Json = to_json(res.processed(result))
    message = f"Queued {result.processed} {what}."
    if not wait:  # said before the scrapes that may run here (embedded mode, no server)
        emit(data, lambda out: out.print(message))
    final = start_queued(svc, result.tracker_ids, wait=wait, timeout=timeout)
    if wait:
        if result.tracker_ids:
            data["final"] = final
        emit(data, lambda out: out.print(message))


@click.command("process-pending")
@wait_options
@json_option
def process_pending_command(wait: bool, timeout: float) -> None:
    """Queue every PENDING tracker (guarded).

    A tracker passes when its owner is in no guild, or in one whose trackerProcessing is
    enabled; a refused tracker becomes FAILED instead.
    """
    svc = services()
    result = svc.use_cases.process_pending()
    _report(svc, result, wait, timeout, "pending tracker(s)")


@click.command("process")
@snowflake_option("--guild", "guild_id", required=True, help="Discord id of the guild.")
@wait_options
@json_option
def process_command(guild_id: str, wait: bool, timeout: float) -> None:
    """Queue a guild's pending or stale trackers.

    The guild members' trackers that are PENDING, never scraped or stale; stale means
    older than TRACKER_REFRESH_INTERVAL_HOURS; this bypasses the guard.
    """
    svc = services()
    result = svc.use_cases.process_guild(guild_id)
    _report(svc, result, wait, timeout, f"tracker(s) of guild {guild_id}")


def _cuids(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys(check_cuid(value) for value in values))


def _optional_cuid(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    return None if value is None else check_cuid(value)


@click.command("batch-refresh")
@click.argument("tracker_ids", nargs=-1, callback=_cuids)
@wait_options
@json_option
def batch_refresh(tracker_ids: list[str], wait: bool, timeout: float) -> None:
    """Queue trackers for a refresh.

    The given trackers, or (none given) every pending-or-stale tracker. Both honour the
    guild processing guard; batches of 100 show their progress.
    """
    svc = services()
    batches: list[list[str] | None] = [
        tracker_ids[i : i + BATCH_SIZE] for i in range(0, len(tracker_ids), BATCH_SIZE)
    ] or [None]
    queued: list[str] = []
    with progress_bar("Queuing") as progress:
        task = progress.add_task("queue", total=len(tracker_ids) or None)
        for batch in batches:
            result = svc.use_cases.refresh_stale(tracker_ids=batch, priority=Priority.DEFAULT)
            queued.extend(result.tracker_ids)
            progress.advance(task, len(batch or ()))
    _report(svc, ProcessResult(len(queued), tuple(queued)), wait, timeout, "tracker(s) for refresh")


@click.group()
def schedule() -> None:
    """Schedule guild processing (add, list, cancel).

    A schedule processes a whole guild at a set instant, e.g. a season start.
    """


def _instant(_ctx: click.Context, _param: click.Parameter, value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 date-time: {value}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _metadata(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dict[str, Any]:
    if value is None:
        return {}
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise click.BadParameter("must be a JSON object")
    return parsed


@schedule.command("add")
@snowflake_option("--guild", "guild_id", required=True, help="Discord id of the guild.")
@click.option(
    "--at",
    "scheduled_at",
    required=True,
    callback=_instant,
    help="ISO 8601 instant in the future; without an offset it is UTC.",
)
@click.option("--created-by", default="cli", show_default=True, help="Who asked for it.")
@click.option("--metadata", default=None, callback=_metadata, help="JSON object to keep with it.")
@json_option
def schedule_add(
    guild_id: str, scheduled_at: datetime, created_by: str, metadata: dict[str, Any]
) -> None:
    """Schedule the processing of a guild (it must exist) at a future instant."""
    svc = services()
    cmd = CreateSchedule(
        guild_id=guild_id, scheduled_at=scheduled_at, created_by=created_by, metadata=metadata
    )
    created = svc.use_cases.create_schedule(cmd)
    emit(res.schedule(created), lambda out: out.print(schedules_table([created], width=out.width)))


@schedule.command("list")
@snowflake_option("--guild", "guild_id", required=True, help="Discord id of the guild.")
@click.option(
    "--status",
    type=click.Choice([s.value for s in ScheduleStatus], case_sensitive=False),
    default=None,
    help="Only this status (wins over --exclude-completed).",
)
@click.option(
    "--include-completed/--exclude-completed",
    default=True,
    show_default=True,
    help="Whether COMPLETED schedules are listed.",
)
@json_option
def schedule_list(guild_id: str, status: str | None, include_completed: bool) -> None:
    """List a guild's schedules by instant, earliest first."""
    svc = services()
    found = svc.use_cases.list_schedules(
        guild_id,
        status=ScheduleStatus(status.upper()) if status else None,
        include_completed=include_completed,
    )
    emit(
        [res.schedule(s) for s in found],
        lambda out: out.print(schedules_table(found, width=out.width)),
    )


@schedule.command("cancel")
@click.argument("schedule_id")
@json_option
def schedule_cancel(schedule_id: str) -> None:
    """Cancel a PENDING schedule."""
    svc = services()
    cancelled = svc.use_cases.cancel_schedule(schedule_id)
    emit(res.schedule(cancelled), lambda out: out.print(f"Cancelled schedule {cancelled.id}."))


@click.command()
@json_option
def status() -> None:
    """Show counts by status, queue depth and ETA.

    The ETA is the time to drain the queue at the budget's current rate
    (TRN_RATE_LIMIT_PER_MINUTE, lower for a while after tracker.gg answered 429).
    """
    svc = services()
    overview = svc.use_cases.scraping_overview(requests_per_minute=eta_rate(svc.container))
    mode = "embedded" if svc.settings.embedded else "production"
    emit(overview_json(overview, mode), lambda out: out.print(overview_table(overview, mode)))


@click.command()
@click.option(
    "--tracker",
    "tracker_id",
    default=None,
    callback=_optional_cuid,
    help="Only this tracker's logs.",
)
@click.option(
    "--status",
    type=click.Choice(LOG_STATUSES, case_sensitive=False),
    default=None,
    help="Only logs with this outcome.",
)
@paging_options
@json_option
def logs(tracker_id: str | None, status: str | None, page: int, limit: int) -> None:
    """Show scraping logs, newest first.

    One log per job execution: outcome, seasons fetched, error category, duration.
    """
    svc = services()
    entries, total = svc.use_cases.search_scraping_logs(
        tracker_id, status.upper() if status else None, page, limit
    )
    emit(
        res.ScrapingLogPage(
            [res.scraping_log(e) for e in entries], res.admin_pagination(total, page, limit)
        ),
        lambda out: out.print(logs_table(entries, width=out.width)),
    )
