"""docs/api.md is the rendering of the current OpenAPI document."""

from __future__ import annotations

from pathlib import Path

from entrypoints.http.api_docs import render_current

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_api_reference_is_up_to_date() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_current(), (
        "docs/api.md is out of date: run .venv/bin/python scripts/gen_api_docs.py"
    )


def test_api_reference_lists_every_operation() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for needle in (
        "### `POST /api/trackers/register`",
        "### `GET /internal/trackers/schedule/guild/{guildId}`",
        "### `POST /api/admin/trackers/batch-refresh`",
        "### `GET /metrics`",
    ):
        assert needle in text
    assert text.count("\n### `") >= 45
