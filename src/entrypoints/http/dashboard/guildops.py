"""Guild staff actions: process the guild now, and its schedules (list, create, cancel).

Every action first checks that the signed-in user is the guild's staff (the settings read
rule), then calls the same use cases as the bot's ``/internal`` routes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, redirect, request, url_for

from entrypoints.http import deps
from entrypoints.http.auth import Principal
from entrypoints.http.dashboard.pages import require_user
from entrypoints.http.dashboard.render import page
from entrypoints.http.dashboard.session import check_form_csrf
from tracker_core.errors import FieldError, NotFound, ValidationFailed
from tracker_core.use_cases import guilds as guild_uc
from tracker_core.use_cases.processing import process_guild
from tracker_core.use_cases.schedules import (
    CreateSchedule,
    cancel_schedule,
    create_schedule,
    list_schedules,
)

WHEN_FORMAT = "%Y-%m-%dT%H:%M"
NOTE_MAX = 200


def _staff(guild_id: str) -> Principal:
    """The signed-in user, once known to be the guild's staff. Raises NotFound, Forbidden."""
    me = require_user()
    guild_uc.get_settings(guild_id, uow=deps.uow(), viewer=me.viewer)
    return me


def process(guild_id: str) -> Response:
    """Queue the members' pending, never-scraped or stale trackers; back to the roster."""
    _staff(guild_id)
    check_form_csrf()
    result = process_guild(
        guild_id, uow=deps.uow(), queue=deps.queue(), clock=deps.clock(), policy=deps.policy()
    )
    target = url_for("dashboard.roster", guild_id=guild_id, queued=result.processed)
    return redirect(target, 303)  # type: ignore[return-value]


def schedules(guild_id: str) -> Response:
    """The guild's schedules, newest instant last, with the form to add one."""
    _staff(guild_id)
    found = list_schedules(guild_id, status=None, include_completed=True, uow=deps.uow())
    return page("dashboard/schedules.html", guild_id=guild_id, schedules=found)


def _when() -> datetime:
    raw = request.form.get("scheduledAt", "")
    try:
        return datetime.strptime(raw, WHEN_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise ValidationFailed(
            [FieldError("scheduledAt", "scheduledAt must be a date and time (UTC)")]
        ) from None


def create(guild_id: str) -> Response:
    """Schedule the processing of the guild at a future UTC instant."""
    me = _staff(guild_id)
    check_form_csrf()
    note = request.form.get("reason", "").strip()[:NOTE_MAX]
    cmd = CreateSchedule(
        guild_id=guild_id,
        scheduled_at=_when(),
        created_by=me.user_id,
        metadata={"reason": note} if note else {},
    )
    create_schedule(cmd, uow=deps.uow(), clock=deps.clock())
    return redirect(url_for("dashboard.schedules", guild_id=guild_id), 303)  # type: ignore[return-value]


def cancel(guild_id: str, schedule_id: str) -> Response:
    """Cancel one of this guild's pending schedules."""
    _staff(guild_id)
    check_form_csrf()
    mine = list_schedules(guild_id, status=None, include_completed=True, uow=deps.uow())
    if schedule_id not in {s.id for s in mine}:
        raise NotFound(f"Schedule {schedule_id} not found")
    cancel_schedule(schedule_id, uow=deps.uow(), clock=deps.clock())
    return redirect(url_for("dashboard.schedules", guild_id=guild_id), 303)  # type: ignore[return-value]


def register(blueprint: Blueprint) -> None:
    """The staff action routes."""
    blueprint.add_url_rule("/guilds/<guild_id>/process", "process", process, methods=["POST"])
    blueprint.add_url_rule("/guilds/<guild_id>/schedules", "schedules", schedules, methods=["GET"])
    blueprint.add_url_rule(
        "/guilds/<guild_id>/schedules", "create_schedule", create, methods=["POST"]
    )
    blueprint.add_url_rule(
        "/guilds/<guild_id>/schedules/<schedule_id>/cancel",
        "cancel_schedule",
        cancel,
        methods=["POST"],
    )
