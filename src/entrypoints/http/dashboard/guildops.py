"""Guild staff actions: process the guild now, its schedules (list, create, cancel) and its
settings (processing switch and MMR calculation).

Every action first checks that the signed-in user is the guild's staff (the settings read
rule), then calls the same use cases as the bot's ``/internal`` routes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, redirect, request, url_for

from entrypoints.http import deps
from entrypoints.http.auth import Principal
from entrypoints.http.dashboard import forms
from entrypoints.http.dashboard.pages import require_user
from entrypoints.http.dashboard.render import page
from entrypoints.http.dashboard.session import check_form_csrf
from entrypoints.http.dashboard.staff import settings_page
from entrypoints.http.staff import settings_paths
from tracker_core.errors import FieldError, NotFoundError, RuleViolationError, ValidationError
from tracker_core.mmr import PLAYLIST_KEYS
from tracker_core.use_cases.schedules import CreateSchedule

WHEN_FORMAT = "%Y-%m-%dT%H:%M"
HISTORY_PAGE = 50
NOTE_MAX = 200


def require_staff(guild_id: str) -> Principal:
    """The signed-in user, once known to be the guild's staff.

    Raises NotFoundError, ForbiddenError.
    """
    me = require_user()
    deps.use_cases().get_settings(guild_id, viewer=me.viewer)
    return me


def save_section(
    guild_id: str,
    section: str,
    patch_of: Callable[[], dict[str, Any]],
    refused: Callable[[dict[str, str], dict[str, Any]], Response],
    saved: str,
) -> Response:
    """Save one section of a staff form through the settings merge the API uses, then back to
    ``saved``; a refused value renders ``refused(errors, the section as submitted)`` (400)."""
    me = require_staff(guild_id)
    check_form_csrf()
    patch = patch_of()
    try:
        forms.remember(patch)
        deps.use_cases().update_settings(guild_id, patch, viewer=me.viewer)
    except RuleViolationError as exc:
        return refused(forms.field_errors(exc), patch[section])
    return redirect(saved, 303)  # type: ignore[return-value]


def process(guild_id: str) -> Response:
    """Queue the members' pending, never-scraped or stale trackers; back to the roster."""
    require_staff(guild_id)
    check_form_csrf()
    result = deps.use_cases().process_guild(guild_id)
    target = url_for("dashboard.roster", guild_id=guild_id, queued=result.processed)
    return redirect(target, 303)  # type: ignore[return-value]


def schedules(guild_id: str) -> Response:
    """The guild's schedules, newest instant last, with the form to add one."""
    require_staff(guild_id)
    found = deps.use_cases().list_schedules(guild_id, status=None, include_completed=True)
    return page("dashboard/schedules.html", guild_id=guild_id, schedules=found)


