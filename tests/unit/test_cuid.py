"""CUID-format ids: shape, creation order by the millisecond, no repeats."""

from __future__ import annotations

import re
import time

import pytest

from adapters.sql import ids


def test_ids_have_the_cuid_shape_and_do_not_repeat() -> None:
    made = [ids.new_cuid() for _ in range(2000)]
    assert all(re.fullmatch(r"c[a-z0-9]{24}", i) for i in made)
    assert len(set(made)) == len(made)


def test_ids_of_later_milliseconds_sort_after(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([1_700_000_000_000_000_000, 1_700_000_000_001_000_000])
    monkeypatch.setattr(time, "time_ns", lambda: next(clock))
    first, second = ids.new_cuid(), ids.new_cuid()
    assert first[1:9] < second[1:9]
    assert int(second[1:9], 36) - int(first[1:9], 36) == 1
