"""Server logs without credentials.

A client that puts its token in the query string (``?token=…``) is refused, but the request
line still reaches the access log. Both HTTP servers ``trackers serve`` runs write their lines
through this module:

- gunicorn (production mode) with :class:`RedactingGunicornLogger` as its ``logger_class``;
- werkzeug (embedded mode) with :class:`RedactingRequestHandler` as its request handler.

In every line the value of a credential-like query parameter (:data:`CREDENTIAL_PARAMETERS`,
case-insensitive, percent-encoded names included) becomes ``[REDACTED]``, and so does the value
of a credential header (:data:`SECRET_HEADERS`) wherever a log format asks for one. The path
and the other parameters stay, so a line still says which request it was.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote_plus

from gunicorn.glogging import Logger as GunicornLogger
from werkzeug.serving import WSGIRequestHandler

REDACTED = "[REDACTED]"

CREDENTIAL_PARAMETERS = frozenset(
    {
        "token",
        "access_token",
        "auth_token",
        "refresh_token",
        "id_token",
        "jwt",
        "key",
        "api_key",
        "apikey",
        "password",
        "secret",
        "client_secret",
    }
)
"""Query parameters whose values are never logged (compared in lower case)."""

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
"""Headers whose values are never logged (request or response)."""

_PAIR = re.compile(r"(?P<lead>^|[?&;])(?P<name>[^=&;?#\s\"']+)=(?P<value>[^&#\s\"']*)")
_SECRET_ENVIRON = frozenset("http_" + h.replace("-", "_") for h in SECRET_HEADERS)


def _replace(match: re.Match[str]) -> str:
    name = unquote_plus(match["name"]).strip().lower()
    if name not in CREDENTIAL_PARAMETERS or not match["value"]:
        return match[0]
    return f"{match['lead']}{match['name']}={REDACTED}"


def redact(text: str) -> str:
    """``text`` (a URL, a query string, a request line, a log message) without credentials.

    >>> redact("GET /health?Token=abc&page=2 HTTP/1.1")
    'GET /health?Token=[REDACTED]&page=2 HTTP/1.1'
    """
    if "=" not in text:
        return text
    return _PAIR.sub(_replace, text)


def _secret_atom(name: str) -> bool:
    """Whether a gunicorn atom (``{authorization}i``, ``{http_cookie}e``…) names a secret."""
    if not name.startswith("{") or name[-2:] not in ("}i", "}o", "}e"):
        return False
    inner = name[1:-2].lower()
    return inner in SECRET_HEADERS or inner in _SECRET_ENVIRON


def redact_atoms(atoms: dict[str, Any]) -> dict[str, Any]:
    """gunicorn's access-log atoms with every credential replaced."""
    clean: dict[str, Any] = {}
    for name, value in atoms.items():
        if _secret_atom(name):
            clean[name] = REDACTED
        elif isinstance(value, str):
            clean[name] = redact(value)
        else:
            clean[name] = value
    if clean.get("u", "-") != "-":
        clean["u"] = REDACTED  # the user name of a Basic Authorization header
    return clean


class RedactingFilter(logging.Filter):
    """Replaces a record's message by its redacted text (for loggers we do not format)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the message in place; never drops a record."""
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RedactingGunicornLogger(GunicornLogger):  # type: ignore[misc]
    """gunicorn's logger: access lines from redacted atoms, error lines through the filter."""

    def setup(self, cfg: Any) -> None:
        """gunicorn's setup (also run on reload), plus the filter on its error log."""
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactingFilter) for f in logger.filters):
                logger.addFilter(RedactingFilter())

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        """The atoms of one access line, without credentials."""
        return redact_atoms(super().atoms(resp, req, environ, request_time))


class RedactingRequestHandler(WSGIRequestHandler):
    """werkzeug's request handler whose log lines (access and errors) are redacted."""

    def log(self, type: str, message: str, *args: Any) -> None:
        """Format the line, redact it, then log it as werkzeug does."""
        text = message % args if args else message
        super().log(type, "%s", redact(text))
