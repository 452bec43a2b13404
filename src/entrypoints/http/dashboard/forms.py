"""Form handling shared by the league pages: a form read into the JSON body the API takes, that
body validated by the API's own request classes, and the errors shown beside their fields.

A form field is named by the JSON path of the value it carries (``playlists.twos.rating``), the
same path a validation error names, so an error finds its field without a mapping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import AttrsInstance
from flask import request

from entrypoints.http import audit
from entrypoints.http.input_limits import check_text
from entrypoints.http.validation import check_path, structure
from tracker_core.errors import RuleViolationError, ValidationError

T = TypeVar("T", bound=AttrsInstance)
_WHOLE = re.compile(r"-?[0-9]{1,15}")
FORM = "form"
"""The key of an error that belongs to the whole form rather than to one field."""


def text(name: str) -> str | None:
    """A text field, stripped; None when blank or absent."""
    value = request.form.get(name, "").strip()
    return value or None


def whole(name: str) -> int | str | None:
    """A whole-number field: the int, None when blank, else the raw text (validation then
    names the field: "must be an integer")."""
    value = request.form.get(name, "").strip()
    if not value:
        return None
    return int(value) if _WHOLE.fullmatch(value) else value


def present(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` without the absent (None) ones, as JSON leaves them out."""
    return {k: v for k, v in values.items() if v is not None}


def remember(data: dict[str, Any]) -> None:
    """Keep the JSON body of the form for the audit row (as the API keeps its request body),
    and refuse text no store can hold, as the API does.

    Raises:
        ValidationError: a value holds NUL (or a lone surrogate), naming its field.
    """
    audit.remember_body(data)
    check_text(data)


def validated(data: dict[str, Any], cls: type[T]) -> T:
    """``data`` kept for the audit row and validated as the API's request class ``cls``.

    Raises:
        ValidationError: naming each bad field by its JSON path.
    """
    remember(data)
    return structure(data, cls)


def field_errors(exc: RuleViolationError) -> dict[str, str]:
    """Field path → message (a rule of the core, naming no field, under :data:`FORM`)."""
    if isinstance(exc, ValidationError) and exc.errors:
        found: dict[str, str] = {}
        for error in exc.errors:
            found.setdefault(error.field or FORM, error.message)
        return found
    return {FORM: exc.message}


def check_id(name: str, value: str, pattern: str, message: str) -> None:
    """A path id as the API checks it. Raises ValidationError (400)."""
    check_path(name, value, pattern, message.replace("{value}", value))
