"""Strict request parsing: JSON bodies through cattrs, query strings and path ids by type.

The attrs request classes of :mod:`entrypoints.http.requests` are the one source of truth:
this module structures requests into them (strictly: no coercion, no unknown keys) and
:mod:`entrypoints.http.openapi` documents them. Constraints are checked after structuring by
:mod:`entrypoints.http.constraints`.
"""

from __future__ import annotations

import enum
import functools
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar, get_args, get_origin

import attrs
import cattrs
from attrs import AttrsInstance
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, override

from entrypoints.http.constraints import (
    MAX_MEMBER_COUNT,
    MEMBER_COUNT_NEGATIVE,
    MEMBER_COUNT_TOO_LARGE,
    MemberCount,
    check_constraints,
    failure,
    join,
)
from entrypoints.http.input_limits import check_text, decode_json
from entrypoints.responses.base import camel
from tracker_core.errors import FieldError, ValidationError

T = TypeVar("T", bound=AttrsInstance)


class _MismatchError(ValueError):
    """A JSON value of the wrong type; the message says what was expected.

    ``headline``: when it is the request's only error, its message is the answer's message.
    """

    def __init__(self, message: str, *, headline: bool = False) -> None:
        super().__init__(message)
        self.headline = headline


def _member_count(value: Any, _: Any) -> MemberCount:
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,12}\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _MismatchError("must be an integer")
    if value < 0:
        raise _MismatchError(MEMBER_COUNT_NEGATIVE, headline=True)
    if value > MAX_MEMBER_COUNT:
        raise _MismatchError(MEMBER_COUNT_TOO_LARGE, headline=True)
    return MemberCount(value)


def _scalar(kind: type, label: str) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _: Any) -> Any:
        if isinstance(value, bool) and kind is not bool:
            raise _MismatchError(f"must be {label}")
        if not isinstance(value, kind):
            raise _MismatchError(f"must be {label}")
        return value

    return structure


def _number(value: Any, _: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _MismatchError("must be a number")
    try:
        return float(value)
    except OverflowError:
        raise _MismatchError("must be a finite number") from None


def parse_instant(value: str) -> datetime:
    """An ISO 8601 instant; without an offset it is UTC.

    Raises:
        ValueError: not an ISO 8601 date-time.
    """
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _instant(value: Any, _: Any) -> datetime:
    if not isinstance(value, str):
        raise _MismatchError("must be an ISO 8601 date-time string")
    try:
        return parse_instant(value)
    except ValueError:
        raise _MismatchError("must be an ISO 8601 date-time string") from None


def _object(value: Any, _: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _MismatchError("must be an object")
    return value


def _is_list(kind: Any) -> bool:
    return get_origin(kind) in (list, tuple, Sequence)


def _is_object(kind: Any) -> bool:
    return get_origin(kind) in (dict, Mapping)


def _is_literal(kind: Any) -> bool:
    return get_origin(kind) is Literal


def _literal(kind: Any) -> Callable[[Any, Any], Any]:
    choices = get_args(kind)

    def structure(value: Any, _: Any) -> Any:
        for choice in choices:
            if type(value) is type(choice) and value == choice:
                return choice
        raise _MismatchError("must be one of " + ", ".join(str(c) for c in choices))

    return structure


_STRUCTURE_ERRORS = (ClassValidationError, IterableValidationError, _MismatchError, KeyError)


def _list_hook(converter: cattrs.Converter, kind: Any) -> Callable[[Any, Any], Any]:
    item = get_args(kind)[0] if get_args(kind) else Any

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, list):
            raise _MismatchError("must be an array")
        hook = converter.get_structure_hook(item)
        result, errors = [], []
        for index, element in enumerate(value):
            try:
                result.append(hook(element, item))
            except _STRUCTURE_ERRORS as exc:
                exc.add_note(IterableValidationNote(f"@ index {index}", index, item))
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {kind}", errors, kind)
        return tuple(result) if get_origin(kind) is tuple else result

    return structure


def _attrs_hook(converter: cattrs.Converter, cls: type) -> Callable[[Any, Any], Any]:
    renames = {a.name: override(rename=camel(a.name)) for a in attrs.fields(cls)}
    options: dict[str, Any] = {"_cattrs_forbid_extra_keys": True, **renames}
    base: Callable[[Any, Any], Any] = make_dict_structure_fn(cls, converter, **options)

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, dict):
            raise _MismatchError("must be an object")
        return base(value, cls)

    return structure


def _build_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(str, _scalar(str, "a string"))
    converter.register_structure_hook(bool, _scalar(bool, "a boolean"))
    converter.register_structure_hook(int, _scalar(int, "an integer"))
    converter.register_structure_hook(float, _number)
    converter.register_structure_hook(datetime, _instant)
    converter.register_structure_hook(MemberCount, _member_count)
    converter.register_structure_hook_func(_is_object, _object)
    converter.register_structure_hook_factory(_is_literal, _literal)
    converter.register_structure_hook_factory(_is_list, functools.partial(_list_hook, converter))
    converter.register_structure_hook_factory(attrs.has, functools.partial(_attrs_hook, converter))
    return converter


_CONVERTER = _build_converter()


