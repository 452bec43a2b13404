"""The guild staff and system admin pages through the Flask test client."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from tests.http.conftest import ADMIN, GUILD, OTHER, STAFF_ROLE, USER, Env, Keys
from tests.http.test_dashboard_pages import csrf_of, html, sign_in
from tracker_core.guilds import User
from tracker_core.mmr import MmrInputs, PlayerRating
from tracker_core.model import ScrapingLog

PLAYER = "555555555555555555"
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def league(env: Env) -> dict[str, str]:
    """A guild where USER is staff, OTHER and PLAYER members with trackers; PLAYER has MMR."""
    env.add_guild(members={USER: (STAFF_ROLE,), OTHER: (), PLAYER: ()})
    (bob,) = env.register(OTHER, "bob")
    (eve,) = env.register(PLAYER, "eve")
    store = env.uow.committed
    store.users[PLAYER] = User(id=PLAYER, username="=HYPERLINK(1)", created_at=NOW, updated_at=NOW)
    store.ratings[(GUILD, PLAYER)] = PlayerRating(
        guild_id=GUILD, user_id=PLAYER, tracker_id=eve["id"], mmr=1234, algorithm="ASCENDANCY",
        inputs=MmrInputs(twos=1500, twos_games=120, threes_games=30), calculated_at=NOW,
    )  # fmt: skip
    return {"bob": bob["id"], "eve": eve["id"]}


def test_roster_lists_members_trackers_status_mmr_and_games(env: Env, keys: Keys) -> None:
    ids = league(env)
    sign_in(env, keys)
    page = html(env.client.flask.get(f"/guilds/{GUILD}"))
    assert "3 of 3 current members" in page
    assert f"/trackers/{ids['bob']}" in page and "badge-pending" in page
    assert "1234" in page and "<td>150</td>" in page
    assert page.index("1234") < page.index(OTHER)  # MMR, high to low, by default
    assert "=HYPERLINK(1)" in page  # shown as text on the page


def test_roster_filters_and_sorts(env: Env, keys: Keys) -> None:
    league(env)
    sign_in(env, keys)
    client = env.client.flask
    only = html(client.get(f"/guilds/{GUILD}", query_string={"q": "2222"}))
    assert "1 of 3 current members" in only
    by_name = html(client.get(f"/guilds/{GUILD}", query_string={"sort": "name", "order": "asc"}))
    assert by_name.index(USER) < by_name.index(OTHER)
    none = html(client.get(f"/guilds/{GUILD}", query_string={"status": "FAILED"}))
    assert "Nothing found." in none
    bad = client.get(f"/guilds/{GUILD}", query_string={"sort": "bogus"})
    assert bad.status_code == 400 and "sort must be one of" in html(bad)


def test_roster_csv_keeps_cells_as_text(env: Env, keys: Keys) -> None:
    league(env)
    sign_in(env, keys)
    response = env.client.flask.get(f"/guilds/{GUILD}/roster.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    eve = next(r for r in rows if r["userId"] == PLAYER)
    assert eve["name"] == "'=HYPERLINK(1)" and eve["mmr"] == "1234" and eve["games"] == "150"
    assert len(rows) == 3


def test_roster_and_settings_are_for_the_guilds_staff(env: Env, keys: Keys) -> None:
    league(env)
    sign_in(env, keys, OTHER)
    client = env.client.flask
    for path in (f"/guilds/{GUILD}", f"/guilds/{GUILD}/roster.csv", f"/guilds/{GUILD}/formula"):
        assert client.get(path).status_code == 403, path
    assert "You hold no admin role" in html(client.get("/guilds"))
    sign_in(env, keys, ADMIN)
    assert client.get(f"/guilds/{GUILD}").status_code == 200
    assert client.get("/guilds/777777777777777777").status_code == 404


def test_formula_is_validated_and_tried_on_sample_data(env: Env, keys: Keys) -> None:
    league(env)
    sign_in(env, keys)
    client = env.client.flask
    assert "My guilds" not in html(client.get("/guilds")) and "League" in html(
        client.get("/guilds")
    )
    page = html(client.get(f"/guilds/{GUILD}/formula", query_string={"formula": "twos * 2"}))
    assert "ASCENDANCY" in page and "Valid formula" in page and "<code>twos</code>" in page
    bad = html(client.get(f"/guilds/{GUILD}/formula/check", query_string={"formula": "twos *"}))
    assert "Invalid formula" in bad and "<html" not in bad
    evil = html(client.get(f"/guilds/{GUILD}/formula/check", query_string={"formula": "<b>"}))
    assert "<b>" not in evil
    long = client.get(f"/guilds/{GUILD}/formula", query_string={"formula": "1+" * 600})
    assert long.status_code == 400 and "formula must be at most" in html(long)


def test_admin_page_is_for_system_admins(env: Env, keys: Keys) -> None:
    (tracker,) = env.register(OTHER, "bob")
    env.uow.committed.scraping_logs.append(
        ScrapingLog(
            id="clog00000000000000000000001",
            tracker_id=tracker["id"],
            status="FAILED",
            seasons_scraped=0,
            seasons_failed=1,
            error_message="<b>Cloudflare</b> challenge",
            error_category="CLOUDFLARE",
            started_at=NOW,
            completed_at=NOW,
        )
    )
    sign_in(env, keys, USER)
    assert env.client.flask.get("/admin").status_code == 403
    assert 'href="/admin"' not in html(env.client.flask.get("/"))
    sign_in(env, keys, ADMIN)
    page = html(env.client.flask.get("/admin"))
    assert "Queue depth" in page and "PENDING" in page and "CLOUDFLARE" in page
    assert "&lt;b&gt;Cloudflare&lt;/b&gt;" in page
    assert "<strong>CLOUDFLARE</strong> 1" in page


def test_admin_batch_refresh_queues_pending_trackers(env: Env, keys: Keys) -> None:
    (tracker,) = env.register(OTHER, "bob")
    env.queue.jobs.clear()
    sign_in(env, keys, USER)
    client = env.client.flask
    token = csrf_of(client.get("/"))
    assert client.post("/admin/refresh", data={"csrf_token": token}).status_code == 403
    sign_in(env, keys, ADMIN)
    token = csrf_of(client.get("/admin"))
    assert client.post("/admin/refresh").status_code == 403  # no CSRF token
    done = client.post("/admin/refresh", data={"csrf_token": token})
    assert done.status_code == 303 and "queued=1" in done.headers["Location"]
    assert tracker["id"] in env.queue.jobs
    assert "1 tracker queued." in html(client.get(done.headers["Location"]))


def test_process_this_guild_queues_and_shows_progress(env: Env, keys: Keys) -> None:
    ids = league(env)
    env.queue.jobs.clear()
    sign_in(env, keys)
    client = env.client.flask
    page = client.get(f"/guilds/{GUILD}")
    assert "0 of 2 trackers completed" in html(page) and "data-autorefresh" in html(page)
    assert client.post(f"/guilds/{GUILD}/process").status_code == 403  # no CSRF token
    done = client.post(f"/guilds/{GUILD}/process", data={"csrf_token": csrf_of(page)})
    assert done.status_code == 303 and "queued=2" in done.headers["Location"]
    assert set(env.queue.jobs) == {ids["bob"], ids["eve"]}
    assert "2 trackers queued." in html(client.get(done.headers["Location"]))
    sign_in(env, keys, OTHER)
    refused = client.post(f"/guilds/{GUILD}/process", data={"csrf_token": csrf_of(page)})
    assert refused.status_code == 403


def test_schedules_are_listed_created_and_cancelled(env: Env, keys: Keys) -> None:
    league(env)
    sign_in(env, keys)
    client = env.client.flask
    page = client.get(f"/guilds/{GUILD}/schedules")
    assert "Nothing found." in html(page)
    token = csrf_of(page)
    path = f"/guilds/{GUILD}/schedules"
    past = client.post(path, data={"csrf_token": token, "scheduledAt": "2025-01-01T00:00"})
    assert past.status_code == 400 and "must be in the future" in html(past)
    garbage = client.post(path, data={"csrf_token": token, "scheduledAt": "soon"})
    assert garbage.status_code == 400 and "scheduledAt must be a date" in html(garbage)
    made = client.post(
        path, data={"csrf_token": token, "scheduledAt": "2026-02-01T18:30", "reason": "<i>S35</i>"}
    )
    assert made.status_code == 303
    listed = html(client.get(path))
    assert "2026-02-01 18:30:00 UTC" in listed and "PENDING" in listed
    assert "&lt;i&gt;S35&lt;/i&gt;" in listed
    (schedule_id,) = env.uow.committed.schedules
    cancel = f"{path}/{schedule_id}/cancel"
    assert client.post(cancel, data={"csrf_token": token}).status_code == 303
    assert "CANCELLED" in html(client.get(path))
    assert (
        client.post(
            f"{path}/c999999999999999999999999/cancel", data={"csrf_token": token}
        ).status_code
        == 404
    )


def test_settings_form_saves_through_the_core_validation(env: Env, keys: Keys) -> None:
    league(env)
    sign_in(env, keys)
    client = env.client.flask
    path = f"/guilds/{GUILD}/settings"
    token = csrf_of(client.get(f"/guilds/{GUILD}/formula"))
    form = {
        "csrf_token": token,
        "algorithm": "CUSTOM",
        "customFormula": "twos * 2",
        **{f"weights.{k}": "0.25" for k in ("ones", "twos", "threes", "fours")},
        **{f"minGamesPlayed.{k}": "10" for k in ("ones", "twos", "threes", "fours")},
    }
    saved = client.post(path, data=form)
    assert saved.status_code == 303 and "saved=1" in saved.headers["Location"]
    stored = env.uow.committed.settings[GUILD]
    assert stored.mmr.algorithm == "CUSTOM" and stored.mmr.custom_formula == "twos * 2"
    assert stored.tracker_processing_enabled is False  # the unchecked box
    assert stored.admin_roles == (STAFF_ROLE,)  # untouched
    page = html(client.get(saved.headers["Location"]))
    assert "Settings saved" in page and 'value="twos * 2"' in page
    broken = client.post(path, data={**form, "customFormula": "twos *"})
    assert broken.status_code == 400 and "Unexpected end of formula" in html(broken)
    nan = client.post(path, data={**form, "weights.ones": "abc"})
    assert nan.status_code == 400 and "weights.ones must be a number" in html(nan)
    assert env.uow.committed.settings[GUILD].mmr.custom_formula == "twos * 2"
    sign_in(env, keys, OTHER)
    assert client.post(path, data=form).status_code == 403


def test_a_big_roster_is_paged_within_the_page_budget(env: Env, keys: Keys) -> None:
    members: dict[str, tuple[str, ...]] = {USER: (STAFF_ROLE,)}
    members |= {f"{700000000000000000 + i}": () for i in range(450)}
    env.add_guild(members=members)
    sign_in(env, keys)
    client = env.client.flask
    first = client.get(f"/guilds/{GUILD}", query_string={"sort": "name"})
    page = html(first)
    assert len(first.data) < 250 * 1024
    assert "451 of 451 current members, page 1 of 5" in page and "Next →" in page
    last = html(client.get(f"/guilds/{GUILD}", query_string={"sort": "name", "page": 5}))
    assert (
        "← Previous" in last and "Next →" not in last and last.count('<tr><th scope="row">') == 51
    )
    beyond = client.get(f"/guilds/{GUILD}", query_string={"page": 6})
    assert beyond.status_code == 400 and "page must be between 1 and 5" in html(beyond)
    rows = client.get(f"/guilds/{GUILD}/roster.csv").get_data(as_text=True).splitlines()
    assert len(rows) == 452


HOOK = "https://discord.com/api/webhooks/555/SECRET-hook-token"


def test_notifications_form_keeps_the_webhook_token_hidden_and_saves(env: Env, keys: Keys) -> None:
    league(env)
    sign_in(env, keys)
    client = env.client.flask
    path = f"/guilds/{GUILD}/settings/notifications"
    token = csrf_of(client.get(f"/guilds/{GUILD}/formula"))
    form = {
        "csrf_token": token,
        "notifications.webhookUrl": HOOK,
        "notifications.minRatingChange": "25",
        "notifications.notifyOnFailure": "on",
    }
    saved = client.post(path, data=form)
    assert saved.status_code == 303 and "saved=notifications" in saved.headers["Location"]
    stored = env.uow.committed.settings[GUILD].notifications
    assert (stored.webhook_url, stored.min_rating_change, stored.notify_on_failure) == (
        HOOK, 25, True,
    )  # fmt: skip
    page = html(client.get(saved.headers["Location"]))
    assert "Notification settings saved" in page
    assert (
        "SECRET" not in page and 'value="https://discord.com/api/webhooks/555/[REDACTED]"' in page
    )

    # the page's masked URL sent back (or a blank field) keeps the stored webhook
    masked = {**form, "notifications.webhookUrl": "https://discord.com/api/webhooks/555/[REDACTED]"}
    assert (
        client.post(path, data={**masked, "notifications.minRatingChange": "30"}).status_code == 303
    )
    assert client.post(path, data={**form, "notifications.webhookUrl": ""}).status_code == 303
    assert env.uow.committed.settings[GUILD].notifications.webhook_url == HOOK

    bad = client.post(
        path,
        data={**form, "notifications.webhookUrl": "discord", "notifications.minRatingChange": "-1"},
    )
    assert bad.status_code == 400
    text = html(bad)
    assert (
        'id="err-notifications-minRatingChange"' in text
        or 'id="err-notifications-webhookUrl"' in text
    )
    assert env.uow.committed.settings[GUILD].notifications.min_rating_change == 25  # unchanged

    unticked = {k: v for k, v in form.items() if k != "notifications.notifyOnFailure"}
    removed = client.post(path, data={**unticked, "notifications.removeWebhook": "on"})
    assert removed.status_code == 303
    stored = env.uow.committed.settings[GUILD].notifications
    assert stored.webhook_url is None and stored.notify_on_failure is False
    sign_in(env, keys, OTHER)
    assert client.post(path, data=form).status_code == 403


def test_settings_history_page_lists_every_change_with_its_actor(env: Env, keys: Keys) -> None:
    league(env)
    env.uow.committed.users[USER] = User(
        id=USER, username="staffer", created_at=NOW, updated_at=NOW
    )
    sign_in(env, keys)
    client = env.client.flask
    env.client.patch(
        f"/internal/guilds/{GUILD}/settings", bot=True, json={"notifications": {"webhookUrl": HOOK}}
    )
    env.clock.advance(minutes=1)
    token = csrf_of(client.get(f"/guilds/{GUILD}/formula"))
    form = {"csrf_token": token, "notifications.minRatingChange": "40"}
    assert client.post(f"/guilds/{GUILD}/settings/notifications", data=form).status_code == 303

    page = html(client.get(f"/guilds/{GUILD}/settings/history"))
    assert "2 changes, newest first" in page
    assert page.index("&#34;minRatingChange&#34;: 40") < page.index("&#34;webhookUrl&#34;")
    assert f'staffer <span class="muted">{USER}</span>' in page and "<td>dashboard</td>" in page
    assert "<td>bot</td>" in page and "SECRET" not in page  # the audit keeps no token
    assert client.get(f"/guilds/{GUILD}/settings/history?page=0").status_code == 400
    sign_in(env, keys, OTHER)
    assert client.get(f"/guilds/{GUILD}/settings/history").status_code == 403
