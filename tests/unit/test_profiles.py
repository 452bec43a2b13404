"""The hypothesis profile follows CI: full examples there, a fifth on a developer machine."""

from __future__ import annotations

from hypothesis import settings
from tests.profiles import PROFILE, chosen_profile, examples


def test_ci_true_selects_the_full_profile() -> None:
    assert chosen_profile({"CI": "true"}) == "ci"
    assert chosen_profile({"CI": "1"}) == "ci"


def test_no_ci_selects_dev_and_an_explicit_profile_wins() -> None:
    assert chosen_profile({}) == "dev"
    assert chosen_profile({"CI": "false"}) == "dev"
    assert chosen_profile({"CI": "true", "HYPOTHESIS_PROFILE": "dev"}) == "dev"


def test_the_loaded_profile_sets_the_example_counts() -> None:
    assert settings().max_examples == examples(100)
    assert examples(300) == (300 if PROFILE == "ci" else 60)
    assert examples(10) == (10 if PROFILE == "ci" else 5)
