"""Credentials never reach a server log line: the redaction rule and both servers' hooks."""

from __future__ import annotations

import base64
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from gunicorn.config import Config
from hypothesis import assume, given
from hypothesis import strategies as st

from entrypoints.runtime.access_log import (
    CREDENTIAL_PARAMETERS,
    REDACTED,
    RedactingFilter,
    RedactingGunicornLogger,
    RedactingRequestHandler,
    redact,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/health?token=s3cret", f"/health?token={REDACTED}"),
        ("GET /a?x=1&TOKEN=s3cret&y=2 HTTP/1.1", f"GET /a?x=1&TOKEN={REDACTED}&y=2 HTTP/1.1"),
        ("access_token=s3cret", f"access_token={REDACTED}"),
        ("/a?Auth_Token=s3cret", f"/a?Auth_Token={REDACTED}"),
        ("/a?jwt=aaa.bbb.ccc", f"/a?jwt={REDACTED}"),
        ("/a?key=s3cret&api_key=other", f"/a?key={REDACTED}&api_key={REDACTED}"),
        ("/a?%74oken=s3cret", f"/a?%74oken={REDACTED}"),
        ("/a?api%5Fkey=s3cret", f"/a?api%5Fkey={REDACTED}"),
        ("/a?token=s3cret#frag", f"/a?token={REDACTED}#frag"),
        ('"GET /a?token=s3cret HTTP/1.1" 401', f'"GET /a?token={REDACTED} HTTP/1.1" 401'),
        ("/a?monkey=banana&tokens=2&keyword=x", "/a?monkey=banana&tokens=2&keyword=x"),
        ("/a?token=&page=2", "/a?token=&page=2"),
        ("/api/trackers/c123", "/api/trackers/c123"),
        ("https://dash.example/?token=s3cret", f"https://dash.example/?token={REDACTED}"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


_SECRET = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~%+=:/",
    min_size=6,
    max_size=60,
)


@given(
    name=st.sampled_from(sorted(CREDENTIAL_PARAMETERS)).flatmap(
        lambda n: st.sampled_from([n, n.upper(), n.title()])
    ),
    secret=_SECRET,
    before=st.booleans(),
)
def test_no_credential_survives_in_a_request_line(name: str, secret: str, before: bool) -> None:
    query = f"page=2&{name}={secret}" if before else f"{name}={secret}&page=2"
    line = f'127.0.0.1 - - "GET /api/trackers?{query} HTTP/1.1" 401 -'
    assume(secret not in line.replace(f"{name}={secret}", ""))
    cleaned = redact(line)
    assert secret not in cleaned
    assert "GET /api/trackers?" in cleaned and "page=2" in cleaned


class _Response:
    status = "401 UNAUTHORIZED"
    sent = 42
    headers = (("Content-Type", "application/json"), ("Set-Cookie", "auth_token=resp-secret"))


def _gunicorn_line(tmp_path: Path, log_format: str, environ: dict[str, str]) -> str:
    log_file = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(log_file))
    cfg.set("access_log_format", log_format)
    logger = RedactingGunicornLogger(cfg)
    headers = [
        (key[5:].replace("_", "-").upper(), value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]

    class Request:
        pass

    request = Request()
    request.headers = headers  # type: ignore[attr-defined]
    logger.access(_Response(), request, environ, timedelta(milliseconds=3))
    for handler in logger.access_log.handlers:
        handler.flush()
    return log_file.read_text()


def _environ(**extra: str) -> dict[str, str]:
    base = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/api/trackers?token=query-secret&page=2",
        "PATH_INFO": "/api/trackers",
        "QUERY_STRING": "token=query-secret&page=2",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    return base | extra


def test_gunicorn_default_access_line(tmp_path: Path) -> None:
    basic = base64.b64encode(b"basic-user:basic-pass").decode()
    environ = _environ(
        HTTP_AUTHORIZATION=f"Basic {basic}",
        HTTP_REFERER="https://dash.example/?access_token=referer-secret",
    )
    line = _gunicorn_line(tmp_path, Config().access_log_format, environ)
    assert f'"GET /api/trackers?token={REDACTED}&page=2 HTTP/1.1" 401 42' in line
    assert f"https://dash.example/?access_token={REDACTED}" in line
    for secret in ("query-secret", "referer-secret", "basic-user", "basic-pass", basic):
        assert secret not in line


def test_gunicorn_header_and_environ_atoms(tmp_path: Path) -> None:
    log_format = (
        '%(U)s %(q)s "%({authorization}i)s" "%({Cookie}i)s" "%({set-cookie}o)s" '
        '"%({http_authorization}e)s" "%({http_cookie}e)s" "%({raw_uri}e)s" "%({x-trace}i)s"'
    )
    environ = _environ(
        HTTP_AUTHORIZATION="Bearer header-secret",
        HTTP_COOKIE="auth_token=cookie-secret",
        HTTP_X_TRACE="trace-1",
    )
    line = _gunicorn_line(tmp_path, log_format, environ)
    for secret in ("query-secret", "header-secret", "cookie-secret", "resp-secret"):
        assert secret not in line
    assert line.startswith(f"/api/trackers token={REDACTED}&page=2 ")
    assert line.count(REDACTED) == 7
    assert '"trace-1"' in line


def test_filter_redacts_formatted_messages(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.access_log.filter")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("Error handling request %s", "/a?jwt=filter-secret")
        logger.info("plain %d%%", 5)
    assert caplog.messages == [f"Error handling request /a?jwt={REDACTED}", "plain 5%"]


def _handler(path: str) -> Any:
    handler = RedactingRequestHandler.__new__(RedactingRequestHandler)
    handler.client_address = ("127.0.0.1", 40000)
    handler.command = "GET"
    handler.path = path
    handler.request_version = "HTTP/1.1"
    handler.requestline = f"GET {path} HTTP/1.1"
    return handler


def test_werkzeug_request_and_error_lines(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        _handler("/api/trackers?Api_Key=wz-secret&page=2").log_request(401, 57)
        _handler("/x").log_error("code %d, message %s", 400, "Bad request ('GET /?key=bad-secret')")
    text = caplog.text
    assert f"GET /api/trackers?Api_Key={REDACTED}&page=2 HTTP/1.1" in text
    assert f"Bad request ('GET /?key={REDACTED}')" in text
    assert "wz-secret" not in text and "bad-secret" not in text