def _when() -> datetime:
    raw = request.form.get("scheduledAt", "")
    try:
        return datetime.strptime(raw, WHEN_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise ValidationError(
            [FieldError("scheduledAt", "scheduledAt must be a date and time (UTC)")]
        ) from None


def create(guild_id: str) -> Response:
    """Schedule the processing of the guild at a future UTC instant."""
    me = require_staff(guild_id)
    check_form_csrf()
    note = request.form.get("reason", "").strip()[:NOTE_MAX]
    cmd = CreateSchedule(
        guild_id=guild_id,
        scheduled_at=_when(),
        created_by=me.user_id,
        metadata={"reason": note} if note else {},
    )
    deps.use_cases().create_schedule(cmd)
    return redirect(url_for("dashboard.schedules", guild_id=guild_id), 303)  # type: ignore[return-value]


def cancel(guild_id: str, schedule_id: str) -> Response:
    """Cancel one of this guild's pending schedules."""
    require_staff(guild_id)
    check_form_csrf()
    use_cases = deps.use_cases()
    mine = use_cases.list_schedules(guild_id, status=None, include_completed=True)
    if schedule_id not in {s.id for s in mine}:
        raise NotFoundError(f"Schedule {schedule_id} not found")
    use_cases.cancel_schedule(schedule_id)
    return redirect(url_for("dashboard.schedules", guild_id=guild_id), 303)  # type: ignore[return-value]


def _number(name: str) -> float:
    raw = request.form.get(name, "").strip()
    try:
        value = float(raw)
    except ValueError:
        raise ValidationError([FieldError(name, f"{name} must be a number")]) from None
    if not math.isfinite(value):
        raise ValidationError([FieldError(name, f"{name} must be a finite number")])
    return value


def _settings_patch() -> dict[str, Any]:
    """The JSON-shaped settings patch of the settings form (validated by the core's merge)."""
    formula = request.form.get("customFormula", "").strip()
    return {
        "trackerProcessing": {"enabled": request.form.get("processing") == "on"},
        "mmrCalculation": {
            "algorithm": request.form.get("algorithm", ""),
            "weights": {k: _number(f"weights.{k}") for k in PLAYLIST_KEYS},
            "minGamesPlayed": {k: _number(f"minGamesPlayed.{k}") for k in PLAYLIST_KEYS},
            "customFormula": formula or None,
        },
    }


def save_settings(guild_id: str) -> Response:
    """Save the processing switch and the MMR settings; back to the settings page."""
    me = require_staff(guild_id)
    check_form_csrf()
    patch = _settings_patch()
    forms.remember(patch)  # the audit row (and the settings history) keep the JSON patch
    deps.use_cases().update_settings(guild_id, patch, viewer=me.viewer)
    target = url_for("dashboard.formula", guild_id=guild_id, saved=1)
    return redirect(target, 303)  # type: ignore[return-value]


def _notifications_patch() -> dict[str, Any]:
    """The ``notifications`` section of the settings page's second form: a blank webhook (or
    its masked form, as the page shows it) keeps the stored one, the box removes it."""
    section: dict[str, Any] = forms.present(
        {
            "webhookUrl": forms.text("notifications.webhookUrl"),
            "minRatingChange": forms.whole("notifications.minRatingChange"),
            "notifyOnFailure": request.form.get("notifications.notifyOnFailure") == "on",
        }
    )
    if request.form.get("notifications.removeWebhook") == "on":
        section["webhookUrl"] = None
    return {"notifications": section}


def save_notifications(guild_id: str) -> Response:
    """Save the guild's notification settings; back to the settings page."""
    return save_section(
        guild_id,
        "notifications",
        _notifications_patch,
        lambda errors, submitted: settings_page(guild_id, 400, errors, submitted),
        url_for("dashboard.formula", guild_id=guild_id, saved="notifications"),
    )


def settings_history(guild_id: str) -> Response:
    """Every change of the guild's settings (API, bot, dashboard), newest first."""
    me = require_staff(guild_id)
    number = request.args.get("page", 1, type=int)
    if number < 1:
        raise ValidationError([FieldError("page", "page must be at least 1")])
    use_cases = deps.use_cases()
    found, total = use_cases.settings_history(
        guild_id, settings_paths(guild_id), number, HISTORY_PAGE, viewer=me.viewer
    )
    actors = [e.actor for e in found if e.actor and e.actor.isdigit()]
    return page(
        "dashboard/history.html",
        guild_id=guild_id,
        changes=[(e, _where(e.path), json.dumps(e.body, indent=1, sort_keys=True)) for e in found],
        names=use_cases.member_names(me.viewer, guild_id, actors),
        total=total,
        page_number=number,
        pages=max(1, -(-total // HISTORY_PAGE)),
    )


def _where(path: str) -> str:
    if path.startswith("/internal/"):
        return "bot"
    if path.startswith("/api/"):
        return "reset (API)" if path.endswith("/reset") else "API"
    return "dashboard"


def register(blueprint: Blueprint) -> None:
    """The staff action routes."""
    blueprint.add_url_rule("/guilds/<guild_id>/process", "process", process, methods=["POST"])
    blueprint.add_url_rule(
        "/guilds/<guild_id>/settings", "save_settings", save_settings, methods=["POST"]
    )
    blueprint.add_url_rule(
        "/guilds/<guild_id>/settings/notifications",
        "save_notifications",
        save_notifications,
        methods=["POST"],
    )
    blueprint.add_url_rule(
        "/guilds/<guild_id>/settings/history", "settings_history", settings_history, methods=["GET"]
    )
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
