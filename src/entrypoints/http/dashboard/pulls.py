"""Guild staff numbers pulls: the list with the create and compare forms, one pull's frozen rows
(paged, filtered, as CSV) with the override form, and the difference between two pulls.

Every page and action applies the staff rule first, then calls the same use cases as the API's
``/api/guilds/:id/pulls…`` routes; forms are validated by the API's request classes.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Response, redirect, request, url_for

from entrypoints.http import deps
from entrypoints.http.constraints import CUID_PATTERN, SNOWFLAKE_PATTERN, USER_ID_MESSAGE
from entrypoints.http.dashboard import forms
from entrypoints.http.dashboard.guildops import require_staff
from entrypoints.http.dashboard.league import choice, page_of
from entrypoints.http.dashboard.pages import require_user
from entrypoints.http.dashboard.render import page
from entrypoints.http.dashboard.session import check_form_csrf
from entrypoints.http.league import OverrideBody, PullBody
from entrypoints.http.requests import CUID_MESSAGE
from entrypoints.responses import league as js
from entrypoints.responses.base import to_json
from tracker_core.errors import FieldError, RuleViolationError, ValidationError
from tracker_core.pulls import ROW_FILTERS, RowFilter
from tracker_core.use_cases import league as lc

ROWS_PAGE = 50
MOVED_PAGE = 200


def _pulls_page(guild_id: str, code: int = 200, **extra: Any) -> Response:
    me = require_user()
    found = deps.use_cases().list_pulls(guild_id, viewer=me.viewer)
    context: dict[str, Any] = {"errors": {}, "values": {}, **extra}
    return page("dashboard/pulls.html", code, guild_id=guild_id, pulls=found, **context)


def pulls(guild_id: str) -> Response:
    """The guild's pulls, newest first, with the forms to take one and to compare two."""
    return _pulls_page(guild_id)


def create(guild_id: str) -> Response:
    """Freeze every member's numbers into the next pull; then show it."""
    me = require_staff(guild_id)
    check_form_csrf()
    data = forms.present({"name": forms.text("name") or "", "note": forms.text("note")})
    try:
        body = forms.validated(data, PullBody)
        cmd = lc.CreatePull(guild_id=guild_id, name=body.name, note=body.note, actor=me.user_id)
        made = deps.use_cases().create_pull(cmd, viewer=me.viewer)
    except RuleViolationError as exc:
        return _pulls_page(guild_id, 400, errors=forms.field_errors(exc), values=data)
    return redirect(url_for("dashboard.pull", guild_id=guild_id, pull_id=made.id), 303)  # type: ignore[return-value]


def _pull_id(name: str, value: str) -> str:
    forms.check_id(name, value, CUID_PATTERN, CUID_MESSAGE)
    return value


