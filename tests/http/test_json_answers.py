"""The API's JSON answers are encoded by msgspec (``routing._encode``): the same values as
Flask's encoder gave, for every JSON-able value the responses hold."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entrypoints.http.constraints import MemberCount
from entrypoints.http.routing import _encode

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_answers_decode_to_what_was_encoded(value: Any) -> None:
    assert json.loads(_encode(value)) == value


def test_subclasses_of_json_types_are_their_base_values_and_text_is_utf8() -> None:
    encoded = _encode({"memberCount": MemberCount(42), "name": "Équipe ⚽"})
    assert json.loads(encoded) == {"memberCount": 42, "name": "Équipe ⚽"}
    assert "Équipe ⚽".encode() in encoded


def test_what_is_not_json_is_an_error_not_a_guess() -> None:
    with pytest.raises(TypeError, match="cannot encode object as JSON"):
        _encode({"x": object()})
