"""The rate the drain estimate divides by: the budget's current one, else the limit."""

from __future__ import annotations

from typing import cast

import attrs
import pytest

from adapters.trackergg.budget import BudgetUnavailableError
from entrypoints.config import load_settings
from entrypoints.container import Container, eta_rate


@attrs.define
class _Budget:
    rate: float | None  # None: the budget cannot be asked

    def effective_rate(self) -> float:
        if self.rate is None:
            raise BudgetUnavailableError("rate budget unavailable: Redis away")
        return self.rate


@attrs.define
class _Container:
    budget_: _Budget

    def settings(self) -> object:
        return load_settings({"TRN_RATE_LIMIT_PER_MINUTE": "60"})

    def budget(self) -> _Budget:
        return self.budget_


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(60.0, 60), (30.0, 30), (12.9, 12), (0.2, 1), (None, 60)],
)
def test_eta_rate_is_the_budgets_current_rate_or_the_limit(
    rate: float | None, expected: int
) -> None:
    assert eta_rate(cast(Container, _Container(_Budget(rate)))) == expected
