"""Hypothesis profiles: ``ci`` runs the full number of examples, ``dev`` a fifth of it.

``tests/conftest.py`` loads ``ci`` when the ``CI`` environment variable is true and ``dev``
otherwise; ``HYPOTHESIS_PROFILE`` names a profile explicitly. Tests that need their own count
write it as ``examples(n)``: ``n`` under ``ci``, a fifth (at least 5) under ``dev``.
"""

from __future__ import annotations

import os

from hypothesis import settings

FULL = 100
DEV_SHARE = 5


def chosen_profile(env: dict[str, str] | None = None) -> str:
    values = os.environ if env is None else env
    explicit = values.get("HYPOTHESIS_PROFILE")
    if explicit:
        return explicit
    return "ci" if values.get("CI", "").strip().lower() in ("1", "true", "yes") else "dev"


PROFILE = chosen_profile()


def examples(full: int) -> int:
    """The number of examples for a test whose full count is ``full``."""
    return full if PROFILE == "ci" else max(5, full // DEV_SHARE)


settings.register_profile("ci", max_examples=FULL, print_blob=True)
settings.register_profile("dev", max_examples=examples(FULL))
settings.load_profile(PROFILE)
