"""The machinery shared by every response class: JSON names, the converter, the schemas.

- A field's JSON key is its name in camelCase (``user_id`` → ``userId``) unless the field
  names another key (:func:`key`).
- A field declared with :func:`omitted` is left out of the answer while it is None (and is
  not ``required`` in its schema); every other field is always present, None as ``null``.
- Instants are written ``2026-01-01T12:00:00.000Z`` (:func:`instant`).

The converter's unstructure functions are generated once per class (cattrs
``make_dict_unstructure_fn``), so turning an answer into JSON costs about what building the
dict by hand did.
"""

from __future__ import annotations

import enum
import functools
import types
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.fns import identity
from cattrs.gen import make_dict_unstructure_fn, override

Json = dict[str, Any]
Schema = dict[str, Any]

_KEY = "json_key"
_OMITTED = "omitted_when_none"


def key(name: str) -> Any:
    """A field whose JSON key is ``name`` rather than the camelCase of its attribute."""
    return attrs.field(metadata={_KEY: name})


def omitted() -> Any:
    """A field left out of the answer while it is None (default None)."""
    return attrs.field(default=None, metadata={_OMITTED: True})


@functools.cache
def camel(name: str) -> str:
    """``user_id`` → ``userId``: the JSON key of an attribute."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def json_key(field: attrs.Attribute[Any]) -> str:
    """The JSON key of ``field``."""
    name: str = field.metadata.get(_KEY) or camel(field.name)
    return name


def is_omitted(field: attrs.Attribute[Any]) -> bool:
    """Whether ``field`` is left out of the answer while it is None."""
    return bool(field.metadata.get(_OMITTED))


def instant(value: datetime | None) -> str | None:
    """``2026-01-01T12:00:00.000Z`` (None stays None)."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="milliseconds")[:-6] + "Z"  # "+00:00" → "Z"


_PLAIN = (str, int, float, bool)
"""Types written as they are: a field of one of them (or None) is copied without a hook."""


def _is_optional(kind: Any) -> bool:
    args = get_args(kind)
    return get_origin(kind) in (Union, types.UnionType) and len(args) == 2 and type(None) in args


def _unstructure_optional(kind: Any) -> Any:
    inner = next(a for a in get_args(kind) if a is not type(None))
    if inner in _PLAIN or get_origin(inner) is Literal:
        return identity
    if inner is datetime:
        return instant
    hook = converter.get_unstructure_hook(inner)
    return lambda value: None if value is None else hook(value)


def _is_list(kind: Any) -> bool:
    origin: Any = get_origin(kind)
    return origin is list


def _unstructure_list(kind: Any) -> Any:
    args = get_args(kind)
    hook = converter.get_unstructure_hook(args[0]) if args else converter.unstructure
    if hook is identity:
        return list
    return lambda values: [hook(value) for value in values]


def _unstructure_fn(cls: type) -> Any:
    fields = attrs.fields(attrs.resolve_types(cls))
    overrides: dict[str, Any] = {
        f.name: override(rename=json_key(f), omit_if_default=is_omitted(f)) for f in fields
    }
    return make_dict_unstructure_fn(cls, converter, **overrides)


converter = cattrs.Converter(detailed_validation=False)
"""Response objects (and lists and dicts of them) → JSON-able data."""
converter.register_unstructure_hook(datetime, instant)
converter.register_unstructure_hook_factory(_is_optional, _unstructure_optional)
converter.register_unstructure_hook_factory(_is_list, _unstructure_list)
converter.register_unstructure_hook_factory(attrs.has, _unstructure_fn)


def to_json(data: Any) -> Any:
    """``data`` (a response object, or lists/dicts holding them) as JSON-able data."""
    return converter.unstructure(data)


# -- OpenAPI component schemas -------------------------------------------------------------


def ref(name: str) -> Schema:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """``schema`` or null."""
    if isinstance(schema.get("type"), str):
        found = {**schema, "type": [schema["type"], "null"]}
        if "enum" in schema:
            found["enum"] = [*schema["enum"], None]
        return found
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema) -> Schema:
    """An array of ``items``."""
    return {"type": "array", "items": items}


def enum_schema(values: Iterable[object]) -> Schema:
    """One of ``values`` (strings)."""
    return {"type": "string", "enum": [str(v) for v in values]}


DATE_TIME: Schema = {"type": "string", "format": "date-time"}
_SCALARS: dict[Any, Schema] = {
    str: {"type": "string"},
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    datetime: DATE_TIME,
}


class _Schemas:
    """Component schemas of response classes and of the classes they hold."""

    def __init__(self) -> None:
        self.components: dict[str, Schema] = {}

    def of_type(self, kind: Any) -> Schema:
        origin = get_origin(kind)
        if origin in (Union, types.UnionType):
            members = [a for a in get_args(kind) if a is not type(None)]
            if len(members) != 1 or len(get_args(kind)) != 2:
                raise TypeError(f"only X | None unions are supported: {kind!r}")
            return nullable(self.of_type(members[0]))
        if kind is Any:
            return {}
        if kind in _SCALARS:
            return dict(_SCALARS[kind])
        if origin in (list, tuple):
            return array(self.of_type(get_args(kind)[0]))
        if origin is dict:
            value = get_args(kind)[1]
            if value is Any:
                return {"type": "object"}
            return {"type": "object", "additionalProperties": self.of_type(value)}
        if origin is Literal:
            return enum_schema(get_args(kind))
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            return enum_schema(m.value for m in kind)
        if isinstance(kind, type) and attrs.has(kind):
            return ref(self.add(kind))
        raise TypeError(f"no JSON Schema for {kind!r}")

    def add(self, cls: type) -> str:
        name = cls.__name__
        if name not in self.components:
            self.components[name] = {}  # recursion guard
            self.components[name] = self._object(cls)
        return name

    def _object(self, cls: type) -> Schema:
        properties: dict[str, Schema] = {}
        required: list[str] = []
        for field in attrs.fields(attrs.resolve_types(cls)):
            name = json_key(field)
            schema = self.of_type(field.type)
            if is_omitted(field):
                inner = [a for a in get_args(field.type) if a is not type(None)]
                schema = self.of_type(inner[0])  # absent rather than null
            else:
                required.append(name)
            properties[name] = schema
        schema = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        schema["additionalProperties"] = False
        if cls.__doc__:
            schema["description"] = cls.__doc__.strip().splitlines()[0]
        return schema


def component_schemas(classes: Iterable[type], arrays: Iterable[type] = ()) -> dict[str, Schema]:
    """The component schemas of ``classes`` and of every class they hold, by class name; and
    ``<Name>Array`` for each class of ``arrays`` (answers that are a bare list)."""
    found = _Schemas()
    for cls in classes:
        found.add(cls)
    for cls in arrays:
        found.components[f"{cls.__name__}Array"] = array(ref(found.add(cls)))
    return found.components
