"""What every input must be before any code reads it: JSON of bounded depth with finite
numbers, and text without NUL characters or lone surrogates.

PostgreSQL cannot store NUL in text or JSONB, nor a lone surrogate (it is not UTF-8); Python's
``json`` recurses once per nesting level; ``1e400`` parses as ``inf``. Each of these would
fail deep inside the service (or in the audit log) as a 500, so the HTTP layer refuses them
with 400 up front, in every deployment mode.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

from entrypoints.http.constraints import join
from tracker_core.errors import FieldError, ValidationError

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects a request body may have."""
MAX_NUMBER_DIGITS = 308
"""Longest integer literal (beyond it the value would overflow a float to infinity)."""
BODY_NOT_JSON = "Request body must be valid JSON"
TOO_DEEP = f"must not be nested more than {MAX_DEPTH} levels deep"
NOT_FINITE = "numbers must be finite (no NaN, Infinity or values beyond 1e308)"
HAS_NUL = "must not contain NUL characters"
HAS_SURROGATE = "must not contain unpaired surrogates"
REPLACEMENT = "\ufffd"
MAX_REPORTED = 10

_UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")
_STRUCTURAL = re.compile(rb'[\[\]{}"\\]')


def text_problem(value: str) -> str | None:
    """Why ``value`` may not enter the service (NUL or a lone surrogate), else None."""
    found = _UNSAFE_TEXT.search(value)
    if found is None:
        return None
    return HAS_NUL if found.group() == "\x00" else HAS_SURROGATE


def clean_text(value: str) -> str:
    """``value`` with NUL characters and lone surrogates replaced by U+FFFD (for logs)."""
    return _UNSAFE_TEXT.sub(REPLACEMENT, value)


def too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON text ``raw`` nests arrays/objects deeper than ``limit``.

    A flat scan (no recursion, no parse) over the structural characters only: brackets
    inside strings do not count, escapes are skipped.
    """
    depth = 0
    in_string = False
    skip_to = -1
    for match in _STRUCTURAL.finditer(raw):
        at = match.start()
        if at < skip_to:
            continue
        char = raw[at]
        if in_string:
            if char == 0x5C:  # backslash: the next character is escaped
                skip_to = at + 2
            elif char == 0x22:
                in_string = False
        elif char == 0x22:
            in_string = True
        elif char in b"[{":
            depth += 1
            if depth > limit:
                return True
        elif char in b"]}":
            depth -= 1
    return False


class _NotFiniteError(ValueError):
    """A number literal that is valid JSON but would be infinite as a float."""


def _invalid(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFiniteError(text)
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _NotFiniteError(text)
    return int(text)


def _body_error(message: str) -> ValidationError:
    return ValidationError([FieldError("body", message)])


def decode_json(raw: bytes) -> Any:
    """Strict JSON of bounded depth with finite numbers; an empty body is ``{}``.

    Strings may still hold NUL or lone surrogates (see :func:`check_text`).

    Raises:
        ValidationError: not JSON (``Request body must be valid JSON``), too deep, or a
            number that is not finite.
    """
    if not raw.strip():
        return {}
    if too_deep(raw):
        raise _body_error(TOO_DEEP)
    try:
        return json.loads(
            raw, parse_constant=_invalid, parse_float=_finite_float, parse_int=_bounded_int
        )
    except _NotFiniteError:
        raise _body_error(NOT_FINITE) from None
    except (ValueError, RecursionError):
        error = FieldError("body", BODY_NOT_JSON)
        raise ValidationError([error], message=BODY_NOT_JSON) from None


def text_errors(data: Any, root: str = "") -> list[FieldError]:
    """A field error for each string (key or value) of ``data`` holding NUL or a lone
    surrogate, at most ``MAX_REPORTED``; walks without recursion."""
    errors: list[FieldError] = []
    stack: list[tuple[str, Any]] = [(root, data)]
    while stack and len(errors) < MAX_REPORTED:
        path, value = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem is not None:
                errors.append(FieldError(clean_text(path) or "body", problem))
        elif isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                where = join(path, str(key))
                problem = text_problem(str(key))
                if problem is not None:
                    errors.append(FieldError(clean_text(where), "name " + problem))
                stack.append((where, item))
        elif isinstance(value, list):
            stack.extend((join(path, i), item) for i, item in reversed(list(enumerate(value))))
    return errors[:MAX_REPORTED]


def check_text(data: Any) -> None:
    """Raises ValidationError (400) when a string of ``data`` holds NUL or a lone surrogate."""
    errors = text_errors(data)
    if errors:
        raise ValidationError(errors)


def check_url(path: str, args: Iterable[tuple[str, str]]) -> None:
    """Reject a request path or query parameter holding NUL or a lone surrogate.

    Raises:
        ValidationError: naming the path or each offending parameter.
    """
    errors: list[FieldError] = []
    problem = text_problem(path)
    if problem is not None:
        errors.append(FieldError("path", problem))
    for name, value in args:
        problem = text_problem(name) or text_problem(value)
        if problem is not None:
            errors.append(FieldError(clean_text(name) or "query", problem))
    if errors:
        raise ValidationError(errors[:MAX_REPORTED])
