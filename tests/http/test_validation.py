"""Request validation: strict bodies, query parameters, path ids, size limit, framework errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from entrypoints.http.input_limits import HAS_NUL, HAS_SURROGATE, NOT_FINITE, TOO_DEEP, too_deep
from entrypoints.http.requests import OwnTrackersQuery
from entrypoints.http.validation import parse_json, parse_query
from tests.http.conftest import USER, ApiClient, Env, trn
from tracker_core.errors import ValidationError

TRACKER = "c" + "a" * 24


def errors(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["code"] == "VALIDATION_FAILED"
    found: list[dict[str, str]] = body["errors"]
    return found


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        (
            "/api/trackers/register",
            {"urls": [trn("x")], "extra": 1},
            [{"field": "extra", "message": "is not allowed"}],
        ),
        ("/api/trackers/register", {}, [{"field": "urls", "message": "is required"}]),
        (
            "/api/trackers/register",
            {"urls": "x"},
            [{"field": "urls", "message": "must be an array"}],
        ),
        (
            "/api/trackers/register",
            {"urls": [{}]},
            [{"field": "urls[0]", "message": "must be a string"}],
        ),
        ("/api/trackers/add", {"url": 5}, [{"field": "url", "message": "must be a string"}]),
        ("/api/trackers/add", {"url": None}, [{"field": "url", "message": "must be a string"}]),
        ("/api/trackers/add", [trn("x")], [{"field": "body", "message": "must be an object"}]),
    ],
)
def test_bodies_are_structured_strictly(
    client: ApiClient, path: str, body: Any, expected: list[dict[str, str]]
) -> None:
    response = client.post(path, as_user=USER, json=body)
    assert errors(response) == expected
    assert response.get_json()["message"] == "Validation failed"


def test_update_body_types(env: Env) -> None:
    tracker_id = env.register(USER)[0]["id"]
    path = f"/api/trackers/{tracker_id}"
    response = env.client.put(path, as_user=USER, json={"isActive": "false", "displayName": {}})
    assert errors(response) == [
        {"field": "displayName", "message": "must be a string"},
        {"field": "isActive", "message": "must be a boolean"},
    ]
    response = env.client.put(path, as_user=USER, json={"displayName": "x" * 101})
    assert errors(response) == [
        {"field": "displayName", "message": "must be at most 100 characters long"}
    ]
    assert env.uow.committed.trackers[tracker_id].is_active


def test_numbers_are_not_strings_or_booleans(env: Env) -> None:
    tracker_id = env.register(USER)[0]["id"]
    body = {"seasonNumber": "5", "ones": True, "twos": 1.5, "threes": -1}
    response = env.client.post(f"/api/trackers/{tracker_id}/snapshots", as_user=USER, json=body)
    assert errors(response) == [
        {"field": "seasonNumber", "message": "must be an integer"},
        {"field": "ones", "message": "must be an integer"},
        {"field": "twos", "message": "must be an integer"},
    ]
    response = env.client.post(
        f"/api/trackers/{tracker_id}/snapshots", as_user=USER, json={"threes": -1}
    )
    assert errors(response) == [{"field": "threes", "message": "must be at least 0"}]


def test_nested_objects_are_strict(client: ApiClient) -> None:
    body = {"userId": USER, "urls": [trn("x")], "userData": {"username": 5, "token": "x"}}
    response = client.post("/internal/trackers/register-multiple", bot=True, json=body)
    assert errors(response) == [
        {"field": "userData.username", "message": "must be a string"},
        {"field": "userData.token", "message": "is not allowed"},
    ]


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        ("{not json", "application/json", "Request body must be valid JSON"),
        ('{"urls": [NaN]}', "application/json", "Request body must be valid JSON"),
        ('{"urls": []}', "text/plain", "Content-Type must be application/json"),
    ],
)
def test_non_json_bodies_are_400(
    client: ApiClient, data: str, content_type: str, message: str
) -> None:
    response = client.post(
        "/api/trackers/register", as_user=USER, data=data, content_type=content_type
    )
    assert response.status_code == 400
    assert response.get_json()["message"] == message


def test_oversized_body_is_413(make_env: Callable[..., Env]) -> None:
    env = make_env(max_body_bytes=1024)
    response = env.client.post(
        "/api/trackers/register", as_user=USER, json={"urls": [trn("x" * 2000)]}
    )
    assert response.status_code == 413
    body = response.get_json()
    assert (body["code"], body["message"]) == ("PAYLOAD_TOO_LARGE", "Request body is too large")
    assert env.uow.committed.audit[-1]["status"] == 413


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("GET", "/detail"),
        ("GET", "/status"),
        ("GET", "/seasons"),
        ("GET", "/snapshots"),
        ("POST", "/snapshots"),
        ("POST", "/refresh"),
        ("PUT", ""),
        ("DELETE", ""),
    ],
)
@pytest.mark.parametrize(
    "bad", ["123", "C" + "a" * 24, "c" + "a" * 25, "c-aaaaaaaaaaaaaaaaaaaaaaa"]
)
def test_malformed_tracker_ids_are_400(
    client: ApiClient, method: str, suffix: str, bad: str
) -> None:
    response = client.call(method, f"/api/trackers/{bad}{suffix}", as_user=USER, json={})
    assert response.status_code == 400
    assert response.get_json()["message"] == f"Invalid CUID format: {bad}"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("page=0", "page", "must be at least 1"),
        ("page=x", "page", "must be an integer"),
        ("limit=0", "limit", "must be at least 1"),
        ("limit=101", "limit", "must be at most 100"),
        ("isActive=yes", "isActive", "must be one of true, false, 1, 0"),
        ("isActive=False", "isActive", "must be one of true, false, 1, 0"),
        ("status=DONE", "status", "must be one of PENDING, IN_PROGRESS, COMPLETED, FAILED"),
        ("status=PENDING,", "status", "must be one of PENDING, IN_PROGRESS, COMPLETED, FAILED"),
        ("platform=steam", "platform", "must be one of STEAM, EPIC, XBL, PSN, SWITCH"),
        ("sortBy=name", "sortBy", "must be one of createdAt, updatedAt, lastScrapedAt"),
        ("sortOrder=up", "sortOrder", "must be one of asc, desc"),
    ],
)
def test_query_parameters_are_typed(
    client: ApiClient, query: str, field: str, message: str
) -> None:
    response = client.get(f"/api/trackers/me?{query}", as_user=USER)
    assert errors(response) == [{"field": field, "message": message}]


def test_every_bad_query_parameter_is_named(client: ApiClient) -> None:
    response = client.get("/api/trackers?page=0&limit=500&isActive=2", as_user=USER)
    assert {e["field"] for e in errors(response)} == {"page", "limit", "isActive"}


def test_guild_id_query_must_be_a_snowflake(client: ApiClient) -> None:
    response = client.get("/api/trackers?guildId=1", as_user=USER)
    assert response.get_json()["message"] == (
        "Guild ID must be a valid Discord snowflake ID (17-20 digits)"
    )


def test_unknown_path_is_404_in_the_error_shape(client: ApiClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    body = response.get_json()
    assert set(body) == {"statusCode", "timestamp", "path", "method", "message", "code"}
    assert (body["message"], body["code"]) == ("Cannot GET /api/nothing-here", "NOT_FOUND")
    assert body["timestamp"].endswith("Z")


def test_wrong_method_is_405_with_allow(client: ApiClient) -> None:
    response = client.call("PATCH", "/api/trackers/register", as_user=USER)
    assert response.status_code == 405
    assert response.get_json()["code"] == "METHOD_NOT_ALLOWED"
    assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize(
    ("raw", "deep"),
    [
        (b"[" * 64 + b"]" * 64, False),
        (b"[" * 65 + b"]" * 65, True),
        (b'{"a": "' + b"[" * 100 + b'"}', False),  # brackets inside a string do not nest
        (b'["\\"' + b"[" * 100 + b'"]', False),  # nor after an escaped quote
        (b'["\\\\"' + b", [" * 70 + b"]" * 70 + b"]", True),  # an escaped backslash ends
        (b'{"a":' * 64 + b"1" + b"}" * 64, False),
        (b'{"a":' * 65 + b"1" + b"}" * 65, True),
    ],
)
def test_nesting_is_measured_without_parsing(raw: bytes, deep: bool) -> None:
    assert too_deep(raw) is deep


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        (b'{"urls": ["a", "b\\u0000"]}', "urls[1]", HAS_NUL),
        (b'{"x": {"\\u0000": 1}}', "x.\ufffd", "name " + HAS_NUL),
        (b'{"x": "\\ud83d"}', "x", HAS_SURROGATE),
        (b'{"x": "\\ude00 lone low"}', "x", HAS_SURROGATE),
        (b'{"x": 1e400}', "body", NOT_FINITE),
        (b'{"x": -1e309}', "body", NOT_FINITE),
        (b"[" * 1000, "body", TOO_DEEP),
    ],
)
def test_input_limits_name_the_field(raw: bytes, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_json(raw)
    assert [(e.field, e.message) for e in caught.value.errors] == [(field, message)]
    assert caught.value.message == "Validation failed"


def test_paired_surrogates_and_printable_unicode_pass() -> None:
    assert parse_json(b'{"x": "\\ud83d\\ude00 Zo\\u00eb", "n": 1e308}') == {
        "x": "😀 Zoë",
        "n": 1e308,
    }


def test_a_query_without_parameters_is_the_checked_default_built_once() -> None:
    first = parse_query(MultiDict(), OwnTrackersQuery)
    assert first == OwnTrackersQuery()
    assert parse_query(MultiDict(), OwnTrackersQuery) is first
    with pytest.raises(ValidationError):
        parse_query(MultiDict({"limit": "0"}), OwnTrackersQuery)