def _pull_page(
    guild_id: str,
    pull_id: str,
    code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    me = require_user()
    _pull_id("pullId", pull_id)
    row_filter = cast(RowFilter | None, choice("filter", ROW_FILTERS))
    number = request.args.get("page", 1, type=int)
    if number < 1:
        raise ValidationError([FieldError("page", "page must be at least 1")])
    use_cases = deps.use_cases()
    found = use_cases.get_pull(guild_id, pull_id, row_filter, number, ROWS_PAGE, viewer=me.viewer)
    pages = max(1, -(-found.total // ROWS_PAGE))
    if number > pages:
        raise ValidationError([FieldError("page", f"page must be between 1 and {pages}")])
    chosen = {"filter": row_filter} if row_filter else {}
    member = request.args.get("member", "")[:20]
    overridden = request.args.get("overridden")
    shown = [r.user_id for r in found.rows] + ([overridden] if overridden else [])
    return page(
        "dashboard/pull.html",
        code,
        guild_id=guild_id,
        names=use_cases.member_names(me.viewer, guild_id, shown),
        pull=found.pull,
        rows=[
            to_json(js.pull_row(found.pull, r, found.overrides.get(r.user_id))) for r in found.rows
        ],
        first_rank=(number - 1) * ROWS_PAGE + 1,
        total=found.total,
        page_number=number,
        pages=pages,
        chosen=chosen,
        filters=ROW_FILTERS,
        errors=errors or {},
        values=values or {"userId": member},
        overridden=overridden,
    )


def pull(guild_id: str, pull_id: str) -> Response:
    """One pull: its settings and a page of its frozen rows, filtered, with overrides."""
    return _pull_page(guild_id, pull_id)


def pull_csv(guild_id: str, pull_id: str) -> Response:
    """Every row of the pull as CSV: the API's columns, text cells never evaluated."""
    me = require_user()
    _pull_id("pullId", pull_id)
    found = deps.use_cases().export_pull(guild_id, pull_id, viewer=me.viewer)
    response = Response(js.pull_csv(found), mimetype="text/csv")
    filename = f"pull-{found.pull.number}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def override(guild_id: str, pull_id: str) -> Response:
    """Set a staff MMR with a reason beside one member's frozen number; back to the pull."""
    me = require_staff(guild_id)
    check_form_csrf()
    _pull_id("pullId", pull_id)
    user_id = request.form.get("userId", "").strip()
    data = forms.present({"mmr": forms.whole("mmr"), "reason": forms.text("reason") or ""})
    try:
        forms.remember({"userId": user_id, **data})
        forms.check_id("userId", user_id, SNOWFLAKE_PATTERN, USER_ID_MESSAGE)
        body = forms.validated(data, OverrideBody)
        cmd = lc.OverridePullRow(
            guild_id=guild_id,
            pull_id=pull_id,
            user_id=user_id,
            mmr=body.mmr,
            reason=body.reason,
            actor=me.user_id,
        )
        deps.use_cases().override_pull_row(cmd, viewer=me.viewer)
    except RuleViolationError as exc:
        values = {"userId": user_id, **{k: request.form.get(k, "") for k in ("mmr", "reason")}}
        return _pull_page(guild_id, pull_id, 400, forms.field_errors(exc), values)
    target = url_for("dashboard.pull", guild_id=guild_id, pull_id=pull_id, overridden=user_id)
    return redirect(target, 303)  # type: ignore[return-value]


def diff(guild_id: str) -> Response:
    """Who moved from pull ``before`` to pull ``after``, who appeared and who disappeared."""
    me = require_user()
    before = _pull_id("before", request.args.get("before", ""))
    after = _pull_id("after", request.args.get("after", ""))
    use_cases = deps.use_cases()
    found = use_cases.compare_pulls(guild_id, before, after, viewer=me.viewer)
    moved, number, pages = page_of(list(found.diff.moved), MOVED_PAGE)
    shown = [m.user_id for m in moved]
    shown += [user_id for user_id, _ in (*found.diff.appeared, *found.diff.disappeared)]
    return page(
        "dashboard/diff.html",
        guild_id=guild_id,
        names=use_cases.member_names(me.viewer, guild_id, shown),
        a=found.a,
        b=found.b,
        diff=found.diff,
        moved=moved,
        page_number=number,
        pages=pages,
    )


def register(blueprint: Blueprint) -> None:
    """The pull routes."""
    base = "/guilds/<guild_id>/pulls"
    blueprint.add_url_rule(base, "pulls", pulls, methods=["GET"])
    blueprint.add_url_rule(base, "create_pull", create, methods=["POST"])
    blueprint.add_url_rule(f"{base}/diff", "pull_diff", diff, methods=["GET"])
    blueprint.add_url_rule(f"{base}/<pull_id>", "pull", pull, methods=["GET"])
    blueprint.add_url_rule(f"{base}/<pull_id>.csv", "pull_csv", pull_csv, methods=["GET"])
    blueprint.add_url_rule(
        f"{base}/<pull_id>/override", "override_pull_row", override, methods=["POST"]
    )
