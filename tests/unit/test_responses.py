"""The response classes are the one description of every answer: each is an OpenAPI component,
and the schema generated from a class accepts exactly what the converter writes for it."""

from __future__ import annotations

import enum
import types
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal, Union, get_args, get_origin

import attrs
import pytest
from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from entrypoints.http.app import all_routes
from entrypoints.http.openapi import ARRAYS, build_document, response_classes
from entrypoints.responses import api as res
from entrypoints.responses import league
from entrypoints.responses.base import instant, to_json
from tracker_core.model import Tracker

NOW = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
DOC = "urn:tracker-service:openapi"
CLASSES = response_classes()


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_document(all_routes())


@pytest.fixture(scope="module")
def registry(document: dict[str, Any]) -> Registry[Any]:
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    found: Registry[Any] = Registry().with_resource(DOC, resource)
    return found


def _validator(registry: Registry[Any], name: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": f"{DOC}#/components/schemas/{name}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _sample(kind: Any, filled: bool) -> Any:
    """A value of ``kind``: optional parts all None (``filled`` False) or all set."""
    origin, args = get_origin(kind), get_args(kind)
    if origin in (Union, types.UnionType):
        inner = next(a for a in args if a is not type(None))
        return _sample(inner, filled) if filled else None
    if kind is str:
        return "text"
    if kind is bool:
        return True
    if kind is int:
        return 7
    if kind is float:
        return 0.5
    if kind is datetime:
        return NOW
    if origin is Literal:
        return args[-1]
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return list(kind)[-1]
    if origin is list:
        return [_sample(args[0], filled)]
    if origin is dict:
        return {"key": 1 if args[1] is Any else _sample(args[1], filled)}
    if isinstance(kind, type) and attrs.has(kind):
        return _instance(kind, filled)
    raise AssertionError(f"no sample for {kind!r}")


def _instance(cls: type, filled: bool) -> Any:
    fields = attrs.fields(attrs.resolve_types(cls))
    return cls(**{f.name: _sample(f.type, filled) for f in fields})


def test_every_response_class_is_an_openapi_component(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    assert CLASSES, "no response classes found"
    for cls in CLASSES:
        assert cls.__name__ in components, cls.__name__
        assert components[cls.__name__]["additionalProperties"] is False
    for cls in ARRAYS:
        assert components[f"{cls.__name__}Array"]["items"] == {
            "$ref": f"#/components/schemas/{cls.__name__}"
        }


def test_every_route_answers_with_a_component(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    assert {route.response for route in all_routes()} <= set(components)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("filled", [False, True], ids=["nulls", "filled"])
def test_the_schema_accepts_what_the_converter_writes(
    registry: Registry[Any], cls: type, filled: bool
) -> None:
    answer = to_json(_instance(cls, filled))
    validator = _validator(registry, cls.__name__)
    validator.validate(answer)
    with pytest.raises(ValidationError):  # closed: a key the class does not declare is refused
        validator.validate({**answer, "undeclared": 1})


def test_keys_are_camel_case_instants_utc_milliseconds_and_nulls_kept() -> None:
    tracker = Tracker(
        id="c" * 25,
        url="https://rocketleague.tracker.network/rocket-league/profile/steam/a/overview",
        platform="STEAM",
        username="a",
        identity="steam:a",
        api_path="steam/a",
        user_id="1" * 18,
        created_at=NOW.astimezone(timezone(timedelta(hours=2))),
        updated_at=NOW,
        registration_interaction_token="secret-token",
    )
    answer = to_json(res.tracker(tracker))
    assert answer["userId"] == "1" * 18
    assert answer["createdAt"] == answer["updatedAt"] == "2026-01-02T03:04:05.678Z"
    assert answer["lastScrapedAt"] is None and "lastScrapedAt" in answer
    assert answer["scrapingStatus"] == "PENDING"
    assert "secret-token" not in repr(answer)
    assert list(answer)[:6] == ["id", "url", "game", "platform", "username", "userId"]
    assert instant(None) is None


def test_omitted_fields_are_absent_while_none_and_renamed_keys_are_kept() -> None:
    assert to_json(res.FormulaCheck(True, ["ones"])) == {"valid": True, "variables": ["ones"]}
    assert to_json(res.FormulaCheck(False, [], "bad")) == {
        "valid": False,
        "variables": [],
        "error": "bad",
    }
    assert to_json(res.MinGames(twos=10)) == {"twos": 10}
    assert to_json(res.ByStatus(1, 2, 3, 4)) == {
        "PENDING": 1,
        "IN_PROGRESS": 2,
        "COMPLETED": 3,
        "FAILED": 4,
    }


def test_answers_nest_in_lists_and_plain_dicts() -> None:
    pull = _instance(league.Pull, True)
    assert to_json({"pull": pull, "rows": [res.Message("m")]}) == {
        "pull": to_json(pull),
        "rows": [{"message": "m"}],
    }