def _errors_of(exc: BaseException, path: str) -> list[FieldError]:
    if isinstance(exc, ForbiddenExtraKeysError):
        return [FieldError(join(path, k), "is not allowed") for k in sorted(exc.extra_fields)]
    if isinstance(exc, ClassValidationError | IterableValidationError):
        found: list[FieldError] = []
        with_notes, without = exc.group_exceptions()
        for inner, note in with_notes:
            found += _errors_of(inner, join(path, _note_part(note)))
        for inner in without:
            found += _errors_of(inner, path)
        return found
    if isinstance(exc, KeyError):
        return [FieldError(path, "is required")]
    if isinstance(exc, _MismatchError):
        return [FieldError(path or "body", str(exc))]
    raise exc


def _headline(exc: BaseException) -> str | None:
    """The message of the only error of ``exc`` when that error asks to be the headline."""
    while isinstance(exc, ClassValidationError | IterableValidationError):
        if len(exc.exceptions) != 1:
            return None
        exc = exc.exceptions[0]
    return str(exc) if isinstance(exc, _MismatchError) and exc.headline else None


def _note_part(note: object) -> str | int:
    if isinstance(note, IterableValidationNote):
        return int(note.index) if isinstance(note.index, int) else str(note.index)
    if isinstance(note, AttributeValidationNote):
        return camel(note.name)
    return str(note)


def structure(data: Any, cls: type[T]) -> T:
    """``data`` (parsed JSON) as an instance of the request class ``cls``.

    Raises:
        ValidationError: naming every offending field.
    """
    try:
        value = _CONVERTER.structure(data, cls)
    except (ClassValidationError, IterableValidationError, _MismatchError) as exc:
        errors = _errors_of(exc, "")
        raise failure(errors, [_headline(exc)] + [None] * (len(errors) - 1)) from None
    problems = list(check_constraints(value, ""))
    if problems:
        raise failure([error for error, _ in problems], [headline for _, headline in problems])
    return value


def parse_json(raw: bytes) -> Any:
    """Strict JSON (no NaN or Infinity, finite numbers, at most 64 levels deep, no NUL or
    lone surrogate in any key or string); an empty body is ``{}``.

    Raises:
        ValidationError: the body is not JSON or breaks one of the input limits.
    """
    data = decode_json(raw)
    check_text(data)
    return data


@functools.cache
def _query_fields(cls: type) -> tuple[tuple[tuple[str, str, Any], ...], frozenset[str]]:
    """Per query class, once: each field's name, parameter name and type; the known names."""
    fields = tuple((f.name, camel(f.name), f.type) for f in attrs.fields(attrs.resolve_types(cls)))
    return fields, frozenset(json_name for _, json_name, _ in fields)


@functools.cache
def _default_query(cls: type[T]) -> T:
    """The query of a request without parameters, built and checked once per (frozen) class."""
    return _parse_query({}, cls)


def parse_query(args: Mapping[str, str], cls: type[T]) -> T:
    """Query parameters as an instance of the attrs query class ``cls``.

    Raises:
        ValidationError: naming every offending (or unknown) parameter.
    """
    if not args and cls.__hash__ is not None:  # frozen: one checked default instance
        default: T = _default_query(cls)
        return default
    return _parse_query(args, cls)


def _parse_query(args: Mapping[str, str], cls: type[T]) -> T:
    values: dict[str, Any] = {}
    fields, known = _query_fields(cls)
    errors = [FieldError(name, "is not allowed") for name in args if name not in known]
    headlines: list[str | None] = [None] * len(errors)
    for name, json_name, kind in fields:
        if json_name not in args:
            continue
        raw = args[json_name]
        try:
            values[name] = query_value(raw, kind)
        except _MismatchError as exc:
            errors.append(FieldError(json_name, str(exc)))
            headlines.append(None)
    value = cls(**values)
    for error, headline in check_constraints(value, ""):
        errors.append(error)
        headlines.append(headline)
    if errors:
        raise failure(errors, headlines)
    return value


def unwrap_optional(kind: Any) -> tuple[Any, bool]:
    """``X | None`` → ``(X, True)``; anything else → ``(kind, False)``."""
    if get_origin(kind) in (typing.Union, types.UnionType):
        options = [a for a in get_args(kind) if a is not type(None)]
        if len(options) == 1:
            return options[0], len(options) != len(get_args(kind))
    return kind, False


def query_value(raw: str, kind: Any) -> Any:
    """One query string value converted to ``kind`` (int, bool, str, Literal, enum, tuple)."""
    kind, _ = unwrap_optional(kind)
    if kind is bool:
        if raw in ("true", "1"):
            return True
        if raw in ("false", "0"):
            return False
        raise _MismatchError("must be one of true, false, 1, 0")
    if kind is int:
        if not re.fullmatch(r"-?\d{1,9}", raw):
            raise _MismatchError("must be an integer")
        return int(raw)
    if get_origin(kind) is tuple:
        item = get_args(kind)[0]
        return tuple(query_value(part, item) for part in raw.split(","))
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return _choice(raw, [m.value for m in kind], kind)
    if _is_literal(kind):
        return _choice(raw, list(get_args(kind)), lambda v: v)
    return raw


def _choice(raw: str, choices: list[Any], make: Callable[[Any], Any]) -> Any:
    if raw in choices:
        return make(raw)
    raise _MismatchError("must be one of " + ", ".join(str(c) for c in choices))


def check_path(name: str, value: str, pattern: str, message: str) -> None:
    """Reject a malformed path parameter with 400 and ``message`` as the error message.

    Raises:
        ValidationError: ``value`` does not match ``pattern``.
    """
    if not re.fullmatch(pattern.strip("^$"), value):
        raise ValidationError([FieldError(name, message)], message=message)
