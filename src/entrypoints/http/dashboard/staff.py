"""Guild staff pages: my guilds, a guild's roster (sort, filter, CSV) and the formula checker;
and the system admin overview."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from typing import Any, get_args

from flask import Blueprint, Response, redirect, request, url_for

from entrypoints.container import eta_rate
from entrypoints.csvcells import sheet_cell
from entrypoints.http import deps
from entrypoints.http.auth import require_system_admin
from entrypoints.http.dashboard.pages import require_user
from entrypoints.http.dashboard.render import page
from entrypoints.http.dashboard.session import check_form_csrf
from tracker_core.errors import FETCH_ERROR_CATEGORIES, FieldError, ValidationError
from tracker_core.mmr import ALGORITHMS, PLAYLIST_KEYS
from tracker_core.model import LogStatus, Priority, TrackerStatus
from tracker_core.use_cases import calculator as calc
from tracker_core.use_cases.roster import Roster, RosterEntry

FORMULA_MAX = 1000
ROSTER_PAGE = 100
FAILED_LOGS_SHOWN = 20
LOGS_PAGE = 50
LANES = (Priority.HIGH, Priority.DEFAULT, Priority.LOW)
LOG_STATUSES: tuple[str, ...] = get_args(LogStatus)
LOG_CATEGORIES: tuple[str, ...] = tuple(FETCH_ERROR_CATEGORIES)
SORTS: dict[str, Callable[[RosterEntry], Any]] = {
    "name": lambda e: e.name.casefold(),
    "mmr": lambda e: e.rating.mmr if e.rating else -1,
    "games": lambda e: e.games or -1,
    "trackers": lambda e: len(e.trackers),
}
STATUSES = tuple(str(s) for s in TrackerStatus)


def _choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.args.get(name, default)
    if value not in allowed:
        raise ValidationError([FieldError(name, f"{name} must be one of {', '.join(allowed)}")])
    return value


def _view(roster: Roster) -> tuple[list[RosterEntry], dict[str, str]]:
    sort = _choice("sort", tuple(SORTS), "mmr")
    order = _choice("order", ("asc", "desc"), "desc" if sort in ("mmr", "games") else "asc")
    status = _choice("status", ("", *STATUSES), "")
    text = request.args.get("q", "")[:100].casefold()
    entries = [
        e
        for e in roster.entries
        if (not text or text in e.name.casefold() or text in e.user_id)
        and (not status or any(t.scraping_status == status for t in e.trackers))
    ]
    entries.sort(key=SORTS[sort], reverse=order == "desc")
    return entries, {"sort": sort, "order": order, "status": status, "q": text}


def my_guilds() -> Response:
    """The guilds the signed-in user administers."""
    me = require_user()
    return page("dashboard/guilds.html", guilds=deps.use_cases().staff_guilds(me.viewer))


def roster(guild_id: str) -> Response:
    """A guild's members with trackers, status, MMR and games; sortable and filterable."""
    me = require_user()
    found = deps.use_cases().guild_roster(me.viewer, guild_id)
    entries, chosen = _view(found)
    pages = max(1, -(-len(entries) // ROSTER_PAGE))
    number = request.args.get("page", 1, type=int)
    if not 1 <= number <= pages:
        raise ValidationError([FieldError("page", f"page must be between 1 and {pages}")])
    shown = entries[(number - 1) * ROSTER_PAGE : number * ROSTER_PAGE]
    counts = Counter(str(t.scraping_status) for e in found.entries for t in e.trackers)
    queued = request.args.get("queued", type=int)
    return page(
        "dashboard/roster.html",
        roster=found,
        entries=shown,
        matching=len(entries),
        page_number=number,
        pages=pages,
        chosen=chosen,
        statuses=STATUSES,
        sorts=tuple(SORTS),
        counts={s: counts.get(s, 0) for s in STATUSES},
        total=sum(counts.values()),
        busy=any(counts.get(s, 0) for s in ("PENDING", "IN_PROGRESS")),
        queued=queued,
    )


def roster_csv(guild_id: str) -> Response:
    """The filtered roster as CSV, one line per member."""
    me = require_user()
    entries, _ = _view(deps.use_cases().guild_roster(me.viewer, guild_id))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["userId", "name", "mmr", "games", "trackers", "statuses"])
    for e in entries:
        writer.writerow(
            [
                sheet_cell(e.user_id),
                sheet_cell(e.name),
                e.rating.mmr if e.rating else "",
                e.games if e.games is not None else "",
                sheet_cell(" ".join(t.url for t in e.trackers)),
                " ".join(str(t.scraping_status) for t in e.trackers),
            ]
        )
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="roster-{guild_id}.csv"'
    return response


def _formula_result(text: str) -> dict[str, Any]:
    if len(text) > FORMULA_MAX:
        raise ValidationError(
            [FieldError("formula", f"formula must be at most {FORMULA_MAX} characters")]
        )
    if not text.strip():
        return {"formula": text, "check": None, "test": None}
    return {"formula": text, "check": calc.check_formula(text), "test": calc.try_formula(text)}


def settings_page(
    guild_id: str,
    code: int = 200,
    errors: dict[str, str] | None = None,
    submitted: dict[str, Any] | None = None,
) -> Response:
    """The settings page; ``errors`` and ``submitted`` are those of its notifications form."""
    me = require_user()
    current = deps.use_cases().get_settings(guild_id, viewer=me.viewer)
    text = request.args.get("formula", current.mmr.custom_formula or "")
    shown = current.to_dict(redact=True)["notifications"]  # the webhook's token masked
    return page(
        "dashboard/formula.html",
        code,
        guild_id=guild_id,
        mmr=current.mmr,
        processing=current.tracker_processing_enabled,
        algorithms=ALGORITHMS,
        playlists=PLAYLIST_KEYS,
        saved=request.args.get("saved"),
        notifications={**shown, **(submitted or {})},
        errors=errors or {},
        **_formula_result(text),
    )


def formula(guild_id: str) -> Response:
    """The guild's settings: processing, MMR (a custom formula checked and tried on sample
    data) and notifications."""
    return settings_page(guild_id)


def formula_check(guild_id: str) -> Response:
    """The result fragment the formula page's script shows while typing."""
    me = require_user()
    deps.use_cases().get_settings(guild_id, viewer=me.viewer)
    return page("dashboard/_formula.html", **_formula_result(request.args.get("formula", "")))


def admin() -> Response:
    """System admin: status counts, queue depth per lane, budget use over the last hour, the
    drain estimate, failures by category (all time) and the latest failures."""
    me = require_user()
    require_system_admin(me)
    settings = deps.settings()
    use_cases = deps.use_cases()
    limit = settings.trn_rate_limit_per_minute
    rate = eta_rate(deps.container())  # the drain estimate's: lower than the limit after a 429
    overview = use_cases.scraping_overview(requests_per_minute=rate)
    failed, failed_total = use_cases.search_scraping_logs(None, "FAILED", 1, FAILED_LOGS_SHOWN)
    return page(
        "dashboard/admin.html",
        overview=overview,
        lanes=[(str(p), overview.lane_depths.get(str(p))) for p in LANES],
        budget=use_cases.budget_use(requests_per_minute=limit),
        failed=failed,
        failed_total=failed_total,
        categories=use_cases.failure_categories(),
        log_categories=LOG_CATEGORIES,
        rate=rate,
        initial_seasons=use_cases.policy.initial_seasons,
        queued=request.args.get("queued", type=int),
    )


def _log_filter(name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(name, "")
    if value and value not in allowed:
        raise ValidationError([FieldError(name, f"{name} must be one of {', '.join(allowed)}")])
    return value or None


def admin_logs() -> Response:
    """System admin: the scraping logs, newest first, paged, by status and error category."""
    me = require_user()
    require_system_admin(me)
    status = _log_filter("status", LOG_STATUSES)
    category = _log_filter("category", LOG_CATEGORIES)
    number = request.args.get("page", 1, type=int)
    if number < 1:
        raise ValidationError([FieldError("page", "page must be at least 1")])
    logs, total = deps.use_cases().search_scraping_logs(
        None, status, number, LOGS_PAGE, category=category
    )
    pages = max(1, -(-total // LOGS_PAGE))
    if number > pages:
        raise ValidationError([FieldError("page", f"page must be between 1 and {pages}")])
    chosen = {k: v for k, v in (("status", status), ("category", category)) if v}
    return page(
        "dashboard/admin_logs.html",
        logs=logs,
        total=total,
        page_number=number,
        pages=pages,
        chosen=chosen,
        statuses=LOG_STATUSES,
        categories=LOG_CATEGORIES,
    )


def batch_refresh() -> Response:
    """System admin: queue every pending-or-stale tracker (the processing guard applies)."""
    me = require_user()
    require_system_admin(me)
    check_form_csrf()
    result = deps.use_cases().refresh_stale(priority=Priority.DEFAULT)
    target = url_for("dashboard.admin", queued=result.processed)
    return redirect(target, 303)  # type: ignore[return-value]


def register(blueprint: Blueprint) -> None:
    """The staff and admin routes."""
    blueprint.add_url_rule("/guilds", "my_guilds", my_guilds, methods=["GET"])
    blueprint.add_url_rule("/guilds/<guild_id>", "roster", roster, methods=["GET"])
    blueprint.add_url_rule("/guilds/<guild_id>/roster.csv", "roster_csv", roster_csv)
    blueprint.add_url_rule("/guilds/<guild_id>/formula", "formula", formula, methods=["GET"])
    blueprint.add_url_rule(
        "/guilds/<guild_id>/formula/check", "formula_check", formula_check, methods=["GET"]
    )
    blueprint.add_url_rule("/admin", "admin", admin, methods=["GET"])
    blueprint.add_url_rule("/admin/logs", "admin_logs", admin_logs, methods=["GET"])
    blueprint.add_url_rule("/admin/refresh", "batch_refresh", batch_refresh, methods=["POST"])
