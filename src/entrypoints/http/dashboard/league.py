"""Guild staff league pages: the standings with eligibility and the eligibility settings, the
review flags (list, resolve) and the manual entry of a member's ratings.

Every page and action applies the staff rule first (an admin role in the guild, or a system
admin), then calls the same use cases as the API's ``/api/guilds/:id/…`` routes; forms are
validated by the API's own request classes (:mod:`forms`) and audited like the API's calls.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Response, redirect, request, url_for

from entrypoints.http import deps
from entrypoints.http.constraints import CUID_PATTERN
from entrypoints.http.dashboard import forms
from entrypoints.http.dashboard.guildops import require_staff, save_section
from entrypoints.http.dashboard.pages import require_user
from entrypoints.http.dashboard.render import page
from entrypoints.http.dashboard.session import check_form_csrf
from entrypoints.http.league_flags import ResolveBody
from entrypoints.http.league_manual import PLAYLISTS, ManualRatingsBody
from entrypoints.http.requests import CUID_MESSAGE
from tracker_core.errors import FieldError, RuleViolationError, ValidationError
from tracker_core.flags import FLAG_KINDS, FlagKind, FlagStatus
from tracker_core.league import GAME_KEYS
from tracker_core.mmr import PLAYLIST_KEYS
from tracker_core.model import TrackerQuery
from tracker_core.use_cases import flags as fc
from tracker_core.use_cases import manual as mc

STANDINGS_PAGE = 100
FLAGS_PAGE = 50
MEMBER_TRACKERS = 100
FLAG_STATUSES = ("open", "resolved")


def page_of(items: list[Any], size: int) -> tuple[list[Any], int, int]:
    """The ``?page=`` slice of ``items``, its number and the number of pages.

    Raises:
        ValidationError: the page is out of range.
    """
    pages = max(1, -(-len(items) // size))
    number = request.args.get("page", 1, type=int)
    if not 1 <= number <= pages:
        raise ValidationError([FieldError("page", f"page must be between 1 and {pages}")])
    return items[(number - 1) * size : number * size], number, pages


def choice(name: str, allowed: tuple[str, ...]) -> str | None:
    """An optional query filter. Raises ValidationError naming it when not one of ``allowed``."""
    value = request.args.get(name, "")
    if value and value not in allowed:
        raise ValidationError([FieldError(name, f"{name} must be one of {', '.join(allowed)}")])
    return value or None


def _league_page(
    guild_id: str,
    code: int = 200,
    errors: dict[str, str] | None = None,
    submitted: dict[str, Any] | None = None,
) -> Response:
    me = require_user()
    use_cases = deps.use_cases()
    settings = use_cases.get_settings(guild_id, viewer=me.viewer)
    standings = use_cases.guild_standings(guild_id, viewer=me.viewer)
    shown, number, pages = page_of(standings, STANDINGS_PAGE)
    return page(
        "dashboard/league.html",
        code,
        guild_id=guild_id,
        names=use_cases.member_names(me.viewer, guild_id, [s.user_id for s in shown]),
        rules=settings.eligibility,
        form=submitted or settings.eligibility.to_dict(),
        stale_days=settings.flags.stale_days,
        standings=shown,
        total=len(standings),
        first_rank=(number - 1) * STANDINGS_PAGE + 1,
        page_number=number,
        pages=pages,
        game_keys=GAME_KEYS,
        playlists=PLAYLIST_KEYS,
        errors=errors or {},
        saved=request.args.get("saved") == "1",
    )


def league(guild_id: str) -> Response:
    """The eligibility settings and the standings (strongest tracker, eligibility, flags)."""
    return _league_page(guild_id)


def _eligibility_patch() -> dict[str, Any]:
    """The ``eligibility`` section of the settings form (blank minimum: none)."""
    minimums = {k: forms.whole(f"eligibility.minGames.{k}") for k in GAME_KEYS}
    section = {
        "seasonsCounted": forms.whole("eligibility.seasonsCounted"),
        "minGames": forms.present(minimums),
        "combinedPlaylists": request.form.getlist("eligibility.combinedPlaylists"),
    }
    return {"eligibility": forms.present(section)}


def save_eligibility(guild_id: str) -> Response:
    """Save the eligibility rules; back to the league page."""
    return save_section(
        guild_id,
        "eligibility",
        _eligibility_patch,
        lambda errors, submitted: _league_page(guild_id, 400, errors, submitted),
        url_for("dashboard.league", guild_id=guild_id, saved=1),
    )


def _flags_page(
    guild_id: str,
    code: int = 200,
    failed: str | None = None,
    errors: dict[str, str] | None = None,
    rule_errors: dict[str, str] | None = None,
    submitted: dict[str, Any] | None = None,
) -> Response:
    me = require_user()
    status = choice("status", FLAG_STATUSES)
    kind = choice("kind", FLAG_KINDS)
    use_cases = deps.use_cases()
    rules = use_cases.get_settings(guild_id, viewer=me.viewer).flags
    found = use_cases.list_flags(
        guild_id, cast(FlagStatus | None, status), cast(FlagKind | None, kind), viewer=me.viewer
    )
    shown, number, pages = page_of(found, FLAGS_PAGE)
    chosen = {k: v for k, v in (("status", status), ("kind", kind)) if v}
    return page(
        "dashboard/flags.html",
        code,
        guild_id=guild_id,
        names=use_cases.member_names(me.viewer, guild_id, [fl.user_id for fl in shown]),
        flags=shown,
        total=len(found),
        page_number=number,
        pages=pages,
        chosen=chosen,
        statuses=FLAG_STATUSES,
        kinds=FLAG_KINDS,
        failed=failed,
        errors=errors or {},
        rules=rules,
        rules_form={**rules.to_dict(), **(submitted or {})},
        rule_errors=rule_errors or {},
        rules_saved=request.args.get("rules_saved") == "1",
    )


def flags(guild_id: str) -> Response:
    """The guild's review flags, newest first, by status and kind, with a resolve form each."""
    return _flags_page(guild_id)


