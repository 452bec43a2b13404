"""Player pages: my trackers, add a tracker (with its canonical URL), a tracker in full."""

from __future__ import annotations

from typing import Any

import attrs
from flask import Blueprint, Response, redirect, request, url_for

from entrypoints.http import deps
from entrypoints.http.auth import Principal
from entrypoints.http.dashboard.chart import build_charts
from entrypoints.http.dashboard.render import SignInRequiredError, page
from entrypoints.http.dashboard.session import check_form_csrf, signed_in
from tracker_core.errors import FieldError, InvalidTrackerUrlError, ValidationError
from tracker_core.model import Tracker, TrackerQuery, TrackerStatus
from tracker_core.stats import RANKED_PLAYLISTS
from tracker_core.urls import parse_tracker_url
from tracker_core.use_cases.trackers import AddTracker, RefreshTracker, RegisterTrackers

URL_MAX = 2048
CHANGES_SHOWN = 20
BUSY = (TrackerStatus.PENDING, TrackerStatus.IN_PROGRESS)


def require_user() -> Principal:
    """The signed-in user. Raises SignInRequiredError (a redirect to the sign-in)."""
    me = signed_in()
    if me is None:
        raise SignInRequiredError()
    return me


@attrs.frozen
class TrackerRow:
    """A tracker as the list shows it, with the cooldown left before its next refresh."""

    tracker: Tracker
    cooldown_seconds: int
    busy: bool


def _row(tracker: Tracker) -> TrackerRow:
    use_cases = deps.use_cases()
    left = tracker.cooldown_remaining(use_cases.clock.now(), use_cases.policy.refresh_cooldown)
    seconds = int(left.total_seconds() + 0.999)
    return TrackerRow(tracker, seconds, tracker.scraping_status in BUSY)


def my_trackers() -> Response:
    """The signed-in user's trackers."""
    me = require_user()
    use_cases = deps.use_cases()
    found, _ = use_cases.list_user_trackers(me.viewer, me.user_id, TrackerQuery(limit=100))
    rows = [_row(t) for t in found]
    limit = use_cases.policy.max_trackers_per_user
    return page("dashboard/trackers.html", rows=rows, limit=limit)


def _url_field() -> str:
    url = request.values.get("url", "")
    if len(url) > URL_MAX:
        raise ValidationError([FieldError("url", f"url must be at most {URL_MAX} characters")])
    return url


def _preview(url: str) -> dict[str, Any]:
    if not url.strip():
        return {"url": url, "canonical": None, "error": None}
    try:
        parsed = parse_tracker_url(url)
    except InvalidTrackerUrlError as exc:
        return {"url": url, "canonical": None, "error": exc.message}
    return {"url": url, "canonical": parsed.canonical_url, "error": None}


def new_tracker() -> Response:
    """The add form; with ``?url=`` it shows the canonical URL (or why it is invalid)."""
    require_user()
    return page("dashboard/add.html", **_preview(_url_field()))


def preview() -> Response:
    """The canonical-URL fragment the add form's script shows while typing."""
    require_user()
    return page("dashboard/_preview.html", **_preview(_url_field()))


def create_tracker() -> Response:
    """Register the first tracker or add one more, then show it."""
    me = require_user()
    check_form_csrf()
    url = _url_field()
    parse_tracker_url(url)
    use_cases = deps.use_cases()
    owned, _ = use_cases.list_user_trackers(me.viewer, me.user_id, TrackerQuery(limit=1))
    if owned:
        tracker = use_cases.add_tracker(AddTracker(user_id=me.user_id, url=url, profile=me.profile))
    else:
        (tracker,) = use_cases.register_trackers(
            RegisterTrackers(user_id=me.user_id, urls=(url,), profile=me.profile)
        )
    return redirect(url_for("dashboard.tracker", tracker_id=tracker.id), 303)  # type: ignore[return-value]


def tracker(tracker_id: str) -> Response:
    """One tracker: current season, charts, season history and what changed."""
    me = require_user()
    use_cases = deps.use_cases()
    detail = use_cases.get_tracker_detail(me.viewer, tracker_id)
    history = use_cases.get_tracker_snapshots(me.viewer, tracker_id, None)
    changes = use_cases.list_tracker_changes(me.viewer, tracker_id, CHANGES_SHOWN)
    return page(
        "dashboard/tracker.html",
        detail=detail,
        row=_row(detail.tracker),
        own=detail.tracker.user_id == me.user_id,
        current=detail.seasons[0] if detail.seasons else None,
        seasons=detail.seasons,
        charts=build_charts(history),
        changes=changes,
        playlists=RANKED_PLAYLISTS,
        fresh_until=detail.tracker.source_expires_at if request.args.get("fresh") else None,
    )


def refresh(tracker_id: str) -> Response:
    """Queue a refresh of one's own tracker (the cooldown applies), then show it."""
    me = require_user()
    check_form_csrf()
    outcome = deps.use_cases().refresh_tracker(
        RefreshTracker(tracker_id=tracker_id, actor_id=me.user_id)
    )
    target = request.form.get("back") == "list"
    if target:
        return redirect(url_for("dashboard.my_trackers"), 303)  # type: ignore[return-value]
    # A refresh inside tracker.gg's cache window queues nothing: the page says so.
    if outcome.served_from_storage:
        shown = url_for("dashboard.tracker", tracker_id=tracker_id, fresh="1")
    else:
        shown = url_for("dashboard.tracker", tracker_id=tracker_id)
    return redirect(shown, 303)  # type: ignore[return-value]


def register(blueprint: Blueprint) -> None:
    """The player routes."""
    blueprint.add_url_rule("/", "my_trackers", my_trackers, methods=["GET"])
    blueprint.add_url_rule("/trackers/new", "new_tracker", new_tracker, methods=["GET"])
    blueprint.add_url_rule("/trackers/new", "create_tracker", create_tracker, methods=["POST"])
    blueprint.add_url_rule("/trackers/preview", "preview", preview, methods=["GET"])
    blueprint.add_url_rule("/trackers/<tracker_id>", "tracker", tracker, methods=["GET"])
    blueprint.add_url_rule("/trackers/<tracker_id>/refresh", "refresh", refresh, methods=["POST"])
