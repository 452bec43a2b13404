"""The error table, 500/503 answers, the audit log and its redaction, and secret hygiene."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from dependency_injector import providers

from entrypoints.http.audit import sanitize
from entrypoints.http.errors import ERROR_STATUS, status_for
from entrypoints.http.requests import BotAddBody
from tests.fakes import FakeUnitOfWork
from tests.http.conftest import ADMIN, GUILD, INTERACTION_TOKEN, USER, Env, trn
from tracker_core import errors


class BrokenUnitOfWork(FakeUnitOfWork):
    """A unit of work whose transactions fail with ``error``."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def __enter__(self) -> Any:
        raise self.error


def test_every_core_error_class_has_a_status() -> None:
    expected = {
        errors.ValidationError: 400,
        errors.InvalidTrackerUrlError: 400,
        errors.InvalidFormulaError: 400,
        errors.AlreadyRegisteredError: 400,
        errors.LimitReachedError: 400,
        errors.IllegalTransitionError: 400,
        errors.UnauthorizedError: 401,
        errors.ForbiddenError: 403,
        errors.NotFoundError: 404,
        errors.ConflictError: 409,
        errors.RateLimitedError: 429,
        errors.StorageUnavailableError: 503,
        errors.QueueUnavailableError: 503,
    }
    assert {cls: status_for(cls) for cls in expected} == expected
    assert set(ERROR_STATUS.values()) == {400, 401, 403, 404, 409, 429, 503}


def test_unexpected_errors_are_500_without_internals(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    env.container.uow.override(providers.Object(BrokenUnitOfWork(RuntimeError("db password=x"))))
    with caplog.at_level(logging.ERROR, logger="trackers.http"):
        response = env.client.get("/api/trackers/me", as_user=USER)
    assert response.status_code == 500
    body = response.get_json()
    assert (body["message"], body["code"]) == ("Internal server error", "INTERNAL_ERROR")
    assert "password" not in response.get_data(as_text=True)
    assert any(r.exc_info and "db password" in str(r.exc_info[1]) for r in caplog.records)


def test_database_unavailable_is_503(env: Env) -> None:
    env.container.uow.override(
        providers.Object(BrokenUnitOfWork(errors.StorageUnavailableError("Database unavailable")))
    )
    response = env.client.get("/api/trackers/me", as_user=USER)
    assert (response.status_code, response.get_json()["message"]) == (503, "Database unavailable")
    health = env.client.get("/health")
    assert health.status_code == 503
    assert health.get_json()["checks"]["database"] == {
        "status": "down",
        "error": "Database unavailable",
    }


def test_failed_audit_write_does_not_change_the_answer(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    env.container.uow.override(
        providers.Object(BrokenUnitOfWork(errors.StorageUnavailableError("Database unavailable")))
    )
    with caplog.at_level(logging.ERROR, logger="trackers.http.audit"):
        response = env.client.post("/internal/trackers/process-pending", bot=True)
    assert response.status_code == 503
    assert "audit row of POST /internal/trackers/process-pending not written" in caplog.text


def test_every_mutating_call_is_audited_and_reads_are_not(env: Env) -> None:
    tracker_id = env.register(USER)[0]["id"]
    env.client.get("/api/trackers/me", as_user=USER)
    env.client.put(f"/api/trackers/{tracker_id}", as_user=USER, json={"displayName": "x"})
    env.client.delete(f"/api/trackers/{tracker_id}")
    rows = [(r["actor"], r["method"], r["path"], r["status"]) for r in env.uow.committed.audit]
    assert rows == [
        (USER, "POST", "/api/trackers/register", 201),
        (USER, "PUT", f"/api/trackers/{tracker_id}", 200),
        (None, "DELETE", f"/api/trackers/{tracker_id}", 401),
    ]
    assert env.uow.committed.audit[1]["body"] == {"displayName": "x"}
    assert env.uow.committed.audit[0]["at"] == env.clock.now()


def test_audit_redacts_the_interaction_token(env: Env) -> None:
    env.client.post(
        "/internal/trackers/register-multiple",
        bot=True,
        json={"userId": USER, "urls": [trn("a")], "interactionToken": INTERACTION_TOKEN},
    )
    row = env.uow.committed.audit[-1]
    assert (row["actor"], row["status"]) == ("bot", 201)
    assert row["body"]["interactionToken"] == "[REDACTED]"
    assert INTERACTION_TOKEN not in repr(env.uow.committed.audit)


def test_audit_redacts_secrets_of_rejected_bodies(env: Env) -> None:
    env.client.post(
        "/internal/trackers/add",
        bot=True,
        json={"userId": "x", "url": "y", "interactionToken": INTERACTION_TOKEN, "apiKey": "k"},
    )
    body = env.uow.committed.audit[-1]["body"]
    assert (body["interactionToken"], body["apiKey"]) == ("[REDACTED]", "[REDACTED]")


def test_sanitize_redacts_secret_keys_at_any_depth() -> None:
    body = {
        "interactionToken": "t",
        "accessToken": "a",
        "refresh_token": "r",
        "nested": {"client_secret": "s", "list": [{"Password": "p", "name": "keep"}]},
        "Authorization": "Bearer x",
        "apiKey": "k",
        "notifications": {"webhookUrl": "https://discord.com/api/webhooks/1/abc"},
        "urls": ["keep"],
    }
    assert sanitize(body) == {
        "interactionToken": "[REDACTED]",
        "accessToken": "[REDACTED]",
        "refresh_token": "[REDACTED]",
        "nested": {
            "client_secret": "[REDACTED]",
            "list": [{"Password": "[REDACTED]", "name": "keep"}],
        },
        "Authorization": "[REDACTED]",
        "apiKey": "[REDACTED]",
        "notifications": {"webhookUrl": "[REDACTED]"},
        "urls": ["keep"],
    }


def test_no_answer_or_log_line_carries_the_interaction_token(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    env.add_guild(GUILD, {USER: ()})
    trackers = env.client.post(
        "/internal/trackers/register-multiple",
        bot=True,
        json={"userId": USER, "urls": [trn("a"), trn("b")], "interactionToken": INTERACTION_TOKEN},
    ).get_json()
    tracker_id = trackers[0]["id"]
    env.client.post(
        "/internal/trackers/add",
        bot=True,
        json={"userId": USER, "url": trn("c"), "interactionToken": INTERACTION_TOKEN},
    )
    for path in (
        "/api/trackers",
        "/api/trackers/me",
        f"/api/trackers/user/{USER}",
        f"/api/trackers/{tracker_id}",
        f"/api/trackers/{tracker_id}/detail",
        f"/api/trackers/{tracker_id}/status",
        "/api/admin/trackers",
        "/api/admin/trackers/scraping-logs",
    ):
        assert env.client.get(path, as_user=ADMIN).status_code == 200
    env.client.post(f"/api/trackers/{tracker_id}/refresh", as_user=USER)
    env.client.put(f"/api/trackers/{tracker_id}", as_user=USER, json={})
    env.client.post("/internal/trackers/process", bot=True, json={"guildId": GUILD})
    env.client.delete(f"/api/trackers/{tracker_id}", as_user=USER)
    assert len(env.client.seen) >= 14
    assert INTERACTION_TOKEN not in caplog.text


def test_request_objects_do_not_show_the_interaction_token() -> None:
    body = BotAddBody(user_id=USER, url=trn("a"), interaction_token=INTERACTION_TOKEN)
    assert INTERACTION_TOKEN not in repr(body)