def _flag_rules_patch() -> dict[str, Any]:
    """The ``flags`` section of the thresholds form (a blank number: unchanged)."""
    section = {
        "ratingDrop": forms.whole("flags.ratingDrop"),
        "windowDays": forms.whole("flags.windowDays"),
        "staleDays": forms.whole("flags.staleDays"),
        "notify": request.form.get("flags.notify") == "on",
    }
    return {"flags": forms.present(section)}


def save_flag_rules(guild_id: str) -> Response:
    """Save the review flags' thresholds; back to the flags page."""
    return save_section(
        guild_id,
        "flags",
        _flag_rules_patch,
        lambda errors, submitted: _flags_page(
            guild_id, 400, rule_errors=errors, submitted=submitted
        ),
        url_for("dashboard.flags", guild_id=guild_id, rules_saved=1),
    )


def resolve(guild_id: str, flag_id: str) -> Response:
    """Resolve one flag as confirmed or dismissed with a note; back to the list."""
    me = require_staff(guild_id)
    check_form_csrf()
    forms.check_id("flagId", flag_id, CUID_PATTERN, CUID_MESSAGE)
    data = forms.present({"resolution": forms.text("resolution") or "", "note": forms.text("note")})
    try:
        body = forms.validated(data, ResolveBody)
        cmd = fc.ResolveFlag(
            guild_id=guild_id,
            flag_id=flag_id,
            resolution=body.resolution,
            note=body.note,
            actor=me.user_id,
        )
        deps.use_cases().resolve_flag(cmd, viewer=me.viewer)
    except RuleViolationError as exc:
        return _flags_page(guild_id, 400, failed=flag_id, errors=forms.field_errors(exc))
    back: dict[str, Any] = {k: v for k in ("status", "kind") if (v := request.form.get(k))}
    target = url_for("dashboard.flags", guild_id=guild_id, resolved=flag_id, **back)
    return redirect(target, 303)  # type: ignore[return-value]


