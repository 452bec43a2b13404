"""Field constraints of the request classes: declared once as JSON Schema keywords in each
attrs field's metadata, checked on input here and copied into the OpenAPI document."""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from typing import Any

import attrs

from entrypoints.responses.base import camel
from tracker_core.errors import FieldError, ValidationError

SNOWFLAKE_PATTERN = r"^\d{17,20}$"
CUID_PATTERN = r"^c[a-z0-9]{24}$"
GUILD_ID_MESSAGE = "Guild ID must be a valid Discord snowflake ID (17-20 digits)"
USER_ID_MESSAGE = "User ID must be a valid Discord snowflake ID (17-20 digits)"
SNOWFLAKE_MESSAGE = "must be a valid Discord snowflake ID (17-20 digits)"
_PATTERN = "pattern"
MAX_MEMBER_COUNT = 1_000_000
MEMBER_COUNT_NEGATIVE = "Member count cannot be negative"
MEMBER_COUNT_TOO_LARGE = "Member count cannot exceed 1,000,000"


class MemberCount(int):
    """A guild's member count: an integer 0–1,000,000, or a string of digits (the bot sends
    whatever Discord.js gives it)."""


MEMBER_COUNT_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": MAX_MEMBER_COUNT},
        {"type": "string", "pattern": r"^\d{1,7}$"},
    ]
}


def rules(*, message: str | None = None, **schema: Any) -> dict[str, Any]:
    """Field metadata: JSON Schema constraints, checked on input and documented in OpenAPI.

    ``message`` replaces the generic message of a ``pattern`` mismatch (``{value}`` is the
    offending value) and, when it is the request's only error, becomes the top-level message.
    """
    return {"schema": schema, "message": message}


def snowflake_rules(message: str = SNOWFLAKE_MESSAGE) -> dict[str, Any]:
    """Field metadata of a Discord snowflake id (17–20 digits)."""
    return rules(message=message, pattern=SNOWFLAKE_PATTERN)


def join(path: str, part: str | int) -> str:
    """The path of a field or item below ``path``: ``a.b``, ``a[0]``."""
    if isinstance(part, int):
        return f"{path}[{part}]"
    return f"{path}.{part}" if path else part


def failure(errors: list[FieldError], headlines: list[str | None]) -> ValidationError:
    """``Validation failed``, or a lone error's own headline message."""
    if len(errors) == 1 and headlines[0] is not None:
        return ValidationError(errors, message=headlines[0])
    return ValidationError(errors)


_Checked = tuple[tuple[str, str, Mapping[str, Any], str | None], ...]
_CHECKED: dict[type, _Checked] = {}


def _checked_fields(cls: type) -> _Checked:
    """Per attrs class, once: each field's name, JSON name, schema and message template."""
    found = _CHECKED.get(cls)
    if found is None:
        found = _CHECKED[cls] = tuple(
            (f.name, camel(f.name), f.metadata.get("schema", {}), f.metadata.get("message"))
            for f in attrs.fields(cls)
        )
    return found


def check_constraints(value: Any, path: str) -> typing.Iterator[tuple[FieldError, str | None]]:
    """The constraint violations of a structured request object, with headline messages."""
    for name, json_name, schema, template in _checked_fields(type(value)):
        item = getattr(value, name)
        where = join(path, json_name)
        for at, bad, problem in _violations(item, schema, where):
            if template and problem == _PATTERN:
                message = template.replace("{value}", str(bad))
                yield FieldError(at, message), message
            else:
                yield FieldError(at, _describe(problem, schema)), None
        yield from _nested(item, where)


def _nested(item: Any, where: str) -> typing.Iterator[tuple[FieldError, str | None]]:
    if attrs.has(type(item)):
        yield from check_constraints(item, where)
    elif isinstance(item, list | tuple):
        for index, element in enumerate(item):
            if attrs.has(type(element)):
                yield from check_constraints(element, join(where, index))


def _violations(item: Any, schema: Mapping[str, Any], where: str) -> list[tuple[str, Any, str]]:
    if item is None:
        return []
    found: list[str] = []
    if isinstance(item, str):
        found += _string_violations(item, schema)
    if isinstance(item, int | float) and not isinstance(item, bool):
        if "minimum" in schema and item < schema["minimum"]:
            found.append(f"must be at least {schema['minimum']}")
        if "maximum" in schema and item > schema["maximum"]:
            found.append(f"must be at most {schema['maximum']}")
    nested: list[tuple[str, Any, str]] = []
    if isinstance(item, list | tuple):
        if "minItems" in schema and len(item) < schema["minItems"]:
            found.append(f"must contain at least {schema['minItems']} item(s)")
        if "maxItems" in schema and len(item) > schema["maxItems"]:
            found.append(f"must contain at most {schema['maxItems']} items")
        for index, element in enumerate(item):
            nested += _violations(element, schema.get("items", {}), join(where, index))
    return [(where, item, problem) for problem in found] + nested


def _describe(problem: str, schema: Mapping[str, Any]) -> str:
    if problem != _PATTERN:
        return problem
    pattern = schema.get("pattern") or schema.get("items", {}).get("pattern")
    return f"must match {pattern}"


def _string_violations(item: str, schema: Mapping[str, Any]) -> list[str]:
    found = []
    if "minLength" in schema and len(item) < schema["minLength"]:
        found.append(f"must be at least {schema['minLength']} character(s) long")
    if "maxLength" in schema and len(item) > schema["maxLength"]:
        found.append(f"must be at most {schema['maxLength']} characters long")
    if "pattern" in schema and not re.search(schema["pattern"], item):
        found.append(_PATTERN)
    return found