def _manual_page(
    guild_id: str,
    user_id: str,
    code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    me = require_user()
    use_cases = deps.use_cases()
    standing = use_cases.member_standing(guild_id, user_id, viewer=me.viewer)
    query = TrackerQuery(user_ids=(user_id,), limit=MEMBER_TRACKERS)
    trackers, _ = use_cases.list_guild_trackers(me.viewer, guild_id, query)
    return page(
        "dashboard/manual.html",
        code,
        guild_id=guild_id,
        user_id=user_id,
        names=use_cases.member_names(me.viewer, guild_id, [user_id]),
        standing=standing,
        trackers=trackers,
        playlists=PLAYLISTS,
        errors=errors or {},
        values=values or {},
        saved=request.args.get("saved"),
    )


def manual(guild_id: str, user_id: str) -> Response:
    """The manual entry form of one member's ratings."""
    return _manual_page(guild_id, user_id)


def _manual_body() -> dict[str, Any]:
    """The JSON body of the manual form; a playlist left blank is not entered."""
    playlists = {}
    for key in PLAYLISTS:
        numbers = {
            name: forms.whole(f"playlists.{key}.{name}")
            for name in ("rating", "gamesPlayed", "peak")
        }
        if any(v is not None for v in numbers.values()):
            playlists[key] = forms.present(numbers)
    return forms.present(
        {
            "trackerId": forms.text("trackerId") or "",
            "seasonNumber": forms.whole("seasonNumber"),
            "playlists": playlists,
            "evidenceUrl": forms.text("evidenceUrl"),
            "note": forms.text("note") or "",
        }
    )


def enter_manual(guild_id: str, user_id: str) -> Response:
    """Store the member's ratings as a MANUAL snapshot; back to the form with the outcome."""
    me = require_staff(guild_id)
    check_form_csrf()
    data = _manual_body()
    try:
        body = forms.validated(data, ManualRatingsBody)
        entered = {
            PLAYLISTS[key]: mc.ManualPlaylist(value.rating, value.games_played, value.peak)
            for key in PLAYLISTS
            if (value := getattr(body.playlists, key)) is not None
        }
        cmd = mc.EnterManualRatings(
            guild_id=guild_id,
            user_id=user_id,
            tracker_id=body.tracker_id,
            season_number=body.season_number,
            playlists=entered,
            actor=me.user_id,
            evidence_url=body.evidence_url,
            note=body.note,
        )
        deps.use_cases().enter_manual_ratings(cmd, viewer=me.viewer)
    except RuleViolationError as exc:
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        return _manual_page(guild_id, user_id, 400, forms.field_errors(exc), values)
    target = url_for("dashboard.manual", guild_id=guild_id, user_id=user_id, saved=body.tracker_id)
    return redirect(target, 303)  # type: ignore[return-value]


def register(blueprint: Blueprint) -> None:
    """The league, flags and manual entry routes."""
    guild = "/guilds/<guild_id>"
    blueprint.add_url_rule(f"{guild}/league", "league", league, methods=["GET"])
    blueprint.add_url_rule(
        f"{guild}/league/eligibility", "save_eligibility", save_eligibility, methods=["POST"]
    )
    blueprint.add_url_rule(f"{guild}/flags", "flags", flags, methods=["GET"])
    blueprint.add_url_rule(
        f"{guild}/flags/settings", "save_flag_rules", save_flag_rules, methods=["POST"]
    )
    blueprint.add_url_rule(
        f"{guild}/flags/<flag_id>/resolve", "resolve_flag", resolve, methods=["POST"]
    )
    member = f"{guild}/members/<user_id>/manual-ratings"
    blueprint.add_url_rule(member, "manual", manual, methods=["GET"])
    blueprint.add_url_rule(member, "enter_manual", enter_manual, methods=["POST"])
